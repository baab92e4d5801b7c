"""Silences API: validation with locations, muting matching open alerts (with their audit
events), expiring early, and who may manage them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import AlertEvent, AlertRule, AlertStatus, RegionLevel, Role, Severity, Silence
from service.app import create_app
from service.settings import Settings
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.monitors.running.test_runs import history
from tests.service.api.test_alerts import World, build_world, include_alert_routers


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = include_alert_routers(create_app(settings, session_factory=session_factory))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


def _in(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def _silence(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "matchers": {"region": "410403"},
        "ends_at": _in(hours=4),
        "comment": "Weidong wholesaler restocking",
    }
    return body | changes


def _alerts(client: TestClient, headers: dict[str, str]) -> dict[int, dict[str, Any]]:
    items = client.get("/api/v1/alerts", params={"limit": 100}, headers=headers).json()["items"]
    return {item["id"]: item for item in items}


def test_a_silence_mutes_matching_open_alerts_and_says_so_in_their_trail(
    client: TestClient, session: Session, world: World, bureau: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/silences",
        json=_silence(matchers={"region": "410403", "rule": "low_supply"}),
        headers=bureau,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    muted = {world.alerts["w_pork_store"].id, world.alerts["w_rice_district"].id}
    assert body["state"] == "active" and body["created_by"].startswith("key:")
    assert body["matchers"] == {"region": "410403", "rule": "low_supply"}
    assert set(body["matched_alert_ids"]) == muted and body["matched_alerts"] == 2

    listed = _alerts(client, bureau)
    assert {alert_id for alert_id, item in listed.items() if item["silenced"]} == muted
    detail = client.get(f"/api/v1/alerts/{min(muted)}", headers=bureau).json()
    assert detail["silenced_by"] == [body["id"]]
    assert detail["events"][-1]["kind"] == "silenced"
    assert detail["events"][-1]["note"] == "Weidong wholesaler restocking"
    assert detail["events"][-1]["actor"] == body["created_by"]
    silenced_events = session.scalars(
        select(AlertEvent.alert_id).where(AlertEvent.kind == "silenced")
    ).all()
    assert set(silenced_events) == muted and len(silenced_events) == 2

    read = client.get(f"/api/v1/silences/{body['id']}", headers=bureau).json()
    assert set(read["matched_alert_ids"]) == muted


def test_a_city_region_matches_city_alerts_and_resolved_alerts_stay_unmuted(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/silences", json=_silence(matchers={"region": "4104"}), headers=bureau
    ).json()
    assert created["matched_alerts"] == 0  # the city's only alert is resolved
    assert not any(item["silenced"] for item in _alerts(client, bureau).values())
    by_product = client.post(
        "/api/v1/silences",
        json=_silence(matchers={"product": "rice-a", "severity": "warning"}),
        headers=bureau,
    ).json()
    assert by_product["matched_alert_ids"] == [world.alerts["w_rice_district"].id]


def test_a_pending_silence_mutes_nothing_yet(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/silences",
        json=_silence(starts_at=_in(hours=2), ends_at=_in(hours=6)),
        headers=bureau,
    )
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "pending"
    assert not any(item["silenced"] for item in _alerts(client, bureau).values())


def test_a_silence_asked_to_start_in_the_past_starts_when_it_is_made(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    """A silence dated back (a client resending yesterday's body) would read as in force
    since before anyone made it; as Alertmanager does, it starts when it is made."""
    asked = datetime.now(UTC) - timedelta(days=3)
    before = datetime.now(UTC)
    response = client.post(
        "/api/v1/silences", json=_silence(starts_at=asked.isoformat()), headers=bureau
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "active" and body["matched_alerts"] > 0
    assert datetime.fromisoformat(body["starts_at"]) >= before - timedelta(seconds=1)
    assert body["starts_at"] == body["created_at"]


def test_a_pending_silence_writes_nothing_into_the_alerts_trail(
    client: TestClient, session: Session, world: World, bureau: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/silences",
        json=_silence(starts_at=_in(days=89), ends_at=_in(days=90)),
        headers=bureau,
    )
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "pending"
    assert session.scalar(select(func.count()).where(AlertEvent.kind == "silenced")) == 0
    for alert_id in response.json()["matched_alert_ids"]:
        detail = client.get(f"/api/v1/alerts/{alert_id}", headers=bureau).json()
        assert "silenced" not in [event["kind"] for event in detail["events"]]


@pytest.mark.parametrize(
    ("changes", "locs"),
    [
        ({"matchers": {}}, [["body", "matchers"]]),
        ({"matchers": {"rule": None}}, [["body", "matchers"]]),
        ({"matchers": {"rule": "flood"}}, [["body", "matchers", "rule"]]),
        ({"matchers": {"severity": "loud"}}, [["body", "matchers", "severity"]]),
        ({"matchers": {"store": "NO-SUCH-STORE"}}, [["body", "matchers", "store"]]),
        ({"matchers": {"region": "nowhere"}}, [["body", "matchers", "region"]]),
        ({"matchers": {"region": "410403001"}}, [["body", "matchers", "region"]]),
        (
            {"matchers": {"product": "nothing", "category": "toys"}},
            [["body", "matchers", "product"], ["body", "matchers", "category"]],
        ),
        ({"ends_at": _in(hours=-1)}, [["body", "ends_at"]]),
        ({"starts_at": _in(hours=3), "ends_at": _in(hours=2)}, [["body", "ends_at"]]),
        ({"ends_at": _in(days=91)}, [["body", "ends_at"]]),
        ({"ends_at": "2030-01-01T00:00:00"}, [["body", "ends_at"]]),
        ({"ends_at": "9999-12-31T23:59:59-12:00"}, [["body", "ends_at"]]),
        ({"comment": "  "}, [["body", "comment"]]),
        ({"comment": "\u200b\u200d\ufeff"}, [["body", "comment"]]),
        ({"comment": " \u200b \u2060 "}, [["body", "comment"]]),
        ({"comment": "\x07\x08"}, [["body", "comment"]]),
        ({"comment": "restocking\x1b[2J"}, [["body", "comment"]]),
        ({"comment": "restocking\nall week"}, [["body", "comment"]]),
        ({"starts_at": "9999-12-30T00:00:00+00:00"}, [["body", "starts_at"]]),
        (
            {"starts_at": _in(days=91), "ends_at": _in(days=92)},
            [["body", "starts_at"]],
        ),
        (
            {"matchers": {}, "ends_at": _in(hours=-1)},
            [["body", "matchers"], ["body", "ends_at"]],
        ),
    ],
)
def test_an_invalid_silence_is_a_422_locating_each_problem(
    client: TestClient,
    session: Session,
    world: World,
    bureau: dict[str, str],
    changes: dict[str, Any],
    locs: list[list[str]],
) -> None:
    response = client.post("/api/v1/silences", json=_silence(**changes), headers=bureau)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    found = [error["loc"][: len(locs[0])] for error in response.json()["errors"]]
    for loc in locs:
        assert loc in found, (loc, response.json()["errors"])
    assert session.scalar(select(func.count()).select_from(Silence)) == 0
    assert session.scalar(select(func.count()).where(AlertEvent.kind == "silenced")) == 0


def test_expiring_a_silence_unmutes_its_alerts_and_keeps_the_record(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    created = client.post("/api/v1/silences", json=_silence(), headers=bureau).json()
    response = client.delete(f"/api/v1/silences/{created['id']}", headers=bureau)
    assert response.status_code == 200, response.text
    expired = response.json()
    assert expired["state"] == "expired" and expired["expired_by"].startswith("key:")
    assert datetime.fromisoformat(expired["ends_at"]) <= datetime.now(UTC)
    assert not any(item["silenced"] for item in _alerts(client, bureau).values())
    again = client.delete(f"/api/v1/silences/{created['id']}", headers=bureau)
    assert again.status_code == 409
    assert client.delete("/api/v1/silences/999999", headers=bureau).status_code == 404
    assert client.get("/api/v1/silences/999999", headers=bureau).status_code == 404


def test_silences_list_by_state(client: TestClient, world: World, bureau: dict[str, str]) -> None:
    active = client.post("/api/v1/silences", json=_silence(), headers=bureau).json()["id"]
    pending = client.post(
        "/api/v1/silences",
        json=_silence(starts_at=_in(days=1), ends_at=_in(days=2)),
        headers=bureau,
    ).json()["id"]
    expired = client.post("/api/v1/silences", json=_silence(), headers=bureau).json()["id"]
    client.delete(f"/api/v1/silences/{expired}", headers=bureau)
    early = client.post(
        "/api/v1/silences",
        json=_silence(starts_at=_in(days=1), ends_at=_in(days=2)),
        headers=bureau,
    ).json()["id"]
    assert client.delete(f"/api/v1/silences/{early}", headers=bureau).json()["state"] == "expired"

    def listed(**query: str) -> list[int]:
        response = client.get("/api/v1/silences", params=query, headers=bureau)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert listed() == [early, expired, pending, active]
    assert listed(state="active") == [active]
    assert listed(state="pending") == [pending]
    assert listed(state="expired") == [early, expired]
    page = client.get("/api/v1/silences", params={"limit": 1, "offset": 1}, headers=bureau)
    assert [item["id"] for item in page.json()["items"]] == [expired]
    assert page.json()["total"] == 4
    assert client.get("/api/v1/silences?state=gone", headers=bureau).status_code == 422


@pytest.mark.parametrize("role", [Role.store, Role.dispatcher])
def test_only_the_bureau_and_admins_manage_silences(
    client: TestClient, session: Session, world: World, bureau: dict[str, str], role: Role
) -> None:
    existing = client.post("/api/v1/silences", json=_silence(), headers=bureau).json()["id"]
    store = make_store(session, region=make_region(session, level=RegionLevel.district))
    headers = make_key(session, role, store=store if role is Role.store else None)
    assert client.post("/api/v1/silences", json=_silence(), headers=headers).status_code == 403
    assert client.get("/api/v1/silences", headers=headers).status_code == 403
    assert client.get(f"/api/v1/silences/{existing}", headers=headers).status_code == 403
    assert client.delete(f"/api/v1/silences/{existing}", headers=headers).status_code == 403
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Silence)) == 1
    assert session.get(Silence, existing).expired_by is None  # type: ignore[union-attr]
    assert session.scalar(select(func.count()).where(AlertEvent.kind == "silenced")) == 2


def test_a_silence_created_with_every_matcher(
    client: TestClient, world: World, bureau: dict[str, str]
) -> None:
    body = _silence(
        matchers={
            "rule": AlertRule.low_supply.value,
            "region": "410403",
            "product": "pork-a",
            "category": "meat",
            "severity": Severity.critical.value,
        }
    )
    created = client.post("/api/v1/silences", json=body, headers=bureau).json()
    assert created["matched_alert_ids"] == [world.alerts["w_pork_store"].id]
    assert world.alerts["w_pork_store"].status is AlertStatus.firing


@pytest.mark.parametrize(
    "step",
    ["/api/v1/monitor/runs", "/api/v1/hotline/escalations"],
    ids=["monitor run", "hotline tick"],
)
def test_a_pending_silence_writes_silenced_into_the_trail_once_when_it_starts(
    client: TestClient, session: Session, bureau: dict[str, str], step: str
) -> None:
    """The duty officer mutes a district from an hour ahead: nothing is in the trail
    yet; once the clock passes its start, the next run (the monitor's, or the hotline's
    tick every half minute) writes one ``silenced`` event naming who and why into each
    firing alert it now mutes, as a silence created in force does, and later runs add none."""
    city = make_region(session, code="CITY", level=RegionLevel.city)
    district = make_region(session, code="EAST", level=RegionLevel.district, parent=city)
    store = make_store(session, region=district)
    cabbage = make_product(session, code="cabbage", category="vegetables")
    day = business_today() - timedelta(days=1)
    history(session, store, cabbage.id, [(40, 10), (30, 10), (25, 10), (15, 10)], last=day)
    session.commit()
    monitor_run = {"date": day.isoformat()}
    fired = client.post("/api/v1/monitor/runs", json=monitor_run, headers=bureau)
    assert fired.status_code == 201 and fired.json()["counts"]["alerts_fired"] >= 1, fired.text
    firing = [
        alert_id
        for alert_id, item in _alerts(client, bureau).items()
        if item["status"] == AlertStatus.firing.value
    ]
    assert firing

    silence = client.post(
        "/api/v1/silences",
        json=_silence(matchers={"region": "EAST"}, starts_at=_in(hours=1), ends_at=_in(hours=5)),
        headers=bureau,
    ).json()
    assert silence["state"] == "pending"
    muted = [alert_id for alert_id in firing if alert_id in silence["matched_alert_ids"]]
    assert muted and len(muted) < len(firing)  # the city-wide alert lies outside EAST

    def trail_of(alert_id: int) -> list[dict[str, Any]]:
        detail = client.get(f"/api/v1/alerts/{alert_id}", headers=bureau).json()
        return [event for event in detail["events"] if event["kind"] == "silenced"]

    body = monitor_run if step.endswith("runs") else None
    assert client.post(step, json=body, headers=bureau).status_code in (200, 201)
    assert all(trail_of(alert_id) == [] for alert_id in firing)

    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2), tick=True):
        for _ in range(2):
            answer = client.post(step, json=body, headers=bureau)
            assert answer.status_code in (200, 201), answer.text
        read = client.get(f"/api/v1/silences/{silence['id']}", headers=bureau).json()
        assert read["state"] == "active"
        assert all(trail_of(alert_id) == [] for alert_id in firing if alert_id not in muted)
        for alert_id in muted:
            [event] = trail_of(alert_id)
            assert (event["actor"], event["note"]) == (silence["created_by"], silence["comment"])
            assert datetime.fromisoformat(event["at"]) >= datetime.fromisoformat(
                silence["starts_at"]
            )
            assert _alerts(client, bureau)[alert_id]["silenced"] is True
