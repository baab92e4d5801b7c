"""Alert lifecycle, after Prometheus Alertmanager: one open alert per fingerprint that
escalates, de-escalates and moves its last-seen time while the condition holds, resolves
when it clears, and a new alert when it breaches again.

A rule may ask for its condition on N consecutive business days before firing (a
``for:`` clause): until then the alert is ``pending`` and notifies no one. Counting
business days, not runs, keeps a re-run of the same day idempotent.

Work is set-based: the run's candidates are matched against the open alerts with one
merge, and inserts and updates go out as bulk statements.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.bulk import insert_frame
from models import Alert, AlertEvent, AlertRule, AlertStatus, RuleSetting, Severity
from monitors.computing.frames import frame_of_rows

CANDIDATE_COLUMNS = (
    "fingerprint",
    "rule",
    "severity",
    "scope_level",
    "scope_id",
    "store_id",
    "district_id",
    "product_id",
    "category_id",
    "value",
    "threshold",
    "summary",
    "summary_text",
)
SEVERITY_RANK = {Severity.warning.value: 1, Severity.critical.value: 2}
MONITOR_ACTOR = "monitor"
HOTLINE_RULES = (AlertRule.ticket_sla.value, AlertRule.complaint_cluster.value)
"""Rules the hotline's escalation evaluates (from tickets, not from supply numbers)."""
SUPPLY_RULES = tuple(rule.value for rule in AlertRule if rule.value not in HOTLINE_RULES)
"""Rules the monitor run evaluates over the day's supply numbers and reports."""


@dataclass(frozen=True)
class RuleSettings:
    """Whether a rule runs and how many consecutive business days it must hold to fire."""

    enabled: bool = True
    for_runs: int = 1


@dataclass
class LifecycleResult:
    """What one run did to alerts; ``changes`` feed the notification outbox."""

    opened: int = 0
    pending: int = 0
    fired: int = 0
    escalated: int = 0
    deescalated: int = 0
    continuing: int = 0
    resolved: int = 0
    changes: list[tuple[int, str]] = field(default_factory=list)

    def as_counts(self) -> dict[str, int]:
        return {
            "alerts_opened": self.opened,
            "alerts_pending": self.pending,
            "alerts_fired": self.fired,
            "alerts_escalated": self.escalated,
            "alerts_deescalated": self.deescalated,
            "alerts_continuing": self.continuing,
            "alerts_resolved": self.resolved,
        }


def load_rule_settings(session: Session) -> dict[str, RuleSettings]:
    """Every rule's settings, defaults for rules nobody configured."""
    stored = {
        row.rule.value: RuleSettings(enabled=row.enabled, for_runs=row.for_runs)
        for row in session.scalars(select(RuleSetting))
    }
    return {rule.value: stored.get(rule.value, RuleSettings()) for rule in AlertRule}


def _none(value: Any) -> Any:
    """A database-ready scalar: NaN and pandas missing values become None."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _stored_json(value: Any) -> Any:
    """A candidate's JSON text as the JSON column takes it (None when it has none)."""
    return json.loads(value) if isinstance(value, str) else None


def apply_alert_lifecycle(
    session: Session,
    *,
    candidates: pd.DataFrame,
    business_date: date,
    now: datetime,
    rule_settings: Mapping[str, RuleSettings],
    rules: Collection[str] | None = None,
) -> LifecycleResult:
    """Bring stored alerts in line with the conditions that hold on ``business_date``.

    ``candidates`` has one row per fingerprint whose condition holds now (columns
    ``CANDIDATE_COLUMNS``). ``rules`` names the rules this evaluation speaks for (all
    when None): open alerts of other rules are left alone, so the monitor run and the
    hotline's escalation do not resolve each other's alerts. Flushes only; the caller
    commits with the run's results.
    """
    result = LifecycleResult()
    enabled = {rule for rule, settings in rule_settings.items() if settings.enabled}
    if rules is not None:
        enabled &= set(rules)
    wanted = candidates[candidates["rule"].isin(enabled)].drop_duplicates("fingerprint")
    open_query = select(
        Alert.id,
        Alert.fingerprint,
        Alert.status,
        Alert.severity,
        Alert.consecutive_runs,
        Alert.last_date,
        Alert.fired_at,
    ).where(Alert.status != AlertStatus.resolved)
    if rules is not None:
        open_query = open_query.where(Alert.rule.in_([AlertRule(rule) for rule in rules]))
    open_alerts = frame_of_rows(
        session.execute(open_query),
        [
            "alert_id",
            "fingerprint",
            "status",
            "stored_severity",
            "consecutive_runs",
            "last_date",
            "fired_at",
        ],
    )
    merged = wanted.merge(open_alerts, on="fingerprint", how="outer", indicator=True)
    new = merged[merged["_merge"] == "left_only"]
    held = merged[merged["_merge"] == "both"]
    cleared = merged[merged["_merge"] == "right_only"]

    _open_new(session, new, business_date, now, rule_settings, result)
    _continue_held(session, held, business_date, now, rule_settings, result)
    _resolve_cleared(session, cleared, now, result)
    session.flush()
    return result


