"""Dispatch plans as dispatchers and the bureau read them, and what the plan page shows
beside a plan (the map's places, the trucks a stop may move to, delivery progress, the
contacts on the printed manifests).

Times are instants in the city's time zone, distances in km, durations in minutes and
loads in kg; every route shown was timed from the distance matrix when it was stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import NotFound
from core.lookups import PageOf, page
from dispatch.access import plans_within_region, require_dispatch_reader, require_plan_in_region
from dispatch.commitment import instant
from dispatch.master_data import seconds_of_day
from dispatch.queries.deliveries import ManifestItem, items_to_hand_over
from models import (
    Compound,
    Delivery,
    DeliveryRequest,
    DeliveryStatus,
    Depot,
    DispatchPlan,
    PlanRoute,
    PlanStatus,
    PlanStop,
    PlanUnassigned,
    RequestPriority,
    Truck,
    UnassignedReason,
)

StopKey = tuple[int, int | None]
"""A stop of a plan by (request id, part index or None when the request is not split)."""


@dataclass(frozen=True, slots=True)
class StopView:
    """One stop of a route: whose request, how much, and when the truck is there."""

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
    window_start: time
    window_end: time
    distance_km: float
    late: bool
    """Service starts after the window closes (a time window violation)."""


@dataclass(frozen=True, slots=True)
class RouteView:
    """One truck's route from its depot and back."""

    truck: str
    depot: str
    depot_name: str
    capacity_kg: int
    load_kg: int
    start: datetime
    end: datetime
    distance_km: float
    duration_minutes: float
    stops: list[StopView]


@dataclass(frozen=True, slots=True)
class UnassignedView:
    """A request the plan leaves out, and why."""

    request_id: int
    compound: str
    compound_name: str
    priority: RequestPriority
    weight_kg: float
    reason: UnassignedReason


@dataclass(frozen=True, slots=True)
class PlanTotals:
    """What the whole plan uses and serves."""

    trucks_used: int
    trucks_available: int
    stops: int
    requests_served: int
    requests_unassigned: int
    load_kg: int
    capacity_kg: int
    """Capacity of the trucks used: how full the plan's trucks leave."""
    distance_km: float
    duration_minutes: float
    late_stops: int
    """Stops served after their window closes (time window violations)."""


@dataclass(frozen=True, slots=True)
class PlanView:
    """A plan with its routes, what it leaves out and its totals."""

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
    routes: list[RouteView]
    unassigned: list[UnassignedView]


