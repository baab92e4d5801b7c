"""The bureau's list of every alert (``/alerts/list``; ``/alerts`` groups them): filter,
acknowledge with a note, silence alerts like one, and expire a silence. Every read and
change is the monitor's own function, the one ``/api/v1/alerts`` and ``/api/v1/silences``
call."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.access import Principal, require_role
from core.errors import DomainError, InvalidInput
from core.text import field_problem
from hotline.escalation import ticket_sla_summaries
from models import Alert, AlertRule, Role, ScopeLevel, Severity
from models.base import utc_now
from monitors.alerting.acknowledgement import acknowledge_alert
from monitors.alerting.silences import create_silence, expire_silence
from monitors.queries.alerts import AlertView, StatusFilter, alert_views, list_alerts, read_alert
from monitors.queries.dashboard_tables import alert_table
from monitors.queries.silences import silences_not_over
from service.http.dependencies import SessionDep
from service.http.exports import ExportFormat, table_response
from service.http.schemas import DatabaseId
from service.web.common import (
    ListPage,
    PageRoute,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    redirect,
    render,
)
from service.web.i18n import translator

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
MAX_SILENCE_HOURS = 90 * 24


def bureau_only(viewer: Principal) -> None:
    require_role(viewer, Role.bureau)


def filter_choice(value: str | None, allowed: type[Any]) -> Any:
    """A filter value from the query, or None when empty or not one of ``allowed``."""
    try:
        return allowed(value) if value else None
    except ValueError:
        return None


def scope_levels(value: str | None) -> tuple[ScopeLevel, ...]:
    """The page's one scope level as the alert query's levels (empty or unknown: all)."""
    level = filter_choice(value, ScopeLevel)
    return (level,) if level else ()


@router.get("/alerts/list")
def alert_list(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    status: str | None = "open",
    severity: str | None = None,
    rule: str | None = None,
    scope: str | None = None,
    page: ListPage = 1,
) -> HTMLResponse:
    bureau_only(viewer)
    page = max(page, 1)
    found = list_alerts(
        session=session,
        principal=viewer,
        status=filter_choice(status, StatusFilter),
        severity=filter_choice(severity, Severity),
        rule=filter_choice(rule, AlertRule),
        scope_levels=scope_levels(scope),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    silences = silences_not_over(session=session, principal=viewer, now=utc_now())
    filters = {
        "status": status or "",
        "severity": severity or "",
        "rule": rule or "",
        "scope": scope or "",
    }
    return render(
        request,
        "alerts/list.html",
        {
            "alerts": found,
            "alert_rows": found.items,
            "summaries": ticket_sla_summaries(session=session, alerts=found.items),
            "silences": silences,
            "filters": filters,
            "query": urlencode(filters),
            "statuses": [s.value for s in StatusFilter],
            "severities": [s.value for s in Severity],
            "rules": [r.value for r in AlertRule],
            "scopes": [level.value for level in ScopeLevel],
            "page": page,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
        },
    )


@router.get("/alerts/list/export")
def export_alert_list(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    format: ExportFormat,
    status: str | None = "open",
    severity: str | None = None,
    rule: str | None = None,
    scope: str | None = None,
) -> Response:
    """Every alert the list's filters select (not only one page), as CSV or XLSX."""
    bureau_only(viewer)
    found = list_alerts(
        session=session,
        principal=viewer,
        status=filter_choice(status, StatusFilter),
        severity=filter_choice(severity, Severity),
        rule=filter_choice(rule, AlertRule),
        scope_levels=scope_levels(scope),
        limit=EXPORT_LIMIT,
        offset=0,
    )
    translate = translator(language_of(request))
    table = alert_table(found.items, word=translate)
    return table_response(
        [translate(title) for title in table.titles], table.rows, format=format, name="alerts"
    )


@router.post("/alerts/{alert_id}/ack", dependencies=[Depends(check_csrf)])
def acknowledge(
    request: Request,
    alert_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Acknowledge with a note; htmx swaps in the updated row, a plain form reloads."""
    bureau_only(viewer)
    problem: DomainError | None = None
    acknowledged: Alert | None = None
    try:
        acknowledged = acknowledge_alert(session, alert_id=alert_id, note=note, principal=viewer)
    except InvalidInput as error:
        problem = error
    if request.headers.get("hx-request"):
        row: AlertView = (
            alert_views(session=session, alerts=[acknowledged])[0]
            if acknowledged is not None
            else read_alert(session=session, principal=viewer, alert_id=alert_id)
        )
        return render(
            request,
            "alerts/_row.html",
            {
                "alert": row,
                "summaries": ticket_sla_summaries(session=session, alerts=[row]),
                "ack_error": field_errors(problem, skip=1).get("note") if problem else None,
                "acknowledged_now": problem is None,
            },
            status_code=200,
        )
    if problem is not None:
        raise problem
    return redirect(request.headers.get("referer") or "/alerts")


@router.post("/alerts/silences", dependencies=[Depends(check_csrf)])
def silence(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    hours: Annotated[str, Form()] = "24",
    comment: Annotated[str, Form(max_length=4000)] = "",
    rule: Annotated[str, Form(max_length=64)] = "",
    region: Annotated[str, Form(max_length=64)] = "",
    product: Annotated[str, Form(max_length=64)] = "",
    category: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Silence every open alert matching the given labels for some hours."""
    bureau_only(viewer)
    try:
        length = float(hours)
    except ValueError:
        length = -1.0
    if not 0 < length <= MAX_SILENCE_HOURS:
        raise InvalidInput(
            "hours must be a number from 0 to {limit}",
            errors=[field_problem(["body", "hours"], "0 to {limit}", limit=MAX_SILENCE_HOURS)],
            limit=MAX_SILENCE_HOURS,
        )
    matchers = {
        name: value.strip()
        for name, value in (
            ("rule", rule),
            ("region", region),
            ("product", product),
            ("category", category),
        )
        if value.strip()
    }
    if not matchers:
        raise InvalidInput(
            "give at least one matcher", errors=[field_problem(["body", "matchers"], "empty")]
        )
    now = utc_now()
    create_silence(
        session,
        matchers=matchers,
        ends_at=now + timedelta(hours=length),
        comment=comment,
        principal=viewer,
        now=now,
    )
    return redirect("/alerts/list?silenced=1")


@router.post("/alerts/silences/{silence_id}/expire", dependencies=[Depends(check_csrf)])
def expire(silence_id: DatabaseId, session: SessionDep, viewer: ViewerDep) -> Response:
    bureau_only(viewer)
    expire_silence(session, silence_id=silence_id, principal=viewer)
    return redirect("/alerts/list?expired=1")
