"""The alert lifecycle on a session: open, continue, escalate and de-escalate, resolve,
reopen as a new alert, and rules that must hold for several business days (for_runs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Alert, AlertEvent, AlertStatus, Product, Region, Store
from monitors.alerting.lifecycle import (
    CANDIDATE_COLUMNS,
    HOTLINE_RULES,
    SUPPLY_RULES,
    LifecycleResult,
    RuleSettings,
    apply_alert_lifecycle,
    load_rule_settings,
)
from monitors.computing.candidates import alert_fingerprint
from tests.factories import make_product, make_region, make_store

D = date(2026, 5, 10)
T0 = datetime(2026, 5, 11, 1, 0, tzinfo=UTC)


@dataclass
class Shop:
    district: Region
    store: Store
    pork: Product


@pytest.fixture
def shop(session: Session) -> Shop:
    district = make_region(session, code="410403", name="Weidong")
    return Shop(district, make_store(session, region=district), make_product(session, code="pork"))


def candidate(
    shop: Shop, *, severity: str = "warning", value: float = 2.5, rule: str = "low_supply"
) -> dict[str, Any]:
    """One store × product condition, as the rules hand it to the lifecycle."""
    return {
        "fingerprint": alert_fingerprint(
            rule=rule, scope_level="store", scope_id=shop.store.id, product_id=shop.pork.id
        ),
        "rule": rule,
        "severity": severity,
        "scope_level": "store",
        "scope_id": shop.store.id,
        "store_id": shop.store.id,
        "district_id": shop.district.id,
        "product_id": shop.pork.id,
        "category_id": shop.pork.category_id,
        "value": value,
        "threshold": 3.0 if severity == "warning" else 1.5,
        "summary": f"pork: {value} days of supply",
    }


def run(
    session: Session,
    *rows: dict[str, Any],
    day: date = D,
    now: datetime = T0,
    settings: Mapping[str, RuleSettings] | None = None,
) -> LifecycleResult:
    """One run's lifecycle over ``rows`` (no rows: every condition has cleared)."""
    candidates = pd.DataFrame(list(rows), columns=list(CANDIDATE_COLUMNS))
    return apply_alert_lifecycle(
        session,
        candidates=candidates,
        business_date=day,
        now=now,
        rule_settings=settings or load_rule_settings(session),
    )


def alerts(session: Session) -> list[Alert]:
    session.expire_all()  # the lifecycle writes with bulk statements
    return list(session.scalars(select(Alert).order_by(Alert.id)))


def events(session: Session, alert: Alert) -> list[str]:
    return list(
        session.scalars(
            select(AlertEvent.kind).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)
        )
    )


def test_a_new_condition_opens_one_firing_alert(session: Session, shop: Shop) -> None:
    result = run(session, candidate(shop))
    (alert,) = alerts(session)
    assert (alert.status, alert.severity.value, alert.consecutive_runs) == (
        AlertStatus.firing,
        "warning",
        1,
    )
    assert alert.fired_at == alert.first_seen_at == alert.last_seen_at == T0
    assert (alert.first_date, alert.last_date, alert.store_id) == (D, D, shop.store.id)
    assert alert.summary == "pork: 2.5 days of supply"
    assert events(session, alert) == ["opened"]
    assert (result.opened, result.fired, result.changes) == (1, 1, [(alert.id, "firing")])


def test_a_condition_that_holds_stays_one_alert_and_a_rerun_counts_no_new_day(
    session: Session, shop: Shop
) -> None:
    run(session, candidate(shop))
    later = T0 + timedelta(days=1)
    result = run(session, candidate(shop, value=2.0), day=D + timedelta(days=1), now=later)
    (alert,) = alerts(session)
    assert (alert.consecutive_runs, alert.last_date, alert.last_seen_at) == (
        2,
        D + timedelta(days=1),
        later,
    )
    assert alert.first_seen_at == T0 and alert.value == 2.0
    assert alert.summary == "pork: 2.0 days of supply"
    assert (result.continuing, result.opened, result.changes) == (1, 0, [])

    again = run(session, candidate(shop), day=D + timedelta(days=1), now=later)
    assert alerts(session)[0].consecutive_runs == 2  # the same business day again
    assert again.continuing == 1 and events(session, alert) == ["opened"]


def test_severity_escalates_and_deescalates_within_one_alert(session: Session, shop: Shop) -> None:
    run(session, candidate(shop))
    up = run(session, candidate(shop, severity="critical", value=1.0), day=D + timedelta(days=1))
    (alert,) = alerts(session)
    assert alert.severity.value == "critical" and alert.threshold == 1.5
    assert up.escalated == 1 and up.changes == [(alert.id, "firing")]  # receivers hear of it

    down = run(session, candidate(shop), day=D + timedelta(days=2))
    (alert,) = alerts(session)
    assert alert.severity.value == "warning"
    assert down.deescalated == 1 and down.changes == []  # better news wakes nobody
    assert events(session, alert) == ["opened", "escalated", "deescalated"]


