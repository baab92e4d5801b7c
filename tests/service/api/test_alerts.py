"""Alerts API: filters, urgency order, paging, acknowledgement and who may see them."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Product,
    Region,
    RegionLevel,
    Role,
    Severity,
    Store,
)
from service.api import alert_rules, alerts, silences
from service.app import create_app
from service.http.schemas import reject_nul_characters
from service.settings import Settings
from tests.factories import make_key, make_product, make_region, make_store

_fingerprints = itertools.count(1)
NOW = datetime.now(UTC).replace(microsecond=0)
DAY = date(2026, 3, 10)


def include_alert_routers(app: FastAPI) -> FastAPI:
    """Add the alert routers unless ``service.api`` registers them already."""
    for prefix, router in (
        ("/api/v1/alerts", alerts.router),
        ("/api/v1/silences", silences.router),
        ("/api/v1/alert-rules", alert_rules.router),
    ):
        if not any(getattr(route, "path", "").startswith(prefix) for route in app.routes):
            app.include_router(
                router, prefix="/api/v1", dependencies=[Depends(reject_nul_characters)]
            )
    return app


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = include_alert_routers(create_app(settings, session_factory=session_factory))
    with TestClient(app) as test_client:
        yield test_client


def make_alert(
    session: Session,
    *,
    rule: AlertRule = AlertRule.low_supply,
    severity: Severity = Severity.warning,
    status: AlertStatus = AlertStatus.firing,
    store: Store | None = None,
    district: Region | None = None,
    city: Region | None = None,
    product: Product | None = None,
    last_seen_at: datetime = NOW,
    first_date: date = DAY,
    last_date: date = DAY,
    value: float | None = 1.2,
) -> Alert:
    """An alert on a store, a district or a city (the first given), as the monitor
    would have stored it, with its ``opened`` event."""
    if store is not None:
        level, scope_id = "store", store.id
        district_id: int | None = district.id if district else store.region_id
    elif district is not None:
        level, scope_id, district_id = "district", district.id, district.id
    else:
        assert city is not None, "give a store, a district or a city"
        level, scope_id, district_id = "city", city.id, None
    alert = Alert(
        fingerprint=f"fp-{next(_fingerprints)}",
        rule=rule,
        severity=severity,
        status=status,
        scope_level=level,
        scope_id=scope_id,
        store_id=store.id if store else None,
        district_id=district_id,
        product_id=product.id if product else None,
        category_id=product.category_id if product else None,
        value=value,
        threshold=2.0,
        summary=f"{rule.value} on {level} {scope_id}",
        consecutive_runs=1,
        first_seen_at=last_seen_at - timedelta(hours=1),
        last_seen_at=last_seen_at,
        fired_at=None if status is AlertStatus.pending else last_seen_at - timedelta(hours=1),
        resolved_at=last_seen_at if status is AlertStatus.resolved else None,
        first_date=first_date,
        last_date=last_date,
    )
    session.add(alert)
    session.flush()
    session.add(
        AlertEvent(alert_id=alert.id, at=alert.first_seen_at, kind="opened", actor="monitor")
    )
    session.flush()
    return alert


@dataclass
class World:
    """Two districts of a city (one with a township), stores, products and alerts."""

    city: Region
    weidong: Region
    xinhua: Region
    township: Region
    alerts: dict[str, Alert]


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def build_world(session: Session) -> World:
    """A city, its districts Weidong (with a township) and Xinhua, and five alerts."""
    city = make_region(session, code="4104", level=RegionLevel.city)
    weidong = make_region(session, code="410403", parent=city)
    xinhua = make_region(session, code="410402", parent=city)
    township = make_region(session, code="410403001", level=RegionLevel.township, parent=weidong)
    shop_w = make_store(session, code="PDS-W1", region=township)
    shop_x = make_store(session, code="PDS-X1", region=xinhua)
    pork = make_product(session, code="pork-a", category="meat")
    rice = make_product(session, code="rice-a", category="grain")
    cabbage = make_product(session, code="cabbage-a", category="vegetables")
    a = {
        "w_pork_store": make_alert(
            session,
            store=shop_w,
            district=weidong,
            product=pork,
            severity=Severity.critical,
            last_seen_at=NOW - timedelta(hours=5),
        ),
        "w_rice_district": make_alert(
            session, district=weidong, product=rice, last_seen_at=NOW - timedelta(hours=1)
        ),
        "x_cabbage_store": make_alert(
            session,
            store=shop_x,
            product=cabbage,
            rule=AlertRule.sales_surge,
            status=AlertStatus.acknowledged,
            last_seen_at=NOW - timedelta(hours=2),
            first_date=DAY - timedelta(days=3),
        ),
        "x_missing": make_alert(
            session,
            store=shop_x,
            rule=AlertRule.missing_report,
            severity=Severity.critical,
            status=AlertStatus.pending,
            last_seen_at=NOW - timedelta(hours=3),
            value=None,
        ),
        "city_rice": make_alert(
            session,
            city=city,
            product=rice,
            rule=AlertRule.price_spike,
            status=AlertStatus.resolved,
            last_seen_at=NOW - timedelta(days=3),
            first_date=DAY - timedelta(days=5),
            last_date=DAY - timedelta(days=3),
        ),
    }
    return World(city, weidong, xinhua, township, a)


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


def _ids(world: World, *names: str) -> set[int]:
    return {world.alerts[name].id for name in names}


def _listed(client: TestClient, headers: dict[str, str], **query: str) -> list[dict]:
    response = client.get("/api/v1/alerts", params={**query, "limit": "100"}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["w_pork_store", "w_rice_district", "x_cabbage_store", "x_missing", "city_rice"]),
        ({"status": "open"}, ["w_pork_store", "w_rice_district", "x_cabbage_store", "x_missing"]),
        ({"status": "firing"}, ["w_pork_store", "w_rice_district"]),
        ({"status": "pending"}, ["x_missing"]),
        ({"status": "acknowledged"}, ["x_cabbage_store"]),
        ({"status": "resolved"}, ["city_rice"]),
        ({"severity": "critical"}, ["w_pork_store", "x_missing"]),
        ({"rule": "sales_surge"}, ["x_cabbage_store"]),
        ({"rule": "low_supply", "severity": "warning"}, ["w_rice_district"]),
        ({"scope": "store"}, ["w_pork_store", "x_cabbage_store", "x_missing"]),
        ({"scope": "district", "region": "410403"}, ["w_rice_district"]),
        ({"scope": "city"}, ["city_rice"]),
        ({"scope": "district", "status": "open"}, ["w_rice_district"]),
        ({"region": "410403"}, ["w_pork_store", "w_rice_district"]),
        ({"region": "410402"}, ["x_cabbage_store", "x_missing"]),
        ({"region": "4104"}, ["city_rice"]),
        ({"region": "410403001"}, ["w_pork_store"]),
        ({"product": "rice-a"}, ["w_rice_district", "city_rice"]),
        ({"category": "vegetables"}, ["x_cabbage_store"]),
        ({"category": "grain", "status": "open"}, ["w_rice_district"]),
        ({"date": (DAY - timedelta(days=2)).isoformat()}, ["x_cabbage_store"]),
        ({"date": (DAY - timedelta(days=4)).isoformat()}, ["city_rice"]),
        ({"date": DAY.isoformat(), "region": "410402"}, ["x_cabbage_store", "x_missing"]),
        (
            {"since": (NOW - timedelta(days=1)).isoformat()},
            ["w_pork_store", "w_rice_district", "x_cabbage_store", "x_missing"],
        ),
        ({"until": (NOW - timedelta(days=2)).isoformat()}, ["city_rice"]),
    ],
)
def test_each_filter_narrows_the_list(
    client: TestClient,
    world: World,
    bureau: dict[str, str],
    query: dict[str, str],
    expected: list[str],
) -> None:
    listed = _listed(client, bureau, **query)
    assert {item["id"] for item in listed} == _ids(world, *expected)


def test_the_bureau_reads_the_alerts_of_several_scope_levels_at_once(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/alerts", params=[("scope", "district"), ("scope", "city")], headers=bureau
    )
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert {item["id"] for item in items} == _ids(world, "w_rice_district", "city_rice")
    assert {item["scope"]["level"] for item in items} == {"district", "city"}


def test_a_client_of_the_first_name_scope_level_still_gets_the_same_filter(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    response = client.get("/api/v1/alerts", params={"scope_level": "district"}, headers=bureau)
    assert response.status_code == 200, response.text
    assert {item["id"] for item in response.json()["items"]} == _ids(world, "w_rice_district")


def test_an_unknown_scope_level_is_a_problem_naming_the_parameter_and_lists_nothing(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/alerts", params=[("scope", "store"), ("scope", "province")], headers=bureau
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert [error["loc"] for error in problem["errors"]] == [["query", "scope", 1]]
    assert problem["detail"].startswith("query.scope.1: ")
    assert "'store', 'district' or 'city'" in problem["detail"]
    assert "items" not in problem


def test_an_unknown_code_in_a_filter_is_a_422_naming_each(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/alerts", params={"region": "nowhere", "product": "nothing"}, headers=bureau
    )
    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["errors"]]
    assert locs == [["query", "region"], ["query", "product"]]
    bad_status = client.get("/api/v1/alerts", params={"status": "burning"}, headers=bureau)
    assert bad_status.status_code == 422
    backwards = client.get(
        "/api/v1/alerts",
        params={"since": NOW.isoformat(), "until": (NOW - timedelta(days=1)).isoformat()},
        headers=bureau,
    )
    assert backwards.status_code == 422
    naive = client.get("/api/v1/alerts", params={"since": "2026-03-01T00:00:00"}, headers=bureau)
    assert naive.status_code == 422


def test_critical_alerts_come_first_then_the_most_recently_seen(
    client: TestClient, session: Session, world: World, bureau: dict[str, str]
) -> None:
    tie = make_alert(
        session,
        district=world.xinhua,
        severity=Severity.critical,
        last_seen_at=NOW - timedelta(hours=5),
    )
    order = [item["id"] for item in _listed(client, bureau)]
    a = world.alerts
    assert order == [
        a["x_missing"].id,  # critical, seen 3 h ago
        tie.id,  # critical, seen 5 h ago, newer id than the next
        a["w_pork_store"].id,  # critical, seen 5 h ago
        a["w_rice_district"].id,  # warning, seen 1 h ago
        a["x_cabbage_store"].id,  # warning, 2 h
        a["city_rice"].id,  # warning, 3 days
    ]


def test_pages_walk_the_ordered_list(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    everything = [item["id"] for item in _listed(client, bureau)]
    walked: list[int] = []
    for offset in (0, 2, 4):
        response = client.get(
            "/api/v1/alerts", params={"limit": 2, "offset": offset}, headers=bureau
        )
        body = response.json()
        assert (body["total"], body["limit"], body["offset"]) == (5, 2, offset)
        walked += [item["id"] for item in body["items"]]
    assert walked == everything
    assert client.get("/api/v1/alerts", params={"limit": 0}, headers=bureau).status_code == 422


def test_an_alert_reads_with_codes_scope_labels_and_its_trail(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    alert = world.alerts["w_pork_store"]
    body = client.get(f"/api/v1/alerts/{alert.id}", headers=bureau).json()
    assert body["scope"] == {"level": "store", "code": "PDS-W1"}
    assert (body["store"], body["district"], body["product"], body["category"]) == (
        "PDS-W1",
        "410403",
        "pork-a",
        "meat",
    )
    assert body["labels"]["rule"] == "low_supply" and body["labels"]["district"] == "410403"
    assert body["silenced"] is False and body["silenced_by"] == []
    assert [event["kind"] for event in body["events"]] == ["opened"]
    assert body["summary_zh"] is None  # raised with English only, as before words were kept
    city = client.get(f"/api/v1/alerts/{world.alerts['city_rice'].id}", headers=bureau).json()
    assert city["scope"] == {"level": "city", "code": "4104"} and city["district"] is None
    district = client.get(
        f"/api/v1/alerts/{world.alerts['w_rice_district'].id}", headers=bureau
    ).json()
    assert district["scope"] == {"level": "district", "code": "410403"}
    assert client.get("/api/v1/alerts/999999", headers=bureau).status_code == 404


def test_acknowledging_a_firing_alert_records_who_why_and_when(
    client: TestClient, session: Session, world: World, bureau: dict[str, str]
) -> None:
    alert_id = world.alerts["w_pork_store"].id
    response = client.post(
        f"/api/v1/alerts/{alert_id}/ack", json={"note": "truck on its way"}, headers=bureau
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledgement_note"] == "truck on its way"
    assert body["acknowledged_by"].startswith("key:") and body["acknowledged_at"]
    assert body["events"][-1]["kind"] == "acknowledged"
    assert body["events"][-1]["note"] == "truck on its way"
    assert body["events"][-1]["actor"] == body["acknowledged_by"]

    again = client.post(
        f"/api/v1/alerts/{alert_id}/ack", json={"note": "second truck too"}, headers=bureau
    )
    assert again.status_code == 200
    assert again.json()["acknowledgement_note"] == "second truck too"
    session.expire_all()
    stored = session.get(Alert, alert_id)
    assert stored is not None and stored.status is AlertStatus.acknowledged
    kinds = session.scalars(
        select(AlertEvent.kind).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
    ).all()
    assert kinds == ["opened", "acknowledged", "acknowledged"]


@pytest.mark.parametrize(("name", "word"), [("city_rice", "resolved"), ("x_missing", "pending")])
def test_a_resolved_or_pending_alert_cannot_be_acknowledged(
    client: TestClient,
    session: Session,
    world: World,
    bureau: dict[str, str],
    name: str,
    word: str,
) -> None:
    alert_id = world.alerts[name].id
    response = client.post(f"/api/v1/alerts/{alert_id}/ack", json={"note": "x"}, headers=bureau)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert word in response.json()["detail"]
    events = session.scalar(select(func.count()).where(AlertEvent.alert_id == alert_id))
    assert events == 1


def test_an_acknowledgement_needs_a_note_and_an_existing_alert(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    alert_id = world.alerts["w_pork_store"].id
    for body in ({}, {"note": ""}, {"note": "   "}, {"note": "x" * 2001}, {"note": "x", "y": 1}):
        response = client.post(f"/api/v1/alerts/{alert_id}/ack", json=body, headers=bureau)
        assert response.status_code == 422, body
    assert (
        client.post("/api/v1/alerts/999999/ack", json={"note": "x"}, headers=bureau).status_code
        == 404
    )


@pytest.mark.parametrize(
    "note", ["\u200b\u200d\ufeff", "on it\x1b[2J", "on it\nPAID IN FULL", "a\u2028b"]
)
def test_an_acknowledgement_note_that_shows_nothing_or_breaks_lines_is_refused(
    client: TestClient, session: Session, world: World, bureau: dict[str, str], note: str
) -> None:
    """A note of zero-width characters only (which ``strip`` keeps) or one with a control
    character or a line break was stored: an alert "acknowledged" with no visible reason,
    or a trail whose one-line note carries a terminal escape or a second, forged line into
    the pages and exports. The silence's comment refuses both; the note (a one-line field
    on the pages too) does now, with a 422 naming it, and nothing changes."""
    alert_id = world.alerts["w_pork_store"].id
    for path, body in (
        (f"/api/v1/alerts/{alert_id}/ack", {"note": note}),
        ("/api/v1/alert-groups/ack", {"group": {"district": "410403"}, "note": note}),
    ):
        response = client.post(path, json=body, headers=bureau)
        assert response.status_code == 422, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [error["loc"] for error in response.json()["errors"]] == [["body", "note"]]
    acknowledged = select(func.count()).where(AlertEvent.kind == "acknowledged")
    assert session.scalar(acknowledged) == 0
    assert session.get(Alert, alert_id).status is AlertStatus.firing  # type: ignore[union-attr]


def test_unacknowledging_puts_the_alert_back_to_firing(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    alert_id = world.alerts["x_cabbage_store"].id
    response = client.post(
        f"/api/v1/alerts/{alert_id}/unack", json={"note": "nobody is on it"}, headers=bureau
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "firing" and body["acknowledged_by"] is None
    assert body["events"][-1]["kind"] == "unacknowledged"
    assert client.post(f"/api/v1/alerts/{alert_id}/unack", headers=bureau).status_code == 409


@pytest.mark.parametrize("role", [Role.store, Role.dispatcher, Role.driver])
def test_only_the_bureau_and_admins_see_or_touch_alerts(
    client: TestClient, session: Session, world: World, role: Role
) -> None:
    store = session.scalars(select(Store).where(Store.code == "PDS-W1")).one()
    headers = make_key(session, role, store=store if role is Role.store else None)
    alert_id = world.alerts["w_pork_store"].id
    assert client.get("/api/v1/alerts", headers=headers).status_code == 403
    assert client.get(f"/api/v1/alerts/{alert_id}", headers=headers).status_code == 403
    ack = client.post(f"/api/v1/alerts/{alert_id}/ack", json={"note": "x"}, headers=headers)
    assert ack.status_code == 403
    unack = client.post(
        f"/api/v1/alerts/{world.alerts['x_cabbage_store'].id}/unack", headers=headers
    )
    assert unack.status_code == 403
    session.expire_all()
    assert session.get(Alert, alert_id).status is AlertStatus.firing  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).select_from(AlertEvent)) == len(world.alerts)
    assert client.get("/api/v1/alerts").status_code == 401


def test_admin_reads_alerts_too(client: TestClient, session: Session, world: World) -> None:
    admin = make_key(session, Role.admin)
    assert client.get("/api/v1/alerts", headers=admin).json()["total"] == len(world.alerts)
