"""The bureau's alerts page as situations: alerts grouped by district × category (or any
allowed ``group_by``), each row expandable to its alerts, acknowledged, assigned or
silenced as one, and exported. Every read and change is the monitor's own function, the
one ``/api/v1/alert-groups`` calls."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import InvalidInput
from core.text import Text, field_problem
from models import AlertRule, Severity
from monitors.alerting.groups import (
    acknowledge_group,
    assign_group,
    silence_group,
    silence_preview,
)
from monitors.queries.alert_group_views import (
    GROUP_COLUMN_TITLES,
    GROUP_FIELD_TITLES,
    group_table,
    group_view_choices,
)
from monitors.queries.alert_groups import (
    AlertGroupFilters,
    alert_groups,
    group_alerts,
    parse_group_by,
)
from monitors.queries.alerts import StatusFilter
from service.http.dependencies import SessionDep
from service.http.exports import ExportFormat, table_response
from service.web.alerts import (
    bureau_only,
    comment_problem,
    filter_choice,
    matcher_names,
    silence_hours,
    status_choices,
)
from service.web.common import (
    ListPage,
    PageRoute,
    ViewerDep,
    check_csrf,
    language_of,
    page_unless_htmx,
    redirect,
    render,
)
from service.web.i18n import translator

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
GROUP_ROWS = 100
"""Alerts of an opened situation shown at once; a button shows the next ones."""
MAX_GROUP_OFFSET = 1_000_000
EXPORT_LIMIT = 100_000
GROUPINGS = (
    "district,category",
    "product",
    "district,product",
    "category",
    "district",
    "rule",
    "district,rule",
    "store",
    "chain",
    "chain,district",
)
"""The group_by choices the page offers (the API takes any allowed combination)."""
FILTER_NAMES = (
    "group_by",
    "district",
    "product",
    "store",
    "category",
    "status",
    "severity",
    "rule",
    "text",
)


def _filters(values: dict[str, str]) -> AlertGroupFilters:
    """The view's filters from query or form values (empty means any)."""
    status = values.get("status", "open")
    return AlertGroupFilters(
        district=values.get("district") or None,
        product=values.get("product") or None,
        store=(values.get("store") or "").strip() or None,
        category=values.get("category") or None,
        status=filter_choice(status, StatusFilter),
        severity=filter_choice(values.get("severity"), Severity),
        rule=filter_choice(values.get("rule"), AlertRule),
        text=(values.get("text") or "").strip() or None,
    )


def _view_values(request: Request, form: dict[str, str] | None = None) -> dict[str, str]:
    """The view's filter values, from the form posted or the query string."""
    source = form if form is not None else dict(request.query_params)
    values = {name: source.get(name, "") for name in FILTER_NAMES}
    if "status" not in source:
        values["status"] = "open"
    return values


def _group(raw: str) -> dict[str, str | None]:
    """A group's key from its form field (JSON), or a 422 naming the field."""
    try:
        group = json.loads(raw)
    except (ValueError, RecursionError):  # nested deeper than the parser recurses
        group = None
    if not isinstance(group, dict) or not all(
        isinstance(name, str) and (code is None or isinstance(code, str))
        for name, code in group.items()
    ):
        raise InvalidInput(
            "name a group by its labels", errors=[field_problem(["body", "group"], "invalid")]
        )
    return group


