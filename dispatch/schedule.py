"""Timing and checking routes without the solver.

Dispatchers edit draft plans by hand (move a stop to another truck, reorder a route),
and a plan read back from storage may no longer match today's trucks or requests. Both
need the same independent arithmetic: drive the matrix leg by leg, wait for windows,
and say in plain words what breaks. Nothing here uses PyVRP, so it also cross-checks
the solver's own schedule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from core.text import Text, phrase, verbatim
from dispatch.routing_problem import (
    IntMatrix,
    Plan,
    PlannedRoute,
    PlannedStop,
    RoutingInputError,
    RoutingProblem,
    Unassigned,
    Vehicle,
)
from dispatch.shipments import Screening, Shipment, screen

StopRef = str | tuple[str, int]
"""A stop in a hand-made assignment: a request key (the whole request in one visit), or
(request key, part index) for one shipment of a request the planner split."""


def _clock(seconds: int) -> str:
    """Seconds from the day's start as H:MM:SS, for messages a dispatcher reads."""
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def minute_up(seconds: int) -> str:
    """A late instant as HH:MM, rounded up so it never reads earlier than it is."""
    return _minute(-(-seconds // 60) * 60)


def _minute(seconds: int) -> str:
    """An instant as HH:MM, rounded down (a limit never reads later than it is)."""
    minutes = seconds // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True)
class Naming:
    """How violations name requests and instants: by key and to the second for an audit
    (the default), or by the names a dispatcher knows and to the minute on the plan page."""

    requests: Mapping[str, str] = field(default_factory=dict)
    """Request key to the name people read (its compound's); a missing key reads as is."""
    minutes: bool = False

    def request(self, key: str) -> str:
        """The name of request ``key``."""
        return self.requests.get(key, key)

    def late(self, seconds: int) -> str:
        """An instant that is too late (rounded up when read to the minute)."""
        return minute_up(seconds) if self.minutes else _clock(seconds)

    def limit(self, seconds: int) -> str:
        """A limit it is compared with (rounded down when read to the minute)."""
        return _minute(seconds) if self.minutes else _clock(seconds)


AUDIT = Naming()
"""Keys and seconds: what the solver's cross-check and the API's audits report."""


@dataclass(frozen=True, slots=True)
class _Leg:
    """What the timing needs about one stop."""

    request_key: str
    part: int | None
    load_kg: int
    location: int
    window_start_s: int
    window_end_s: int
    service_s: int


def _time_legs(
    *,
    legs: Sequence[_Leg],
    depot_location: int,
    start_s: int,
    distance: IntMatrix,
    duration: IntMatrix,
) -> tuple[list[PlannedStop], int, int]:
    """Drive the legs from ``start_s``: (stops, return time, distance back to the depot).

    A truck early at a stop waits for the window; a late one serves on arrival, so
    lateness shows up as service after the window end rather than being hidden.
    """
    stops = []
    clock_s = start_s
    previous = depot_location
    for leg in legs:
        arrival = clock_s + int(duration[previous, leg.location])
        wait = max(0, leg.window_start_s - arrival)
        departure = arrival + wait + leg.service_s
        stops.append(
            PlannedStop(
                request_key=leg.request_key,
                part=leg.part,
                load_kg=leg.load_kg,
                arrival_s=arrival,
                wait_s=wait,
                departure_s=departure,
                distance_m=int(distance[previous, leg.location]),
            )
        )
        clock_s = departure
        previous = leg.location
    end = clock_s + int(duration[previous, depot_location])
    return stops, end, int(distance[previous, depot_location])


def _latest_useful_start(
    *, legs: Sequence[_Leg], stops: Sequence[PlannedStop], earliest_start_s: int
) -> int:
    """Latest departure that removes waiting without making any stop later than its window.

    Leaving ``d`` seconds later shifts stop i's service start by ``max(0, d - W_i)``
    where ``W_i`` is the waiting up to and including stop i, so the return time does not
    move while ``d`` is at most the total waiting: the route gets shorter, nothing else
    changes. Stops already late are not made later.
    """
    waited = 0
    delay = sum(stop.wait_s for stop in stops)
    for leg, stop in zip(legs, stops, strict=True):
        waited += stop.wait_s
        slack = leg.window_end_s - stop.service_start_s
        delay = min(delay, waited + max(0, slack))
    return earliest_start_s + max(0, delay)


def _depot_hours(problem: RoutingProblem, vehicle: Vehicle) -> tuple[int, int]:
    """(earliest departure, latest return) allowed by both the shift and the depot."""
    depot = problem.depots[problem.depot_index[vehicle.depot_key]]
    return max(vehicle.shift_start_s, depot.opens_s), min(vehicle.shift_end_s, depot.closes_s)


def _leg(shipment: Shipment) -> _Leg:
    request = shipment.request
    return _Leg(
        request_key=request.key,
        part=shipment.part,
        load_kg=shipment.demand_kg,
        location=shipment.location,
        window_start_s=request.window_start_s,
        window_end_s=request.window_end_s,
        service_s=request.service_s,
    )


def time_route(
    *, problem: RoutingProblem, vehicle: Vehicle, shipments: Sequence[Shipment]
) -> PlannedRoute:
    """Time a route in the given order, leaving as late as is useful (no needless waiting)."""
    distance, duration = problem.matrices()
    depot_location = problem.depot_index[vehicle.depot_key]
    legs = [_leg(shipment) for shipment in shipments]
    earliest, _ = _depot_hours(problem, vehicle)
    first_pass, _, _ = _time_legs(
        legs=legs,
        depot_location=depot_location,
        start_s=earliest,
        distance=distance,
        duration=duration,
    )
    start = _latest_useful_start(legs=legs, stops=first_pass, earliest_start_s=earliest)
    stops, end, back = _time_legs(
        legs=legs,
        depot_location=depot_location,
        start_s=start,
        distance=distance,
        duration=duration,
    )
    return PlannedRoute(
        vehicle_key=vehicle.key,
        depot_key=vehicle.depot_key,
        start_s=start,
        end_s=end,
        stops=stops,
        return_distance_m=back,
    )


def _resolve(
    ref: StopRef, screening: Screening, vehicle_key: str, problem: RoutingProblem
) -> Shipment:
    """The shipment a hand-made stop reference denotes; unknown references are input errors."""
    if isinstance(ref, str):
        if ref not in problem.request_index:
            raise RoutingInputError(
                "vehicle {key}: unknown request {request!r}", key=vehicle_key, request=ref
            )
        request = problem.requests[problem.request_index[ref]]
        return Shipment(request, None, request.demand_kg, problem.request_location(ref))
    key, part = ref
    if key not in problem.request_index:
        raise RoutingInputError(
            "vehicle {key}: unknown request {request!r}", key=vehicle_key, request=key
        )
    parts = screening.parts[key]
    if len(parts) == 1 or not 0 <= part < len(parts):
        raise RoutingInputError(
            "vehicle {key}: request {request} has no delivery part {part} "
            "(it is planned as {count} delivery(ies))",
            key=vehicle_key,
            request=key,
            part=part,
            count=len(parts),
        )
    return parts[part]


def evaluate_routes(
    *,
    problem: RoutingProblem,
    routes: Mapping[str, Sequence[StopRef]],
    naming: Naming = AUDIT,
) -> tuple[Plan, list[Text]]:
    """Time a hand-made assignment (truck plate -> stops in order) and list what it breaks.

    Nothing is solved: the order is kept as given, each truck leaves as late as is
    useful, and requests on no truck are reported unassigned with the reason the
    planner would give. Unknown plates or requests raise RoutingInputError; broken
    rules (overload, missed window, overlong shift) come back as violations.
    """
    screening = screen(problem=problem)
    planned: list[PlannedRoute] = []
    for vehicle_key, refs in routes.items():
        vehicle = problem.vehicle_by_key.get(vehicle_key)
        if vehicle is None:
            raise RoutingInputError("unknown vehicle {key!r}", key=vehicle_key)
        if not refs:
            continue
        shipments = [_resolve(ref, screening, vehicle_key, problem) for ref in refs]
        planned.append(time_route(problem=problem, vehicle=vehicle, shipments=shipments))
    delivered = Counter[str]()
    for route in planned:
        for stop in route.stops:
            delivered[stop.request_key] += stop.load_kg
    unassigned = [
        Unassigned(request.key, screening.excluded.get(request.key, "capacity_exhausted"))
        for request in problem.requests
        if delivered[request.key] < request.demand_kg
        or (request.demand_kg == 0 and request.key not in delivered)
    ]
    plan = Plan(routes=planned, unassigned=unassigned)
    return plan, check_plan(problem=problem, plan=plan, naming=naming)


@dataclass(frozen=True, slots=True)
class Insertion:
    """Where a stop fits in one truck's route, and that route timed with it."""

    position: int
    """Index in the route the stop takes (0: first stop)."""
    route: PlannedRoute
    added_distance_m: int


def cheapest_insertion(
    *,
    problem: RoutingProblem,
    screening: Screening,
    vehicle_key: str,
    route: Sequence[StopRef],
    stop: StopRef,
) -> Insertion | None:
    """The place in a truck's route where ``stop`` adds the least distance while every rule
    still holds (capacity, windows, shift and duration), or None when it fits nowhere:
    the answer to "could this truck take it?" without solving anything."""
    vehicle = problem.vehicle_by_key.get(vehicle_key)
    if vehicle is None:
        raise RoutingInputError("unknown vehicle {key!r}", key=vehicle_key)
    shipments = [_resolve(ref, screening, vehicle_key, problem) for ref in route]
    added = _resolve(stop, screening, vehicle_key, problem)
    if sum(s.demand_kg for s in shipments) + added.demand_kg > vehicle.capacity_kg:
        return None
    before = (
        time_route(problem=problem, vehicle=vehicle, shipments=shipments).distance_m
        if shipments
        else 0
    )
    best: Insertion | None = None
    for position in range(len(shipments) + 1):
        trial = [*shipments[:position], added, *shipments[position:]]
        timed = time_route(problem=problem, vehicle=vehicle, shipments=trial)
        if _check_route(problem, timed, vehicle):
            continue
        if best is None or timed.distance_m - before < best.added_distance_m:
            best = Insertion(position, timed, timed.distance_m - before)
    return best


def _check_route(
    problem: RoutingProblem, route: PlannedRoute, vehicle: Vehicle, naming: Naming = AUDIT
) -> list[Text]:
    """Recompute one route from its recorded departure and report every broken rule."""
    problems: list[Text] = []
    name = phrase("vehicle {key}", key=vehicle.key)
    if route.depot_key != vehicle.depot_key:
        problems.append(
            phrase(
                "{vehicle}: route starts at depot {depot} but the truck belongs to {home}",
                vehicle=name,
                depot=route.depot_key,
                home=vehicle.depot_key,
            )
        )
    distance, duration = problem.matrices()
    legs = []
    for stop in route.stops:
        request = problem.requests[problem.request_index[stop.request_key]]
        legs.append(
            _Leg(
                request_key=request.key,
                part=stop.part,
                load_kg=stop.load_kg,
                location=problem.request_location(request.key),
                window_start_s=request.window_start_s,
                window_end_s=request.window_end_s,
                service_s=request.service_s,
            )
        )
    stops, end, back = _time_legs(
        legs=legs,
        depot_location=problem.depot_index[vehicle.depot_key],
        start_s=route.start_s,
        distance=distance,
        duration=duration,
    )
    load = sum(leg.load_kg for leg in legs)
    if load > vehicle.capacity_kg:
        problems.append(
            phrase(
                "{vehicle}: load {load} kg exceeds its capacity {capacity} kg",
                vehicle=name,
                load=load,
                capacity=vehicle.capacity_kg,
            )
        )
    for leg, stop, recorded in zip(legs, stops, route.stops, strict=True):
        if stop.service_start_s > leg.window_end_s:
            problems.append(
                phrase(
                    "{vehicle}: reaches {request} at {at}, after its window closes at {closes}",
                    vehicle=name,
                    request=naming.request(leg.request_key),
                    at=naming.late(stop.service_start_s),
                    closes=naming.limit(leg.window_end_s),
                )
            )
        if (recorded.arrival_s, recorded.departure_s, recorded.distance_m) != (
            stop.arrival_s,
            stop.departure_s,
            stop.distance_m,
        ):
            problems.append(
                phrase(
                    "{vehicle}: recorded times or distance at {request} "
                    "(arrive {arrived}, leave {left}, {distance} m) differ from the matrix "
                    "(arrive {arrives}, leave {leaves}, {matrix_distance} m)",
                    vehicle=name,
                    request=leg.request_key,
                    arrived=_clock(recorded.arrival_s),
                    left=_clock(recorded.departure_s),
                    distance=recorded.distance_m,
                    arrives=_clock(stop.arrival_s),
                    leaves=_clock(stop.departure_s),
                    matrix_distance=stop.distance_m,
                )
            )
    if (route.end_s, route.return_distance_m) != (end, back):
        problems.append(
            phrase(
                "{vehicle}: recorded return {returned} after {distance} m "
                "differs from the matrix ({returns} after {matrix_distance} m)",
                vehicle=name,
                returned=_clock(route.end_s),
                distance=route.return_distance_m,
                returns=_clock(end),
                matrix_distance=back,
            )
        )
    earliest, latest = _depot_hours(problem, vehicle)
    if route.start_s < earliest:
        problems.append(
            phrase(
                "{vehicle}: leaves at {at}, before its shift or depot opens at {opens}",
                vehicle=name,
                at=naming.limit(route.start_s),
                opens=naming.late(earliest),
            )
        )
    if end > latest:
        problems.append(
            phrase(
                "{vehicle}: returns at {at}, after its shift or depot closes at {closes} "
                "(shift overrun)",
                vehicle=name,
                at=naming.late(end),
                closes=naming.limit(latest),
            )
        )
    if vehicle.max_duration_s is not None and end - route.start_s > vehicle.max_duration_s:
        problems.append(
            phrase(
                "{vehicle}: route lasts {lasts}, over its maximum {maximum}",
                vehicle=name,
                lasts=naming.late(end - route.start_s),
                maximum=naming.limit(vehicle.max_duration_s),
            )
        )
    return problems


def _check_coverage(problem: RoutingProblem, plan: Plan) -> list[Text]:
    """Every request delivered in full exactly once, or listed unassigned (once)."""
    problems: list[Text] = []
    delivered = Counter[str]()
    visits = Counter[tuple[str, int | None]]()
    for route in plan.routes:
        for stop in route.stops:
            if stop.request_key in problem.request_index:
                delivered[stop.request_key] += stop.load_kg
                visits[(stop.request_key, stop.part)] += 1
    for (key, part), count in visits.items():
        if count > 1:
            what = (
                verbatim(key) if part is None else phrase("{key} part {part}", key=key, part=part)
            )
            problems.append(
                phrase("request {request} is delivered {count} times", request=what, count=count)
            )
    listed = Counter(entry.request_key for entry in plan.unassigned)
    for key in listed:
        if key not in problem.request_index:
            problems.append(phrase("unassigned list names unknown request {key!r}", key=key))
        elif listed[key] > 1:
            problems.append(
                phrase(
                    "request {key} is listed as unassigned {count} times",
                    key=key,
                    count=listed[key],
                )
            )
    for request in problem.requests:
        got, served = delivered[request.key], request.key in delivered
        if got > request.demand_kg:
            problems.append(
                phrase(
                    "request {key}: {got} kg delivered, more than its {demand} kg",
                    key=request.key,
                    got=got,
                    demand=request.demand_kg,
                )
            )
        elif served and got == request.demand_kg and request.key in listed:
            problems.append(
                phrase("request {key} is delivered but also listed as unassigned", key=request.key)
            )
        elif served and got < request.demand_kg and request.key not in listed:
            problems.append(
                phrase(
                    "request {key}: only {got} of {demand} kg delivered and "
                    "the rest is not listed as unassigned",
                    key=request.key,
                    got=got,
                    demand=request.demand_kg,
                )
            )
        elif not served and request.key not in listed:
            problems.append(
                phrase(
                    "request {key} is neither delivered nor listed as unassigned", key=request.key
                )
            )
    return problems


def check_plan(*, problem: RoutingProblem, plan: Plan, naming: Naming = AUDIT) -> list[Text]:
    """Every rule the plan breaks against ``problem``, recomputed from the matrix; [] if none.

    Checks capacity, windows (service must start by the window end), maximum route
    duration, shift and depot hours, that every request is delivered in full exactly
    once or listed as unassigned, and that the recorded times and distances are the
    ones the matrix gives (a stale or hand-typed plan shows up here).
    """
    problems: list[Text] = []
    seen: set[str] = set()
    for route in plan.routes:
        vehicle = problem.vehicle_by_key.get(route.vehicle_key)
        if vehicle is None:
            problems.append(phrase("route for unknown vehicle {key!r}", key=route.vehicle_key))
            continue
        if vehicle.key in seen:
            problems.append(phrase("vehicle {key} has more than one route", key=vehicle.key))
        seen.add(vehicle.key)
        unknown = [s.request_key for s in route.stops if s.request_key not in problem.request_index]
        if unknown:
            problems.append(
                phrase(
                    "vehicle {key}: unknown requests {requests}",
                    key=vehicle.key,
                    requests=", ".join(unknown),
                )
            )
            continue
        problems.extend(_check_route(problem, route, vehicle, naming))
    problems.extend(_check_coverage(problem, plan))
    return problems
