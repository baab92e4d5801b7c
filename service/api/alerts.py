"""Alerts: what the monitor raised, for the bureau to triage, acknowledge and follow.

Listing puts the most urgent first (critical before warning, then the most recently
seen), and tells for each alert whether a silence mutes it now, so the page people
watch matches what the notifier sends. Stores do not see alerts: they cover other
stores and whole districts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import AfterValidator, AwareDatetime, Field
from sqlalchemy import ColumnElement, and_, case, or_, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import InvalidInput
from core.lookups import page, region_subtree_ids
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
    Severity,
    Store,
)
from models.base import utc_now
from monitors.alerting.acknowledgement import (
    MAX_NOTE_CHARS,
    AlertNotFound,
    acknowledge_alert,
    unacknowledge_alert,
)
from monitors.alerting.labels import active_silences, alert_labels, silence_matches
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)


def _to_utc(value: datetime) -> datetime:
    """An instant in UTC; an offset that pushes it past the calendar is refused (422)
    rather than overflowing in the database driver (500)."""
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("is out of range") from error


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant (with its UTC offset), handed to the domain in UTC."""
Code = Annotated[str, Field(min_length=1, max_length=64)]
Note = Annotated[str, Field(min_length=1, max_length=MAX_NOTE_CHARS)]


class StatusFilter(StrEnum):
    """An alert status, or ``open`` for anything not resolved."""

    pending = "pending"
    firing = "firing"
    acknowledged = "acknowledged"
    resolved = "resolved"
    open = "open"


class AlertScope(ReadModel):
    level: str = Field(description="store, district or city")
    code: str | None = Field(description="The store's or region's code")


class AlertRead(ReadModel):
    id: int
    fingerprint: str
    rule: AlertRule
    severity: Severity
    status: AlertStatus
    scope: AlertScope
    store: str | None
    district: str | None
    product: str | None
    category: str | None
    value: float | None
    threshold: float | None
    summary: str
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
    silenced: bool = Field(description="Open, and muted by a silence in force now")
    labels: dict[str, str] = Field(description="What receivers see and silences match on")


class AlertEventRead(ReadModel):
    id: int
    at: datetime
    kind: str
    actor: str
    severity: str | None
    value: float | None
    note: str | None


class AlertDetail(AlertRead):
    silenced_by: list[int] = Field(description="Ids of the silences muting it now")
    events: list[AlertEventRead] = Field(description="Its audit trail, oldest first")


class AckIn(StrictModel):
    note: Note = Field(examples=["Called the Weidong wholesaler; delivery due at 14:00"])


class UnackIn(StrictModel):
    note: Note | None = None


def _finite(value: float | None) -> float | None:
    """JSON has no infinity or NaN (an endless days-of-supply): shown as null, not a 500."""
    return value if value is None or math.isfinite(value) else None