def test_a_cleared_condition_resolves_and_a_later_breach_opens_a_new_alert(
    session: Session, shop: Shop
) -> None:
    run(session, candidate(shop))
    resolved_at = T0 + timedelta(days=1)
    cleared = run(session, day=D + timedelta(days=1), now=resolved_at)
    (first,) = alerts(session)
    assert (first.status, first.resolved_at) == (AlertStatus.resolved, resolved_at)
    assert cleared.resolved == 1 and cleared.changes == [(first.id, "resolved")]
    assert events(session, first) == ["opened", "resolved"]

    again = run(session, candidate(shop), day=D + timedelta(days=3), now=T0 + timedelta(days=3))
    old, new = alerts(session)
    assert old.id == first.id and old.status is AlertStatus.resolved
    assert new.status is AlertStatus.firing and new.fingerprint == old.fingerprint
    assert (new.first_date, new.consecutive_runs) == (D + timedelta(days=3), 1)
    assert again.opened == 1 and again.changes == [(new.id, "firing")]


def test_an_acknowledged_alert_stays_acknowledged_while_its_condition_holds(
    session: Session, shop: Shop
) -> None:
    run(session, candidate(shop))
    (alert,) = alerts(session)
    alert.status = AlertStatus.acknowledged
    session.flush()
    result = run(session, candidate(shop, severity="critical"), day=D + timedelta(days=1))
    (alert,) = alerts(session)
    assert alert.status is AlertStatus.acknowledged and alert.severity.value == "critical"
    assert result.changes == [(alert.id, "firing")]


def test_for_runs_keeps_an_alert_pending_until_enough_business_days(
    session: Session, shop: Shop
) -> None:
    twice = {**load_rule_settings(session), "low_supply": RuleSettings(for_runs=2)}
    first = run(session, candidate(shop), settings=twice)
    (alert,) = alerts(session)
    assert (alert.status, alert.fired_at) == (AlertStatus.pending, None)
    assert (first.pending, first.fired, first.changes) == (1, 0, [])

    rerun = run(session, candidate(shop), settings=twice, now=T0 + timedelta(hours=1))
    assert alerts(session)[0].status is AlertStatus.pending and rerun.changes == []

    fired_at = T0 + timedelta(days=1)
    second = run(session, candidate(shop), day=D + timedelta(days=1), now=fired_at, settings=twice)
    (alert,) = alerts(session)
    assert (alert.status, alert.fired_at, alert.consecutive_runs) == (
        AlertStatus.firing,
        fired_at,
        2,
    )
    assert second.fired == 1 and second.changes == [(alert.id, "firing")]
    assert events(session, alert) == ["opened", "fired"]


def test_a_pending_alert_that_clears_is_resolved_without_telling_anyone(
    session: Session, shop: Shop
) -> None:
    twice = {**load_rule_settings(session), "low_supply": RuleSettings(for_runs=2)}
    run(session, candidate(shop), settings=twice)
    cleared = run(session, day=D + timedelta(days=1), settings=twice)
    (alert,) = alerts(session)
    assert alert.status is AlertStatus.resolved and cleared.changes == []
    note = session.scalars(
        select(AlertEvent.note).where(
            AlertEvent.alert_id == alert.id, AlertEvent.kind == "resolved"
        )
    ).one()
    assert note == "cleared before it fired"


def test_a_disabled_rule_opens_nothing_and_its_open_alerts_resolve(
    session: Session, shop: Shop
) -> None:
    run(session, candidate(shop))
    off = {**load_rule_settings(session), "low_supply": RuleSettings(enabled=False)}
    result = run(session, candidate(shop), day=D + timedelta(days=1), settings=off)
    (alert,) = alerts(session)
    assert alert.status is AlertStatus.resolved
    assert (result.opened, result.resolved) == (0, 1)


def test_the_supply_run_and_the_hotline_escalation_leave_each_others_alerts_alone(
    session: Session, shop: Shop
) -> None:
    def only(rules: tuple[str, ...], *rows: dict[str, Any]) -> LifecycleResult:
        return apply_alert_lifecycle(
            session,
            candidates=pd.DataFrame(list(rows), columns=list(CANDIDATE_COLUMNS)),
            business_date=D,
            now=T0,
            rule_settings=load_rule_settings(session),
            rules=rules,
        )

    only(SUPPLY_RULES, candidate(shop))
    only(HOTLINE_RULES, candidate(shop, rule="complaint_cluster"))
    assert only(SUPPLY_RULES, candidate(shop)).resolved == 0
    assert only(HOTLINE_RULES).resolved == 1
    assert [(alert.rule.value, alert.status) for alert in alerts(session)] == [
        ("low_supply", AlertStatus.firing),
        ("complaint_cluster", AlertStatus.resolved),
    ]