def plan_view(*, session: Session, plan_id: int, zone: ZoneInfo) -> PlanView:
    """The plan as it stands now, or 404, for a plan the caller was just allowed to create
    or change (its routes are read afresh: commits change plans by conditional UPDATEs).

    Routes, stops and unassigned requests are read as plain rows joined to their trucks,
    depots, requests and compounds (three queries): building ORM objects for a day's
    hundreds of stops took most of the plan page's time."""
    session.expire_all()
    plan = session.get(DispatchPlan, plan_id)
    if plan is None:
        raise NotFound("dispatch plan {plan_id} not found", plan_id=plan_id)

    def at(seconds: int) -> datetime:
        return instant(plan.plan_date, seconds, zone)

    stops_by_route: dict[int, list[StopView]] = {}
    metres: dict[int, int] = {}
    for row in session.execute(
        select(
            PlanStop.route_id,
            PlanStop.sequence,
            PlanStop.request_id,
            PlanStop.part,
            PlanStop.load_kg,
            PlanStop.arrival_s,
            PlanStop.wait_s,
            PlanStop.departure_s,
            PlanStop.distance_m,
            Compound.code,
            Compound.name,
            DeliveryRequest.priority,
            DeliveryRequest.window_start,
            DeliveryRequest.window_end,
        )
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .join(DeliveryRequest, DeliveryRequest.id == PlanStop.request_id)
        .join(Compound, Compound.id == DeliveryRequest.compound_id)
        .where(PlanRoute.plan_id == plan_id)
        .order_by(PlanStop.route_id, PlanStop.sequence)
    ):
        stops_by_route.setdefault(row.route_id, []).append(
            StopView(
                sequence=row.sequence,
                request_id=row.request_id,
                part=row.part,
                compound=row.code,
                compound_name=row.name,
                priority=row.priority,
                load_kg=row.load_kg,
                arrival=at(row.arrival_s),
                wait_minutes=round(row.wait_s / 60, 1),
                departure=at(row.departure_s),
                window_start=row.window_start,
                window_end=row.window_end,
                distance_km=round(row.distance_m / 1000, 3),
                late=row.arrival_s + row.wait_s > seconds_of_day(row.window_end),
            )
        )
        metres[row.route_id] = metres.get(row.route_id, 0) + row.distance_m
    routes = []
    for route_id, start_s, end_s, return_m, plate, capacity, depot, depot_name in session.execute(
        select(
            PlanRoute.id,
            PlanRoute.start_s,
            PlanRoute.end_s,
            PlanRoute.return_distance_m,
            Truck.plate,
            Truck.capacity_kg,
            Depot.code,
            Depot.name,
        )
        .join(Truck, Truck.id == PlanRoute.truck_id)
        .join(Depot, Depot.id == Truck.depot_id)
        .where(PlanRoute.plan_id == plan_id)
        .order_by(PlanRoute.id)
    ):
        stops = stops_by_route.get(route_id, [])
        distance_m = metres.get(route_id, 0) + return_m
        routes.append(
            RouteView(
                truck=plate,
                depot=depot,
                depot_name=depot_name,
                capacity_kg=capacity,
                load_kg=sum(stop.load_kg for stop in stops),
                start=at(start_s),
                end=at(end_s),
                distance_km=round(distance_m / 1000, 3),
                duration_minutes=round((end_s - start_s) / 60, 1),
                stops=stops,
            )
        )
    unassigned = [
        UnassignedView(
            request_id=request_id,
            compound=code,
            compound_name=name,
            priority=priority,
            weight_kg=weight_kg,
            reason=reason,
        )
        for request_id, code, name, priority, weight_kg, reason in session.execute(
            select(
                PlanUnassigned.request_id,
                Compound.code,
                Compound.name,
                DeliveryRequest.priority,
                DeliveryRequest.weight_kg,
                PlanUnassigned.reason,
            )
            .join(DeliveryRequest, DeliveryRequest.id == PlanUnassigned.request_id)
            .join(Compound, Compound.id == DeliveryRequest.compound_id)
            .where(PlanUnassigned.plan_id == plan_id)
            .order_by(PlanUnassigned.id)
        )
    ]
    served = {stop.request_id for route in routes for stop in route.stops} - {
        entry.request_id for entry in unassigned
    }
    totals = PlanTotals(
        trucks_used=len(routes),
        trucks_available=len(plan.truck_ids),
        stops=sum(len(r.stops) for r in routes),
        requests_served=len(served),
        requests_unassigned=len(unassigned),
        load_kg=sum(r.load_kg for r in routes),
        capacity_kg=sum(r.capacity_kg for r in routes),
        distance_km=round(sum(r.distance_km for r in routes), 3),
        duration_minutes=round(sum(r.duration_minutes for r in routes), 1),
        late_stops=sum(stop.late for r in routes for stop in r.stops),
    )
    return PlanView(
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


def read_plan(*, session: Session, principal: Principal, plan_id: int, zone: ZoneInfo) -> PlanView:
    """One plan with its routes, or 404 (also, for staff bound to a region, when any of
    its stops or unassigned requests is of a compound outside it)."""
    require_dispatch_reader(principal)
    require_plan_in_region(session, principal, plan_id)
    return plan_view(session=session, plan_id=plan_id, zone=zone)


def list_plans(
    *,
    session: Session,
    principal: Principal,
    plan_date: date | None = None,
    status: PlanStatus | None = None,
    zone: ZoneInfo,
    limit: int,
    offset: int,
) -> PageOf[PlanView]:
    """Plans, newest first, of one day or in one status when asked; staff bound to a
    region see only plans wholly inside it (``plans_within_region``)."""
    require_dispatch_reader(principal)
    query = select(DispatchPlan.id).where(plans_within_region(principal, DispatchPlan.id))
    query = query.order_by(DispatchPlan.id.desc())
    if plan_date is not None:
        query = query.where(DispatchPlan.plan_date == plan_date)
    if status is not None:
        query = query.where(DispatchPlan.status == status)
    rows, total = page(session, query, limit=limit, offset=offset)
    views = [plan_view(session=session, plan_id=row[0], zone=zone) for row in rows]
    return PageOf(views, total, limit, offset)


def plans_of_day(
    *, session: Session, principal: Principal, day: date, limit: int = 20
) -> list[DispatchPlan]:
    """The day's latest plans (without their routes), newest first, for the board (only
    those wholly inside the region of staff bound to one)."""
    require_dispatch_reader(principal)
    return list(
        session.scalars(
            select(DispatchPlan)
            .where(DispatchPlan.plan_date == day, plans_within_region(principal, DispatchPlan.id))
            .order_by(DispatchPlan.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True, slots=True)
class Place:
    """Where a depot or compound of a plan is, to draw it on a map."""

    lon: float
    lat: float
    name: str
    kind: Literal["compound", "depot"]


def plan_places(*, session: Session, plan: PlanView) -> dict[str, Place]:
    """The plan's depots and compounds (served or not) by code."""
    compounds = {stop.compound for route in plan.routes for stop in route.stops}
    compounds |= {entry.compound for entry in plan.unassigned}
    places = {
        code: Place(lon=lon, lat=lat, name=name, kind="compound")
        for code, name, lon, lat in session.execute(
            select(Compound.code, Compound.name, Compound.longitude, Compound.latitude).where(
                Compound.code.in_(sorted(compounds))
            )
        )
    }
    depots = {route.depot for route in plan.routes}
    for code, name, lon, lat in session.execute(
        select(Depot.code, Depot.name, Depot.longitude, Depot.latitude).where(
            Depot.code.in_(sorted(depots))
        )
    ):
        places[code] = Place(lon=lon, lat=lat, name=name, kind="depot")
    return places


def latest_plan_of_truck(*, session: Session, plate: str) -> int | None:
    """The newest committed plan with a route of the truck (the page its breakdown form
    is on), or None: a refused breakdown shows that plan again."""
    return session.scalar(
        select(PlanRoute.plan_id)
        .join(Truck, Truck.id == PlanRoute.truck_id)
        .join(DispatchPlan, DispatchPlan.id == PlanRoute.plan_id)
        .where(Truck.plate == plate, DispatchPlan.status == PlanStatus.committed)
        .order_by(DispatchPlan.plan_date.desc(), DispatchPlan.id.desc())
        .limit(1)
    )


def plan_truck_plates(*, session: Session, plan_id: int) -> list[str]:
    """Plates of every truck the plan may use (a stop can move to an idle one too)."""
    truck_ids = session.get_one(DispatchPlan, plan_id).truck_ids
    return list(
        session.scalars(select(Truck.plate).where(Truck.id.in_(truck_ids)).order_by(Truck.plate))
    )


def delivery_statuses(
    *, session: Session, plan_id: int
) -> dict[tuple[int, int | None], DeliveryStatus]:
    """Where each stop of a committed plan stands, by (request id, part)."""
    return {
        (request_id, part): status
        for request_id, part, status in session.execute(
            select(Delivery.request_id, Delivery.part, Delivery.status).where(
                Delivery.plan_id == plan_id
            )
        )
    }


@dataclass(frozen=True, slots=True)
class CompoundContact:
    """Where a compound's gate is and who receives there."""

    address: str | None
    contact_name: str | None
    contact_phone: str | None


@dataclass(frozen=True, slots=True)
class TruckCrew:
    """Who drives a truck and how to reach them."""

    crew: str | None
    crew_phone: str | None


@dataclass(frozen=True, slots=True)
class RouteContacts:
    """Contacts printed on a plan's manifests: the active compounds it serves by code, and
    its trucks' crews by plate."""

    compounds: dict[str, CompoundContact]
    crews: dict[str, TruckCrew]
    items: dict[int, list[ManifestItem]]
    """What each stop's request ordered, by request id."""


def route_contacts(*, session: Session, plan: PlanView) -> RouteContacts:
    """Who to call at each stop and on each truck of the plan's routes."""
    codes = sorted({stop.compound for route in plan.routes for stop in route.stops})
    plates = sorted({route.truck for route in plan.routes})
    compounds = {
        code: CompoundContact(address, name, phone)
        for code, address, name, phone in session.execute(
            select(
                Compound.code, Compound.address, Compound.contact_name, Compound.contact_phone
            ).where(Compound.code.in_(codes), Compound.active.is_(True))
        )
    }
    crews = {
        plate: TruckCrew(crew, phone)
        for plate, crew, phone in session.execute(
            select(Truck.plate, Truck.crew, Truck.crew_phone).where(Truck.plate.in_(plates))
        )
    }
    request_ids = {stop.request_id for route in plan.routes for stop in route.stops}
    return RouteContacts(
        compounds=compounds, crews=crews, items=items_to_hand_over(session, request_ids)
    )
