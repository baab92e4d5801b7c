"""The supply API shows what the monitor stored: filters, worst-first order, hand-computed
days of supply, history with mean store prices, and who may read what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Product, RegionLevel, Role, Store
from monitors.running.runs import MonitorConfig, compute_day
from reports import store_report_lines
from tests.factories import business_today, make_key, make_product, make_region, make_store

D = business_today() - timedelta(days=1)
SUPPLY = "/api/v1/supply"
HISTORY = "/api/v1/supply/history"


@pytest.fixture
def api(client: TestClient) -> TestClient:
    """The service's API, supply routes included."""
    return client


def report_days(
    session: Session,
    store: Store,
    product: Product,
    days: list[tuple[float, float, float]],
    last: date = D,
) -> None:
    """Reports on consecutive days ending on ``last``: (stock, sales, price), oldest first."""
    frame = pd.DataFrame(
        [
            {
                "store_id": store.id,
                "report_date": last - timedelta(days=len(days) - 1 - offset),
                "product_id": product.id,
                "stock": stock,
                "sales": sales,
                "price": price,
                "received": None,
            }
            for offset, (stock, sales, price) in enumerate(days)
        ]
    )
    store_report_lines(session, frame, submitted_by="test")


def run(session: Session, day: date) -> None:
    session.expire_all()
    compute_day(session, business_date=day, run_id=None, config=MonitorConfig())
    session.flush()
    session.expire_all()


@pytest.fixture
def city(session: Session) -> dict[str, Any]:
    """CITY with districts EAST (store A in township EAST-1, store B) and WEST (store C);
    rice (grain) and cabbage (vegetables); five days of reports; monitored D−1 and D.

    At D (grain: low < 7, critical < 3, overstocked > 28; vegetables: < 2, < 1, > 8):
    A rice 40 / 10 = 4 (low), B rice 60 / 30 = 2 (critical), C rice 200 / 10 = 20
    (adequate); A cabbage 15 / 10 = 1.5 (low), B cabbage 0 with demand 10 (stocked
    out), C cabbage 100 / 10 = 10 (overstocked). EAST rice (40 + 60) / (10 + 30) = 2.5.
    """
    top = make_region(session, code="CITY", name="City", level=RegionLevel.city)
    east = make_region(session, code="EAST", name="East", parent=top)
    west = make_region(session, code="WEST", name="West", parent=top)
    town = make_region(
        session, code="EAST-1", name="East one", level=RegionLevel.township, parent=east
    )
    rice = make_product(session, code="rice", category="grain")
    cabbage = make_product(session, code="cabbage", category="vegetables")
    a = make_store(session, code="A", region=town)
    b = make_store(session, code="B", region=east)
    c = make_store(session, code="C", region=west)
    report_days(
        session, a, rice, [(50, 10, 3), (40, 10, 3), (30, 10, 3), (20, 10, 3), (40, 10, 3.2)]
    )
    report_days(
        session, b, rice, [(120, 30, 4), (90, 30, 4), (60, 30, 4), (30, 30, 4), (60, 30, 4.4)]
    )
    report_days(session, c, rice, [(200, 10, 5)] * 5)
    report_days(session, a, cabbage, [(40, 10, 2), (30, 10, 2), (25, 10, 2), (15, 10, 2)])
    report_days(session, b, cabbage, [(20, 10, 2), (10, 10, 2), (0, 5, 2)])
    report_days(session, c, cabbage, [(100, 10, 2)] * 4)
    run(session, D - timedelta(days=1))
    run(session, D)
    return {"a": a, "b": b, "c": c, "rice": rice, "cabbage": cabbage}


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


