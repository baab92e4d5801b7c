"""Silences on a session: which alerts their matchers mute, their states over time, and
ending them early."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Forbidden, InvalidInput
from models import Alert, AlertEvent, AlertRule, AlertStatus, Region, RegionLevel, Role, Severity
from monitors.alerting.labels import active_silences, alert_labels, silence_matches
from monitors.alerting.silences import (
    SilenceAlreadyExpired,
    SilenceNotFound,
    create_silence,
    expire_silence,
    open_alerts_matching,
    record_started_silences,
    silence_state,
    silences_in_state,
)
from tests.factories import make_product, make_region, make_store
from tests.service.api.test_alerts import make_alert

NOW = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)
BUREAU = Principal(kind="user", id=1, name="li", role=Role.bureau)


@dataclass
class Town:
    city: Region
    weidong: Region
    xinhua: Region
    alerts: dict[str, Alert]


@pytest.fixture
def town(session: Session) -> Town:
    """A city, two districts, and open and resolved alerts on their scopes."""
    city = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    weidong = make_region(session, code="410403", name="Weidong", parent=city)
    xinhua = make_region(session, code="410402", name="Xinhua", parent=city)
    township = make_region(session, code="410403001", level=RegionLevel.township, parent=weidong)
    shop = make_store(session, code="PDS-W1", region=township)
    pork = make_product(session, code="pork", category="meat")
    rice = make_product(session, code="rice", category="grain")
    alerts = {
        "w_pork_store": make_alert(
            session, store=shop, district=weidong, product=pork, severity=Severity.critical
        ),
        "w_rice_district": make_alert(session, district=weidong, product=rice),
        "x_rice_district": make_alert(session, district=xinhua, product=rice),
        "city_rice": make_alert(session, city=city, product=rice, rule=AlertRule.price_spike),
        "w_rice_resolved": make_alert(
            session, district=weidong, product=rice, status=AlertStatus.resolved
        ),
    }
    return Town(city, weidong, xinhua, alerts)


def silence(session: Session, **matchers: str) -> list[int]:
    """Create a day-long silence with ``matchers`` and return the ids it matched."""
    _, matched = create_silence(
        session,
        matchers=matchers,
        ends_at=NOW + timedelta(days=1),
        comment="known shortage",
        principal=BUREAU,
        now=NOW,
    )
    return matched


def ids(town: Town, *names: str) -> set[int]:
    return {town.alerts[name].id for name in names}


@pytest.mark.parametrize(
    ("matchers", "expected"),
    [
        ({"region": "410403"}, ["w_pork_store", "w_rice_district"]),
        ({"region": "4104"}, ["city_rice"]),  # the city itself, not every district in it
        ({"product": "rice"}, ["w_rice_district", "x_rice_district", "city_rice"]),
        ({"category": "meat"}, ["w_pork_store"]),
        ({"rule": "price_spike"}, ["city_rice"]),
        ({"severity": "critical"}, ["w_pork_store"]),
        ({"rule": "low_supply", "region": "410402", "product": "rice"}, ["x_rice_district"]),
        ({"region": "410402", "product": "pork"}, []),
    ],
)
def test_matchers_select_open_alerts_by_their_labels(
    session: Session, town: Town, matchers: dict[str, str], expected: list[str]
) -> None:
    assert set(silence(session, **matchers)) == ids(town, *expected)
    found = open_alerts_matching(session, matchers=matchers)
    assert {alert.id for alert in found} == ids(town, *expected)
    labels = alert_labels(session, town.alerts.values())
    open_ones = {
        name
        for name, alert in town.alerts.items()
        if alert.status is not AlertStatus.resolved and silence_matches(matchers, labels[alert.id])
    }
    assert open_ones == set(expected)  # the notifier's own test agrees


def test_every_alert_a_silence_matches_gets_a_silenced_event_naming_who_and_why(
    session: Session, town: Town
) -> None:
    matched = silence(session, region="410403")
    rows = session.execute(
        select(AlertEvent.alert_id, AlertEvent.actor, AlertEvent.note).where(
            AlertEvent.kind == "silenced"
        )
    ).all()
    assert {row.alert_id for row in rows} == set(matched)
    assert {(row.actor, row.note) for row in rows} == {(BUREAU.label, "known shortage")}


def test_every_problem_with_a_silence_is_refused_at_once(session: Session, town: Town) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_silence(
            session,
            matchers={"rule": "fire", "region": "410403001", "product": "gold", "colour": "red"},
            ends_at=NOW - timedelta(hours=1),
            comment=" ",
            principal=BUREAU,
            now=NOW,
        )
    assert [(error["loc"], error["msg"]) for error in refused.value.errors or []] == [
        (
            ["body", "matchers", "colour"],
            "unknown matcher; use rule, region, product, category, severity, store",
        ),
        (
            ["body", "matchers", "rule"],
            "must be one of low_supply, stockout, price_spike, sales_surge, missing_report, "
            "ticket_sla, complaint_cluster",
        ),
        (["body", "matchers", "region"], "'410403001' is a township; give a district or a city"),
        (["body", "matchers", "product"], "unknown product 'gold'"),
        (["body", "ends_at"], "must be after starts_at"),
        (["body", "ends_at"], "must be in the future"),
        (["body", "comment"], "1 to 2000 characters"),
    ]
    with pytest.raises(InvalidInput, match="give at least one matcher"):
        create_silence(
            session,
            matchers={},
            ends_at=NOW + timedelta(hours=1),
            comment="x",
            principal=BUREAU,
            now=NOW,
        )
    with pytest.raises(InvalidInput, match="at most 90 days"):
        create_silence(
            session,
            matchers={"rule": "stockout"},
            ends_at=NOW + timedelta(days=91),
            comment="x",
            principal=BUREAU,
            now=NOW,
        )


def test_only_the_bureau_silences(session: Session, town: Town) -> None:
    shop = Principal(kind="key", id=2, name="shop", role=Role.store, store_id=1)
    with pytest.raises(Forbidden):
        create_silence(
            session,
            matchers={"rule": "stockout"},
            ends_at=NOW + timedelta(hours=1),
            comment="x",
            principal=shop,
            now=NOW,
        )


def test_a_silence_is_pending_then_active_then_expired(session: Session, town: Town) -> None:
    later, _ = create_silence(
        session,
        matchers={"product": "rice"},
        starts_at=NOW + timedelta(hours=2),
        ends_at=NOW + timedelta(hours=5),
        comment="maintenance window",
        principal=BUREAU,
        now=NOW,
    )
    for at, state in (
        (NOW, "pending"),
        (NOW + timedelta(hours=2), "active"),
        (NOW + timedelta(hours=4, minutes=59), "active"),
        (NOW + timedelta(hours=5), "expired"),
    ):
        assert silence_state(later, now=at) == state
        assert list(session.scalars(silences_in_state(state, now=at))) == [later]
        in_force = active_silences(session, at=at)
        assert (later in in_force) is (state == "active")


def test_expiring_ends_a_silence_now_and_keeps_it(session: Session, town: Town) -> None:
    muting, _ = create_silence(
        session,
        matchers={"region": "410403"},
        ends_at=NOW + timedelta(days=1),
        comment="known shortage",
        principal=BUREAU,
        now=NOW,
    )
    ended_at = NOW + timedelta(hours=1)
    expired = expire_silence(session, silence_id=muting.id, principal=BUREAU, now=ended_at)
    assert expired is muting and expired.expired_by == BUREAU.label
    assert (expired.ends_at, silence_state(expired, now=ended_at)) == (ended_at, "expired")
    assert active_silences(session, at=ended_at) == []
    with pytest.raises(SilenceAlreadyExpired):
        expire_silence(session, silence_id=muting.id, principal=BUREAU, now=ended_at)
    with pytest.raises(SilenceNotFound):
        expire_silence(session, silence_id=999_999, principal=BUREAU, now=ended_at)


def test_expiring_a_pending_silence_means_it_never_starts(session: Session, town: Town) -> None:
    pending, _ = create_silence(
        session,
        matchers={"rule": "stockout"},
        starts_at=NOW + timedelta(days=1),
        ends_at=NOW + timedelta(days=2),
        comment="next week's works",
        principal=BUREAU,
        now=NOW,
    )
    expire_silence(session, silence_id=pending.id, principal=BUREAU, now=NOW)
    assert (pending.starts_at, pending.ends_at) == (NOW, NOW)
    assert silence_state(pending, now=NOW + timedelta(days=1, hours=1)) == "expired"


def test_each_silence_writes_its_silenced_events_once_in_force_or_when_it_starts(
    session: Session, town: Town
) -> None:
    silence(session, region="410403")  # in force: its two alerts' events are written now
    create_silence(
        session,
        matchers={"product": "rice"},
        starts_at=NOW + timedelta(hours=2),
        ends_at=NOW + timedelta(hours=5),
        comment="maintenance window",
        principal=BUREAU,
        now=NOW,
    )
    never, _ = create_silence(
        session,
        matchers={"rule": "price_spike"},
        starts_at=NOW + timedelta(hours=1),
        ends_at=NOW + timedelta(hours=5),
        comment="called off",
        principal=BUREAU,
        now=NOW,
    )
    expire_silence(session, silence_id=never.id, principal=BUREAU, now=NOW)
    started = NOW + timedelta(hours=3)
    assert record_started_silences(session, now=NOW + timedelta(hours=1)) == 0
    assert record_started_silences(session, now=started) == 3
    assert record_started_silences(session, now=started + timedelta(hours=1)) == 0
    rows = session.execute(
        select(AlertEvent.alert_id, AlertEvent.at, AlertEvent.note).where(
            AlertEvent.kind == "silenced"
        )
    ).all()
    assert sorted((row.alert_id, row.note) for row in rows) == sorted(
        [(alert_id, "known shortage") for alert_id in ids(town, "w_pork_store", "w_rice_district")]
        + [
            (alert_id, "maintenance window")
            for alert_id in ids(town, "w_rice_district", "x_rice_district", "city_rice")
        ]
    )
    assert {row.at for row in rows if row.note == "maintenance window"} == {started}
