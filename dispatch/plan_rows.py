"""Plans between the tables and the routing core.

The routing core (``dispatch.routing_problem``, ``solver``, ``schedule``) knows nothing
of tables. This module turns delivery requests, trucks, their depots and an uploaded
distance matrix into a ``RoutingProblem`` (seconds from midnight of the plan's day in
the city's time zone, metres, kilograms), and writes a solved ``Plan`` back as the
routes, stops and unassigned requests of a ``DispatchPlan`` row.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, selectinload

from core.errors import InvalidInput
from core.text import Text, field_problem, phrase
from dispatch.master_data import seconds_of_day
from dispatch.routing_problem import (
    Depot as RoutingDepot,
)
from dispatch.routing_problem import (
    IntMatrix,
    Plan,
    RoutingProblem,
    Vehicle,
)
from dispatch.routing_problem import Request as RoutingRequest
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
    Truck,
    UnassignedReason,
)
from models.delivery import ACTIVE_DELIVERY

MAX_MATRIX_VALUE = 1e8
"""100,000 km or 3 years: anything larger in an uploaded matrix is a mistake."""


def _invalid(loc: Sequence[str | int], message: Text) -> InvalidInput:
    return InvalidInput(message, errors=[field_problem(["body", *loc], message)])


@dataclass(frozen=True, slots=True)
class MatrixUpload:
    """A distance matrix from the dispatcher: rows and columns named by depot or compound
    code; ``duration_s`` optional (else driven at the plan's average speed)."""

    locations: list[str]
    distance_m: list[list[float]]
    duration_s: list[list[float]] | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "locations": self.locations,
            "distance_m": self.distance_m,
            "duration_s": self.duration_s,
        }


@dataclass(slots=True)
class PlanInputs:
    """The rows a plan is built from and the routing problem made of them."""

    problem: RoutingProblem
    requests: dict[int, DeliveryRequest]
    trucks: dict[str, Truck]
    compounds: dict[int, Compound] = field(default_factory=dict)

    def request_names(self) -> dict[str, str]:
        """Each request's key to its compound's name, as a dispatcher reads a refusal."""
        return {
            str(request.id): self.compounds[request.compound_id].name
            for request in self.requests.values()
            if request.compound_id in self.compounds
        }


def _matrices(
    upload: MatrixUpload, depots: Sequence[Depot], compounds: Sequence[Compound]
) -> tuple[IntMatrix, IntMatrix | None]:
    """The problem's matrices (depots first, then one row per request) from an upload."""
    index = {code: position for position, code in enumerate(upload.locations)}
    if len(index) != len(upload.locations):
        raise _invalid(["distance_matrix", "locations"], phrase("location codes must be unique"))
    shared = sorted({d.code for d in depots} & {c.code for c in compounds})
    if shared:
        # One row per code: a depot and a compound of the same code would share it, and the
        # trucks would drive to the compound as if it were their depot.
        raise _invalid(
            ["distance_matrix", "locations"],
            phrase(
                "{codes} name(s) both a depot and a compound, so a matrix row cannot tell "
                "them apart; plan with coordinates instead",
                codes=", ".join(shared[:10]),
            ),
        )
    codes = [d.code for d in depots] + [c.code for c in compounds]
    missing = sorted({code for code in codes if code not in index})
    if missing:
        raise _invalid(
            ["distance_matrix", "locations"],
            phrase("the matrix has no row for {codes}", codes=", ".join(missing[:10])),
        )
    size = len(upload.locations)
    rows = [index[code] for code in codes]

    def pick(name: str, values: list[list[float]]) -> IntMatrix:
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise _invalid(["distance_matrix", name], phrase("not a numeric matrix")) from None
        if array.shape != (size, size):
            raise _invalid(
                ["distance_matrix", name],
                phrase(
                    "shape {shape} does not match {size} locations", shape=array.shape, size=size
                ),
            )
        if not np.isfinite(array).all() or (array < 0).any() or (array > MAX_MATRIX_VALUE).any():
            raise _invalid(
                ["distance_matrix", name],
                phrase(
                    "values must be finite, not negative and at most {limit:g}",
                    limit=MAX_MATRIX_VALUE,
                ),
            )
        return np.rint(array[np.ix_(rows, rows)]).astype(np.int64)

    distance = pick("distance_m", upload.distance_m)
    duration = None if upload.duration_s is None else pick("duration_s", upload.duration_s)
    return distance, duration


