"""A store posts its daily report: created, replaced, corrected with history, read back."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DailyReport, ReportRevision, Role, Store
from tests.factories import (
    business_today,
    days_ago,
    make_enterprise,
    make_key,
    make_product,
    make_store,
)


@pytest.fixture
def shop(session: Session) -> Store:
    return make_store(session, code="PDS-0001")


@pytest.fixture
def catalogue(session: Session) -> None:
    make_product(session, code="pork", category="meat", unit="kg")
    make_product(session, code="rice", category="grain", unit="kg")
    make_product(session, code="milk", category="dairy", unit="L", kg_per_unit=1.03)
    make_product(
        session, code="instant_noodles", category="grain", unit="pack", conversions={"box": 12}
    )


@pytest.fixture
def store_headers(session: Session, shop: Store) -> dict[str, str]:
    return make_key(session, Role.store, store=shop)


def line(product: str = "pork", **values: Any) -> dict[str, Any]:
    return {"product": product, "stock": 120.5, "sales": 30, "price": 14.8, "received": 0, **values}


def url(store: str = "PDS-0001", day: str | None = None) -> str:
    return f"/api/v1/stores/{store}/reports/{day or business_today().isoformat()}"


def stored_lines(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(DailyReport)) or 0)


def revisions(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ReportRevision)) or 0)


@pytest.mark.usefixtures("catalogue")
def test_first_post_creates_the_report_and_returns_201(
    client: TestClient, store_headers: dict[str, str]
) -> None:
    response = client.put(
        url(), json={"lines": [line(), line("rice", stock=800, price=5.8)]}, headers=store_headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["counts"] == {"inserted": 2, "updated": 0, "unchanged": 0, "deleted": 0}
    assert {entry["product"]: entry["stock"] for entry in body["lines"]} == {
        "pork": 120.5,
        "rice": 800,
    }


@pytest.mark.usefixtures("catalogue")
def test_posting_the_same_body_again_changes_nothing_and_adds_no_revision(
    client: TestClient, session: Session, store_headers: dict[str, str]
) -> None:
    body = {"lines": [line(), line("rice", stock=800, price=5.8)]}
    assert client.put(url(), json=body, headers=store_headers).status_code == 201
    again = client.put(url(), json=body, headers=store_headers)
    assert again.status_code == 200
    assert again.json()["counts"] == {"inserted": 0, "updated": 0, "unchanged": 2, "deleted": 0}
    assert revisions(session) == 0
    assert stored_lines(session) == 2


@pytest.mark.usefixtures("catalogue")
def test_a_corrected_value_keeps_the_old_one_in_the_revision_history(
    client: TestClient, store_headers: dict[str, str]
) -> None:
    client.put(url(), json={"lines": [line(stock=120.5)]}, headers=store_headers)
    response = client.put(url(), json={"lines": [line(stock=99)]}, headers=store_headers)
    assert response.status_code == 200
    assert response.json()["counts"]["updated"] == 1
    history = client.get(url() + "/revisions", headers=store_headers)
    assert history.status_code == 200
    [revision] = history.json()
    assert revision["product"] == "pork"
    assert revision["kind"] == "updated"
    assert revision["old"]["stock"] == 120.5
    assert revision["new"]["stock"] == 99
    assert revision["changed_by"].startswith("key:")
    assert revision["changed_at"]


@pytest.mark.usefixtures("catalogue")
def test_replacing_a_report_removes_lines_it_no_longer_has_and_records_them(
    client: TestClient, store_headers: dict[str, str]
) -> None:
    client.put(url(), json={"lines": [line(), line("rice", price=5.8)]}, headers=store_headers)
    response = client.put(url(), json={"lines": [line()]}, headers=store_headers)
    assert response.json()["counts"]["deleted"] == 1
    assert [entry["product"] for entry in response.json()["lines"]] == ["pork"]
    [revision] = client.get(url() + "/revisions", headers=store_headers).json()
    assert revision["kind"] == "deleted"
    assert revision["product"] == "rice"
    assert revision["new"] is None


@pytest.mark.usefixtures("catalogue")
def test_a_store_corrects_one_line_with_patch_and_keeps_the_others(
    client: TestClient, store_headers: dict[str, str]
) -> None:
    client.put(url(), json={"lines": [line(), line("rice", price=5.8)]}, headers=store_headers)
    response = client.patch(url(), json={"lines": [line(stock=99)]}, headers=store_headers)
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"inserted": 0, "updated": 1, "unchanged": 1, "deleted": 0}
    assert {entry["product"]: entry["stock"] for entry in response.json()["lines"]} == {
        "pork": 99,
        "rice": 120.5,
    }
    [revision] = client.get(url() + "/revisions", headers=store_headers).json()
    assert (revision["product"], revision["old"]["stock"], revision["new"]["stock"]) == (
        "pork",
        120.5,
        99,
    )


@pytest.mark.usefixtures("catalogue")
def test_a_patch_is_not_refused_for_a_stored_line_of_a_product_deactivated_since(
    client: TestClient, session: Session, store_headers: dict[str, str]
) -> None:
    """Only the lines sent are checked: the day's rice line, stored before the bureau
    deactivated rice, neither refuses a correction of pork nor is touched by it."""
    client.put(url(), json={"lines": [line(), line("rice", price=5.8)]}, headers=store_headers)
    admin = make_key(session, Role.admin)
    deactivated = client.patch("/api/v1/products/rice", json={"active": False}, headers=admin)
    assert deactivated.status_code == 200, deactivated.text
    response = client.patch(url(), json={"lines": [line(stock=99)]}, headers=store_headers)
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"inserted": 0, "updated": 1, "unchanged": 1, "deleted": 0}
    assert {entry["product"]: entry["stock"] for entry in response.json()["lines"]} == {
        "pork": 99,
        "rice": 120.5,
    }
    refused = client.patch(url(), json={"lines": [line("rice")]}, headers=store_headers)
    assert refused.status_code == 422
    assert [error["loc"][:3] for error in refused.json()["errors"]] == [["body", "lines", 0]]


@pytest.mark.usefixtures("catalogue")
def test_a_patch_on_an_empty_day_creates_it_and_a_bad_line_is_named_as_sent(
    client: TestClient, session: Session, store_headers: dict[str, str]
) -> None:
    assert client.patch(url(), json={"lines": [line()]}, headers=store_headers).status_code == 201
    refused = client.patch(
        url(), json={"lines": [line("rice"), line("rice", stock=-1)]}, headers=store_headers
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert {tuple(error["loc"][:3]) for error in refused.json()["errors"]} <= {
        ("body", "lines", 0),
        ("body", "lines", 1),
    }
    assert stored_lines(session) == 1


@pytest.mark.usefixtures("catalogue")
def test_a_store_cannot_patch_another_stores_report(
    client: TestClient, session: Session, store_headers: dict[str, str]
) -> None:
    make_store(session, code="PDS-0002")
    refused = client.patch(url("PDS-0002"), json={"lines": [line()]}, headers=store_headers)
    assert refused.status_code == 403
    assert stored_lines(session) == 0


@pytest.mark.usefixtures("catalogue")
def test_reports_are_read_back_by_day_and_by_range(
    client: TestClient, store_headers: dict[str, str]
) -> None:
    for age in (0, 1, 3):
        day = days_ago(age).isoformat()
        client.put(url(day=day), json={"lines": [line(stock=100 + age)]}, headers=store_headers)
    one = client.get(url(day=days_ago(1).isoformat()), headers=store_headers)
    assert one.status_code == 200
    assert one.json()["lines"][0]["stock"] == 101
    missing = client.get(url(day=days_ago(2).isoformat()), headers=store_headers)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    listed = client.get(
        "/api/v1/stores/PDS-0001/reports",
        params={"from": days_ago(3).isoformat(), "to": business_today().isoformat()},
        headers=store_headers,
    )
    assert [r["date"] for r in listed.json()] == [
        days_ago(3).isoformat(),
        days_ago(1).isoformat(),
        business_today().isoformat(),
    ]


@pytest.mark.usefixtures("catalogue")
def test_units_are_converted_to_the_products_canonical_unit(
    client: TestClient, store_headers: dict[str, str]
) -> None:
    response = client.put(
        url(),
        json={
            "lines": [
                line("pork", stock=10, sales=4, price=7.4, received=2, unit="jin"),
                line("rice", stock=2, sales=0.5, price=5800, received=None, unit="t"),
                line("milk", stock=500, sales=250, price=0.012, unit="mL"),
                line("instant_noodles", stock=3, sales=1, price=162, unit="box"),
            ]
        },
        headers=store_headers,
    )
    assert response.status_code == 201, response.text
    lines = {entry["product"]: entry for entry in response.json()["lines"]}
    assert lines["pork"]["stock"] == 5 and lines["pork"]["sales"] == 2
    assert lines["pork"]["received"] == 1 and lines["pork"]["price"] == pytest.approx(14.8)
    assert lines["pork"]["unit"] == "kg"
    assert lines["rice"]["stock"] == 2000 and lines["rice"]["price"] == pytest.approx(5.8)
    assert lines["milk"]["stock"] == 0.5 and lines["milk"]["price"] == pytest.approx(12)
    assert lines["instant_noodles"]["stock"] == 36
    assert lines["instant_noodles"]["price"] == pytest.approx(13.5)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("unit", "message"),
    [("bushel", "unknown unit"), ("piece", "cannot be converted"), ("L", "cannot be converted")],
)
def test_an_unknown_or_unconvertible_unit_is_rejected(
    client: TestClient, session: Session, store_headers: dict[str, str], unit: str, message: str
) -> None:
    response = client.put(url(), json={"lines": [line(unit=unit)]}, headers=store_headers)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "lines", 0, "unit"]
    assert message in error["msg"]
    assert stored_lines(session) == 0


def test_an_enterprise_key_posts_for_all_its_stores_and_no_other(
    client: TestClient, session: Session, catalogue: None
) -> None:
    chain = make_enterprise(session, code="CH-01")
    make_store(session, code="CH-01-A", enterprise=chain)
    make_store(session, code="CH-01-B", enterprise=chain)
    make_store(session, code="OTHER-1")
    headers = make_key(session, Role.store, enterprise=chain)
    for code in ("CH-01-A", "CH-01-B"):
        assert client.put(url(code), json={"lines": [line()]}, headers=headers).status_code == 201
    refused = client.put(url("OTHER-1"), json={"lines": [line()]}, headers=headers)
    assert refused.status_code == 403
    assert stored_lines(session) == 2


@pytest.mark.usefixtures("catalogue")
def test_bureau_may_post_and_dispatcher_may_not(
    client: TestClient, session: Session, shop: Store
) -> None:
    bureau = make_key(session, Role.bureau)
    dispatcher = make_key(session, Role.dispatcher)
    assert client.put(url(), json={"lines": [line()]}, headers=dispatcher).status_code == 403
    assert client.get(url(), headers=dispatcher).status_code == 403
    assert client.put(url(), json={"lines": [line()]}, headers=bureau).status_code == 201
    assert client.get(url(), headers=bureau).status_code == 200


def test_an_unauthenticated_request_gets_401(client: TestClient, shop: Store) -> None:
    response = client.put(url(), json={"lines": [line()]})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    bad = client.get(url(), headers={"Authorization": "Bearer sw_nonsense"})
    assert bad.status_code == 401
