"""Route planning with PyVRP (0.14): the typed wrapper the service calls.

Mapping (see DESIGN.md, Dispatch): one PyVRP depot per depot; one vehicle type per
group of identical trucks (capacity, depot, shift window, maximum duration); one
client per shipment, so a request split into parts is several clients at the same
location. Urgent shipments are required clients; normal ones are optional clients
whose prize exceeds any detour they could cause, so the solver serves them whenever
it can fit them. The objective is total distance.

Urgent requests must never be left out to make room for normal ones. When the urgent
requests alone overload the fleet, the first solve cannot become feasible; the solver
then plans the urgent requests alone (optional, so it serves as many as it can) and
finally adds the normal requests around the urgent ones it kept, starting from that
plan so no kept urgent request can be lost.

PyVRP's API changes between minor versions (0.14 routes are lists of activities with
depots at both ends; ``Route(data, visits, type)`` takes client indices), so this
module is the only place that touches it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyvrp

from dispatch.routing_problem import (
    Plan,
    PlannedRoute,
    PlannedStop,
    RoutingInputError,
    RoutingProblem,
    TimeLimitOutOfRange,
    Unassigned,
    Vehicle,
)
from dispatch.shipments import Screening, Shipment, screen

logger = logging.getLogger(__name__)

MIN_TIME_LIMIT_S = 1.0
MAX_TIME_LIMIT_S = 600.0
DEFAULT_TIME_LIMIT_S = 10.0
_UNLIMITED = int(np.iinfo(np.int64).max)
"""PyVRP's own default for an unconstrained duration or time."""
_INFEASIBLE_COST = _UNLIMITED
"""What PyVRP's CostEvaluator.cost returns for an infeasible solution."""


def validate_time_limit(*, time_limit_s: float) -> float:
    """The time limit as a float, or TimeLimitOutOfRange when outside 1..600 seconds."""
    if isinstance(time_limit_s, bool) or not isinstance(time_limit_s, int | float):
        raise TimeLimitOutOfRange(
            "time limit must be a number of seconds, got {limit!r}", limit=time_limit_s
        )
    if not (MIN_TIME_LIMIT_S <= time_limit_s <= MAX_TIME_LIMIT_S):  # also rejects NaN
        raise TimeLimitOutOfRange(
            "time limit {limit} s is outside {low:g}..{high:g} s",
            limit=time_limit_s,
            low=MIN_TIME_LIMIT_S,
            high=MAX_TIME_LIMIT_S,
        )
    return float(time_limit_s)


class _Budget:
    """PyVRP stopping criterion: stop at ``seconds``, or at ``give_up_after`` when still
    infeasible (the urgent requests probably overload the fleet; the fallback needs the
    rest of the time). The clock starts at the first call, like PyVRP's MaxRuntime."""

    def __init__(
        self,
        seconds: float,
        give_up_after: float | None = None,
        tick: Callable[[], None] | None = None,
    ) -> None:
        self._seconds = seconds
        self._give_up_after = give_up_after
        self._start: float | None = None
        self._tick = tick

    def __call__(self, best_cost: int) -> bool:
        if self._tick is not None:
            self._tick()
        if self._start is None:
            self._start = time.perf_counter()
        elapsed = time.perf_counter() - self._start
        if elapsed > self._seconds:
            return True
        return (
            self._give_up_after is not None
            and elapsed > self._give_up_after
            and best_cost >= _INFEASIBLE_COST
        )


@dataclass(frozen=True, slots=True)
class _TruckGroup:
    """Identical trucks that become one PyVRP vehicle type."""

    vehicles: tuple[Vehicle, ...]

    @property
    def template(self) -> Vehicle:
        return self.vehicles[0]


def _truck_groups(problem: RoutingProblem) -> list[_TruckGroup]:
    """Group the fleet by everything PyVRP distinguishes, keeping the input order."""
    grouped: dict[tuple[str, int, int, int, int | None], list[Vehicle]] = {}
    for v in problem.vehicles:
        signature = (v.depot_key, v.capacity_kg, v.shift_start_s, v.shift_end_s, v.max_duration_s)
        grouped.setdefault(signature, []).append(v)
    return [_TruckGroup(tuple(vehicles)) for vehicles in grouped.values()]


@dataclass(frozen=True, slots=True)
class _Model:
    """One PyVRP ProblemData and the way back from its indices to our objects."""

    data: pyvrp.ProblemData
    shipments: list[Shipment]
    """PyVRP client index -> shipment."""
    client_of: dict[tuple[str, int | None], int]
    """Shipment reference -> PyVRP client index."""