def check_matrix(
    session: Session,
    upload: MatrixUpload,
    *,
    trucks: Sequence[Truck],
    requests: Sequence[DeliveryRequest],
) -> None:
    """422 naming the field when ``upload`` cannot route these trucks and requests (a code
    missing or repeated, a shape or value out of bounds), as :func:`build_inputs` would
    refuse it: what a plan job checks before it is queued."""
    compounds = {
        c.id: c
        for c in session.scalars(
            select(Compound).where(Compound.id.in_({r.compound_id for r in requests}))
        )
    }
    depots = sorted({t.depot_id: t.depot for t in trucks}.values(), key=lambda d: d.code)
    _matrices(upload, depots, [compounds[r.compound_id] for r in requests])


def build_inputs(
    *,
    session: Session,
    requests: Sequence[DeliveryRequest],
    trucks: Sequence[Truck],
    service_s: int,
    road_factor: float,
    speed_kmh: float,
    matrix: MatrixUpload | None,
    demand_kg: Mapping[int, int] | None = None,
    earliest_start_s: int = 0,
    free_from_s: Mapping[int, int] | None = None,
) -> PlanInputs:
    """The routing problem of these requests on these trucks (``demand_kg`` overrides a
    request's weight, for re-planning what is left of it; trucks leave no earlier than
    ``earliest_start_s``, nor than ``free_from_s`` of their id: back from a committed
    route)."""
    compounds = {
        c.id: c
        for c in session.scalars(
            select(Compound).where(Compound.id.in_({r.compound_id for r in requests}))
        )
    }
    depots = sorted({t.depot_id: t.depot for t in trucks}.values(), key=lambda d: d.code)
    routing_depots = [
        RoutingDepot(
            key=d.code,
            lat=d.latitude,
            lon=d.longitude,
            opens_s=seconds_of_day(d.opens_at),
            closes_s=seconds_of_day(d.closes_at),
        )
        for d in depots
    ]
    vehicles = [
        Vehicle(
            key=t.plate,
            depot_key=t.depot.code,
            capacity_kg=t.capacity_kg,
            shift_start_s=min(
                max(
                    seconds_of_day(t.shift_start),
                    earliest_start_s,
                    (free_from_s or {}).get(t.id, 0),
                ),
                seconds_of_day(t.shift_end),
            ),
            shift_end_s=seconds_of_day(t.shift_end),
            max_duration_s=None if t.max_route_minutes is None else t.max_route_minutes * 60,
        )
        for t in trucks
    ]
    overrides = demand_kg or {}
    routing_requests = [
        RoutingRequest(
            key=str(r.id),
            lat=compounds[r.compound_id].latitude,
            lon=compounds[r.compound_id].longitude,
            demand_kg=overrides.get(r.id, math.ceil(r.weight_kg)),
            priority="urgent" if r.priority.value == "urgent" else "normal",
            window_start_s=seconds_of_day(r.window_start),
            window_end_s=seconds_of_day(r.window_end),
            service_s=service_s,
        )
        for r in requests
    ]
    distance = duration = None
    if matrix is not None:
        distance, duration = _matrices(matrix, depots, [compounds[r.compound_id] for r in requests])
    problem = RoutingProblem(
        depots=routing_depots,
        vehicles=vehicles,
        requests=routing_requests,
        distance_m=distance,
        duration_s=duration,
        road_factor=road_factor,
        speed_kmh=speed_kmh,
    )
    return PlanInputs(
        problem=problem,
        requests={r.id: r for r in requests},
        trucks={t.plate: t for t in trucks},
        compounds=compounds,
    )


CARRIED = (*ACTIVE_DELIVERY, DeliveryStatus.delivered)
"""Deliveries that take their kilograms off what is left to plan of a request."""


def kg_still_to_plan(
    session: Session,
    requests: Sequence[DeliveryRequest],
    *,
    other_than: int | None = None,
    cancelling: Collection[int] = (),
) -> dict[int, int]:
    """Each request's kilograms that no delivery of a committed plan (other than
    ``other_than``, and other than the deliveries ``cancelling`` names, about to be
    cancelled) carries or has brought: a split request whose other part is on the road
    or delivered is planned again for the rest only, never whole."""
    return kg_left(
        session,
        {r.id: r.weight_kg for r in requests},
        other_than=other_than,
        cancelling=cancelling,
    )


