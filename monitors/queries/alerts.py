"""Alerts as the bureau reads them: the most urgent first, with codes, labels, and whether
a silence mutes each one now.

Listing puts critical before warning, then the most recently seen, and tells for each
alert whether a silence mutes it now, so the page people watch matches what the notifier
sends. Stores do not see alerts: they cover other stores and whole districts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.errors import InvalidInput
from core.lookups import PageOf, page, region_subtree_ids
from core.text import FieldProblem, Text, field_problem, in_turn, phrase, stored_text
from models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Role,
    ScopeLevel,
    Severity,
    Store,
)
from models.base import utc_now
from monitors.alerting.acknowledgement import AlertNotFound
from monitors.alerting.labels import (
    active_silences,
    alert_labels,
    silence_matches,
    ticket_numbers,
)
from monitors.alerting.regions import alerts_within

ALERT_READERS = (Role.bureau,)
"""Alerts span stores and districts: the bureau (and admins) only."""


class StatusFilter(StrEnum):
    """An alert status, or ``open`` for anything not resolved."""

    pending = "pending"
    firing = "firing"
    acknowledged = "acknowledged"
    resolved = "resolved"
    open = "open"


@dataclass(frozen=True)
class AlertScopeView:
    """Where an alert is: its level and the store's or region's code."""

    level: str
    code: str | None


@dataclass(frozen=True)
class AlertView:
    """An alert with codes instead of ids, its labels, and whether a silence mutes it."""

    id: int
    fingerprint: str
    rule: AlertRule
    severity: Severity
    status: AlertStatus
    scope: AlertScopeView
    store: str | None
    district: str | None
    product: str | None
    category: str | None
    value: float | None
    threshold: float | None
    summary: str
    summary_text: Text | None
    """The summary as words to render in the reader's language (None for alerts raised
    before summaries were kept so)."""
    first_seen_at: datetime
    last_seen_at: datetime
    fired_at: datetime | None
    resolved_at: datetime | None
    first_date: date
    last_date: date
    consecutive_runs: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    acknowledgement_note: str | None
    silenced: bool
    labels: dict[str, str]


@dataclass(frozen=True)
class AlertEventView:
    """One entry of an alert's audit trail."""

    id: int
    at: datetime
    kind: str
    actor: str
    severity: str | None
    value: float | None
    note: str | None


@dataclass(frozen=True)
class AlertDetailView(AlertView):
    """An alert with the silences muting it now and its audit trail, oldest first."""

    silenced_by: list[int]
    events: list[AlertEventView]


def _finite(value: float | None) -> float | None:
    """An endless days-of-supply (infinity) or NaN reads as unknown (None): JSON has
    neither, and a person reads "–"."""
    return value if value is None or math.isfinite(value) else None


