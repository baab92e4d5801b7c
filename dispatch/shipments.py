"""Which requests can be served at all, and the shipments each one becomes.

Two things are settled before any solver runs, because no route can change them:

- a request whose window no truck can reach even driving straight from its depot at
  the start of its shift is ``window_unreachable``; one heavier than all those trucks
  together is ``too_heavy``; with no trucks at all everything is ``no_vehicles``;
- PyVRP has no split delivery, so a request heavier than the largest truck that can
  reach it becomes several shipments ("parts") at the same place, each no heavier
  than the truck it is sized for (see ``split_demand``).

A shipment is what the solver routes: a whole request, or one part of a split one. It is
not a ``models.Delivery``, the stop of a committed plan that a driver takes to the door.
"""

from __future__ import annotations

from collections.abc import Sequence
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
class Shipment:
    """One visit to a request's location carrying ``demand_kg`` (a part when split)."""

    request: Request
    part: int | None
    demand_kg: int
    location: int

    @property
    def ref(self) -> tuple[str, int | None]:
        """Identity of this shipment across plans: (request key, part index or None)."""
        return (self.request.key, self.part)


@dataclass(frozen=True, slots=True)
class Screening:
    """The shipments of every request and the requests no route can serve."""

    parts: dict[str, list[Shipment]]
    """Every request's shipments (also for excluded ones, so hand edits can name them)."""
    excluded: dict[str, UnassignedReason]
    """Requests left out before solving, with the reason."""

    def servable(self) -> list[Shipment]:
        """Shipments of the requests the solver should try to route, in request order."""
        return [
            shipment
            for key, shipments in self.parts.items()
            if key not in self.excluded
            for shipment in shipments
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


def _reaches(group: _ShiftGroup, request: Request, location: int, duration: IntMatrix) -> bool:
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


def split_demand(*, demand_kg: int, capacities: Sequence[int]) -> list[int]:
    """Split a demand over as few of the given trucks as can carry it together.

    A demand that fits the largest truck stays whole. Otherwise the largest trucks are
    taken until their capacities cover the demand, and each gets a share in proportion
    to its capacity: every part fits its truck, and the spare room is spread evenly so
    small requests can still ride along. Equal trucks give equal parts.
    """
    if not capacities or min(capacities) <= 0:
        raise ValueError("capacities must be positive")
    if demand_kg <= max(capacities):
        return [demand_kg]
    chosen: list[int] = []
    for capacity in sorted(capacities, reverse=True):
        chosen.append(capacity)
        if sum(chosen) >= demand_kg:
            break
    else:
        raise ValueError(f"{demand_kg} kg is more than the trucks carry together")
    total = sum(chosen)
    parts = [demand_kg * capacity // total for capacity in chosen]
    short = demand_kg - sum(parts)
    while short:  # hand out the rounding remainder where there is room
        for index, capacity in enumerate(chosen):
            if short and parts[index] < capacity:
                parts[index] += 1
                short -= 1
    return parts


def _shipments(request: Request, location: int, capacities: Sequence[int]) -> list[Shipment]:
    """A request's shipments; the part index is None when it is not split."""
    sizes = split_demand(demand_kg=request.demand_kg, capacities=capacities)
    if len(sizes) == 1:
        return [Shipment(request, None, request.demand_kg, location)]
    return [Shipment(request, index, size, location) for index, size in enumerate(sizes)]


def screen(*, problem: RoutingProblem) -> Screening:
    """Split every request into shipments and set aside those no route could serve."""
    parts: dict[str, list[Shipment]] = {}
    excluded: dict[str, UnassignedReason] = {}
    if not problem.vehicles:
        for request in problem.requests:
            location = problem.request_location(request.key)
            parts[request.key] = [Shipment(request, None, request.demand_kg, location)]
            excluded[request.key] = "no_vehicles"
        return Screening(parts=parts, excluded=excluded)

    _, duration = problem.matrices()
    groups = _shift_groups(problem)
    fleet = [v.capacity_kg for v in problem.vehicles]
    for request in problem.requests:
        location = problem.request_location(request.key)
        capacities = [
            capacity
            for group in groups
            if _reaches(group, request, location, duration)
            for capacity in group.capacities
        ]
        if not capacities:
            excluded[request.key] = "window_unreachable"
        elif request.demand_kg > sum(capacities):
            excluded[request.key] = "too_heavy"
        # Excluded requests are split over the whole fleet (or kept whole when even that is
        # too small) so a dispatcher can still name their parts in a hand-made plan.
        splittable = capacities if request.key not in excluded else fleet
        if request.demand_kg > sum(splittable):
            splittable = [request.demand_kg]
        parts[request.key] = _shipments(request, location, splittable)
    return Screening(parts=parts, excluded=excluded)
