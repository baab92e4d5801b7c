"""Alert rules API: the effective configuration, whole and per-scope replacement, and
refusal of contradictory thresholds with every problem located."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Product, Role, RuleSetting, ThresholdOverride
from monitors.alerting.lifecycle import load_rule_settings
from monitors.computing.inputs import load_threshold_overrides
from service.app import create_app
from service.settings import Settings
from tests.factories import make_key, make_product, make_store
from tests.service.api.test_alerts import include_alert_routers

URL = "/api/v1/alert-rules"


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = include_alert_routers(create_app(settings, session_factory=session_factory))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    make_product(session, code="pork-r", category="meat")
    make_product(session, code="milk-r", category="dairy")
    return make_key(session, Role.bureau)


def _errors(response: Any) -> dict[tuple[Any, ...], str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {tuple(error["loc"]): error["msg"] for error in response.json()["errors"]}


def _stored(session: Session) -> tuple[int, int]:
    overrides = session.scalar(select(func.count()).select_from(ThresholdOverride))
    settings = session.scalar(select(func.count()).select_from(RuleSetting))
    return int(overrides or 0), int(settings or 0)


def test_defaults_come_from_the_design(client: TestClient, bureau: dict[str, str]) -> None:
    body = client.get(URL, headers=bureau).json()
    assert body["rules"]["low_supply"] == {"enabled": True, "for_runs": 1}
    assert set(body["rules"]) == {
        "low_supply",
        "stockout",
        "price_spike",
        "sales_surge",
        "missing_report",
        "ticket_sla",
        "complaint_cluster",
    }
    assert body["categories"] == {} and body["products"] == {}
    meat = body["thresholds"]["categories"]["meat"]
    assert (meat["low_supply_warning_days"], meat["low_supply_critical_days"]) == (3.0, 1.5)
    grain = body["thresholds"]["categories"]["grain"]
    assert (grain["low_supply_warning_days"], grain["low_supply_critical_days"]) == (7.0, 3.0)
    assert body["audit"] == {"rules": {}, "categories": {}, "products": {}}


def test_a_configuration_round_trips_and_reaches_the_monitor(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    config = {
        "rules": {
            "low_supply": {"enabled": True, "for_runs": 2},
            "price_spike": {"enabled": False, "for_runs": 1},
        },
        "categories": {"meat": {"low_supply_warning_days": 4, "low_supply_critical_days": 2}},
        "products": {"pork-r": {"low_supply_critical_days": 2.5, "price_baseline_min_days": 5}},
    }
    response = client.put(URL, json=config, headers=bureau)
    assert response.status_code == 200, response.text
    first = client.get(URL, headers=bureau).json()
    assert first["rules"]["low_supply"] == {"enabled": True, "for_runs": 2}
    assert first["rules"]["price_spike"] == {"enabled": False, "for_runs": 1}
    assert first["rules"]["stockout"] == {"enabled": True, "for_runs": 1}
    assert first["categories"] == config["categories"]
    assert first["products"] == config["products"]
    assert first["thresholds"]["categories"]["meat"]["low_supply_warning_days"] == 4
    pork = first["thresholds"]["products"]["pork-r"]
    assert (pork["low_supply_warning_days"], pork["low_supply_critical_days"]) == (4, 2.5)
    assert first["audit"]["categories"]["meat"]["updated_by"].startswith("key:")
    assert set(first["audit"]["rules"]) == {"low_supply", "price_spike"}

    again = client.put(
        URL, json={key: first[key] for key in ("rules", "categories", "products")}, headers=bureau
    )
    assert again.status_code == 200, again.text
    second = client.get(URL, headers=bureau).json()
    assert second == first  # nothing changed, so nothing was re-signed either

    session.expire_all()
    by_category, by_product = load_threshold_overrides(session)
    pork_id = session.scalar(select(Product.id).where(Product.code == "pork-r"))
    assert by_category == {"meat": {"low_supply_warning_days": 4, "low_supply_critical_days": 2}}
    assert by_product == {pork_id: {"low_supply_critical_days": 2.5, "price_baseline_min_days": 5}}
    settings = load_rule_settings(session)
    assert (settings["low_supply"].for_runs, settings["price_spike"].enabled) == (2, False)

    cleared = client.put(URL, json={}, headers=bureau)
    assert cleared.status_code == 200
    assert cleared.json()["categories"] == {} and cleared.json()["products"] == {}
    assert cleared.json()["rules"]["low_supply"] == {"enabled": True, "for_runs": 1}
    assert _stored(session)[0] == 0


def test_contradictory_thresholds_are_refused_with_every_problem_located(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    response = client.put(
        URL,
        json={
            "categories": {
                "meat": {"low_supply_critical_days": 3.5},  # warning is 3
                "dairy": {"sales_surge_critical": 1.5, "price_spike_warning": -0.1},
                "fruit": {"colour": 1},
                "toys": {"low_supply_warning_days": 2},
            },
            "products": {"nothing": {"low_supply_warning_days": 2}},
        },
        headers=bureau,
    )
    errors = _errors(response)
    assert set(errors) == {
        ("body", "categories", "meat", "low_supply_critical_days"),
        ("body", "categories", "dairy", "sales_surge_critical"),
        ("body", "categories", "dairy", "price_spike_warning"),
        ("body", "categories", "fruit", "colour"),
        ("body", "categories", "toys"),
        ("body", "products", "nothing"),
    }
    assert "stricter" in errors[("body", "categories", "meat", "low_supply_critical_days")]
    assert "negative" in errors[("body", "categories", "dairy", "price_spike_warning")]
    assert _stored(session) == (0, 0)


def test_a_product_override_is_checked_against_its_category(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    product = {"pork-r": {"low_supply_critical_days": 2.5}}
    assert client.put(URL, json={"products": product}, headers=bureau).status_code == 200
    lowered = client.put(
        URL,
        json={"categories": {"meat": {"low_supply_warning_days": 2}}, "products": product},
        headers=bureau,
    )
    errors = _errors(lowered)
    assert list(errors) == [("body", "products", "pork-r", "low_supply_critical_days")]
    assert "meat" in errors[("body", "products", "pork-r", "low_supply_critical_days")]


@pytest.mark.parametrize(
    "rules",
    [
        {"low_supply": {"for_runs": 0}},
        {"low_supply": {"for_runs": 31}},
        {"low_supply": {"enabled": "maybe"}},
        {"flood": {"for_runs": 2}},
    ],
)
def test_rule_settings_are_bounded(
    client: TestClient, bureau: dict[str, str], rules: dict[str, Any]
) -> None:
    errors = _errors(client.put(URL, json={"rules": rules}, headers=bureau))
    assert all(loc[:2] == ("body", "rules") for loc in errors)


def test_values_must_be_numbers(client: TestClient, bureau: dict[str, str]) -> None:
    for value in ("2", True, None):
        body: dict[str, Any] = {"categories": {"meat": {"low_supply_warning_days": value}}}
        errors = _errors(client.put(URL, json=body, headers=bureau))
        assert all(
            loc[:4] == ("body", "categories", "meat", "low_supply_warning_days") for loc in errors
        )
    whole = {"categories": {"meat": {"price_baseline_min_days": 2.5}}}
    errors = _errors(client.put(URL, json=whole, headers=bureau))
    assert "whole number" in errors[("body", "categories", "meat", "price_baseline_min_days")]


def test_one_scope_at_a_time(client: TestClient, session: Session, bureau: dict[str, str]) -> None:
    put = client.put(
        f"{URL}/products/pork-r", json={"low_supply_critical_days": 2.5}, headers=bureau
    )
    assert put.status_code == 200, put.text
    assert put.json()["products"] == {"pork-r": {"low_supply_critical_days": 2.5}}
    category = client.put(
        f"{URL}/categories/meat", json={"sales_surge_warning": 2.5}, headers=bureau
    )
    assert category.status_code == 200, category.text
    assert category.json()["thresholds"]["products"]["pork-r"]["sales_surge_warning"] == 2.5

    # Lowering meat's warning below pork's stored critical level is refused, naming pork.
    errors = _errors(
        client.put(f"{URL}/categories/meat", json={"low_supply_warning_days": 2}, headers=bureau)
    )
    assert list(errors) == [("products", "pork-r", "low_supply_critical_days")]
    own = _errors(
        client.put(f"{URL}/categories/meat", json={"low_supply_critical_days": 9}, headers=bureau)
    )
    assert ("body", "low_supply_critical_days") in own

    assert client.put(f"{URL}/categories/toys", json={"x": 1}, headers=bureau).status_code == 404
    assert client.put(f"{URL}/widgets/meat", json={}, headers=bureau).status_code == 422

    # Removing pork's category override is fine; removing one that does not exist is a 404.
    assert client.delete(f"{URL}/categories/meat", headers=bureau).status_code == 204
    assert client.delete(f"{URL}/categories/meat", headers=bureau).status_code == 404
    assert client.delete(f"{URL}/products/pork-r", headers=bureau).status_code == 204
    assert client.get(URL, headers=bureau).json()["products"] == {}
    assert _stored(session)[0] == 0


def test_removing_a_category_override_a_product_relies_on_is_a_conflict(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    config = {
        "categories": {"meat": {"low_supply_warning_days": 6}},
        "products": {"pork-r": {"low_supply_critical_days": 4}},
    }
    assert client.put(URL, json=config, headers=bureau).status_code == 200
    response = client.delete(f"{URL}/categories/meat", headers=bureau)
    assert response.status_code == 409
    assert response.json()["errors"][0]["loc"] == ["products", "pork-r", "low_supply_critical_days"]
    assert _stored(session)[0] == 2


@pytest.mark.parametrize("role", [Role.store, Role.dispatcher])
def test_only_the_bureau_and_admins_see_or_change_rules(
    client: TestClient, session: Session, bureau: dict[str, str], role: Role
) -> None:
    store = make_store(session) if role is Role.store else None
    headers = make_key(session, role, store=store)
    change = {"categories": {"meat": {"low_supply_warning_days": 4}}}
    assert client.get(URL, headers=headers).status_code == 403
    assert client.put(URL, json=change, headers=headers).status_code == 403
    assert (
        client.put(
            f"{URL}/categories/meat", json={"low_supply_warning_days": 4}, headers=headers
        ).status_code
        == 403
    )
    assert client.delete(f"{URL}/categories/meat", headers=headers).status_code == 403
    assert _stored(session) == (0, 0)
    admin = make_key(session, Role.admin)
    assert client.put(URL, json=change, headers=admin).status_code == 200


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("low_supply_warning_days", "365"),
        ("restock_extra_days", "365"),
        ("overstock_factor", "1000"),
    ],
)
def test_a_threshold_past_any_use_is_refused_not_left_to_empty_the_suggestions(
    client: TestClient, session: Session, bureau: dict[str, str], field: str, limit: str
) -> None:
    """1e308 days of warning or extra cover was stored, and every restock suggestion of
    the category then vanished (its target was 1e308 days)."""
    response = client.put(f"{URL}/categories/meat", json={field: 1e308}, headers=bureau)
    errors = _errors(response)
    assert [loc[-1] for loc in errors] == [field], errors
    assert f"at most {limit}" in next(iter(errors.values()))
    assert _stored(session) == (0, 0)


@pytest.mark.parametrize("field", ["price_baseline_min_days", "price_outlier_min_outlets"])
def test_a_whole_number_threshold_too_large_to_hold_is_refused_not_a_500(
    client: TestClient, session: Session, bureau: dict[str, str], field: str
) -> None:
    """A whole-number threshold of 1e308 passed every check (finite, whole, positive) and
    then failed converting to a 64-bit integer: a 500 on both the whole PUT and one
    category's override. It is a 422 naming the field, and nothing is stored."""
    for response in (
        client.put(URL, json={"categories": {"meat": {field: 1e308}}}, headers=bureau),
        client.put(f"{URL}/categories/meat", json={field: 1e308}, headers=bureau),
        client.put(f"{URL}/products/pork-r", json={field: 1e19}, headers=bureau),
    ):
        errors = _errors(response)
        assert [loc[-1] for loc in errors] == [field], errors
        assert "at most" in next(iter(errors.values()))
    assert _stored(session) == (0, 0)
