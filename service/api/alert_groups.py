"""Alert groups: the situations behind the alerts (Alertmanager's ``group_by``), to read,
export, and acknowledge, assign or silence as one."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import Field

from models import AlertRule, Severity
from monitors.alerting.acknowledgement import MAX_NOTE_CHARS
from monitors.alerting.groups import acknowledge_group, assign_group, silence_group
from monitors.queries.alert_group_views import (
    GROUP_COLUMNS,
    group_table,
)
from monitors.queries.alert_groups import (
    MAX_TEXT_CHARS,
    AlertGroupFilters,
    alert_groups,
    parse_group_by,
)
from monitors.queries.alerts import StatusFilter
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.exports import XLSX_MEDIA_TYPE, ExportFormat, table_response
from service.http.schemas import PROBLEM_RESPONSES, Page, PageDep, ReadModel, StrictModel

router = APIRouter(prefix="/alert-groups", tags=["alerts"], responses=PROBLEM_RESPONSES)

EXPORT_LIMIT = 100_000
Code = Annotated[str, Field(min_length=1, max_length=64)]


class GroupLabelRead(ReadModel):
    field: str = Field(description="district, category, product, rule, store or chain")
    code: str | None = Field(description="None when the alerts lack it (a city-wide alert)")
    name: str | None
    name_zh: str | None


class AlertGroupRead(ReadModel):
    labels: list[GroupLabelRead]
    key: dict[str, str | None] = Field(description="What a group action names as `group`")
    alerts: int = Field(description="Alerts in the group within the filters")
    firing: int
    acknowledged: int
    pending: int
    worst_severity: Severity
    stores_affected: int = Field(description="Stores with an alert in the group")
    stores_in_scope: int = Field(description="Active stores of its district, chain or store")
    share_of_stores: float | None = Field(
        description=(
            "stores_affected ÷ stores_in_scope; null when no alert of the group is about a store"
        )
    )
    people: int | None = Field(description="People living in its districts")
    since: datetime = Field(description="When its earliest alert was first seen")
    since_date: date
    last_seen_at: datetime
    acknowledged_by: list[str]
    assignees: list[str]


class GroupFiltersIn(StrictModel):
    """The view's filters, so an action touches exactly what the row showed."""

    district: Code | None = None
    product: Code | None = None
    store: Code | None = None
    category: Code | None = None
    status: StatusFilter | None = StatusFilter.open
    severity: Severity | None = None
    rule: AlertRule | None = None
    text: Annotated[str, Field(max_length=MAX_TEXT_CHARS)] | None = None

    def domain(self) -> AlertGroupFilters:
        return AlertGroupFilters(**self.model_dump())


class GroupActionIn(StrictModel):
    group: dict[str, Code | None] = Field(
        description="The group's `key`", examples=[{"district": "410403", "category": "meat"}]
    )
    filters: GroupFiltersIn = Field(default_factory=GroupFiltersIn)


class GroupAckIn(GroupActionIn):
    note: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class GroupAssignIn(GroupActionIn):
    assignee: str = Field(min_length=1, max_length=64, description="A bureau user's username")
    note: Annotated[str, Field(max_length=MAX_NOTE_CHARS)] | None = None


class GroupSilenceIn(GroupActionIn):
    hours: float = Field(gt=0, le=90 * 24, description="How long to mute it")
    comment: str = Field(min_length=1, max_length=MAX_NOTE_CHARS)


class GroupActionRead(ReadModel):
    alerts: list[int] = Field(description="Ids of the alerts acted on")
    silence: int | None = Field(default=None, description="The silence created")


@router.get(
    "",
    summary="Alerts grouped into situations (default district × category), worst first",
    response_model=Page[AlertGroupRead],
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            },
            "description": "JSON, or the file with ?format=csv|xlsx",
        }
    },
)
def list_alert_groups(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    group_by: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Comma-separated: district, category, product, rule, store, chain",
        ),
    ] = None,
    district: Annotated[Code | None, Query(description="District code (also its stores)")] = None,
    product: Annotated[Code | None, Query(description="Product code")] = None,
    store: Annotated[Code | None, Query(description="Store code")] = None,
    category: Annotated[Code | None, Query(description="Category code")] = None,
    status: StatusFilter | None = StatusFilter.open,
    severity: Severity | None = None,
    rule: AlertRule | None = None,
    text: Annotated[
        str | None, Query(max_length=MAX_TEXT_CHARS, description="Words in names or summaries")
    ] = None,
    format: Annotated[
        ExportFormat | None, Query(description="csv or xlsx: download every group")
    ] = None,
) -> Page[AlertGroupRead] | Response:
    fields = parse_group_by(group_by)
    filters = AlertGroupFilters(
        district=district,
        product=product,
        store=store,
        category=category,
        status=status,
        severity=severity,
        rule=rule,
        text=text,
    )
    exporting = format is not None
    found = alert_groups(
        session=session,
        principal=principal,
        group_by=fields,
        filters=filters,
        limit=EXPORT_LIMIT if exporting else paging.limit,
        offset=0 if exporting else paging.offset,
    )
    if format is not None:
        return table_response(
            [*fields, *GROUP_COLUMNS], group_table(found.items), format=format, name="alert-groups"
        )
    return Page(
        items=[
            AlertGroupRead.model_validate({**vars(group), "key": group.key})
            for group in found.items
        ],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post("/ack", summary="Acknowledge every firing alert of a group, with one note")
def ack_group(body: GroupAckIn, session: SessionDep, principal: PrincipalDep) -> GroupActionRead:
    done = acknowledge_group(
        session,
        group=body.group,
        filters=body.filters.domain(),
        note=body.note,
        principal=principal,
    )
    return GroupActionRead(alerts=[alert.id for alert in done])


@router.post("/assign", summary="Assign every open alert of a group to a bureau user")
def assign(body: GroupAssignIn, session: SessionDep, principal: PrincipalDep) -> GroupActionRead:
    done = assign_group(
        session,
        group=body.group,
        filters=body.filters.domain(),
        assignee=body.assignee,
        note=body.note,
        principal=principal,
    )
    return GroupActionRead(alerts=[alert.id for alert in done])


@router.post("/silence", summary="Silence a group: matchers are its labels, for some hours")
def silence(body: GroupSilenceIn, session: SessionDep, principal: PrincipalDep) -> GroupActionRead:
    created, matched = silence_group(
        session,
        group=body.group,
        filters=body.filters.domain(),
        hours=body.hours,
        comment=body.comment,
        principal=principal,
    )
    return GroupActionRead(alerts=matched, silence=created.id)
