"""The bureau's list of every alert (``/alerts/list``; ``/alerts`` groups them): filter,
acknowledge with a note, silence alerts like one, and expire a silence. Every read and
change is the monitor's own function, the one ``/api/v1/alerts`` and ``/api/v1/silences``
call."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError, InvalidInput
from core.text import N_, Text, is_blank, phrase
from core.words import english
from masterdata.products import list_categories
from masterdata.regions import list_regions
from models import Alert, AlertRule, AlertStatus, RegionLevel, Role, ScopeLevel, Severity
from models.base import utc_now
from monitors.alerting.acknowledgement import MAX_NOTE_CHARS, acknowledge_alert
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
    names_by_code,
    product_names,
    redirect,
    render,
    same_site_path,
)
from service.web.i18n import translator
from service.web.problems import field_problems

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
MAX_SILENCE_HOURS = 90 * 24
MATCHER_CHOICES = 500
"""Regions of each level a silence may name (a city and its districts)."""


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
            "silences": silences,
            "filters": filters,
            "query": urlencode(filters),
            "statuses": status_choices(),
            "severities": list(Severity),
            "rules": list(AlertRule),
            "scopes": list(ScopeLevel),
            "page": page,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "names": matcher_names(session, language_of(request)),
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
    table = alert_table(found.items, word=translate, language=language_of(request))
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
                "ack_error": field_errors(problem, skip=1).get("note") if problem else None,
                "acknowledged_now": problem is None,
                "names": matcher_names(session, language_of(request)),
            },
            status_code=200,
        )
    if problem is not None:
        raise problem
    return redirect(same_site_path(request, request.headers.get("referer")) or "/alerts")


SILENCE_FIELDS = ("rule", "region", "product", "category", "hours", "comment")
"""The per-alert silence form's fields, in the order the form shows them."""
MAX_TYPED = 4000
"""Longer than any silence field may be: the form names each field's own limit."""


def status_choices() -> list[tuple[str, str]]:
    """The status filter's choices, each a code and its English: every alert status, and
    "open" (firing or acknowledged)."""
    return [
        (status.value, N_("open") if status is StatusFilter.open else english(AlertStatus(status)))
        for status in StatusFilter
    ]


def matcher_names(
    session: Session, language: str, principal: Principal | None = None
) -> dict[str, dict[str, str]]:
    """The names a silence's matchers show for their codes (regions a silence may name,
    products, categories) in ``language``: the page says 梨, not ``pear``. With a
    ``principal``, only the regions it may silence (a district's user, its own)."""
    regions = [
        region
        for level in (RegionLevel.city, RegionLevel.district)
        for region in list_regions(
            session=session, principal=principal, level=level, limit=MATCHER_CHOICES, offset=0
        ).items
    ]
    return {
        "region": names_by_code(regions, language),
        "product": product_names(session, language),
        "category": names_by_code(list_categories(session=session), language),
    }


def silence_hours(text: str, problems: dict[str, Text]) -> float:
    """The typed silence length in hours (24 if unreadable, the problem noted)."""
    if not text.strip():
        problems["hours"] = phrase("Fill this in")
        return 24.0
    try:
        length = float(text)
    except ValueError:
        problems["hours"] = phrase("Enter a number")
        return 24.0
    if not length > 0:
        problems["hours"] = phrase("Enter more than {gt}", gt=0)
    elif length > MAX_SILENCE_HOURS:
        problems["hours"] = phrase("Enter {le} or less", le=MAX_SILENCE_HOURS)
    else:
        return length
    return 24.0


def comment_problem(comment: str) -> Text | None:
    """What is wrong with a silence's comment (required, at most the note's length)."""
    if is_blank(comment):
        return phrase("Fill this in")
    if len(comment.strip()) > MAX_NOTE_CHARS:
        return phrase("Use at most {max_length} characters", max_length=MAX_NOTE_CHARS)
    return None


@router.post("/alerts/silences", dependencies=[Depends(check_csrf)])
def silence(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    hours: Annotated[str, Form(max_length=MAX_TYPED)] = "24",
    comment: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    rule: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    region: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    product: Annotated[str, Form(max_length=MAX_TYPED)] = "",
    category: Annotated[str, Form(max_length=MAX_TYPED)] = "",
) -> Response:
    """Silence every open alert matching the given labels for some hours; a refused
    silence is its form again, as typed, with every problem beside its field."""
    bureau_only(viewer)
    typed = {
        "rule": rule.strip(),
        "region": region.strip(),
        "product": product.strip(),
        "category": category.strip(),
        "hours": hours.strip(),
        "comment": comment,
    }
    problems: dict[str, Text] = {}
    length = silence_hours(hours, problems)
    if (problem := comment_problem(comment)) is not None:
        problems["comment"] = problem
    matchers = {name: typed[name] for name in ("rule", "region", "product", "category")}
    now = utc_now()
    try:
        create_silence(
            session,
            matchers={name: value for name, value in matchers.items() if value},
            ends_at=now + timedelta(hours=length),
            comment=comment,
            principal=viewer,
            now=now,
        )
    except InvalidInput as error:
        for found in field_problems(error):
            name = "hours" if found.loc[-1] == "ends_at" else str(found.loc[-1])
            problems.setdefault(name, found.text)
    if problems:
        session.rollback()
        return _silence_form(request, session, viewer, typed, problems)
    return redirect("/alerts/list?silenced=1")


def _silence_form(
    request: Request,
    session: Session,
    viewer: Principal,
    values: dict[str, str],
    problems: dict[str, Text],
) -> HTMLResponse:
    """The silence form with ``values``, and ``problems`` beside their fields (a 422); a
    region-bound viewer picks among its own regions, with no "any" it may not silence."""
    return render(
        request,
        "alerts/silence_form.html",
        {
            "values": values,
            "errors": problems,
            "rule_options": [
                (r.value, translator(language_of(request))(english(r))) for r in AlertRule
            ],
            "names": matcher_names(session, language_of(request), viewer),
            "region_bound": viewer.is_region_bound,
            "max_hours": MAX_SILENCE_HOURS,
        },
        status_code=422 if problems else 200,
    )


@router.get("/alerts/silences/new")
def new_silence(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    rule: Annotated[str, Query(max_length=64)] = "",
    region: Annotated[str, Query(max_length=64)] = "",
    product: Annotated[str, Query(max_length=64)] = "",
    category: Annotated[str, Query(max_length=64)] = "",
) -> HTMLResponse:
    """The silence form, its matchers (an alert's, from its row) to change by name."""
    bureau_only(viewer)
    values = {"rule": rule, "region": region, "product": product, "category": category}
    return _silence_form(request, session, viewer, values | {"hours": "24", "comment": ""}, {})


@router.post("/alerts/silences/{silence_id}/expire", dependencies=[Depends(check_csrf)])
def expire(silence_id: DatabaseId, session: SessionDep, viewer: ViewerDep) -> Response:
    bureau_only(viewer)
    expire_silence(session, silence_id=silence_id, principal=viewer)
    return redirect("/alerts/list?expired=1")
