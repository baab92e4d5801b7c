"""Draft plans: solve a day into a draft, edit it by hand, discard it.

A draft is solved from the open requests and available trucks the dispatcher names
(``dispatch.plan_rows`` builds the routing problem and stores the answer), and every
hand edit is re-timed and re-checked by the independent schedule checker
(``dispatch.schedule``) before anything is saved. Committing a draft and re-planning
after a breakdown live in ``dispatch.commitment``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.database import SessionFactory, mark_read_only
from core.errors import Conflict, InvalidInput, NotFound
from core.text import Text, field_problem, in_turn, phrase
from core.typed_text import checked_line
from core.words import word
from dispatch.demand import REQUEST_DAYS_AHEAD
from dispatch.master_data import seconds_of_day
from dispatch.plan_rows import (
    MatrixUpload,
    PlanInputs,
    build_inputs,
    check_matrix,
    committed_route_ends,
    inputs_of,
    kg_still_to_plan,
    store_plan,
)
from dispatch.routing_problem import (
    DEFAULT_SERVICE_S,
    Plan,
    PlannedRoute,
    PlannedStop,
    RoutingInputError,
    RoutingProblem,
    Unassigned,
    UnassignedReason,
)
from dispatch.schedule import Naming, StopRef, evaluate_routes, minute_up
from dispatch.solver import plan_routes, validate_time_limit
from models import (
    Compound,
    DeliveryRequest,
    DispatchPlan,
    PlanRoute,
    PlanStatus,
    PlanStop,
    RequestStatus,
    Truck,
    TruckStatus,
)

FIRST_PLAN_DAY = date(2000, 1, 1)
LAST_PLAN_DAY = date(2999, 12, 31)
"""The days a plan may be for: the calendar the pages show (``service.web.common.PageDay``)."""
PLAN_DAYS_AHEAD = REQUEST_DAYS_AHEAD
"""How far ahead of today a dispatcher may plan: as far as requests may be made."""
PLAN_DAYS_BEHIND = 1
"""How far back: yesterday, for a night shift still delivering its day."""
PLAN_NOTE_CHARS = 300
"""The longest note a plan keeps (its column's length)."""


def _invalid(loc: Sequence[str | int], message: Text) -> InvalidInput:
    return InvalidInput(message, errors=[field_problem(["body", *loc], message)])


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """What the dispatcher asked for (None: all open requests / all available trucks)."""

    plan_date: date
    request_ids: list[int] | None = None
    truck_plates: list[str] | None = None
    time_limit_s: float = 10.0
    service_s: int = DEFAULT_SERVICE_S
    road_factor: float = 1.3
    speed_kmh: float = 30.0
    matrix: MatrixUpload | None = None
    note: str | None = None
    today: date | None = None
    """The business day the plan is asked for on: the plan's day must be from
    ``PLAN_DAYS_BEHIND`` before it to ``PLAN_DAYS_AHEAD`` after it, so a mistyped year
    cannot sweep every open request onto a far day. None (benches, a queued job run
    after it was checked) keeps only the calendar's bounds."""


@dataclass(frozen=True, slots=True)
class DayToPlan:
    """What a plan of the day is solved from, read once by ``check_options``."""

    trucks: list[Truck]
    requests: list[DeliveryRequest]
    kg_to_plan: dict[int, int]
    """Each request's kilograms left to plan (``kg_still_to_plan``)."""
    back_at_s: dict[int, int]
    """Trucks out on a committed route of the day, to when it brings them back."""


def _open_requests(
    session: Session, options: PlanOptions
) -> tuple[list[DeliveryRequest], dict[int, int]]:
    """The open requests to plan with their kilograms left: those named, or every one due
    on or before the day at an active compound; a request whose kilograms committed
    deliveries already carry (``kg_still_to_plan``) has nothing left to plan."""
    if options.request_ids is None:
        due = list(
            session.scalars(
                select(DeliveryRequest)
                .join(Compound, Compound.id == DeliveryRequest.compound_id)
                .where(
                    DeliveryRequest.status == RequestStatus.open,
                    DeliveryRequest.delivery_date <= options.plan_date,
                    Compound.active.is_(True),
                )
                .order_by(DeliveryRequest.id)
            )
        )
        left = kg_still_to_plan(session, due)
        return [request for request in due if left[request.id] > 0], left
    wanted = sorted(set(options.request_ids))
    found = {
        r.id: r
        for r in session.scalars(select(DeliveryRequest).where(DeliveryRequest.id.in_(wanted)))
    }
    left = kg_still_to_plan(session, list(found.values()))
    inactive = set(
        session.scalars(
            select(DeliveryRequest.id)
            .join(Compound, Compound.id == DeliveryRequest.compound_id)
            .where(DeliveryRequest.id.in_(wanted), Compound.active.is_(False))
        )
    )

    def refusal(rid: int) -> Text | None:
        """Why a named request cannot go on this plan: the rules of the unnamed case."""
        request = found.get(rid)
        if request is None:
            return phrase("unknown delivery request {request_id}", request_id=rid)
        if request.status is not RequestStatus.open:
            return phrase(
                "request {request_id} is {status}, not open",
                request_id=rid,
                status=word(request.status),
            )
        if left[rid] == 0:
            return phrase(
                "request {request_id} has nothing left to plan: its deliveries carry all of it",
                request_id=rid,
            )
        if request.delivery_date > options.plan_date:
            return phrase(
                "request {request_id} is for {day}, after the plan's day",
                request_id=rid,
                day=request.delivery_date,
            )
        if rid in inactive:
            return phrase(
                "request {request_id} is for a compound that is no longer served", request_id=rid
            )
        return None

    errors = [
        field_problem(["body", "request_ids", index], reason)
        for index, rid in enumerate(options.request_ids)
        if (reason := refusal(rid)) is not None
    ]
    if errors:
        raise InvalidInput(
            "{count} request id(s) cannot be planned", errors=errors, count=len(errors)
        )
    return [found[rid] for rid in wanted], left


def _available_trucks(
    session: Session, options: PlanOptions, back_at: Mapping[int, int]
) -> list[Truck]:
    """The trucks to plan with: those named, or every available one at an open depot whose
    shift is not taken up to its end by the day's committed routes (a truck already out
    on one is planned from the moment it is back, ``committed_route_ends``)."""
    plates = options.truck_plates
    query = select(Truck).options(selectinload(Truck.depot)).order_by(Truck.plate)

    def refusal(truck: Truck) -> Text | None:
        """Why this truck cannot drive a route of the day, if it cannot."""
        if truck.status is not TruckStatus.available:
            return phrase("truck {plate} is out of service", plate=truck.plate)
        if not truck.depot.active:
            return phrase(
                "truck {plate} is based at depot {depot}, which is closed",
                plate=truck.plate,
                depot=truck.depot.code,
            )
        if back_at.get(truck.id, 0) >= seconds_of_day(truck.shift_end):
            return phrase(
                "truck {plate} is on a committed route of {day} until {until}, "
                "the end of its shift",
                plate=truck.plate,
                day=options.plan_date,
                until=minute_up(back_at[truck.id]),
            )
        return None

    if plates is None:
        available = session.scalars(query.where(Truck.status == TruckStatus.available))
        return [truck for truck in available if refusal(truck) is None]
    found = {t.plate: t for t in session.scalars(query.where(Truck.plate.in_(set(plates))))}
    errors = [
        field_problem(["body", "trucks", index], reason)
        for index, plate in enumerate(plates)
        if (
            reason := (
                refusal(found[plate])
                if plate in found
                else phrase("unknown truck {plate!r}", plate=plate)
            )
        )
        is not None
    ]
    if errors:
        raise InvalidInput("{count} truck(s) cannot be used", errors=errors, count=len(errors))
    return [found[plate] for plate in sorted(set(plates))]


def create_draft(
    *,
    session: Session,
    options: PlanOptions,
    created_by: str,
    read_in: SessionFactory | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> DispatchPlan:
    """Solve the requested day and store it as a draft the dispatcher can edit and commit.

    With ``read_in`` the day is read in a short read-only transaction of its own and
    solved outside any transaction, so minutes of solving hold no lock (SQLite's write
    lock, PostgreSQL's snapshot); ``session`` then only writes the draft. A draft assigns
    nothing, and committing it re-checks every request and truck, so a day that changed
    while it was solved is caught there. No trucks or no requests is a 422 that says which,
    never an empty plan. ``on_progress`` hears the share of the time limit spent."""
    limit = validate_time_limit(time_limit_s=options.time_limit_s)
    if read_in is None:
        trucks, inputs = _day_to_plan(session, options)
    else:
        with read_in() as reading:
            mark_read_only(reading)
            trucks, inputs = _day_to_plan(reading, options)
    plan = plan_routes(problem=inputs.problem, time_limit_s=limit, on_progress=on_progress)
    row = DispatchPlan(
        plan_date=options.plan_date,
        status=PlanStatus.draft,
        version=1,
        truck_ids=[t.id for t in trucks],
        time_limit_s=limit,
        service_s=options.service_s,
        road_factor=options.road_factor,
        speed_kmh=options.speed_kmh,
        distance_matrix=None if options.matrix is None else options.matrix.as_json(),
        solver_seconds=round(plan.runtime_s, 3),
        note=options.note,
        created_by=created_by,
    )
    return store_plan(session, row, plan, inputs)


def check_options(*, session: Session, options: PlanOptions) -> DayToPlan:
    """The day the options name (its trucks and requests, what is left of each request and
    when each busy truck is back), or 422 saying which field is wrong (an
    unknown or unavailable truck or request, none at all, a time limit out of range, a
    distance matrix that does not fit them): what a plan job checks before it is queued."""
    first, last = FIRST_PLAN_DAY, LAST_PLAN_DAY
    if options.today is not None:
        first = options.today - timedelta(days=PLAN_DAYS_BEHIND)
        last = options.today + timedelta(days=PLAN_DAYS_AHEAD)
    if not first <= options.plan_date <= last:
        # The planner takes every open request dated on or before the day: a plan dated
        # 9999-12-31 swept them all onto a day the manifests page cannot even show.
        raise _invalid(["date"], phrase("must be from {first} to {last}", first=first, last=last))
    validate_time_limit(time_limit_s=options.time_limit_s)
    checked_line(options.note, "note", limit=PLAN_NOTE_CHARS)
    back_at = committed_route_ends(session, options.plan_date)
    trucks = _available_trucks(session, options, back_at)
    if not trucks:
        raise _invalid(["trucks"], phrase("no available truck to plan with"))
    requests, left = _open_requests(session, options)
    if not requests:
        raise _invalid(
            ["request_ids"],
            phrase("no open delivery request to plan on or before {day}", day=options.plan_date),
        )
    if options.matrix is not None:
        check_matrix(session, options.matrix, trucks=trucks, requests=requests)
    return DayToPlan(trucks, requests, left, back_at)


def _day_to_plan(session: Session, options: PlanOptions) -> tuple[list[Truck], PlanInputs]:
    """The trucks and the routing problem of the day to plan, or 422 saying what is missing."""
    day = check_options(session=session, options=options)
    inputs = build_inputs(
        session=session,
        requests=day.requests,
        trucks=day.trucks,
        service_s=options.service_s,
        road_factor=options.road_factor,
        speed_kmh=options.speed_kmh,
        matrix=options.matrix,
        demand_kg=day.kg_to_plan,
        free_from_s=day.back_at_s,
    )
    return day.trucks, inputs


def load_plan(session: Session, plan_id: int, *, lock: bool = False) -> DispatchPlan:
    """A plan with its routes, stops and unassigned requests, or 404."""
    query = (
        select(DispatchPlan)
        .where(DispatchPlan.id == plan_id)
        .options(
            selectinload(DispatchPlan.routes).selectinload(PlanRoute.stops),
            selectinload(DispatchPlan.routes).selectinload(PlanRoute.truck),
            selectinload(DispatchPlan.unassigned),
        )
    )
    if lock:
        query = query.with_for_update()
    plan = session.scalars(query).first()
    if plan is None:
        raise NotFound("dispatch plan {plan_id} not found", plan_id=plan_id)
    return plan


def _require_draft(plan: DispatchPlan, expected_version: int | None) -> None:
    if plan.status is not PlanStatus.draft:
        raise Conflict(
            "plan {plan_id} is {status}; only a draft can change",
            plan_id=plan.id,
            status=word(plan.status),
        )
    if expected_version is not None and expected_version != plan.version:
        raise Conflict(
            "plan {plan_id} is at version {version}, not {expected}: "
            "someone changed it; reload it first",
            plan_id=plan.id,
            version=plan.version,
            expected=expected_version,
        )


def _stop_ref(stop: PlanStop) -> StopRef:
    return str(stop.request_id) if stop.part is None else (str(stop.request_id), stop.part)


def move_stop(
    *,
    session: Session,
    plan_id: int,
    request_id: int,
    part: int | None,
    to_truck: str | None,
    position: int | None,
    expected_version: int | None,
) -> DispatchPlan:
    """Move one stop to another truck or another place in its route (``to_truck`` None
    takes it off the plan, listed as ``removed_by_dispatcher``), re-time every route and
    re-check capacity, windows and shifts; a broken rule is a 422 listing them all
    (compounds by name, times to the minute) and nothing is saved."""
    plan = load_plan(session, plan_id, lock=True)
    _require_draft(plan, expected_version)
    inputs = inputs_of(session, plan)
    routes: dict[str, list[StopRef]] = {plate: [] for plate in inputs.trucks}
    moved: StopRef | None = None
    for route in plan.routes:
        for stop in route.stops:
            ref = _stop_ref(stop)
            if stop.request_id == request_id and stop.part == part:
                moved = ref
                continue
            routes.setdefault(route.truck.plate, []).append(ref)
    if moved is None:
        if request_id in {u.request_id for u in plan.unassigned}:
            # Put back on a truck: the whole request, or a part of a split one taken off
            # (``evaluate_routes`` refuses a part the request is not split into).
            moved = str(request_id) if part is None else (str(request_id), part)
        else:
            what = (
                phrase("request {request_id}", request_id=request_id)
                if part is None
                else phrase("request {request_id} part {part}", request_id=request_id, part=part)
            )
            raise _invalid(
                ["request_id"],
                phrase(
                    "{what} is not a stop or unassigned in plan {plan_id}",
                    what=what,
                    plan_id=plan_id,
                ),
            )
    if to_truck is not None:
        if to_truck not in routes:
            raise _invalid(
                ["to_truck"],
                phrase("truck {plate!r} is not one of this plan's trucks", plate=to_truck),
            )
        target = routes[to_truck]
        place = len(target) if position is None else position
        if not 0 <= place <= len(target):
            raise _invalid(
                ["position"], phrase("position must be between 0 and {last}", last=len(target))
            )
        target.insert(place, moved)
    try:
        evaluated, violations = evaluate_routes(
            problem=inputs.problem,
            routes=routes,
            naming=Naming(requests=inputs.request_names(), minutes=True),
        )
    except RoutingInputError as error:
        raise _invalid(["request_id"], error.text) from None
    if violations:
        raise InvalidInput(
            "the edit breaks {count} rule(s): {rules}",
            errors=[field_problem(["body"], violation) for violation in violations],
            count=len(violations),
            rules=in_turn(violations),
        )
    evaluated = _honest_reasons(
        evaluated,
        before={str(u.request_id): u.reason.value for u in plan.unassigned},
        removed=str(request_id) if to_truck is None else None,
    )
    for route in list(plan.routes):
        plan.routes.remove(route)
    plan.unassigned.clear()
    session.flush()
    plan.version += 1
    return store_plan(session, plan, evaluated, inputs)


def _honest_reasons(
    plan: Plan, *, before: Mapping[str, UnassignedReason], removed: str | None
) -> Plan:
    """The edited plan with true reasons for what it leaves off: the request the
    dispatcher took off is ``removed_by_dispatcher`` and one left off before keeps its
    reason, where the checker, which solves nothing, would call them all
    ``capacity_exhausted``."""
    return replace(
        plan,
        unassigned=[
            Unassigned(
                entry.request_key,
                "removed_by_dispatcher"
                if entry.request_key == removed
                else before.get(entry.request_key, entry.reason),
            )
            for entry in plan.unassigned
        ],
    )


def discard(*, session: Session, plan_id: int) -> DispatchPlan:
    """Mark a draft discarded (kept for the record)."""
    plan = load_plan(session, plan_id, lock=True)
    _require_draft(plan, None)
    plan.status = PlanStatus.discarded
    plan.version += 1
    session.flush()
    return plan


def stored_plan(session: Session, plan: DispatchPlan) -> tuple[RoutingProblem, Plan]:
    """A stored plan as the routing core sees it (problem and routes), so the independent
    checker (``dispatch.schedule.check_plan``) can audit what was saved."""
    inputs = inputs_of(session, plan)
    routes = [
        PlannedRoute(
            vehicle_key=route.truck.plate,
            depot_key=inputs.trucks[route.truck.plate].depot.code,
            start_s=route.start_s,
            end_s=route.end_s,
            stops=[
                PlannedStop(
                    request_key=str(stop.request_id),
                    part=stop.part,
                    load_kg=stop.load_kg,
                    arrival_s=stop.arrival_s,
                    wait_s=stop.wait_s,
                    departure_s=stop.departure_s,
                    distance_m=stop.distance_m,
                )
                for stop in route.stops
            ],
            return_distance_m=route.return_distance_m,
        )
        for route in plan.routes
    ]
    unassigned = [Unassigned(str(u.request_id), u.reason.value) for u in plan.unassigned]
    return inputs.problem, Plan(routes=routes, unassigned=unassigned)
