"""The demo city's supply network: a registry of the kinds and size the bureau keeps,
capacities that cover the city's demand, and right after `make demo` a board with
proposals, shortage alerts with their restock suggestion, and a producer who can answer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pytest
from fastapi.testclient import TestClient

from core.database import create_database_engine, create_session_factory, session_scope
from monitors.running.runs import run_monitor
from service.app import create_app
from service.configuration import monitor_config
from service.demo import DemoCity, generate_city, load_demo_city
from service.demo.supply_network import KIND_COUNTS, SupplyFrames, generate_supply
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.factories import business_today

END = date(2026, 11, 23)


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_city(seed=42, end_date=END, days=8)


@pytest.fixture(scope="module")
def supply(city: DemoCity) -> SupplyFrames:
    return generate_supply(city, seed=42, day=END)


def test_the_registry_has_the_kinds_and_size_of_the_bureau_s(supply: SupplyFrames) -> None:
    producers = supply.producers
    assert len(producers) >= 2000 and producers["code"].is_unique
    assert producers["kind"].value_counts().to_dict() == KIND_COUNTS
    assert set(supply.capacities["producer_code"]) == set(producers["code"])
    assert producers["latitude"].between(33.0, 34.5).all()
    assert producers["longitude"].between(112.5, 113.9).all()
    assert (supply.capacities["daily_capacity"] >= 1).all()


def test_capacities_cover_the_city_s_demand_two_to_three_times_over(
    city: DemoCity, supply: SupplyFrames
) -> None:
    demand = city.products.set_index("code")["typical_daily_sales"] * len(city.stores)
    capacity = supply.capacities.groupby("product_code")["daily_capacity"].sum()
    ratio = (capacity / demand).dropna()
    assert set(ratio.index) == set(city.products["code"])
    assert ratio.between(1.7, 3.1).all(), ratio.sort_values().head()


def test_the_board_has_offers_below_retail_and_needs_from_the_disrupted_districts(
    city: DemoCity, supply: SupplyFrames
) -> None:
    typical = city.products.set_index("code")["typical_price"]
    offers, needs = supply.offers, supply.needs
    assert len(offers) > 300
    assert (offers["price"].to_numpy() < typical.reindex(offers["product_code"]).to_numpy()).all()
    assert (offers["available_to"] >= offers["available_from"]).all()
    districts = set(needs["district_code"])
    assert set(city.disrupted_districts) <= districts
    assert np.all(needs["quantity"] > 0)
    assert "PDS-0001" in set(needs["store_code"].dropna())


def test_same_seed_same_supply(city: DemoCity, supply: SupplyFrames) -> None:
    again = generate_supply(city, seed=42, day=END)
    assert again.producers.equals(supply.producers)
    assert again.offers.equals(supply.offers)


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_after_the_demo_loads_the_board_has_proposals_and_an_alert_has_its_suggestion(
    backend_name: str, empty_database_url: Callable[[str], str]
) -> None:
    url = empty_database_url(backend_name)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    settings = Settings(database_url=url, log_json=False, log_level="WARNING")
    today = business_today()
    with session_scope(factory) as session:
        summary = load_demo_city(session, seed=42, end_date=today, days=8)
    run_monitor(
        factory=factory,
        business_date=today,
        config=monitor_config(settings),
        trigger="test",
        requested_by="test",
    )
    engine.dispose()
    assert summary.producers >= 2000 and summary.proposals > 50 and summary.supply_orders > 0
    keys = {key.role.value: {"Authorization": f"Bearer {key.secret}"} for key in summary.api_keys}
    with TestClient(create_app(settings)) as client:
        bureau = keys["bureau"]
        alerts = client.get(
            "/api/v1/alerts",
            params={"rule": "low_supply", "status": "open", "limit": 200},
            headers=bureau,
        ).json()["items"]
        linked = [alert for alert in alerts if alert["restock"]]
        assert linked
        suggestion = client.get(linked[0]["restock"], headers=bureau)
        assert suggestion.status_code == 200, suggestion.text
        assert suggestion.json()["suggestion"]["product"] == linked[0]["product"]
        listed = client.get("/api/v1/restock", params={"level": "district"}, headers=bureau)
        worst = listed.json()["items"][0]
        assert worst["suggested"] > 0 and worst["district"] in ("410403", "410422")
        detail = client.get(
            f"/api/v1/restock/district/{worst['scope']}/{worst['product']}", headers=bureau
        ).json()
        assert detail["sources"], detail
        runs = client.get("/api/v1/match-runs", headers=bureau).json()["items"]
        assert runs[0]["proposals"] == summary.proposals
        waiting = client.get(
            "/api/v1/proposals", params={"awaiting": "producer"}, headers=keys["producer"]
        ).json()
        assert waiting["total"] >= 1
        in_transit = client.get(
            "/api/v1/supply-orders", params={"status": "shipped"}, headers=bureau
        ).json()
        assert in_transit["total"] >= 1
        assert client.get("/api/v1/board").json()["products"]
