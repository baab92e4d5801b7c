"""A chain uploads a CSV or XLSX of all its stores' lines; all stored, or none."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DailyReport, Enterprise, ReportRevision, Role
from service.app import create_app
from tests.factories import (
    business_today,
    days_ago,
    make_enterprise,
    make_key,
    make_product,
    make_store,
)
from tests.scrape import scrape_metrics

BULK = "/api/v1/reports/bulk"
HEADER = "store,date,product,stock,sales,price,received,unit"


@pytest.fixture
def city(session: Session) -> None:
    chain = make_enterprise(session, code="CH-01")
    make_store(session, code="A-1", enterprise=chain)
    make_store(session, code="A-2", enterprise=chain)
    make_store(session, code="B-1")
    make_product(session, code="pork", category="meat")
    make_product(session, code="rice", category="grain")


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


def csv_file(*rows: str, header: str = HEADER) -> dict[str, Any]:
    text = "\n".join([header, *rows]) + "\n"
    return {"file": ("reports.csv", text.encode(), "text/csv")}


def today() -> str:
    return business_today().isoformat()


def count(session: Session, model: Any = DailyReport) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def rows_for(day: str) -> list[str]:
    return [
        f"A-1,{day},pork,100,20,14.8,10,kg",
        f"A-1,{day},rice,500,50,5.8,,",
        f"A-2,{day},pork,200,30,7.4,0,jin",
    ]


@pytest.mark.usefixtures("city")
def test_bulk_csv_reports_inserted_updated_and_unchanged_counts(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    first = client.post(BULK, files=csv_file(*rows_for(today())), headers=bureau)
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 3, "inserted": 3, "updated": 0, "unchanged": 0}
    changed = rows_for(today())
    changed[0] = f"A-1,{today()},pork,90,20,14.8,10,kg"
    changed.append(f"B-1,{today()},rice,10,1,6,,kg")
    second = client.post(BULK, files=csv_file(*changed), headers=bureau)
    assert second.json() == {"rows": 4, "inserted": 1, "updated": 1, "unchanged": 2}
    assert count(session) == 4
    assert count(session, ReportRevision) == 1
    a2 = client.get(f"/api/v1/stores/A-2/reports/{today()}", headers=bureau).json()
    assert a2["lines"][0]["stock"] == 100  # 200 jin
    assert a2["lines"][0]["price"] == pytest.approx(14.8)


@pytest.mark.usefixtures("city")
def test_bulk_xlsx_is_read_like_csv(client: TestClient, bureau: dict[str, str]) -> None:
    frame = pd.DataFrame(
        {
            "store": ["A-1", "A-2"],
            "date": [business_today(), days_ago(1)],
            "product": ["pork", "rice"],
            "stock": [100, 40.5],
            "sales": [20, 5],
            "price": [14.8, 5.8],
            "received": [None, 3],
        }
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    response = client.post(
        BULK,
        files={
            "file": (
                "reports.xlsx",
                buffer.getvalue(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
        },
        headers=bureau,
    )
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 2


@pytest.mark.usefixtures("city")
def test_every_bad_row_is_listed_with_row_and_column_and_nothing_is_stored(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    response = client.post(
        BULK,
        files=csv_file(
            f"A-1,{today()},pork,100,20,14.8,,",
            f"A-1,{today()},rice,lots,20,5.8,,",
            f"NOPE,{today()},rice,1,1,1,,",
            f"A-2,{today()},caviar,1,1,1,,",
            f"A-2,{today()},pork,-1,1,0,,",
            "A-2,2026-02-30,rice,1,1,1,,",
            f"A-2,{today()},rice,nan,inf,1,,",
            f"A-1,{today()},pork,1,1,1,,",
        ),
        headers=bureau,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    cells = {(e["row"], e["column"]) for e in response.json()["errors"]}
    assert cells == {
        (2, "product"),
        (9, "product"),  # pork twice for A-1 today
        (3, "stock"),
        (4, "store"),
        (5, "product"),
        (6, "stock"),
        (6, "price"),
        (7, "date"),
        (8, "stock"),
        (8, "sales"),
    }
    assert response.json()["error_count"] == 10
    assert count(session) == 0


@pytest.mark.usefixtures("city")
def test_a_price_that_rounds_to_nothing_is_named_by_row_and_column_and_nothing_is_stored(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    response = client.post(
        BULK,
        files=csv_file(
            f"A-1,{today()},pork,100,20,14.8,,",
            f"A-1,{today()},rice,100,20,0.00004,,",
            f"A-2,{today()},rice,100,20,0.04,,t",
        ),
        headers=bureau,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    cells = {(e["row"], e["column"]) for e in response.json()["errors"]}
    assert cells == {(3, "price"), (4, "price")}
    assert count(session) == 0


@pytest.mark.usefixtures("city")
def test_a_missing_column_is_named(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    response = client.post(
        BULK,
        files=csv_file(f"A-1,{today()},pork,1,1", header="store,date,product,stock,sales"),
        headers=bureau,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["file", "header"], "column": "price", "msg": "missing column 'price'"}
    ]
    assert count(session) == 0


@pytest.mark.usefixtures("city")
@pytest.mark.parametrize(
    ("content", "status", "msg"),
    [
        (b"", 422, "empty"),
        ((HEADER + "\n").encode(), 422, "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 415, "neither CSV nor XLSX"),
        (b"PK\x03\x04not really a zip", 415, "neither CSV nor a readable XLSX"),
        (b'store,date\n"unterminated', 422, "a quote opens in row 2 and never closes"),
    ],
)
def test_files_that_are_not_report_files_are_refused(
    client: TestClient,
    session: Session,
    bureau: dict[str, str],
    content: bytes,
    status: int,
    msg: str,
) -> None:
    response = client.post(BULK, files={"file": ("x.csv", content, "text/csv")}, headers=bureau)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert msg in response.text
    assert count(session) == 0


@pytest.mark.usefixtures("city")
def test_a_gb18030_csv_from_chinese_excel_is_read(
    client: TestClient, bureau: dict[str, str]
) -> None:
    text = HEADER + f"\nA-1,{today()},pork,1,1,1,,kg\n"
    content = text.encode("gb18030") + "\n".encode("gb18030")
    response = client.post(BULK, files={"file": ("报表.csv", content, "text/csv")}, headers=bureau)
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("city")
def test_an_oversized_upload_is_refused_with_413(
    client: TestClient, session: Session, bureau: dict[str, str], settings: Any
) -> None:
    small = settings.model_copy(update={"max_upload_bytes": 1000})
    app = create_app(small, session_factory=client.app.state.session_factory)  # type: ignore[attr-defined]
    with TestClient(app) as small_client:
        response = small_client.post(BULK, files=csv_file(*rows_for(today()) * 20), headers=bureau)
    assert response.status_code == 413
    assert count(session) == 0


@pytest.mark.usefixtures("city")
def test_a_chain_key_cannot_upload_another_stores_rows_and_nothing_is_stored(
    client: TestClient, session: Session
) -> None:
    chain = session.scalars(select(Enterprise).where(Enterprise.code == "CH-01")).one()
    chain_key = make_key(session, Role.store, enterprise=chain)
    ok = client.post(BULK, files=csv_file(*rows_for(today())), headers=chain_key)
    assert ok.status_code == 200
    before = count(session)
    response = client.post(
        BULK,
        files=csv_file(f"A-1,{today()},pork,1,1,1,,", f"B-1,{today()},pork,1,1,1,,"),
        headers=chain_key,
    )
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {
            "loc": ["file", 3, "store"],
            "row": 3,
            "column": "store",
            "msg": "not allowed to post for store 'B-1'",
        }
    ]
    assert count(session) == before
    assert count(session, ReportRevision) == 0


@pytest.mark.usefixtures("city")
def test_a_driver_key_cannot_upload(client: TestClient, session: Session) -> None:
    driver = make_key(session, Role.driver)
    response = client.post(BULK, files=csv_file(*rows_for(today())), headers=driver)
    assert response.status_code == 403
    assert count(session) == 0


@pytest.mark.usefixtures("city")
def test_a_rejected_batch_is_counted_in_metrics(client: TestClient, bureau: dict[str, str]) -> None:
    client.post(BULK, files=csv_file(f"NOPE,{today()},pork,1,1,1,,"), headers=bureau)
    client.post(BULK, files=csv_file(*rows_for(today())), headers=bureau)
    metrics = scrape_metrics(client)
    assert 'supplywatch_report_batches_rejected_total{source="bulk"} 1.0' in metrics
    assert (
        'supplywatch_report_lines_received_total{outcome="inserted",source="bulk"} 3.0' in metrics
    )