def _optional_prize(problem: RoutingProblem, shipments: Sequence[Shipment]) -> int:
    """A prize larger than the cost any single shipment can add to a route.

    Inserting a stop between two points adds at most twice the longest edge, so with a
    larger prize serving a normal request always pays when it fits. A far larger prize
    would outweigh PyVRP's penalties for overload and lateness and push the search into
    infeasible plans, so it is kept at that bound.
    """
    distance, _ = problem.matrices()
    locations = list(range(len(problem.depots))) + [d.location for d in shipments]
    longest = int(distance[np.ix_(locations, locations)].max()) if locations else 0
    return 2 * longest + 1


def _build_model(
    *,
    problem: RoutingProblem,
    groups: Sequence[_TruckGroup],
    shipments: Sequence[Shipment],
    required: Callable[[Shipment], bool],
) -> _Model:
    """PyVRP data for ``shipments`` on the whole fleet; ``required`` picks the must-serves."""
    distance, duration = problem.matrices()
    request_locations = sorted({d.location for d in shipments})
    matrix_rows = list(range(len(problem.depots))) + request_locations
    position = {location: index for index, location in enumerate(matrix_rows)}
    prize = _optional_prize(problem, shipments)
    depots = [
        pyvrp.Depot(location=index, tw_early=depot.opens_s, tw_late=depot.closes_s, name=depot.key)
        for index, depot in enumerate(problem.depots)
    ]
    clients = []
    for shipment in shipments:
        request = shipment.request
        must = required(shipment)
        clients.append(
            pyvrp.Client(
                location=position[shipment.location],
                delivery=[shipment.demand_kg],
                service_duration=request.service_s,
                tw_early=request.window_start_s,
                tw_late=request.window_end_s,
                prize=0 if must else prize,
                required=must,
                name=request.key if shipment.part is None else f"{request.key}#{shipment.part}",
            )
        )
    vehicle_types = []
    for group in groups:
        truck = group.template
        depot_index = problem.depot_index[truck.depot_key]
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(group.vehicles),
                capacity=[truck.capacity_kg],
                start_depot=depot_index,
                end_depot=depot_index,
                tw_early=truck.shift_start_s,
                tw_late=truck.shift_end_s,
                shift_duration=(
                    _UNLIMITED if truck.max_duration_s is None else truck.max_duration_s
                ),
                name=",".join(v.key for v in group.vehicles),
            )
        )
    names = [d.key for d in problem.depots] + [
        problem.requests[location - len(problem.depots)].key for location in request_locations
    ]
    grid = np.ix_(matrix_rows, matrix_rows)
    # PyVRP's stub types matrices as ``np.ndarray[int]``, which no real array matches.
    sub_distance: Any = np.ascontiguousarray(distance[grid])
    sub_duration: Any = np.ascontiguousarray(duration[grid])
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(x=0, y=0, name=name) for name in names],
        clients=clients,
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[sub_distance],
        duration_matrices=[sub_duration],
    )
    return _Model(
        data=data,
        shipments=list(shipments),
        client_of={shipment.ref: index for index, shipment in enumerate(shipments)},
    )


def _solution_from_routes(
    model: _Model,
    groups: Sequence[_TruckGroup],
    routes: Sequence[tuple[str, Sequence[tuple[str, int | None]]]],
) -> pyvrp.Solution | None:
    """A PyVRP solution from (truck plate, shipment references) pairs, for a warm start.

    Trucks no longer in the fleet (broken down) and shipments no longer in the model are
    left out: the solver re-inserts what is missing. None when nothing is left.
    """
    type_of = {v.key: index for index, group in enumerate(groups) for v in group.vehicles}
    used: set[int] = set()
    seen_trucks: set[str] = set()
    pyvrp_routes = []
    for vehicle_key, refs in routes:
        if vehicle_key not in type_of or vehicle_key in seen_trucks:
            continue
        seen_trucks.add(vehicle_key)
        visits = []
        for ref in refs:
            client = model.client_of.get(ref)
            if client is not None and client not in used:
                used.add(client)
                visits.append(client)
        if visits:
            pyvrp_routes.append(pyvrp.Route(model.data, visits, type_of[vehicle_key]))
    if not pyvrp_routes:
        return None
    return pyvrp.Solution(model.data, pyvrp_routes)


def _routes_of(
    model: _Model, solution: pyvrp.Solution
) -> list[tuple[int, list[Shipment], pyvrp.Route]]:
    """(vehicle type, shipments in visiting order, PyVRP route) for each route."""
    return [
        (
            route.vehicle_type(),
            [model.shipments[activity.idx] for activity in route if activity.is_client()],
            route,
        )
        for route in solution.routes()
    ]


PROGRESS_EVERY_S = 1.0
"""How often the search reports how far it got (a job row is written each time)."""


