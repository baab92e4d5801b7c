"""Which requests can be served at all, and the deliveries each one becomes.

Two things are settled before any solver runs, because no route can change them:

- a request whose window no truck can reach even driving straight from its depot at
  the start of its shift is ``window_unreachable``; one heavier than all those trucks
  together is ``too_heavy``; with no trucks at all everything is ``no_vehicles``;
- PyVRP has no split delivery, so a request heavier than the largest truck that can
  reach it becomes several deliveries ("parts") at the same place, as equal as
  possible and each no heavier than that truck.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dispatch.routing_problem import (
    IntMatrix,
    Request,
    RoutingProblem,
    Unassigned,
    UnassignedReason,
    Vehicle,
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One visit to a request's location carrying ``demand_kg`` (a part when split)."""

    request: Request
    part: int | None
    demand_kg: int
    location: int

    @property
    def ref(self) -> tuple[str, int | None]:
        """Identity of this delivery across plans: (request key, part index or None)."""
        return (self.request.key, self.part)


@dataclass(frozen=True, slots=True)
class Screening:
    """The deliveries of every request and the requests no route can serve."""

    parts: dict[str, list[Delivery]]
    """Every request's deliveries (also for excluded ones, so hand edits can name them)."""
    excluded: dict[str, UnassignedReason]
    """Requests left out before solving, with the reason."""

    def servable(self) -> list[Delivery]:
        """Deliveries of the requests the solver should try to route, in request order."""
        return [
            delivery
            for key, deliveries in self.parts.items()
            if key not in self.excluded
            for delivery in deliveries
        ]

    def unassigned_before_solving(self) -> list[Unassigned]:
        """The excluded requests as plan entries."""
        return [Unassigned(key, reason) for key, reason in self.excluded.items()]


@dataclass(frozen=True, slots=True)
class _ShiftGroup:
    """Trucks that reach places equally: same depot, shift and duration limit."""

    depot_location: int
    earliest_departure_s: int
    latest_return_s: int
    max_duration_s: int | None
    capacities: tuple[int, ...]


def _shift_groups(problem: RoutingProblem) -> list[_ShiftGroup]:
    """Group the fleet so reachability is tested once per group, not once per truck."""
    grouped: dict[tuple[str, int, int, int | None], list[Vehicle]] = {}
    for vehicle in problem.vehicles:
        signature = (
            vehicle.depot_key,
            vehicle.shift_start_s,
            vehicle.shift_end_s,
            vehicle.max_duration_s,
        )
        grouped.setdefault(signature, []).append(vehicle)
    depots = {depot.key: depot for depot in problem.depots}
    groups = []
    for (depot_key, shift_start, shift_end, max_duration), vehicles in grouped.items():
        depot = depots[depot_key]
        groups.append(
            _ShiftGroup(
                depot_location=problem.depot_index[depot_key],
                earliest_departure_s=max(shift_start, depot.opens_s),
                latest_return_s=min(shift_end, depot.closes_s),
                max_duration_s=max_duration,
                capacities=tuple(v.capacity_kg for v in vehicles),
            )
        )
    return groups


def _reaches(
    group: _ShiftGroup, request: Request, location: int, duration: IntMatrix
) -> bool:
    """Whether a truck of ``group`` can serve ``request`` on a route with no other stop."""
    outbound = int(duration[group.depot_location, location])
    inbound = int(duration[location, group.depot_location])
    if group.earliest_departure_s > group.latest_return_s:
        return False
    arrival = group.earliest_departure_s + outbound
    if arrival > request.window_end_s:
        return False
    finish = max(arrival, request.window_start_s) + request.service_s + inbound
    if finish > group.latest_return_s:
        return False
    # The truck may leave later so that it does not wait: only driving and service count.
    trip = outbound + request.service_s + inbound
    return group.max_duration_s is None or trip <= group.max_duration_s


def split_demand(demand_kg: int, max_part_kg: int) -> list[int]:
    """Split a demand into as few, as equal parts as possible, each at most ``max_part_kg``."""
    if max_part_kg <= 0:
        raise ValueError("max_part_kg must be positive")
    count = max(1, math.ceil(demand_kg / max_part_kg))
    base, extra = divmod(demand_kg, count)
    return [base + 1 if index < extra else base for index in range(count)]


def _deliveries(request: Request, location: int, max_part_kg: int) -> list[Delivery]:
    """A request's deliveries; the part index is None when it is not split."""
    sizes = split_demand(request.demand_kg, max_part_kg)
    if len(sizes) == 1:
        return [Delivery(request, None, request.demand_kg, location)]
    return [Delivery(request, index, size, location) for index, size in enumerate(sizes)]


def screen(*, problem: RoutingProblem) -> Screening:
    """Split every request into deliveries and set aside those no route could serve."""
    parts: dict[str, list[Delivery]] = {}
    excluded: dict[str, UnassignedReason] = {}
    if not problem.vehicles:
        for request in problem.requests:
            location = problem.request_location(request.key)
            parts[request.key] = [Delivery(request, None, request.demand_kg, location)]
            excluded[request.key] = "no_vehicles"
        return Screening(parts=parts, excluded=excluded)

    _, duration = problem.matrices()
    groups = _shift_groups(problem)
    largest_truck = max(v.capacity_kg for v in problem.vehicles)
    for request in problem.requests:
        location = problem.request_location(request.key)
        capacities = [
            capacity
            for group in groups
            if _reaches(group, request, location, duration)
            for capacity in group.capacities
        ]
        if not capacities:
            parts[request.key] = _deliveries(request, location, largest_truck)
            excluded[request.key] = "window_unreachable"
            continue
        parts[request.key] = _deliveries(request, location, max(capacities))
        if request.demand_kg > sum(capacities):
            excluded[request.key] = "too_heavy"
    return Screening(parts=parts, excluded=excluded)