def _open_new(
    session: Session,
    new: pd.DataFrame,
    business_date: date,
    now: datetime,
    rule_settings: Mapping[str, RuleSettings],
    result: LifecycleResult,
) -> None:
    """Insert the new alerts and their "opened" events with the bulk frame writer (COPY
    on PostgreSQL: a first run over a province opens thousands at once), then read their
    ids back: each new fingerprint now has exactly one alert that is not resolved."""
    if new.empty:
        return
    new = new.reset_index(drop=True)
    rules = new["rule"].map(lambda rule: AlertRule(rule).value)
    fires = rules.map(lambda rule: rule_settings[rule].for_runs <= 1).astype(bool)
    rows = new[list(CANDIDATE_COLUMNS)].assign(
        rule=rules,
        severity=new["severity"].map(lambda severity: Severity(severity).value),
        status=fires.map({True: AlertStatus.firing.value, False: AlertStatus.pending.value}),
        consecutive_runs=1,
        first_seen_at=pd.Series([now] * len(new), dtype=object),
        last_seen_at=pd.Series([now] * len(new), dtype=object),
        fired_at=pd.Series([now if fire else None for fire in fires], dtype=object),
        first_date=business_date,
        last_date=business_date,
    )
    session.flush()
    insert_frame(session.connection(), Alert.__tablename__, rows)
    open_ids = dict(
        session.execute(
            select(Alert.fingerprint, Alert.id).where(Alert.status != AlertStatus.resolved)
        ).all()
    )
    alert_ids = new["fingerprint"].map(open_ids).astype("int64")
    events = pd.DataFrame(
        {
            "alert_id": alert_ids,
            "at": rows["first_seen_at"],
            "kind": "opened",
            "actor": MONITOR_ACTOR,
            "severity": rows["severity"],
            "value": new["value"].astype("float64"),
            "note": pd.Series([None] * len(new), dtype=object),
        }
    )
    insert_frame(session.connection(), AlertEvent.__tablename__, events)
    for alert_id, fire in zip(alert_ids.tolist(), fires.tolist(), strict=True):
        if fire:
            result.fired += 1
            result.changes.append((alert_id, "firing"))
        else:
            result.pending += 1
    result.opened += len(new)


def _continue_held(
    session: Session,
    held: pd.DataFrame,
    business_date: date,
    now: datetime,
    rule_settings: Mapping[str, RuleSettings],
    result: LifecycleResult,
) -> None:
    if held.empty:
        return
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for record in held.to_dict("records"):
        alert_id = int(record["alert_id"])
        last_date = record["last_date"]
        new_day = last_date is None or business_date > last_date
        runs = int(record["consecutive_runs"]) + (1 if new_day else 0)
        severity = str(record["severity"])
        before = str(getattr(record["stored_severity"], "value", record["stored_severity"]))
        status = record["status"]
        change: dict[str, Any] = {
            "id": alert_id,
            "severity": Severity(severity),
            "value": _none(record["value"]),
            "threshold": _none(record["threshold"]),
            "summary": record["summary"],
            "summary_text": _stored_json(record["summary_text"]),
            "consecutive_runs": runs,
            "last_seen_at": now,
            "last_date": max(business_date, last_date) if last_date else business_date,
        }
        if status is AlertStatus.pending and runs >= rule_settings[record["rule"]].for_runs:
            change["status"] = AlertStatus.firing
            change["fired_at"] = now
            events.append(_event(alert_id, "fired", now, severity, change["value"]))
            result.fired += 1
            result.changes.append((alert_id, "firing"))
        elif SEVERITY_RANK[severity] > SEVERITY_RANK[before]:
            events.append(_event(alert_id, "escalated", now, severity, change["value"]))
            result.escalated += 1
            if status is not AlertStatus.pending:
                result.changes.append((alert_id, "firing"))
        elif SEVERITY_RANK[severity] < SEVERITY_RANK[before]:
            events.append(_event(alert_id, "deescalated", now, severity, change["value"]))
            result.deescalated += 1
        else:
            result.continuing += 1
        updates.append(change)
    session.execute(update(Alert), updates)
    if events:
        session.execute(insert(AlertEvent), events)


def _resolve_cleared(
    session: Session, cleared: pd.DataFrame, now: datetime, result: LifecycleResult
) -> None:
    if cleared.empty:
        return
    updates = []
    events = []
    for record in cleared.to_dict("records"):
        alert_id = int(record["alert_id"])
        updates.append({"id": alert_id, "status": AlertStatus.resolved, "resolved_at": now})
        had_fired = record["status"] is not AlertStatus.pending
        note = None if had_fired else "cleared before it fired"
        events.append(_event(alert_id, "resolved", now, None, None, note))
        if had_fired:
            result.changes.append((alert_id, "resolved"))
    result.resolved += len(updates)
    session.execute(update(Alert), updates)
    session.execute(insert(AlertEvent), events)


def _event(
    alert_id: int,
    kind: str,
    now: datetime,
    severity: str | None,
    value: Any,
    note: str | None = None,
) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "at": now,
        "kind": kind,
        "actor": MONITOR_ACTOR,
        "severity": severity,
        "value": _none(value),
        "note": note,
    }