def _codes(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    """Codes of ``model`` rows by id: one query per table for a whole page."""
    if not ids:
        return {}
    rows = session.execute(select(model.id, model.code).where(model.id.in_(sorted(ids))))
    return {identifier: code for identifier, code in rows}  # noqa: C416 (Row → key, value)


def read_alerts(session: Session, alerts: Sequence[Alert]) -> list[AlertRead]:
    """Alerts as the API shows them: codes instead of ids, labels, and whether muted."""
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
        | {a.scope_id for a in alerts if a.scope_level != "store"},
    )
    products = _codes(session, Product, {a.product_id for a in alerts if a.product_id})
    categories = _codes(session, ProductCategory, {a.category_id for a in alerts if a.category_id})
    labels = alert_labels(session, alerts)
    silences = active_silences(session, at=utc_now())
    read = []
    for alert in alerts:
        muted = alert.status is not AlertStatus.resolved and any(
            silence_matches(silence.matchers, labels[alert.id]) for silence in silences
        )
        scope_codes = stores if alert.scope_level == "store" else regions
        read.append(
            AlertRead(
                id=alert.id,
                fingerprint=alert.fingerprint,
                rule=alert.rule,
                severity=alert.severity,
                status=alert.status,
                scope=AlertScope(level=alert.scope_level, code=scope_codes.get(alert.scope_id)),
                store=stores.get(alert.store_id) if alert.store_id else None,
                district=regions.get(alert.district_id) if alert.district_id else None,
                product=products.get(alert.product_id) if alert.product_id else None,
                category=categories.get(alert.category_id) if alert.category_id else None,
                value=_finite(alert.value),
                threshold=_finite(alert.threshold),
                summary=alert.summary,
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
    return read


def _read_detail(session: Session, alert: Alert) -> AlertDetail:
    """One alert with the silences muting it and its audit trail."""
    events = session.scalars(
        select(AlertEvent)
        .where(AlertEvent.alert_id == alert.id)
        .order_by(AlertEvent.at, AlertEvent.id)
    )
    summary = read_alerts(session, [alert])[0]
    labels = summary.labels
    silenced_by = (
        sorted(
            silence.id
            for silence in active_silences(session, at=utc_now())
            if silence_matches(silence.matchers, labels)
        )
        if alert.status is not AlertStatus.resolved
        else []
    )
    return AlertDetail(
        **summary.model_dump(),
        silenced_by=silenced_by,
        events=[
            AlertEventRead(
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


def _region_clause(session: Session, region: Region) -> ColumnElement[bool]:
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


def _resolve_codes(session: Session, **codes: str | None) -> dict[str, Any]:
    """Rows for the code filters given, or one 422 naming every unknown one."""
    models: dict[str, Any] = {"region": Region, "product": Product, "category": ProductCategory}
    found: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for name, code in codes.items():
        if code is None:
            continue
        model = models[name]
        found[name] = session.scalars(select(model).where(model.code == code)).first()
        if found[name] is None:
            errors.append({"loc": ["query", name], "msg": f"unknown {name} {code!r}"})
    if errors:
        raise InvalidInput("; ".join(e["msg"] for e in errors), errors=errors)
    return found


def _require_reader(principal: Principal) -> None:
    """Alerts span stores and districts: the bureau and admins only."""
    require_role(principal, Role.bureau)


@router.get("", summary="List alerts, most severe and most recent first")
def list_alerts(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    status: StatusFilter | None = None,
    severity: Severity | None = None,
    rule: AlertRule | None = None,
    region: Annotated[
        Code | None, Query(description="District code (also its stores), or city code")
    ] = None,
    product: Annotated[Code | None, Query(description="Product code")] = None,
    category: Annotated[Code | None, Query(description="Category code")] = None,
    on_date: Annotated[
        date | None, Query(alias="date", description="Business day the alert covered")
    ] = None,
    since: Annotated[UtcDateTime | None, Query(description="Open at or after this instant")] = None,
    until: Annotated[UtcDateTime | None, Query(description="Seen first by this instant")] = None,
) -> Page[AlertRead]:
    _require_reader(principal)
    if since is not None and until is not None and until < since:
        raise InvalidInput(
            "until is before since", errors=[{"loc": ["query", "until"], "msg": "before since"}]
        )
    rows = _resolve_codes(session, region=region, product=product, category=category)
    conditions: list[ColumnElement[bool]] = []
    if status is StatusFilter.open:
        conditions.append(Alert.status != AlertStatus.resolved)
    elif status is not None:
        conditions.append(Alert.status == AlertStatus(status.value))
    if severity is not None:
        conditions.append(Alert.severity == severity)
    if rule is not None:
        conditions.append(Alert.rule == rule)
    if "region" in rows:
        conditions.append(_region_clause(session, rows["region"]))
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
    found, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=read_alerts(session, [row[0] for row in found]),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/{alert_id}", summary="Read an alert with its audit trail")
def read_alert(alert_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> AlertDetail:
    _require_reader(principal)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(f"alert {alert_id} not found")
    return _read_detail(session, alert)


@router.post(
    "/{alert_id}/ack",
    summary="Acknowledge a firing alert (someone is on it), with a note",
)
def ack_alert(
    alert_id: DatabaseId, body: AckIn, session: SessionDep, principal: PrincipalDep
) -> AlertDetail:
    _require_reader(principal)
    alert = acknowledge_alert(session, alert_id=alert_id, note=body.note, actor=principal.label)
    return _read_detail(session, alert)


@router.post(
    "/{alert_id}/unack",
    summary="Withdraw an acknowledgement: the alert is firing again and nobody is on it",
)
def unack_alert(
    alert_id: DatabaseId,
    session: SessionDep,
    principal: PrincipalDep,
    body: Annotated[UnackIn | None, Body()] = None,
) -> AlertDetail:
    _require_reader(principal)
    alert = unacknowledge_alert(
        session, alert_id=alert_id, actor=principal.label, note=body.note if body else None
    )
    return _read_detail(session, alert)
