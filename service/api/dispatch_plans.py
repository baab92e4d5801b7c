"""Dispatch plans: solve a day, edit the draft by hand, commit it; re-plan on breakdown.

Times in responses are instants in the city's time zone; distances in km, durations in
minutes, loads in kg. Every route returned has been timed from the distance matrix.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import Field
from sqlalchemy.orm import Session

from core.documents import PDF_MEDIA_TYPE
from dispatch.access import require_plan_writer
from dispatch.commitment import breakdown, commit_plan
from dispatch.plan_rows import MatrixUpload
from dispatch.planning import PlanOptions, create_draft, discard, move_stop
from dispatch.queries import plans as queries
from dispatch.solver import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S
from models import PlanStatus, RequestPriority, UnassignedReason
from models.base import utc_now
from pass_office.fleet import issue_plan_passes
from pass_office.printing import plan_passes_pdf
from service.configuration import business_today
from service.http.dependencies import (
    LONG_WORK,
    PassAuthorityDep,
    PrincipalDep,
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
)
from service.http.schemas import (
    PROBLEM_RESPONSES,
    ClockTime,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)
from service.settings import Settings
from service.translations import translations

router = APIRouter(tags=["dispatch"], responses=PROBLEM_RESPONSES)

MAX_ID = 2_147_483_647
"""Ids and versions are 32-bit integers in the database."""


class DistanceMatrix(StrictModel):
    locations: list[str] = Field(
        min_length=1,
        max_length=5000,
        description="Depot and compound codes naming the rows and columns, in order",
    )
    distance_m: list[list[float]] = Field(description="Metres from row to column")
    duration_s: list[list[float]] | None = Field(
        default=None, description="Seconds from row to column (default: at speed_kmh)"
    )


class PlanCreate(StrictModel):
    date: date
    request_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        default=None, max_length=20_000, description="Default: every open request of the day"
    )
    trucks: list[str] | None = Field(
        default=None, max_length=5_000, description="Plates; default: every available truck"
    )
    time_limit_s: float = Field(
        default=DEFAULT_TIME_LIMIT_S, ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S
    )
    service_minutes: float = Field(default=10, ge=0, le=240, description="Time at each gate")
    road_factor: float = Field(default=1.3, ge=1, le=5)
    speed_kmh: float = Field(default=30, ge=1, le=150)  # slower overflows the durations
    distance_matrix: DistanceMatrix | None = None
    note: str | None = Field(default=None, max_length=300)


class StopMove(StrictModel):
    request_id: int = Field(ge=1, le=MAX_ID)
    part: int | None = Field(default=None, ge=0, le=10_000, description="For a split request")
    to_truck: str | None = Field(description="Plate; null takes the stop off the plan")
    position: int | None = Field(
        default=None, ge=0, le=100_000, description="0 = first; default: last"
    )
    expected_version: int = Field(
        ge=1, le=MAX_ID, description="The plan version the edit is based on"
    )


class PlanCommit(StrictModel):
    expected_version: int = Field(
        ge=1, le=MAX_ID, description="The plan version the dispatcher reviewed"
    )


class BreakdownReport(StrictModel):
    time_limit_s: float = Field(default=5.0, ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S)


class StopRead(ReadModel):
    sequence: int
    request_id: int
    part: int | None
    compound: str
    compound_name: str
    priority: RequestPriority
    load_kg: int
    arrival: datetime
    wait_minutes: float
    departure: datetime
    window_start: ClockTime
    window_end: ClockTime
    distance_km: float
    late: bool


class RouteRead(ReadModel):
    truck: str
    depot: str
    depot_name: str
    capacity_kg: int
    load_kg: int
    start: datetime
    end: datetime
    distance_km: float
    duration_minutes: float
    stops: list[StopRead]


class UnassignedRead(ReadModel):
    request_id: int
    compound: str
    compound_name: str
    priority: RequestPriority
    weight_kg: float
    reason: UnassignedReason


class PlanTotals(ReadModel):
    trucks_used: int
    trucks_available: int
    stops: int
    requests_served: int
    requests_unassigned: int
    load_kg: int
    capacity_kg: int
    distance_km: float
    duration_minutes: float
    late_stops: int


class PlanRead(ReadModel):
    id: int
    date: date
    status: PlanStatus
    version: int
    distance_source: str
    time_limit_s: float
    solver_seconds: float
    replaces_plan_id: int | None
    note: str | None
    created_by: str | None
    created_at: datetime
    committed_by: str | None
    committed_at: datetime | None
    totals: PlanTotals
    routes: list[RouteRead]
    unassigned: list[UnassignedRead]


def plan_options(body: PlanCreate, settings: Settings) -> PlanOptions:
    """The planning options a request body asks for, today."""
    matrix = body.distance_matrix
    return PlanOptions(
        plan_date=body.date,
        request_ids=body.request_ids,
        truck_plates=body.trucks,
        time_limit_s=body.time_limit_s,
        service_s=round(body.service_minutes * 60),
        road_factor=body.road_factor,
        speed_kmh=body.speed_kmh,
        matrix=None
        if matrix is None
        else MatrixUpload(matrix.locations, matrix.distance_m, matrix.duration_s),
        note=body.note,
        today=business_today(settings),
    )


def _changed_plan(session: Session, plan_id: int, settings: Settings) -> PlanRead:
    """The plan a command just created or changed, as the response shows it."""
    view = queries.plan_view(session=session, plan_id=plan_id, zone=settings.zone)
    return PlanRead.model_validate(view)


@router.post(
    "/dispatch/plans",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a day's deliveries now (a draft to review, edit and commit)",
    dependencies=[LONG_WORK],
)
def create_plan(
    body: PlanCreate,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> PlanRead:
    """Solves within the request: for small days and scripts. A day that takes longer
    than a client waits goes through ``POST /dispatch/plan-jobs`` (solved on the task
    queue, with progress)."""
    require_plan_writer(principal)
    plan = create_draft(
        session=session,
        options=plan_options(body, settings),
        created_by=principal.label,
        read_in=session_factory,
    )
    return _changed_plan(session, plan.id, settings)


@router.get("/dispatch/plans", summary="List plans")
def list_plans(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    paging: PageDep,
    plan_date: Annotated[date | None, Query(alias="date")] = None,
    plan_status: Annotated[PlanStatus | None, Query(alias="status")] = None,
) -> Page[PlanRead]:
    found = queries.list_plans(
        session=session,
        principal=principal,
        plan_date=plan_date,
        status=plan_status,
        zone=settings.zone,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[PlanRead].model_validate(found, from_attributes=True)


@router.get("/dispatch/plans/{plan_id}", summary="Read a plan")
def read_plan(
    plan_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> PlanRead:
    view = queries.read_plan(
        session=session, principal=principal, plan_id=plan_id, zone=settings.zone
    )
    return PlanRead.model_validate(view)


@router.post(
    "/dispatch/plans/{plan_id}/moves",
    summary="Move a stop to another truck or position (re-checked; nothing saved if invalid)",
)
def move(
    plan_id: DatabaseId,
    body: StopMove,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> PlanRead:
    require_plan_writer(principal)
    move_stop(
        session=session,
        plan_id=plan_id,
        request_id=body.request_id,
        part=body.part,
        to_truck=body.to_truck,
        position=body.position,
        expected_version=body.expected_version,
    )
    return _changed_plan(session, plan_id, settings)


@router.post(
    "/dispatch/plans/{plan_id}/commit",
    summary="Commit a draft: create its deliveries and assign its requests",
)
def commit(
    plan_id: DatabaseId,
    body: PlanCommit,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    authority: PassAuthorityDep,
) -> PlanRead:
    require_plan_writer(principal)
    commit_plan(
        session=session,
        plan_id=plan_id,
        expected_version=body.expected_version,
        actor=principal.label,
        zone=settings.zone,
    )
    issue_plan_passes(
        session=session,
        plan_id=plan_id,
        authority=authority,
        actor=principal.label,
        now=utc_now(),
        zone=settings.zone,
    )
    return _changed_plan(session, plan_id, settings)


@router.get(
    "/dispatch/plans/{plan_id}/passes/pdf",
    summary="The passes of a committed plan's trucks, printed: one PDF page per truck",
    dependencies=[LONG_WORK],
    response_class=Response,
    responses={200: {"content": {PDF_MEDIA_TYPE: {}}}},
)
def plan_passes(
    plan_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> Response:
    require_plan_writer(principal)
    content = plan_passes_pdf(
        session=session,
        plan_id=plan_id,
        now=utc_now(),
        zone=settings.zone,
        font_file=settings.pdf_font_file,
        chinese=translations("zh").gettext,
    )
    return Response(
        content,
        media_type=PDF_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="plan-{plan_id}-passes.pdf"'},
    )


@router.post("/dispatch/plans/{plan_id}/discard", summary="Discard a draft")
def discard_plan(
    plan_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> PlanRead:
    require_plan_writer(principal)
    discard(session=session, plan_id=plan_id)
    return _changed_plan(session, plan_id, settings)


@router.post(
    "/trucks/{plate}/breakdown",
    summary="A truck broke down: re-plan its undelivered stops on the rest of the fleet",
    dependencies=[LONG_WORK],
)
def report_breakdown(
    plate: str,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: BreakdownReport | None = None,
) -> list[PlanRead]:
    require_plan_writer(principal)
    plans = breakdown(
        session=session,
        read_in=session_factory,
        plate=plate,
        actor=principal.label,
        zone=settings.zone,
        time_limit_s=(body or BreakdownReport()).time_limit_s,
    )
    return [_changed_plan(session, plan.id, settings) for plan in plans]
