"""Dispatch plans: solve a day, edit the draft by hand, commit it; re-plan on breakdown.

Times in responses are instants in the city's time zone; distances in km, durations in
minutes, loads in kg. Every route returned has been timed from the distance matrix.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_role
from core.lookups import page
from dispatch.commitment import breakdown, commit_plan, instant
from dispatch.master_data import truck_by_plate
from dispatch.planning import MatrixUpload, PlanOptions, create_draft, discard, load_plan, move_stop
from dispatch.solver import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S
from models import (
    Compound,
    DeliveryRequest,
    Depot,
    DispatchPlan,
    PlanStatus,
    RequestPriority,
    Role,
    Truck,
    UnassignedReason,
)
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
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
    speed_kmh: float = Field(default=30, gt=0, le=150)
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


class RouteRead(ReadModel):
    truck: str
    depot: str
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
    distance_km: float
    duration_minutes: float


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


def plan_view(session: Session, plan: DispatchPlan, settings: Settings) -> PlanRead:
    """The full plan as the API shows it."""
    zone = settings.zone
    request_ids = {s.request_id for r in plan.routes for s in r.stops} | {
        u.request_id for u in plan.unassigned
    }
    requests: dict[int, tuple[DeliveryRequest, Compound]] = {
        request.id: (request, compound)
        for request, compound in session.execute(
            select(DeliveryRequest, Compound)
            .join(Compound, Compound.id == DeliveryRequest.compound_id)
            .where(DeliveryRequest.id.in_(request_ids))
        )
    }
    trucks: dict[int, tuple[Truck, str]] = {
        truck.id: (truck, depot)
        for truck, depot in session.execute(
            select(Truck, Depot.code)
            .join(Depot, Depot.id == Truck.depot_id)
            .where(Truck.id.in_([r.truck_id for r in plan.routes]))
        )
    }

    def at(seconds: int) -> datetime:
        return instant(plan.plan_date, seconds, zone)

    routes = []
    for route in plan.routes:
        truck, depot = trucks[route.truck_id]
        stops = [
            StopRead(
                sequence=stop.sequence,
                request_id=stop.request_id,
                part=stop.part,
                compound=requests[stop.request_id][1].code,
                compound_name=requests[stop.request_id][1].name,
                priority=requests[stop.request_id][0].priority,
                load_kg=stop.load_kg,
                arrival=at(stop.arrival_s),
                wait_minutes=round(stop.wait_s / 60, 1),
                departure=at(stop.departure_s),
                window_start=requests[stop.request_id][0].window_start,
                window_end=requests[stop.request_id][0].window_end,
                distance_km=round(stop.distance_m / 1000, 3),
            )
            for stop in route.stops
        ]
        distance_m = sum(s.distance_m for s in route.stops) + route.return_distance_m
        routes.append(
            RouteRead(
                truck=truck.plate,
                depot=depot,
                capacity_kg=truck.capacity_kg,
                load_kg=sum(s.load_kg for s in route.stops),
                start=at(route.start_s),
                end=at(route.end_s),
                distance_km=round(distance_m / 1000, 3),
                duration_minutes=round((route.end_s - route.start_s) / 60, 1),
                stops=stops,
            )
        )
    unassigned = [
        UnassignedRead(
            request_id=entry.request_id,
            compound=requests[entry.request_id][1].code,
            priority=requests[entry.request_id][0].priority,
            weight_kg=requests[entry.request_id][0].weight_kg,
            reason=entry.reason,
        )
        for entry in plan.unassigned
    ]
    served = {s.request_id for r in plan.routes for s in r.stops} - {
        u.request_id for u in plan.unassigned
    }
    totals = PlanTotals(
        trucks_used=len(routes),
        trucks_available=len(plan.truck_ids),
        stops=sum(len(r.stops) for r in routes),
        requests_served=len(served),
        requests_unassigned=len(unassigned),
        load_kg=sum(r.load_kg for r in routes),
        distance_km=round(sum(r.distance_km for r in routes), 3),
        duration_minutes=round(sum(r.duration_minutes for r in routes), 1),
    )
    return PlanRead(
        id=plan.id,
        date=plan.plan_date,
        status=plan.status,
        version=plan.version,
        distance_source="uploaded matrix" if plan.distance_matrix else "haversine",
        time_limit_s=plan.time_limit_s,
        solver_seconds=plan.solver_seconds,
        replaces_plan_id=plan.replaces_plan_id,
        note=plan.note,
        created_by=plan.created_by,
        created_at=plan.created_at,
        committed_by=plan.committed_by,
        committed_at=plan.committed_at,
        totals=totals,
        routes=routes,
        unassigned=unassigned,
    )


def _view(session: Session, plan_id: int, settings: Settings) -> PlanRead:
    session.expire_all()
    return plan_view(session, load_plan(session, plan_id), settings)


@router.post(
    "/dispatch/plans",
    status_code=status.HTTP_201_CREATED,
    summary="Plan a day's deliveries (a draft to review, edit and commit)",
)
def create_plan(
    body: PlanCreate, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> PlanRead:
    require_role(principal, Role.dispatcher)
    matrix: Any = body.distance_matrix
    options = PlanOptions(
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
    )
    plan = create_draft(session=session, options=options, created_by=principal.label)
    return _view(session, plan.id, settings)


@router.get("/dispatch/plans", summary="List plans")
def list_plans(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    paging: PageDep,
    plan_date: Annotated[date | None, Query(alias="date")] = None,
    plan_status: Annotated[PlanStatus | None, Query(alias="status")] = None,
) -> Page[PlanRead]:
    require_role(principal, Role.dispatcher, Role.bureau)
    query = select(DispatchPlan.id).order_by(DispatchPlan.id.desc())
    if plan_date is not None:
        query = query.where(DispatchPlan.plan_date == plan_date)
    if plan_status is not None:
        query = query.where(DispatchPlan.status == plan_status)
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_view(session, row[0], settings) for row in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/dispatch/plans/{plan_id}", summary="Read a plan")
def read_plan(
    plan_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> PlanRead:
    require_role(principal, Role.dispatcher, Role.bureau)
    return _view(session, plan_id, settings)


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
    require_role(principal, Role.dispatcher)
    move_stop(
        session=session,
        plan_id=plan_id,
        request_id=body.request_id,
        part=body.part,
        to_truck=body.to_truck,
        position=body.position,
        expected_version=body.expected_version,
    )
    return _view(session, plan_id, settings)


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
) -> PlanRead:
    require_role(principal, Role.dispatcher)
    commit_plan(
        session=session,
        plan_id=plan_id,
        expected_version=body.expected_version,
        actor=principal.label,
        zone=settings.zone,
    )
    return _view(session, plan_id, settings)


@router.post("/dispatch/plans/{plan_id}/discard", summary="Discard a draft")
def discard_plan(
    plan_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> PlanRead:
    require_role(principal, Role.dispatcher)
    discard(session=session, plan_id=plan_id)
    return _view(session, plan_id, settings)


@router.post(
    "/trucks/{plate}/breakdown",
    summary="A truck broke down: re-plan its undelivered stops on the rest of the fleet",
)
def report_breakdown(
    plate: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: BreakdownReport | None = None,
) -> list[PlanRead]:
    require_role(principal, Role.dispatcher)
    truck_by_plate(session, plate)
    plans = breakdown(
        session=session,
        plate=plate,
        actor=principal.label,
        zone=settings.zone,
        time_limit_s=(body or BreakdownReport()).time_limit_s,
    )
    return [_view(session, plan.id, settings) for plan in plans]
