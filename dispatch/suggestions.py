"""Which trucks of a plan could take one stop, for the dispatcher about to move it.

Asked for one stop at a time (the plan page fetches it when the dispatcher opens that
stop; every stop of the demo day at once took 3 s): each truck of the plan is tried at
every place in its route and re-timed by the schedule checker, so a truck is suggested
only when its capacity, the windows of all its stops, its shift and its route length
still hold with the stop on board. Nothing is saved; moving is ``planning.move_stop``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import InvalidInput
from core.text import field_problem, phrase
from dispatch.access import require_plan_writer
from dispatch.commitment import instant
from dispatch.plan_rows import inputs_of
from dispatch.planning import load_plan
from dispatch.schedule import Insertion, StopRef, cheapest_insertion
from dispatch.shipments import screen


@dataclass(frozen=True, slots=True)
class TruckSuggestion:
    """A truck that could take the stop: where in its route, when it would be there, and
    what it would cost."""

    truck: str
    depot: str
    depot_name: str
    position: int
    """Index the stop would take in the truck's route (0: first stop)."""
    arrival: datetime
    load_kg: int
    """The truck's load with the stop on board."""
    capacity_kg: int
    added_km: float


@dataclass(frozen=True, slots=True)
class StopSuggestions:
    """The trucks that could take one stop, least added distance first."""

    plan_id: int
    plan_version: int
    """The version a move following the suggestion expects."""
    request_id: int
    part: int | None
    compound_name: str
    load_kg: int
    current_truck: str | None
    """The truck the stop is on now (None when the plan leaves it unassigned)."""
    trucks: list[TruckSuggestion]
    trucks_tried: int


def feasible_trucks(
    *,
    session: Session,
    principal: Principal,
    plan_id: int,
    request_id: int,
    part: int | None,
    zone: ZoneInfo,
) -> StopSuggestions:
    """Every other truck of the plan that could take the stop (request, part) with all its
    rules still holding, least added distance first; a stop the plan does not have is a
    422 naming ``request_id``."""
    require_plan_writer(principal)
    plan = load_plan(session, plan_id)
    inputs = inputs_of(session, plan)
    routes: dict[str, list[StopRef]] = {plate: [] for plate in inputs.trucks}
    stop: StopRef | None = None
    current: str | None = None
    for route in plan.routes:
        for planned in route.stops:
            ref: StopRef = (
                str(planned.request_id)
                if planned.part is None
                else (str(planned.request_id), planned.part)
            )
            if planned.request_id == request_id and planned.part == part:
                stop, current = ref, route.truck.plate
                continue
            routes.setdefault(route.truck.plate, []).append(ref)
    if stop is None and part is None and request_id in {u.request_id for u in plan.unassigned}:
        stop = str(request_id)
    if stop is None:
        what = (
            phrase("request {request_id}", request_id=request_id)
            if part is None
            else phrase("request {request_id} part {part}", request_id=request_id, part=part)
        )
        message = phrase(
            "{what} is not a stop or unassigned in plan {plan_id}", what=what, plan_id=plan_id
        )
        raise InvalidInput(message, errors=[field_problem(["query", "request_id"], message)])
    screening = screen(problem=inputs.problem)
    suggestions = []
    load_kg = 0
    idle: dict[tuple[object, ...], Insertion | None] = {}
    """Idle trucks alike to the schedule (depot, capacity, shift) get one answer."""
    for plate, refs in routes.items():
        if plate == current:
            continue
        vehicle = inputs.problem.vehicle_by_key[plate]
        alike = (
            vehicle.depot_key,
            vehicle.capacity_kg,
            vehicle.shift_start_s,
            vehicle.shift_end_s,
            vehicle.max_duration_s,
        )
        if refs or alike not in idle:
            found = cheapest_insertion(
                problem=inputs.problem,
                screening=screening,
                vehicle_key=plate,
                route=refs,
                stop=stop,
            )
            if not refs:
                idle[alike] = found
        else:
            found = idle[alike]
        if found is None:
            continue
        placed = found.route.stops[found.position]
        load_kg = placed.load_kg
        truck = inputs.trucks[plate]
        suggestions.append(
            TruckSuggestion(
                truck=plate,
                depot=truck.depot.code,
                depot_name=truck.depot.name,
                position=found.position,
                arrival=instant(plan.plan_date, placed.arrival_s, zone),
                load_kg=found.route.load_kg,
                capacity_kg=truck.capacity_kg,
                added_km=round(found.added_distance_m / 1000, 1),
            )
        )
    suggestions.sort(key=lambda s: (s.added_km, s.truck))
    request = inputs.requests[request_id]
    if not load_kg:
        key = str(request_id)
        load_kg = (
            screening.parts[key][part].demand_kg
            if part is not None
            else inputs.problem.requests[inputs.problem.request_index[key]].demand_kg
        )
    return StopSuggestions(
        plan_id=plan.id,
        plan_version=plan.version,
        request_id=request_id,
        part=part,
        compound_name=inputs.compounds[request.compound_id].name,
        load_kg=load_kg,
        current_truck=current,
        trucks=suggestions,
        trucks_tried=len(routes) - (current is not None),
    )
