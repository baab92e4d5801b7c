"""Bad reports are refused whole with a problem+json naming the field, and write nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DailyReport, Role, Store
from tests.factories import business_today, days_ago, make_key, make_product, make_store
from tests.service.api.test_reports import line, url


@pytest.fixture
def shop(session: Session) -> Store:
    make_product(session, code="pork", category="meat")
    make_product(session, code="rice", category="grain")
    return make_store(session, code="PDS-0001")


@pytest.fixture
def headers(session: Session, shop: Store) -> dict[str, str]:
    return make_key(session, Role.store, store=shop)


def assert_refused(
    response: Any,
    session: Session,
    *,
    status: int = 422,
    loc: list[Any] | None = None,
    msg: str | None = None,
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    if loc is not None:
        assert any(e["loc"] == loc for e in body["errors"]), body["errors"]
    if msg is not None:
        assert msg in json.dumps(body)
    assert session.scalar(select(func.count()).select_from(DailyReport)) == 0
    return body


@pytest.mark.parametrize(
    ("field", "value", "msg"),
    [
        ("stock", -1, "greater than or equal to 0"),
        ("sales", -0.5, "greater than or equal to 0"),
        ("received", -3, "greater than or equal to 0"),
        ("price", 0, "greater than 0"),
        ("price", -2, "greater than 0"),
        ("stock", "twelve", "valid number"),
        ("stock", True, "not true or false"),
        ("sales", False, "not true or false"),
        ("price", True, "not true or false"),
        ("received", True, "not true or false"),
        ("stock", 1e12, "larger than the limit"),
        ("price", 1e9, "larger than the limit"),
        ("product", "unicorn", "unknown product"),
    ],
)
def test_a_bad_value_is_refused_with_the_field_named(
    client: TestClient, session: Session, headers: dict[str, str], field: str, value: Any, msg: str
) -> None:
    body = {"lines": [line("rice"), line(**{field: value})]}
    response = client.put(url(), json=body, headers=headers)
    assert_refused(response, session, loc=["body", "lines", 1, field], msg=msg)


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(("price", "unit"), [(0.00004, None), (0.04, "t")])
def test_a_price_that_rounds_to_nothing_is_refused_naming_it_not_a_500(
    client: TestClient,
    session: Session,
    headers: dict[str, str],
    method: str,
    price: float,
    unit: str | None,
) -> None:
    body = {"lines": [line("rice"), line(price=price, unit=unit)]}
    response = client.request(method.upper(), url(), json=body, headers=headers)
    assert_refused(response, session, loc=["body", "lines", 1, "price"], msg="rounds to 0")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinite_numbers_are_refused(
    client: TestClient, session: Session, headers: dict[str, str], literal: str
) -> None:
    raw = '{"lines": [{"product": "pork", "stock": ' + literal + ', "sales": 1, "price": 2}]}'
    response = client.put(
        url(), content=raw, headers={**headers, "Content-Type": "application/json"}
    )
    assert_refused(response, session, loc=["body", "lines", 0, "stock"])


def test_the_same_product_twice_in_one_report_is_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    response = client.put(url(), json={"lines": [line(), line(stock=3)]}, headers=headers)
    body = assert_refused(response, session, msg="more than once")
    assert [e["loc"] for e in body["errors"]] == [
        ["body", "lines", 0, "product"],
        ["body", "lines", 1, "product"],
    ]


def test_a_date_in_the_future_is_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    day = (business_today() + timedelta(days=1)).isoformat()
    response = client.put(url(day=day), json={"lines": [line(), line("rice")]}, headers=headers)
    body = assert_refused(response, session, loc=["path", "date"], msg="in the future")
    # The day is the report's, not one of its lines': no "line 0" to look for.
    assert "the report's date" in body["detail"] and "line 0" not in body["detail"]


def test_a_date_older_than_the_limit_is_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    response = client.put(
        url(day=days_ago(401).isoformat()), json={"lines": [line()]}, headers=headers
    )
    assert_refused(response, session, loc=["path", "date"], msg="older than 400 days")


def test_a_malformed_date_is_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    response = client.put(url(day="2026-13-45"), json={"lines": [line()]}, headers=headers)
    assert_refused(response, session, loc=["path", "day"])


def test_unknown_fields_are_rejected_not_ignored(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    response = client.put(url(), json={"lines": [line(discount=5)]}, headers=headers)
    assert_refused(response, session, loc=["body", "lines", 0, "discount"])
    top = client.put(url(), json={"lines": [line()], "store_id": 7}, headers=headers)
    assert_refused(top, session, loc=["body", "store_id"])


def test_an_unknown_store_is_404(client: TestClient, session: Session, shop: Store) -> None:
    admin = make_key(session, Role.admin)
    response = client.put(url("NOPE-1"), json={"lines": [line()]}, headers=admin)
    assert_refused(response, session, status=404, msg="NOPE-1")


def test_a_deactivated_product_is_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    make_product(session, code="old_rice", active=False)
    response = client.put(url(), json={"lines": [line("old_rice")]}, headers=headers)
    assert_refused(response, session, loc=["body", "lines", 0, "product"], msg="deactivated")


def test_an_empty_report_is_refused(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    assert_refused(
        client.put(url(), json={"lines": []}, headers=headers), session, loc=["body", "lines"]
    )


def test_a_report_with_more_lines_than_the_limit_is_refused(
    client: TestClient, session: Session, headers: dict[str, str], settings: Any
) -> None:
    client.app.state.settings = settings.model_copy(update={"max_report_lines": 1})  # type: ignore[attr-defined]
    response = client.put(url(), json={"lines": [line(), line("rice")]}, headers=headers)
    assert_refused(response, session, loc=["body", "lines"], msg="at most 1 lines")


def test_an_oversized_body_is_refused_with_413(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    padding = "x" * (3 * 1024 * 1024)
    response = client.put(
        url(),
        content='{"lines": [], "pad": "' + padding + '"}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert_refused(response, session, status=413, msg="larger than the limit")


def test_an_oversized_chunked_body_is_refused_with_413(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * (128 * 1024)

    response = client.put(
        url(), content=chunks(), headers={**headers, "Content-Type": "application/json"}
    )
    assert_refused(response, session, status=413)


def test_every_bad_line_is_listed_not_just_the_first(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    response = client.put(
        url(),
        json={"lines": [line("unicorn"), line("rice", unit="piece"), line("pork", stock=1e12)]},
        headers=headers,
    )
    body = assert_refused(response, session)
    assert [e["loc"][2] for e in body["errors"]] == [0, 1, 2]


def test_a_store_key_cannot_post_or_read_for_another_store(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    make_store(session, code="PDS-0002")
    bureau = make_key(session, Role.bureau)
    assert client.put(url("PDS-0002"), json={"lines": [line()]}, headers=bureau).status_code == 201
    before = session.scalar(select(func.count()).select_from(DailyReport))
    response = client.put(url("PDS-0002"), json={"lines": [line(stock=1)]}, headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert session.scalar(select(func.count()).select_from(DailyReport)) == before
    stored = client.get(url("PDS-0002"), headers=bureau).json()["lines"][0]["stock"]
    assert stored == 120.5
    assert client.get(url("PDS-0002"), headers=headers).status_code == 403
    assert client.get(url("PDS-0002") + "/revisions", headers=headers).status_code == 403
    assert client.get("/api/v1/stores/PDS-0002/reports", headers=headers).status_code == 403