@router.get("/alerts")
def grouped_alerts(
    request: Request, session: SessionDep, viewer: ViewerDep, page: ListPage = 1
) -> HTMLResponse:
    """The situations, worst first, with the filters and the group actions."""
    bureau_only(viewer)
    values = _view_values(request)
    group_by = parse_group_by(values["group_by"] or None)
    page = max(page, 1)
    found = alert_groups(
        session=session,
        principal=viewer,
        group_by=group_by,
        filters=_filters(values),
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    query = {name: value for name, value in values.items() if value}
    return render(
        request,
        "alerts/groups.html",
        {
            "groups": found,
            "group_keys": [json.dumps(group.key, ensure_ascii=False) for group in found.items],
            "group_by": group_by,
            "group_by_value": ",".join(group_by),
            "groupings": GROUPINGS,
            "filters": values,
            "choices": group_view_choices(session=session, principal=viewer),
            "statuses": status_choices(),
            "severities": list(Severity),
            "rules": list(AlertRule),
            "page": page,
            "pages": max(1, -(-found.total // PAGE_SIZE)),
            "query": urlencode(query),
            "filters_json": json.dumps(
                {name: value for name, value in query.items() if name != "group_by"}
            ),
        },
    )


def _situations_page(request: Request) -> str:
    """The situations page with the filters a fragment's address carried, for a fragment
    opened directly."""
    kept = [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name not in {"group", "offset"}
    ]
    return "/alerts" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/alerts/groups/alerts")
def group_rows(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    group: str = "{}",
    offset: Annotated[int, Query(ge=0, le=MAX_GROUP_OFFSET)] = 0,
) -> Response:
    """One situation's alerts, by name with units and ¥, a hundred at a time (htmx swaps
    the first into its row, each "next" button with the rows after it)."""
    if (whole := page_unless_htmx(request, _situations_page(request))) is not None:
        return whole
    bureau_only(viewer)
    values = _view_values(request)
    found = group_alerts(
        session=session,
        principal=viewer,
        group=_group(group),
        filters=_filters(values),
        limit=GROUP_ROWS,
        offset=offset,
    )
    query = {"group": group, **{name: value for name, value in values.items() if value}}
    return render(
        request,
        "alerts/_group_alerts.html",
        {
            "rows": found.items,
            "total": found.total,
            "shown": offset + len(found.items),
            "more": offset + len(found.items) < found.total,
            "next_url": "/alerts/groups/alerts?"
            + urlencode({**query, "offset": offset + GROUP_ROWS}),
            "rows_only": offset > 0,
        },
    )


@router.get("/alerts/groups/actions")
def group_actions(
    request: Request, session: SessionDep, viewer: ViewerDep, group: str = "{}"
) -> Response:
    """A situation's action forms (htmx loads them when its row is opened, keeping the
    grouped page small): acknowledge, assign to a bureau user, silence."""
    if (whole := page_unless_htmx(request, _situations_page(request))) is not None:
        return whole
    bureau_only(viewer)
    _group(group)
    return render(
        request,
        "alerts/_group_actions.html",
        {
            "group": group,
            "filters": _view_values(request),
            "assignees": group_view_choices(session=session, principal=viewer).assignees,
        },
    )


@router.get("/alerts/groups/export")
def export(
    request: Request, session: SessionDep, viewer: ViewerDep, format: ExportFormat
) -> Response:
    """The situations in view as CSV or XLSX, with the page's column titles."""
    bureau_only(viewer)
    values = _view_values(request)
    group_by = parse_group_by(values["group_by"] or None)
    found = alert_groups(
        session=session,
        principal=viewer,
        group_by=group_by,
        filters=_filters(values),
        limit=EXPORT_LIMIT,
        offset=0,
    )
    language = language_of(request)
    translate = translator(language)
    return table_response(
        [
            translate(title)
            for title in (
                *(GROUP_FIELD_TITLES[field] for field in group_by),
                *GROUP_COLUMN_TITLES,
            )
        ],
        group_table(found.items, language=language),
        format=format,
        name="alert-groups",
    )


def _back(values: dict[str, str], **done: str) -> str:
    """The grouped view with the filters it was acted on from, and what was done."""
    query = {name: value for name, value in values.items() if value}
    return "/alerts?" + urlencode({**query, **done})


GroupField = Annotated[str, Form(max_length=1000)]
ShortText = Annotated[str, Form(max_length=4000)]


async def _posted(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(value) for name, value in form.items()}


@router.post("/alerts/groups/ack", dependencies=[Depends(check_csrf)])
async def acknowledge(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    group: GroupField,
    note: ShortText = "",
) -> Response:
    """Acknowledge a whole situation with one note."""
    bureau_only(viewer)
    values = _view_values(request, await _posted(request))
    done = acknowledge_group(
        session, group=_group(group), filters=_filters(values), note=note, principal=viewer
    )
    return redirect(_back(values, acknowledged=str(len(done))))


@router.post("/alerts/groups/assign", dependencies=[Depends(check_csrf)])
async def assign(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    group: GroupField,
    assignee: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Hand a whole situation to one bureau user."""
    bureau_only(viewer)
    values = _view_values(request, await _posted(request))
    done = assign_group(
        session, group=_group(group), filters=_filters(values), assignee=assignee, principal=viewer
    )
    return redirect(_back(values, assigned=str(len(done))))


@router.post("/alerts/groups/silence", dependencies=[Depends(check_csrf)])
async def silence(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    group: GroupField,
    hours: Annotated[str, Form(max_length=16)] = "24",
    comment: ShortText = "",
    confirmed: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Silence a situation; the first post shows what will be muted and asks to confirm."""
    bureau_only(viewer)
    form = await _posted(request)
    values = _view_values(request, form)
    key = _group(group)
    filters = _filters(values)
    problems: dict[str, Text] = {}
    length = silence_hours(hours, problems)
    if (problem := comment_problem(comment)) is not None:
        problems["comment"] = problem
    if confirmed != "yes" or problems:
        matchers, count = silence_preview(session, group=key, filters=filters, principal=viewer)
        return render(
            request,
            "alerts/confirm_silence.html",
            {
                "group": group,
                "matchers": matchers,
                "count": count,
                "hours": hours,
                "comment": comment,
                "errors": problems,
                "names": matcher_names(session, language_of(request)),
                "view": values,
                "back": _back(values),
            },
            status_code=422 if problems else 200,
        )
    _, matched = silence_group(
        session, group=key, filters=filters, hours=length, comment=comment, principal=viewer
    )
    return redirect(_back(values, silenced=str(len(matched))))
