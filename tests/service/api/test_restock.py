"""Restock suggestions through the API: how much a district or a store should order, the
producers that could send it, the link from a shortage alert, and a need posted from a
suggestion in one call."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.database import create_database_engine, create_session_factory, session_scope
from models import (
    AlertRule,
    Product,
    Region,
    RegionLockdown,
    Role,
    ScopeLevel,
    Store,
    SupplyNeed,
    SupplyStatus,
)
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.conftest import PostgresDatabases
from tests.factories import business_today, make_key, make_product, make_store
from tests.servers import running_server
from tests.supply_network.factories import (
    make_alert,
    make_district,
    make_need,
    make_offer,
    make_producer,
    make_proposal,
    make_snapshot,
)

TODAY = business_today()


@dataclass
class City:
    """Weidong (cabbage short, pork fine) and Xinhua (cabbage fine), a store in Weidong."""

    cabbage: Product
    pork: Product
    weidong: Region
    xinhua: Region
    store: Store
    bureau: dict[str, str]


@pytest.fixture
def city(session: Session) -> City:
    return build_city(session)


def build_city(session: Session) -> City:
    """The city of these stories, in ``session``."""
    cabbage = make_product(session, code="cabbage", category="vegetables")
    pork = make_product(session, code="pork", category="meat")
    cabbage.typical_price = 2.0
    weidong = make_district(session, code="410403", name="Weidong", at=(33.735, 113.335))
    xinhua = make_district(session, code="410402", name="Xinhua", at=(33.737, 113.282))
    store = make_store(session, code="PDS-0001", region=weidong)
    for district, product, stock, sales in (
        (weidong, cabbage, 120.0, 100.0),
        (weidong, pork, 900.0, 100.0),
        (xinhua, cabbage, 450.0, 100.0),
    ):
        make_snapshot(
            session,
            level=ScopeLevel.district,
            scope_id=district.id,
            product=product,
            district=district,
            stock=stock,
            expected_daily_sales=sales,
        )
    make_snapshot(
        session,
        level=ScopeLevel.store,
        scope_id=store.id,
        product=cabbage,
        district=weidong,
        stock=10.0,
        expected_daily_sales=20.0,
    )
    return City(cabbage, pork, weidong, xinhua, store, make_key(session, Role.bureau))


def suggestions(client: TestClient, headers: dict[str, str], **params: Any) -> list[Any]:
    response = client.get("/api/v1/restock", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [
        (item["scope"], item["product"], item["suggested"]) for item in response.json()["items"]
    ]


def test_the_day_s_suggestions_are_listed_worst_first_and_in_transit_counts(
    client: TestClient, session: Session, city: City
) -> None:
    assert suggestions(client, city.bureau, level="district") == [
        ("410403", "cabbage", 380.0),
        ("410402", "cabbage", 50.0),
    ]
    farm = make_producer(session, capacities={"cabbage": 5000})
    offer = make_offer(session, producer=farm, product=city.cabbage, quantity=500)
    need = make_need(session, product=city.cabbage, store=city.store, district=city.weidong)
    headers = make_key(session, Role.producer, producer=farm)
    buyer = make_key(session, Role.store, store=city.store)
    proposal = make_proposal(session, offer=offer, need=need, quantity=50)
    client.post(f"/api/v1/proposals/{proposal.id}/accept", headers=headers)
    order = client.post(f"/api/v1/proposals/{proposal.id}/accept", headers=buyer).json()
    client.post(
        f"/api/v1/supply-orders/{order['order_id']}/ship", json={"quantity": 30}, headers=headers
    )
    assert suggestions(client, city.bureau, level="district", category="vegetables") == [
        ("410403", "cabbage", 350.0),
        ("410402", "cabbage", 50.0),
    ]
    assert suggestions(client, city.bureau, level="store") == [("PDS-0001", "cabbage", 60.0)]
    listed = client.get("/api/v1/restock", params={"level": "store"}, headers=city.bureau)
    item = listed.json()["items"][0]
    assert (item["in_transit"], item["target_days"], item["cover_days"]) == (30.0, 5.0, 2.0)


def test_target_days_follow_the_warning_level_plus_the_tunable_extra_days(
    client: TestClient, session: Session, city: City
) -> None:
    admin = make_key(session, Role.admin)
    changed = client.put(
        "/api/v1/alert-rules/categories/vegetables",
        json={"restock_extra_days": 5},
        headers=admin,
    )
    assert changed.status_code == 200, changed.text
    assert suggestions(client, city.bureau, level="district", product="cabbage") == [
        ("410403", "cabbage", 580.0),
        ("410402", "cabbage", 250.0),
    ]
    refused = client.put(
        "/api/v1/alert-rules/categories/vegetables",
        json={"restock_extra_days": -1},
        headers=admin,
    )
    assert refused.status_code == 422


def test_a_store_reads_only_its_own_stores_suggestions(
    client: TestClient, session: Session, city: City
) -> None:
    headers = make_key(session, Role.store, store=city.store)
    assert suggestions(client, headers, level="store") == [("PDS-0001", "cabbage", 90.0)]
    assert (
        client.get("/api/v1/restock", params={"level": "district"}, headers=headers).status_code
        == 403
    )
    other = make_store(session, code="PDS-0002", region=city.weidong)
    other_headers = make_key(session, Role.store, store=other)
    assert suggestions(client, other_headers, level="store") == []
    assert (
        client.get("/api/v1/restock/store/PDS-0001/cabbage", headers=other_headers).status_code
        == 403
    )
    producer = make_key(session, Role.producer, producer=make_producer(session))
    assert client.get("/api/v1/restock", headers=producer).status_code == 403


def test_a_suggestion_ranks_producers_that_can_send_it_and_leaves_out_sealed_ones(
    client: TestClient, session: Session, city: City
) -> None:
    sealed_county = make_district(session, code="410422", name="Ye")
    make_producer(session, code="NEAR-SMALL", at=(33.74, 113.34), capacities={"cabbage": 100})
    make_producer(session, code="FAR-BIG", at=(34.10, 113.20), capacities={"cabbage": 2000})
    make_producer(
        session,
        code="SEALED",
        region=sealed_county,
        at=(33.73, 113.33),
        capacities={"cabbage": 9000},
    )
    make_producer(session, code="PORK-ONLY", at=(33.73, 113.33), capacities={"pork": 9000})
    session.add(RegionLockdown(region_id=sealed_county.id, start_date=TODAY, recorded_by="test"))
    session.flush()
    detail = client.get("/api/v1/restock/district/410403/cabbage", headers=city.bureau)
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["suggestion"]["suggested"] == 380.0
    assert [(s["producer"], s["covers"]) for s in body["sources"]] == [
        ("FAR-BIG", True),
        ("NEAR-SMALL", False),
    ]
    assert body["sources"][1]["distance_km"] < body["sources"][0]["distance_km"]
    unknown = client.get("/api/v1/restock/district/410403/caviar", headers=city.bureau)
    assert unknown.status_code == 422
    city_level = client.get("/api/v1/restock/city/410400/cabbage", headers=city.bureau)
    assert city_level.status_code == 422


def test_a_shortage_alert_links_to_its_suggestion(
    client: TestClient, session: Session, city: City
) -> None:
    shortage = make_alert(
        session,
        rule=AlertRule.low_supply,
        level=ScopeLevel.district,
        scope_id=city.weidong.id,
        product=city.cabbage,
        district=city.weidong,
    )
    price = make_alert(
        session,
        rule=AlertRule.price_spike,
        level=ScopeLevel.district,
        scope_id=city.weidong.id,
        product=city.cabbage,
        district=city.weidong,
    )
    alert = client.get(f"/api/v1/alerts/{shortage.id}", headers=city.bureau).json()
    assert alert["restock"] == f"/api/v1/restock/alerts/{shortage.id}"
    assert client.get(f"/api/v1/alerts/{price.id}", headers=city.bureau).json()["restock"] is None
    followed = client.get(alert["restock"], headers=city.bureau)
    assert followed.status_code == 200, followed.text
    assert followed.json()["suggestion"]["scope"] == "410403"
    assert followed.json()["alert_id"] == shortage.id
    assert client.get(f"/api/v1/restock/alerts/{price.id}", headers=city.bureau).status_code == 404


def test_a_need_is_posted_from_a_suggestion_in_one_call_and_not_twice(
    client: TestClient, session: Session, city: City
) -> None:
    url = "/api/v1/restock/district/410403/cabbage/need"
    created = client.post(url, headers=city.bureau)
    assert created.status_code == 201, created.text
    need = created.json()
    assert (need["buyer_kind"], need["district"], need["quantity"], need["max_price"]) == (
        "district",
        "410403",
        380.0,
        2.6,
    )
    assert need["needed_by"] == (TODAY + timedelta(days=1)).isoformat()
    detail = client.get("/api/v1/restock/district/410403/cabbage", headers=city.bureau).json()
    assert (detail["on_board"], detail["to_post"]) == (380.0, 0.0)
    again = client.post(url, headers=city.bureau)
    assert again.status_code == 409
    assert session.scalar(select(func.count()).select_from(SupplyNeed)) == 1
    store_headers = make_key(session, Role.store, store=city.store)
    store_need = client.post(
        "/api/v1/restock/store/PDS-0001/cabbage/need",
        json={"max_price": 3.1},
        headers=store_headers,
    )
    assert store_need.status_code == 201, store_need.text
    assert (store_need.json()["buyer"], store_need.json()["quantity"]) == ("PDS-0001", 90.0)
    district_by_store = client.post(url, headers=store_headers)
    assert district_by_store.status_code == 403


@pytest.mark.postgres
def test_twelve_clicks_at_once_on_post_this_need_post_it_once(
    postgres_databases: PostgresDatabases,
) -> None:
    """A double click (or a bureau and a store clicking together) on PostgreSQL, where
    each request would read an empty board before any had written."""
    url = postgres_databases.create("restock")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        bureau = build_city(session).bureau
    settings = Settings(database_url=url, log_json=False, log_level="WARNING")
    with running_server(settings) as base_url:

        def click(_: int) -> int:
            with httpx.Client(timeout=60) as client:
                return client.post(
                    f"{base_url}/api/v1/restock/district/410403/cabbage/need", headers=bureau
                ).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(click, range(12)))
    with session_scope(factory) as session:
        needs = session.scalar(select(func.count()).select_from(SupplyNeed))
    engine.dispose()
    assert sorted(answers) == [201] + [409] * 11, answers
    assert needs == 1


def test_a_need_names_as_its_reason_only_an_alert_its_poster_could_read(
    client: TestClient, session: Session, city: City
) -> None:
    neighbour = make_store(session, code="PDS-0073", region=city.xinhua)
    alert_of = {
        "own store": make_alert(
            session,
            rule=AlertRule.low_supply,
            level=ScopeLevel.store,
            scope_id=city.store.id,
            product=city.cabbage,
            district=city.weidong,
            store=city.store,
        ),
        "neighbour store": make_alert(
            session,
            rule=AlertRule.low_supply,
            level=ScopeLevel.store,
            scope_id=neighbour.id,
            product=city.cabbage,
            district=city.xinhua,
            store=neighbour,
        ),
        "neighbour district": make_alert(
            session,
            rule=AlertRule.low_supply,
            level=ScopeLevel.district,
            scope_id=city.xinhua.id,
            product=city.cabbage,
            district=city.xinhua,
        ),
    }
    store_key = make_key(session, Role.store, store=city.store)
    weidong_bureau = make_key(session, Role.bureau, region=city.weidong)

    def post(headers: dict[str, str], reason: str, **buyer: str) -> Any:
        body = {"product": "cabbage", "quantity": 5, "max_price": 3, **buyer}
        body["needed_by"] = (TODAY + timedelta(days=1)).isoformat()
        body["alert_id"] = alert_of[reason].id
        return client.post("/api/v1/needs", json=body, headers=headers)

    assert post(store_key, "own store", store="PDS-0001").status_code == 201
    for headers, reason, buyer in (
        (store_key, "neighbour store", {"store": "PDS-0001"}),
        (store_key, "neighbour district", {"store": "PDS-0001"}),
        (weidong_bureau, "neighbour store", {"district": "410403"}),
        (weidong_bureau, "neighbour district", {"district": "410403"}),
    ):
        refused = post(headers, reason, **buyer)
        assert refused.status_code == 422, (reason, refused.text)
        [problem] = refused.json()["errors"]
        assert problem["loc"] == ["body", "alert_id"]
        assert problem["msg"] == f"unknown alert '{alert_of[reason].id}'"
    assert post(weidong_bureau, "own store", district="410403").status_code == 201
    assert post(city.bureau, "neighbour district", district="410402").status_code == 201
    assert session.scalar(select(func.count()).select_from(SupplyNeed)) == 3


def test_no_snapshot_no_suggestion(client: TestClient, session: Session, city: City) -> None:
    response = client.get(
        "/api/v1/restock/district/410402/pork",
        headers=city.bureau,
    )
    assert response.status_code == 404
    empty = make_snapshot(
        session,
        level=ScopeLevel.district,
        scope_id=city.xinhua.id,
        product=city.pork,
        district=city.xinhua,
        stock=None,
        expected_daily_sales=None,
        status=SupplyStatus.unknown,
    )
    assert empty.status is SupplyStatus.unknown
    detail = client.get("/api/v1/restock/district/410402/pork", headers=city.bureau).json()
    assert detail["suggestion"]["suggested"] is None and detail["to_post"] == 0.0


def test_suggestions_and_their_sources_carry_the_chinese_names(
    client: TestClient, session: Session, city: City
) -> None:
    """A client showing the bureau's pages in Chinese needs the districts', products' and
    producers' regions' Chinese names, as the pages show them."""
    city.weidong.name_zh = "卫东区"
    city.cabbage.name_zh = "大白菜"
    make_producer(session, code="FARM", region=city.xinhua, capacities={"cabbage": 500})
    city.xinhua.name_zh = "新华区"
    session.flush()
    listed = client.get("/api/v1/restock", params={"level": "district"}, headers=city.bureau)
    first = listed.json()["items"][0]
    assert (first["scope"], first["scope_name_zh"], first["product_name_zh"]) == (
        "410403",
        "卫东区",
        "大白菜",
    )
    store_level = client.get("/api/v1/restock", params={"level": "store"}, headers=city.bureau)
    store_item = store_level.json()["items"][0]
    assert (store_item["scope_name_zh"], store_item["district_name_zh"]) == (None, "卫东区")
    detail = client.get("/api/v1/restock/district/410403/cabbage", headers=city.bureau).json()
    assert detail["suggestion"]["scope_name_zh"] == "卫东区"
    assert [(s["producer"], s["region_name_zh"]) for s in detail["sources"]] == [("FARM", "新华区")]