def kg_left(
    session: Session,
    weights: Mapping[int, float],
    *,
    other_than: int | None = None,
    cancelling: Collection[int] = (),
) -> dict[int, int]:
    """``kg_still_to_plan`` of requests given as id to weight (a read model's rows)."""
    query = (
        select(Delivery.request_id, func.sum(Delivery.load_kg))
        .where(Delivery.request_id.in_(set(weights)), Delivery.status.in_(CARRIED))
        .group_by(Delivery.request_id)
    )
    if other_than is not None:
        query = query.where(Delivery.plan_id != other_than)
    if cancelling:
        query = query.where(Delivery.id.not_in(set(cancelling)))
    carried = {request_id: int(kg) for request_id, kg in session.execute(query).all()}
    return {
        request_id: max(0, math.ceil(weight) - carried.get(request_id, 0))
        for request_id, weight in weights.items()
    }


def committed_route_ends(
    session: Session, plan_date: date, *, other_than: int | None = None
) -> dict[int, int]:
    """Each truck on a committed route of ``plan_date`` with stops still to make (in a
    plan other than ``other_than``), to the second that route brings it back to its
    depot: another plan of the day may send it out again from then, never sooner."""
    still_to_make = exists().where(
        Delivery.plan_id == PlanRoute.plan_id,
        Delivery.truck_id == PlanRoute.truck_id,
        Delivery.status.in_(ACTIVE_DELIVERY),
    )
    query = (
        select(PlanRoute.truck_id, func.max(PlanRoute.end_s))
        .join(DispatchPlan, DispatchPlan.id == PlanRoute.plan_id)
        .where(
            DispatchPlan.plan_date == plan_date,
            DispatchPlan.status == PlanStatus.committed,
            still_to_make,
        )
        .group_by(PlanRoute.truck_id)
    )
    if other_than is not None:
        query = query.where(DispatchPlan.id != other_than)
    return {truck_id: int(end_s) for truck_id, end_s in session.execute(query).all()}


def inputs_of(session: Session, plan: DispatchPlan) -> PlanInputs:
    """The routing problem a stored plan was made from, rebuilt from today's rows (a
    draft's trucks leave no sooner than the day's committed routes bring them back, as
    when it was solved; a committed plan is read as it was committed)."""
    request_ids = {s.request_id for r in plan.routes for s in r.stops} | {
        u.request_id for u in plan.unassigned
    }
    requests = list(
        session.scalars(
            select(DeliveryRequest)
            .where(DeliveryRequest.id.in_(request_ids))
            .order_by(DeliveryRequest.id)
        )
    )
    trucks = list(
        session.scalars(
            select(Truck)
            .where(Truck.id.in_(plan.truck_ids))
            .options(selectinload(Truck.depot))
            .order_by(Truck.plate)
        )
    )
    matrix = None
    if plan.distance_matrix is not None:
        matrix = MatrixUpload(**plan.distance_matrix)
    return build_inputs(
        session=session,
        requests=requests,
        trucks=trucks,
        service_s=plan.service_s,
        road_factor=plan.road_factor,
        speed_kmh=plan.speed_kmh,
        matrix=matrix,
        demand_kg=kg_still_to_plan(session, requests, other_than=plan.id),
        free_from_s=(
            committed_route_ends(session, plan.plan_date, other_than=plan.id)
            if plan.status is PlanStatus.draft
            else None
        ),
    )


def store_plan(
    session: Session, plan_row: DispatchPlan, plan: Plan, inputs: PlanInputs
) -> DispatchPlan:
    """Write ``plan``'s routes, stops and unassigned requests under ``plan_row``."""
    plan_row.routes = [
        PlanRoute(
            truck_id=inputs.trucks[route.vehicle_key].id,
            start_s=route.start_s,
            end_s=route.end_s,
            return_distance_m=route.return_distance_m,
            stops=[
                PlanStop(
                    sequence=sequence,
                    request_id=int(stop.request_key),
                    part=stop.part,
                    load_kg=stop.load_kg,
                    arrival_s=stop.arrival_s,
                    wait_s=stop.wait_s,
                    departure_s=stop.departure_s,
                    distance_m=stop.distance_m,
                )
                for sequence, stop in enumerate(route.stops, start=1)
            ],
        )
        for route in plan.routes
    ]
    plan_row.unassigned = [
        PlanUnassigned(request_id=int(entry.request_key), reason=UnassignedReason(entry.reason))
        for entry in plan.unassigned
    ]
    session.add(plan_row)
    session.flush()
    return plan_row