def _codes(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    """Codes of ``model`` rows by id: one query per table for a whole page."""
    if not ids:
        return {}
    rows = session.execute(select(model.id, model.code).where(model.id.in_(sorted(ids))))
    return {identifier: code for identifier, code in rows}  # noqa: C416 (Row → key, value)


def alert_views(*, session: Session, alerts: Sequence[Alert]) -> list[AlertView]:
    """Alerts as people read them: codes instead of ids, labels, and whether muted now
    (a few queries for a whole page, never one per alert)."""
    stores = _codes(
        session,
        Store,
        {a.store_id for a in alerts if a.store_id}
        | {a.scope_id for a in alerts if a.scope_level == "store"},
    )
    regions = _codes(
        session,
        Region,
        {a.district_id for a in alerts if a.district_id}
        | {a.scope_id for a in alerts if a.scope_level in ("district", "city")},
    )
    tickets = ticket_numbers(session, {a.scope_id for a in alerts if a.scope_level == "ticket"})
    products = _codes(session, Product, {a.product_id for a in alerts if a.product_id})
    categories = _codes(session, ProductCategory, {a.category_id for a in alerts if a.category_id})
    labels = alert_labels(session, alerts)
    silences = active_silences(session, at=utc_now())
    views = []
    for alert in alerts:
        muted = alert.status is not AlertStatus.resolved and any(
            silence_matches(silence.matchers, labels[alert.id]) for silence in silences
        )
        scope_codes = {"store": stores, "ticket": tickets}.get(alert.scope_level, regions)
        views.append(
            AlertView(
                id=alert.id,
                fingerprint=alert.fingerprint,
                rule=alert.rule,
                severity=alert.severity,
                status=alert.status,
                scope=AlertScopeView(level=alert.scope_level, code=scope_codes.get(alert.scope_id)),
                store=stores.get(alert.store_id) if alert.store_id else None,
                district=regions.get(alert.district_id) if alert.district_id else None,
                product=products.get(alert.product_id) if alert.product_id else None,
                category=categories.get(alert.category_id) if alert.category_id else None,
                value=_finite(alert.value),
                threshold=_finite(alert.threshold),
                summary=alert.summary,
                summary_text=stored_text(alert.summary_text) if alert.summary_text else None,
                first_seen_at=alert.first_seen_at,
                last_seen_at=alert.last_seen_at,
                fired_at=alert.fired_at,
                resolved_at=alert.resolved_at,
                first_date=alert.first_date,
                last_date=alert.last_date,
                consecutive_runs=alert.consecutive_runs,
                acknowledged_at=alert.acknowledged_at,
                acknowledged_by=alert.acknowledged_by,
                acknowledgement_note=alert.acknowledgement_note,
                silenced=muted,
                labels=labels[alert.id],
            )
        )
    return views


def alert_detail(*, session: Session, alert: Alert) -> AlertDetailView:
    """One alert with the silences muting it and its audit trail: what someone about to
    act on it needs to see first."""
    events = session.scalars(
        select(AlertEvent)
        .where(AlertEvent.alert_id == alert.id)
        .order_by(AlertEvent.at, AlertEvent.id)
    )
    summary = alert_views(session=session, alerts=[alert])[0]
    silenced_by = (
        sorted(
            silence.id
            for silence in active_silences(session, at=utc_now())
            if silence_matches(silence.matchers, summary.labels)
        )
        if alert.status is not AlertStatus.resolved
        else []
    )
    shared = {field.name: getattr(summary, field.name) for field in fields(AlertView)}
    return AlertDetailView(
        **shared,
        silenced_by=silenced_by,
        events=[
            AlertEventView(
                id=event.id,
                at=event.at,
                kind=event.kind,
                actor=event.actor,
                severity=event.severity,
                value=_finite(event.value),
                note=event.note,
            )
            for event in events
        ],
    )


def in_region(session: Session, region: Region) -> ColumnElement[bool]:
    """Alerts located in ``region``: its district alerts and the store alerts of stores in
    it (or below it), or, for a city, its city-wide alerts — the labels a silence's
    ``region`` matches, plus stores filed under a township."""
    located = or_(
        Alert.district_id == region.id,
        and_(Alert.scope_level.in_(("district", "city")), Alert.scope_id == region.id),
    )
    if region.level is RegionLevel.city:
        return located
    stores = select(Store.id).where(Store.region_id.in_(region_subtree_ids(session, region.id)))
    return or_(located, and_(Alert.scope_level == "store", Alert.store_id.in_(stores)))


def state_conditions(
    *, status: StatusFilter | None, severity: Severity | None, rule: AlertRule | None
) -> list[ColumnElement[bool]]:
    """SQL conditions for the status (``open``: not resolved), severity and rule filters."""
    conditions: list[ColumnElement[bool]] = []
    if status is StatusFilter.open:
        conditions.append(Alert.status != AlertStatus.resolved)
    elif status is not None:
        conditions.append(Alert.status == AlertStatus(status.value))
    if severity is not None:
        conditions.append(Alert.severity == severity)
    if rule is not None:
        conditions.append(Alert.rule == rule)
    return conditions


def _resolve_codes(session: Session, principal: Principal, **codes: str | None) -> dict[str, Any]:
    """Rows for the code filters given, or one 422 naming every unknown one (a region
    outside the caller's reads as unknown: its existence is not confirmed)."""
    models: dict[str, Any] = {"region": Region, "product": Product, "category": ProductCategory}
    labels = {
        "region": phrase("region"),
        "product": phrase("product"),
        "category": phrase("category"),
    }
    found: dict[str, Any] = {}
    errors: list[FieldProblem] = []
    for name, code in codes.items():
        if code is None:
            continue
        model = models[name]
        query = select(model).where(model.code == code)
        if model is Region:
            query = query.where(within_region(principal, Region.id))
        found[name] = session.scalars(query).first()
        if found[name] is None:
            errors.append(
                field_problem(
                    ["query", name], "unknown {label} {code!r}", label=labels[name], code=code
                )
            )
    if errors:
        raise InvalidInput(in_turn([e.text for e in errors]), errors=errors)
    return found


def list_alerts(
    *,
    session: Session,
    principal: Principal,
    status: StatusFilter | None = None,
    severity: Severity | None = None,
    rule: AlertRule | None = None,
    scope_levels: Collection[ScopeLevel] = (),
    region: str | None = None,
    product: str | None = None,
    category: str | None = None,
    on_date: date | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int,
    offset: int,
) -> PageOf[AlertView]:
    """One page of alerts, critical first and then the most recently seen, so the bureau
    works on what hurts most.

    ``scope_levels`` keeps alerts about any of those levels (none given: every level);
    ``region`` is a district (also its stores) or the city; ``on_date`` a business day
    the alert covered; ``since`` keeps alerts open at or after an instant, ``until``
    those first seen by one. Unknown codes are one 422 naming each.
    """
    require_role(principal, *ALERT_READERS)
    if since is not None and until is not None and until < since:
        raise InvalidInput(
            "until is before since", errors=[field_problem(["query", "until"], "before since")]
        )
    rows = _resolve_codes(session, principal, region=region, product=product, category=category)
    conditions = state_conditions(status=status, severity=severity, rule=rule)
    conditions.append(alerts_within(principal))
    if scope_levels:
        conditions.append(Alert.scope_level.in_(sorted(level.value for level in scope_levels)))
    if "region" in rows:
        conditions.append(in_region(session, rows["region"]))
    if "product" in rows:
        conditions.append(Alert.product_id == rows["product"].id)
    if "category" in rows:
        conditions.append(Alert.category_id == rows["category"].id)
    if on_date is not None:
        conditions.append(and_(Alert.first_date <= on_date, Alert.last_date >= on_date))
    if since is not None:
        conditions.append(or_(Alert.resolved_at.is_(None), Alert.resolved_at >= since))
    if until is not None:
        conditions.append(Alert.first_seen_at <= until)
    critical_first = case((Alert.severity == Severity.critical, 0), else_=1)
    query = (
        select(Alert)
        .where(*conditions)
        .order_by(critical_first, Alert.last_seen_at.desc(), Alert.id.desc())
    )
    found, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=alert_views(session=session, alerts=[row[0] for row in found]),
        total=total,
        limit=limit,
        offset=offset,
    )


def read_alert(*, session: Session, principal: Principal, alert_id: int) -> AlertDetailView:
    """One alert with its audit trail, or a 404 (also for one outside the caller's region)."""
    require_role(principal, *ALERT_READERS)
    alert = session.scalars(
        select(Alert).where(Alert.id == alert_id, alerts_within(principal))
    ).first()
    if alert is None:
        raise AlertNotFound("alert {alert_id} not found", alert_id=alert_id)
    return alert_detail(session=session, alert=alert)


def open_alert_counts(
    *, session: Session, principal: Principal | None = None
) -> Counter[tuple[str, str]]:
    """Alerts not resolved (inside the caller's region when given), by (status, severity)
    values, 0 for a missing pair: the dashboard's alert tiles."""
    return Counter(
        {
            (status.value, severity.value): count
            for status, severity, count in session.execute(
                select(Alert.status, Alert.severity, func.count())
                .where(Alert.status != AlertStatus.resolved, alerts_within(principal))
                .group_by(Alert.status, Alert.severity)
            )
        }
    )
