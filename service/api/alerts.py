"""Alerts: what the monitor raised, for the bureau to triage, acknowledge and follow.

Listing puts the most urgent first (critical before warning, then the most recently
seen), and tells for each alert whether a silence mutes it now, so the page people
watch matches what the notifier sends. Stores do not see alerts: they cover other
stores and whole districts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from fastapi import APIRouter, Body, Query
from pydantic import AfterValidator, AwareDatetime, Field, computed_field

from core.errors import InvalidValue
from models import AlertRule, AlertStatus, ScopeLevel, Severity
from monitors.alerting.acknowledgement import (
    MAX_NOTE_CHARS,
    acknowledge_alert,
    unacknowledge_alert,
)
from monitors.queries import alerts
from monitors.queries.alerts import AlertView, StatusFilter, alert_detail
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)
from service.translations import translations
from supply_network.queries.restock import RESTOCK_RULES

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=PROBLEM_RESPONSES)


def _to_utc(value: datetime) -> datetime:
    """An instant in UTC; an offset that pushes it past the calendar is refused (422)
    rather than overflowing in the database driver (500)."""
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise InvalidValue("is out of range") from error


UtcDateTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""A timezone-aware instant (with its UTC offset), handed to the domain in UTC."""
Code = Annotated[str, Field(min_length=1, max_length=64)]
Note = Annotated[str, Field(min_length=1, max_length=MAX_NOTE_CHARS)]


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
    summary: str = Field(description="What happened, in English (as in the webhooks)")
    summary_zh: str | None = Field(
        default=None,
        description="The summary in Chinese, as the Chinese pages show it (null for alerts "
        "raised before summaries were kept as words)",
    )
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

    @computed_field(  # type: ignore[prop-decorator]
        description="Its restock suggestion and candidate sources (shortage alerts of a "
        "store or a district)"
    )
    @property
    def restock(self) -> str | None:
        if (
            self.rule in RESTOCK_RULES
            and self.scope.level in ("store", "district")
            and self.product
        ):
            return f"/api/v1/restock/alerts/{self.id}"
        return None


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


AlertModel = TypeVar("AlertModel", bound=AlertRead)


def alert_read(view: AlertView, model: type[AlertModel]) -> AlertModel:
    """An alert as the API answers it, with its summary in Chinese from its words: an
    integration for a Chinese-reading bureau needs no English."""
    chinese = (
        view.summary_text.render(translations("zh").gettext, "zh") if view.summary_text else None
    )
    return model.model_validate(view).model_copy(update={"summary_zh": chinese})


class AckIn(StrictModel):
    note: Note = Field(examples=["Called the Weidong wholesaler; delivery due at 14:00"])


class UnackIn(StrictModel):
    note: Note | None = None


@router.get(
    "",
    summary="List alerts, most severe and most recent first",
    description="Every filter given must hold. `scope` keeps the alerts about stores, "
    "districts or the whole city (the alert's `scope.level`); repeat it for several levels "
    "(`scope=district&scope=city`). An unknown value of an enumerated filter, or an unknown "
    "code, is a 422 `application/problem+json` naming the parameter (`query.scope`).",
)
def list_alerts(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    status: StatusFilter | None = None,
    severity: Severity | None = None,
    rule: AlertRule | None = None,
    scope: Annotated[
        list[ScopeLevel] | None,
        Query(
            description="Alerts about a store, a district or the city (the alert's "
            "`scope.level`; repeat for several: `scope=district&scope=city`)"
        ),
    ] = None,
    scope_level: Annotated[
        list[ScopeLevel] | None,
        Query(deprecated=True, description="The same filter as `scope` (its first name)"),
    ] = None,
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
    found = alerts.list_alerts(
        session=session,
        principal=principal,
        status=status,
        severity=severity,
        rule=rule,
        scope_levels=[*(scope or ()), *(scope_level or ())],
        region=region,
        product=product,
        category=category,
        on_date=on_date,
        since=since,
        until=until,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[alert_read(view, AlertRead) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/{alert_id}", summary="Read an alert with its audit trail")
def read_alert(alert_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> AlertDetail:
    view = alerts.read_alert(session=session, principal=principal, alert_id=alert_id)
    return alert_read(view, AlertDetail)


@router.post(
    "/{alert_id}/ack",
    summary="Acknowledge a firing alert (someone is on it), with a note",
)
def ack_alert(
    alert_id: DatabaseId, body: AckIn, session: SessionDep, principal: PrincipalDep
) -> AlertDetail:
    alert = acknowledge_alert(session, alert_id=alert_id, note=body.note, principal=principal)
    return alert_read(alert_detail(session=session, alert=alert), AlertDetail)


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
    alert = unacknowledge_alert(
        session, alert_id=alert_id, principal=principal, note=body.note if body else None
    )
    return alert_read(alert_detail(session=session, alert=alert), AlertDetail)