def _progress_ticker(limit: float, report: Callable[[float], None]) -> Callable[[], None]:
    """A callback for the stopping criteria that reports the share of ``limit`` spent
    since the first call, at most once every ``PROGRESS_EVERY_S``."""
    started = time.perf_counter()
    last = started

    def tick() -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            report(min((now - started) / limit, 1.0))

    return tick


def _solve(
    model: _Model, stop: _Budget, seed: int, initial: pyvrp.Solution | None
) -> tuple[pyvrp.Solution, float]:
    """One PyVRP run: (best solution, seconds it took)."""
    started = time.perf_counter()
    result = pyvrp.solve(
        model.data,
        stop=stop,
        seed=seed,
        collect_stats=False,
        display=False,
        initial_solution=initial,
    )
    return result.best, time.perf_counter() - started


def _assign_plates(
    groups: Sequence[_TruckGroup],
    routes: Sequence[tuple[int, list[Shipment], pyvrp.Route]],
    previous: Plan | None,
) -> list[tuple[Vehicle, int]]:
    """(truck, index into ``routes``): each route goes to a truck of its vehicle type.

    Trucks of one type are interchangeable to PyVRP but not to the dispatcher, so when
    re-planning each route goes to the truck of its type whose previous route shared
    most of its requests; otherwise trucks are taken in input order.
    """
    before: dict[str, set[str]] = {}
    if previous is not None:
        before = {r.vehicle_key: {s.request_key for s in r.stops} for r in previous.routes}
    assigned = []
    for type_index, group in enumerate(groups):
        mine = [index for index, (t, _, _) in enumerate(routes) if t == type_index]
        scored = sorted(
            (-len(before.get(truck.key, set()) & {d.request.key for d in routes[r][1]}), r, i)
            for r in mine
            for i, truck in enumerate(group.vehicles)
        )
        taken_routes: set[int] = set()
        taken_trucks: set[int] = set()
        for _, route_index, truck_index in scored:
            if route_index in taken_routes or truck_index in taken_trucks:
                continue
            taken_routes.add(route_index)
            taken_trucks.add(truck_index)
            assigned.append((group.vehicles[truck_index], route_index))
    return assigned


def _planned_route(
    problem: RoutingProblem, vehicle: Vehicle, pyvrp_route: pyvrp.Route, model: _Model
) -> PlannedRoute:
    """Our route from PyVRP's own schedule (check_plan recomputes it independently)."""
    distance, _ = problem.matrices()
    depot_location = problem.depot_index[vehicle.depot_key]
    previous = depot_location
    stops = []
    for activity in pyvrp_route.schedule():
        if not activity.is_client():
            continue
        shipment = model.shipments[activity.idx]
        stops.append(
            PlannedStop(
                request_key=shipment.request.key,
                part=shipment.part,
                load_kg=shipment.demand_kg,
                arrival_s=activity.start_time - activity.wait_duration + activity.time_warp,
                wait_s=activity.wait_duration,
                departure_s=activity.end_time,
                distance_m=int(distance[previous, shipment.location]),
            )
        )
        previous = shipment.location
    return PlannedRoute(
        vehicle_key=vehicle.key,
        depot_key=vehicle.depot_key,
        start_s=pyvrp_route.start_time(),
        end_s=pyvrp_route.end_time(),
        stops=stops,
        return_distance_m=int(distance[previous, depot_location]),
    )


def _to_plan(
    *,
    problem: RoutingProblem,
    groups: Sequence[_TruckGroup],
    model: _Model,
    solution: pyvrp.Solution,
    screening: Screening,
    previous: Plan | None,
    runtime_s: float,
    urgent_fallback: bool,
) -> Plan:
    """Translate a feasible PyVRP solution into a Plan with every left-out request explained.

    A request any of whose shipments is missing is listed as ``capacity_exhausted``
    when no truck has room left for the smallest of them, else as ``time_exhausted``
    (a truck had the room but not the time: its shift, the windows or its longest route)
    (the shipments that did fit stay on their routes: part of an emergency delivery is
    better than none).
    """
    routes = _routes_of(model, solution)
    order = {v.key: index for index, v in enumerate(problem.vehicles)}
    planned = sorted(
        (
            _planned_route(problem, vehicle, routes[index][2], model)
            for vehicle, index in _assign_plates(groups, routes, previous)
        ),
        key=lambda route: order[route.vehicle_key],
    )
    served = {d.ref for _, shipments, _ in routes for d in shipments}
    loaded = {route.vehicle_key: sum(stop.load_kg for stop in route.stops) for route in planned}
    most_room = max(
        (vehicle.capacity_kg - loaded.get(vehicle.key, 0) for vehicle in problem.vehicles),
        default=0,
    )
    unassigned = []
    for request in problem.requests:
        reason = screening.excluded.get(request.key)
        missing = [d.demand_kg for d in screening.parts[request.key] if d.ref not in served]
        if reason is not None:
            unassigned.append(Unassigned(request.key, reason))
        elif missing:
            room = most_room >= min(missing)
            unassigned.append(
                Unassigned(request.key, "time_exhausted" if room else "capacity_exhausted")
            )
    return Plan(
        routes=planned,
        unassigned=unassigned,
        runtime_s=runtime_s,
        urgent_fallback=urgent_fallback,
    )