def rows(api: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = api.get(SUPPLY, params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


def keyed(items: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    return [(item["scope"]["code"], item["product"] or item["category"]) for item in items]


def test_store_rows_come_worst_first_with_their_own_numbers(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    items = rows(api, bureau, level="store")
    assert [(key, item["status"]) for key, item in zip(keyed(items), items, strict=True)] == [
        (("B", "cabbage"), "stocked_out"),
        (("B", "rice"), "critical"),
        (("A", "cabbage"), "low"),  # 1.5 days before 4 days
        (("A", "rice"), "low"),
        (("C", "rice"), "adequate"),
        (("C", "cabbage"), "overstocked"),
    ]
    a_rice = items[3]
    assert a_rice["date"] == D.isoformat() and a_rice["level"] == "store"
    assert a_rice["scope"] == {"code": "A", "name": "Store"}
    assert (a_rice["district"], a_rice["category"]) == ("EAST", "grain")
    assert a_rice["stock"] == 40 and a_rice["expected_daily_sales"] == pytest.approx(10)
    assert a_rice["days_of_supply"] == pytest.approx(4.0)
    assert a_rice["price"] == pytest.approx(3.2) and a_rice["sales"] == pytest.approx(10)
    assert a_rice["stale"] is False and a_rice["trusted"] is True
    assert items[0]["stock"] == 0 and items[0]["days_of_supply"] == 0


def test_district_and_city_rows_are_ratios_of_sums(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    [east] = rows(api, bureau, level="district", region="EAST", product="rice")
    assert east["days_of_supply"] == pytest.approx((40 + 60) / (10 + 30))
    assert east["status"] == "critical" and east["district"] == "EAST"
    assert (east["stores_total"], east["stores_reporting"], east["coverage"]) == (2, 2, 1.0)
    assert east["scope"] == {"code": "EAST", "name": "East"} and east["price"] is None

    both = rows(api, bureau, level="district", region="CITY", product="rice")
    assert keyed(both) == [("EAST", "rice"), ("WEST", "rice")]
    assert both[1]["days_of_supply"] == pytest.approx(20.0)

    # A township finds the district it lies in.
    assert keyed(rows(api, bureau, level="district", region="EAST-1", product="rice")) == [
        ("EAST", "rice")
    ]

    [whole] = rows(api, bureau, level="city", region="CITY", product="rice")
    assert whole["days_of_supply"] == pytest.approx(300 / 50)
    assert whole["district"] is None and whole["stores_total"] == 3
    assert {item["product"] for item in rows(api, bureau, level="city")} == {"rice", "cabbage"}


def test_category_selects_category_rows_above_stores_and_product_rows_at_stores(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    grain = rows(api, bureau, level="district", category="grain")
    assert keyed(grain) == [("EAST", "grain"), ("WEST", "grain")]
    assert all(item["product"] is None for item in grain)
    assert grain[0]["days_of_supply"] == pytest.approx(2.5)
    vegetables = rows(api, bureau, level="district", category="vegetables")
    assert vegetables[0]["days_of_supply"] == pytest.approx((15 + 0) / (10 + 10))
    assert vegetables[0]["stores_stocked_out"] == 1

    at_stores = rows(api, bureau, level="store", category="vegetables")
    assert keyed(at_stores) == [("B", "cabbage"), ("A", "cabbage"), ("C", "cabbage")]


def test_region_and_status_filters(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    assert keyed(rows(api, bureau, level="store", region="EAST")) == [
        ("B", "cabbage"),
        ("B", "rice"),
        ("A", "cabbage"),
        ("A", "rice"),
    ]
    assert {code for code, _ in keyed(rows(api, bureau, level="store", region="EAST-1"))} == {"A"}
    assert keyed(rows(api, bureau, level="store", status="low")) == [
        ("A", "cabbage"),
        ("A", "rice"),
    ]
    both = rows(api, bureau, level="store", status=["stocked_out", "overstocked"])
    assert keyed(both) == [("B", "cabbage"), ("C", "cabbage")]
    assert rows(api, bureau, level="city", status="stocked_out") == []


def test_the_default_day_is_the_latest_monitored_and_older_days_stay_readable(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    [latest] = rows(api, bureau, level="district", region="EAST", product="rice")
    assert latest["date"] == D.isoformat()
    day_before = (D - timedelta(days=1)).isoformat()
    [older] = rows(api, bureau, level="district", region="EAST", product="rice", date=day_before)
    assert older["date"] == day_before
    assert older["days_of_supply"] == pytest.approx((20 + 30) / (10 + 30))
    assert rows(api, bureau, level="store", date=(D - timedelta(days=9)).isoformat()) == []


def test_paging_keeps_the_order_and_counts_everything(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    response = api.get(SUPPLY, params={"level": "store", "limit": 2, "offset": 1}, headers=bureau)
    body = response.json()
    assert body["total"] == 6 and body["limit"] == 2 and body["offset"] == 1
    assert keyed(body["items"]) == [("B", "rice"), ("A", "cabbage")]


def test_history_has_one_point_per_day_with_the_mean_store_price(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    first = (D - timedelta(days=1)).isoformat()
    response = api.get(
        HISTORY,
        params={"level": "district", "scope": "EAST", "product": "rice", "from": first},
        headers=bureau,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["level"], body["scope"]["code"], body["product"], body["category"]) == (
        "district",
        "EAST",
        "rice",
        "grain",
    )
    assert (body["from"], body["to"]) == (first, business_today().isoformat())
    points = body["points"]
    assert [point["date"] for point in points] == [first, D.isoformat()]
    assert points[0]["days_of_supply"] == pytest.approx(50 / 40)
    assert points[1]["days_of_supply"] == pytest.approx(2.5)
    assert points[0]["price"] == pytest.approx((3.0 + 4.0) / 2)
    assert points[1]["price"] == pytest.approx((3.2 + 4.4) / 2)
    assert points[1]["status"] == "critical" and points[1]["coverage"] == 1.0
    assert points[1]["stock"] == 100 and points[1]["expected_daily_sales"] == pytest.approx(40)

    city_wide = api.get(
        HISTORY, params={"level": "city", "scope": "CITY", "product": "rice"}, headers=bureau
    ).json()["points"]
    assert [point["price"] for point in city_wide] == pytest.approx(
        [(3.0 + 4.0 + 5.0) / 3, (3.2 + 4.4 + 5.0) / 3]
    )

    store = api.get(
        HISTORY, params={"level": "store", "scope": "B", "product": "rice"}, headers=bureau
    ).json()["points"]
    assert [(p["price"], p["days_of_supply"]) for p in store] == [(4.0, 1.0), (4.4, 2.0)]

    grain = api.get(
        HISTORY, params={"level": "district", "scope": "WEST", "category": "grain"}, headers=bureau
    ).json()
    assert [p["days_of_supply"] for p in grain["points"]] == [20.0, 20.0]
    assert grain["product"] is None and grain["points"][0]["price"] is None


def test_history_needs_exactly_one_item_and_at_most_a_year(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    base = {"level": "district", "scope": "EAST"}
    neither = api.get(HISTORY, params=base, headers=bureau)
    assert neither.status_code == 422
    both = api.get(HISTORY, params={**base, "product": "rice", "category": "grain"}, headers=bureau)
    assert both.status_code == 422
    too_long = api.get(
        HISTORY,
        params={**base, "product": "rice", "from": "2024-01-01", "to": "2025-01-01"},
        headers=bureau,
    )
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["loc"] == ["query", "from"]
    a_year = api.get(
        HISTORY,
        params={**base, "product": "rice", "from": "2024-01-02", "to": "2025-01-01"},
        headers=bureau,
    )
    assert a_year.status_code == 200 and a_year.json()["points"] == []
    backwards = api.get(
        HISTORY,
        params={**base, "product": "rice", "from": "2025-01-02", "to": "2025-01-01"},
        headers=bureau,
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"] == [
        {"loc": ["query", "from"], "msg": "is after the last day"}
    ]  # the field in words, its key in the pointer
    wrong_level = api.get(
        HISTORY, params={"level": "city", "scope": "EAST", "product": "rice"}, headers=bureau
    )
    assert wrong_level.status_code == 422
    store_category = api.get(
        HISTORY, params={"level": "store", "scope": "A", "category": "grain"}, headers=bureau
    )
    assert store_category.status_code == 422
    near_year_one = api.get(
        HISTORY, params={**base, "product": "rice", "to": "0001-01-05"}, headers=bureau
    )
    assert near_year_one.status_code == 200


def test_a_store_key_reads_only_its_own_store_rows(
    api: TestClient, session: Session, city: dict[str, Any]
) -> None:
    own = make_key(session, Role.store, store=city["a"])
    assert {code for code, _ in keyed(rows(api, own, level="store"))} == {"A"}
    assert {code for code, _ in keyed(rows(api, own, level="store", region="CITY"))} == {"A"}
    assert api.get(SUPPLY, params={"level": "district"}, headers=own).status_code == 403
    assert api.get(SUPPLY, params={"level": "city"}, headers=own).status_code == 403
    mine = api.get(HISTORY, params={"level": "store", "scope": "A", "product": "rice"}, headers=own)
    assert mine.status_code == 200 and len(mine.json()["points"]) == 2
    other = api.get(
        HISTORY, params={"level": "store", "scope": "B", "product": "rice"}, headers=own
    )
    assert other.status_code == 403
    district = api.get(
        HISTORY, params={"level": "district", "scope": "EAST", "product": "rice"}, headers=own
    )
    assert district.status_code == 403


def test_dispatchers_read_everything_and_drivers_nothing(
    api: TestClient, session: Session, city: dict[str, Any]
) -> None:
    dispatcher = make_key(session, Role.dispatcher)
    assert len(rows(api, dispatcher, level="district")) == 4
    history = api.get(
        HISTORY, params={"level": "store", "scope": "C", "product": "rice"}, headers=dispatcher
    )
    assert history.status_code == 200
    driver = make_key(session, Role.driver)
    assert api.get(SUPPLY, params={"level": "store"}, headers=driver).status_code == 403
    assert api.get(SUPPLY, params={"level": "store"}).status_code == 401


def test_unknown_codes_are_404_and_a_bad_level_is_422(
    api: TestClient, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    for params in (
        {"level": "store", "region": "NOWHERE"},
        {"level": "district", "product": "caviar"},
        {"level": "district", "category": "jewellery"},
    ):
        response = api.get(SUPPLY, params=params, headers=bureau)
        assert response.status_code == 404, params
        assert response.headers["content-type"].startswith("application/problem+json")
    for params in (
        {"level": "store", "scope": "NOPE", "product": "rice"},
        {"level": "district", "scope": "NOPE", "product": "rice"},
        {"level": "district", "scope": "EAST", "product": "caviar"},
    ):
        assert api.get(HISTORY, params=params, headers=bureau).status_code == 404, params
    bad = api.get(SUPPLY, params={"level": "province"}, headers=bureau)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["query", "level"]
    assert api.get(SUPPLY, headers=bureau).status_code == 422  # level is required
    assert (
        api.get(SUPPLY, params={"level": "store", "status": "dire"}, headers=bureau).status_code
        == 422
    )
    both = api.get(
        SUPPLY, params={"level": "store", "product": "rice", "category": "grain"}, headers=bureau
    )
    assert both.status_code == 422


def test_no_snapshots_at_all_is_404(api: TestClient, bureau: dict[str, str]) -> None:
    response = api.get(SUPPLY, params={"level": "city"}, headers=bureau)
    assert response.status_code == 404
    assert "monitor" in response.json()["detail"]
