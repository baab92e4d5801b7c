"""Region-bound staff and the daily reports: a city bureau posts, corrects, reads and lists
reports only for stores inside its city; a neighbour city's store is unknown to it (404,
or an unknown store in a bulk file) and nothing is written for it."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DailyReport, RegionLevel, Role, Store
from tests.factories import business_today, make_key, make_product, make_region, make_store

API = "/api/v1"
HEADER = "store,date,product,stock,sales,price,received,unit"


@pytest.fixture
def cities(session: Session) -> dict[str, Any]:
    """City A with two districts and a store in each, city B with one store, and pork."""
    city_a = make_region(session, code="CITY-A", level=RegionLevel.city)
    a_north = make_region(session, code="A-NORTH", parent=city_a)
    a_south = make_region(session, code="A-SOUTH", parent=city_a)
    city_b = make_region(session, code="CITY-B", level=RegionLevel.city)
    b_east = make_region(session, code="B-EAST", parent=city_b)
    make_store(session, code="A-N-1", region=a_north)
    make_store(session, code="A-S-1", region=a_south)
    make_store(session, code="B-E-1", region=b_east)
    make_product(session, code="pork")
    return {"city_a": city_a, "a_north": a_north}


@pytest.fixture
def city_a_bureau(session: Session, cities: dict[str, Any]) -> dict[str, str]:
    return make_key(session, Role.bureau, region=cities["city_a"])


def report_url(store: str) -> str:
    return f"{API}/stores/{store}/reports/{business_today().isoformat()}"


def body(stock: float = 100) -> dict[str, Any]:
    return {"lines": [{"product": "pork", "stock": stock, "sales": 10, "price": 14.8}]}


def lines_of(session: Session, code: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(DailyReport)
            .join(Store, Store.id == DailyReport.store_id)
            .where(Store.code == code)
        )
        or 0
    )


def assert_unknown_store(response: Any, code: str) -> None:
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"store {code!r} not found"


def test_city_bureau_posts_and_reads_reports_only_for_stores_inside_its_city(
    client: TestClient, session: Session, city_a_bureau: dict[str, str]
) -> None:
    posted = client.put(report_url("A-S-1"), json=body(), headers=city_a_bureau)
    assert posted.status_code == 201, posted.text
    corrected = client.patch(report_url("A-S-1"), json=body(stock=90), headers=city_a_bureau)
    assert corrected.status_code == 200, corrected.text
    read = client.get(report_url("A-S-1"), headers=city_a_bureau)
    assert read.json()["lines"][0]["stock"] == 90
    days = client.get(f"{API}/stores/A-S-1/reports", headers=city_a_bureau)
    assert [day["store"] for day in days.json()] == ["A-S-1"]
    assert client.get(f"{report_url('A-S-1')}/revisions", headers=city_a_bureau).json()

    national = make_key(session, Role.bureau)
    assert client.put(report_url("B-E-1"), json=body(), headers=national).status_code == 201
    for response in (
        client.put(report_url("B-E-1"), json=body(stock=1), headers=city_a_bureau),
        client.patch(report_url("B-E-1"), json=body(stock=1), headers=city_a_bureau),
        client.get(report_url("B-E-1"), headers=city_a_bureau),
        client.get(f"{API}/stores/B-E-1/reports", headers=city_a_bureau),
        client.get(f"{report_url('B-E-1')}/revisions", headers=city_a_bureau),
    ):
        assert_unknown_store(response, "B-E-1")
    assert client.get(report_url("B-E-1"), headers=national).json()["lines"][0]["stock"] == 100


def test_district_bureau_cannot_post_for_its_citys_other_district(
    client: TestClient, session: Session, cities: dict[str, Any]
) -> None:
    north = make_key(session, Role.bureau, region=cities["a_north"])
    assert client.put(report_url("A-N-1"), json=body(), headers=north).status_code == 201
    assert_unknown_store(client.put(report_url("A-S-1"), json=body(), headers=north), "A-S-1")
    assert lines_of(session, "A-S-1") == 0


def test_city_bureaus_bulk_file_naming_a_neighbours_store_is_refused_whole(
    client: TestClient, session: Session, city_a_bureau: dict[str, str]
) -> None:
    day = business_today().isoformat()
    rows = [f"A-N-1,{day},pork,100,20,14.8,0,kg", f"B-E-1,{day},pork,50,5,14.8,0,kg"]
    text = "\n".join([HEADER, *rows]) + "\n"
    refused = client.post(
        f"{API}/reports/bulk",
        files={"file": ("reports.csv", text.encode(), "text/csv")},
        headers=city_a_bureau,
    )
    assert refused.status_code == 422, refused.text
    assert [(e["row"], e["column"], e["msg"]) for e in refused.json()["errors"]] == [
        (3, "store", "unknown store 'B-E-1'")
    ]
    assert lines_of(session, "A-N-1") == lines_of(session, "B-E-1") == 0

    own = "\n".join([HEADER, rows[0]]) + "\n"
    stored = client.post(
        f"{API}/reports/bulk",
        files={"file": ("reports.csv", own.encode(), "text/csv")},
        headers=city_a_bureau,
    )
    assert stored.status_code == 200, stored.text
    assert lines_of(session, "A-N-1") == 1