def _previous_routes(plan: Plan | None) -> list[tuple[str, list[tuple[str, int | None]]]]:
    """(plate, shipment references) of a previous plan, for the warm start."""
    if plan is None:
        return []
    return [
        (route.vehicle_key, [(stop.request_key, stop.part) for stop in route.stops])
        for route in plan.routes
    ]


def plan_routes(
    *,
    problem: RoutingProblem,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    seed: int = 0,
    initial_plan: Plan | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Plan:
    """Plan routes for ``problem`` within about ``time_limit_s`` seconds of solver time.

    Every request not delivered in full is listed in ``Plan.unassigned`` with its reason
    (the parts of a split request that did fit stay on their routes); urgent requests are
    never dropped to make room for normal ones. ``initial_plan`` (for example the
    committed plan before a truck broke down) warm-starts the search: its routes on
    trucks still in the fleet are the starting point and its trucks keep their stops
    where the new plan allows. The ``seed`` fixes the search's random choices; the
    time limit still makes runs differ slightly in how far they get. ``on_progress`` is
    called from the search, about once every ``PROGRESS_EVERY_S``, with the share of the
    time limit spent (0..1), so a queued job can show how far it got.
    """
    limit = validate_time_limit(time_limit_s=time_limit_s)
    tick = None if on_progress is None else _progress_ticker(limit, on_progress)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise RoutingInputError("seed must be a non-negative integer, got {seed!r}", seed=seed)
    screening = screen(problem=problem)
    shipments = screening.servable()
    if not shipments:
        return Plan(routes=[], unassigned=screening.unassigned_before_solving())

    groups = _truck_groups(problem)

    def is_urgent(shipment: Shipment) -> bool:
        return shipment.request.priority == "urgent"

    def finish(model: _Model, solution: pyvrp.Solution, spent: float, fallback: bool) -> Plan:
        return _to_plan(
            problem=problem,
            groups=groups,
            model=model,
            solution=solution,
            screening=screening,
            previous=initial_plan,
            runtime_s=spent,
            urgent_fallback=fallback,
        )

    model = _build_model(problem=problem, groups=groups, shipments=shipments, required=is_urgent)
    warm = _solution_from_routes(model, groups, _previous_routes(initial_plan))
    best, spent = _solve(model, _Budget(limit, give_up_after=limit / 2, tick=tick), seed, warm)
    if best.is_feasible():
        return finish(model, best, spent, False)

    # Infeasible: the urgent requests alone overload the fleet (or could not be fitted in
    # time). Serve as many urgent ones as possible, then add normal ones around them.
    logger.info("urgent requests do not all fit; planning them first")
    remaining = max(limit - spent, MIN_TIME_LIMIT_S)
    urgent = [d for d in shipments if is_urgent(d)]
    kept: set[tuple[str, int | None]] = set()
    start_from: list[tuple[str, list[tuple[str, int | None]]]] = []
    if urgent:
        urgent_model = _build_model(
            problem=problem, groups=groups, shipments=urgent, required=lambda _: False
        )
        empty = pyvrp.Solution(urgent_model.data, [])
        urgent_best, urgent_spent = _solve(
            urgent_model, _Budget(remaining / 2, tick=tick), seed, empty
        )
        spent += urgent_spent
        remaining = max(remaining - urgent_spent, MIN_TIME_LIMIT_S / 2)
        urgent_routes = _routes_of(urgent_model, urgent_best)
        kept = {d.ref for _, route, _ in urgent_routes for d in route}
        start_from = [
            (vehicle.key, [d.ref for d in urgent_routes[index][1]])
            for vehicle, index in _assign_plates(groups, urgent_routes, initial_plan)
        ]
    final_model = _build_model(
        problem=problem,
        groups=groups,
        shipments=[d for d in shipments if not is_urgent(d) or d.ref in kept],
        required=lambda d: d.ref in kept,
    )
    # The urgent plan (or no route at all) is feasible in the final model, and PyVRP
    # only replaces its best solution by a better feasible one: no kept request is lost.
    start = _solution_from_routes(final_model, groups, start_from)
    if start is None:
        start = pyvrp.Solution(final_model.data, [])
    final_best, final_spent = _solve(final_model, _Budget(remaining, tick=tick), seed, start)
    if not final_best.is_feasible():
        final_best = start
    return finish(final_model, final_best, spent + final_spent, True)
