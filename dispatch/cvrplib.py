"""CVRPLIB benchmark instances through the dispatch wrapper.

The bench measures the planner the service uses, not PyVRP on its own, so an instance
is turned into depots, trucks and urgent (required) requests and solved with
``plan_routes`` on the matrix input path. Distances follow each benchmark's published
convention so the cost is comparable to the best-known solution:

- CVRP (X, A sets): Euclidean distance rounded to the nearest integer;
- VRPTW (Solomon, Gehring-Homberger): distances and times truncated to one decimal
  (DIMACS), done as PyVRP's ``round_func="dimacs"`` does it: everything is scaled by 10
  and truncated, and the cost is divided by 10 again;
- real distances (``EXACT_2D`` files, and the CMT, Golden, Li and Taillard sets whose
  best-known costs have decimals): "exact", as PyVRP's ``round_func="exact"``: scaled by
  1000 and rounded, the cost divided by 1000 again. ``vrplib`` already returns
  ``EXACT_2D`` distances times 1000; they are brought back to real distances first.

A route-length limit (``DISTANCE``, as in the CMT, Golden and Li sets and DCVRP files)
becomes each truck's maximum route duration: the benchmarks drive one distance unit per
time unit and count the service time in the limit (CMT), which is what a duration does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from dispatch.routing_problem import Depot, IntMatrix, Plan, Request, RoutingProblem, Vehicle
from dispatch.solver import plan_routes

RoundingConvention = Literal["round", "dimacs", "exact"]

SCALE: dict[RoundingConvention, int] = {"round": 1, "dimacs": 10, "exact": 1000}
"""Integer units per benchmark unit under each convention."""

MODELLED = frozenset(
    {
        "capacity",
        "demand",
        "depot",
        "distance",
        "edge_weight",
        "service_time",
        "time_window",
        "vehicles",
    }
)
"""The instance fields the wrapper turns into the routing problem."""
DESCRIPTIVE = frozenset(
    {
        "name",
        "comment",
        "type",
        "dimension",
        "edge_weight_type",
        "edge_weight_format",
        "edge_data_format",
        "node_coord_type",
        "display_data_type",
        "display_data",
        "node_coord",
    }
)
"""Fields that describe an instance without constraining its solutions."""

UNBOUNDED = int(np.iinfo(np.int64).max)
"""No time limit; the same value PyVRP uses, so it sees an instance without windows."""


def rounding_convention(*, instance: Mapping[str, Any]) -> RoundingConvention:
    """The benchmark's convention: DIMACS for instances with time windows, exact for
    ``EXACT_2D`` files, else rounding (pass "exact" for EUC_2D sets with real costs)."""
    if "time_window" in instance:
        return "dimacs"
    return "exact" if _is_exact_2d(instance) else "round"


def _is_exact_2d(instance: Mapping[str, Any]) -> bool:
    return str(instance.get("edge_weight_type", "")).strip().upper() == "EXACT_2D"


def _edge_weights(instance: Mapping[str, Any]) -> np.ndarray:
    """The instance's distances in its own units (``vrplib`` gives EXACT_2D times 1000)."""
    weights = np.asarray(instance["edge_weight"], dtype=np.float64)
    return weights / 1000 if _is_exact_2d(instance) else weights


def _scaled(values: Any, convention: RoundingConvention) -> IntMatrix:
    """Values as integers under ``convention`` (DIMACS: x10 and truncated; exact: x1000
    and rounded)."""
    array = np.asarray(values, dtype=np.float64)
    if convention == "dimacs":
        return (10 * array).astype(np.int64)
    if convention == "exact":
        return np.round(1000 * array).astype(np.int64)
    return np.round(array).astype(np.int64)


def _per_location(instance: Mapping[str, Any], key: str, size: int) -> np.ndarray:
    """A per-location field that some files give as one value for every client."""
    value = instance.get(key, 0)
    if np.ndim(value) == 0:
        array = np.full(size, value, dtype=np.float64)
        array[0] = 0  # a uniform service time applies to clients, not to the depot
        return array
    return np.asarray(value, dtype=np.float64)


def instance_problem(
    *, instance: Mapping[str, Any], convention: RoundingConvention | None = None
) -> tuple[RoutingProblem, int]:
    """(routing problem, cost scale) for a ``vrplib.read_instance`` dict.

    One depot (location 0), identical trucks with the instance capacity (as many as the
    instance allows, else one per client, each limited to the instance's ``DISTANCE`` if
    it has one), every client an urgent request. The cost of a plan in benchmark units is
    its total distance divided by the scale.
    """
    unmodelled = sorted(set(instance) - MODELLED - DESCRIPTIVE)
    if unmodelled:
        # Prizes, backhauls, release times, groups, per-vehicle limits...: solving without
        # them would be another problem, with a cost that means nothing against the BKS.
        raise ValueError(f"instance fields not supported: {', '.join(unmodelled)}")
    if "capacity" not in instance or "demand" not in instance:
        raise ValueError("only capacitated instances (CAPACITY and DEMAND_SECTION) are supported")
    convention = convention or rounding_convention(instance=instance)
    depots = np.atleast_1d(instance.get("depot", [0]))
    if depots.tolist() != [0]:
        raise ValueError("only single-depot instances with the depot first are supported")
    capacity = instance["capacity"]
    if np.ndim(capacity) != 0:
        raise ValueError("only instances with one capacity for all vehicles are supported")
    distance = _scaled(_edge_weights(instance), convention)
    size = distance.shape[0]
    raw_demand = np.asarray(instance["demand"], dtype=np.float64)
    if not (float(capacity).is_integer() and (raw_demand == np.round(raw_demand)).all()):
        raise ValueError("only instances with whole-number demands and capacity are supported")
    demand = raw_demand.astype(np.int64)
    if (too_big := np.flatnonzero(demand > capacity)).size:
        # The service would split such a client over several trucks; a CVRP may not.
        raise ValueError(
            f"client {int(too_big[0])} needs {int(demand[too_big[0]])}, more than the vehicle "
            f"capacity {int(capacity)}: the instance has no solution without split deliveries"
        )
    service = _scaled(_per_location(instance, "service_time", size), convention)
    if "time_window" in instance:
        windows = _scaled(instance["time_window"], convention)
    else:
        windows = np.tile(np.array([0, UNBOUNDED], dtype=np.int64), (size, 1))
    opens, closes = int(windows[0][0]), int(windows[0][1])
    fleet = int(instance.get("vehicles", size - 1))
    limit = instance.get("distance")
    max_duration = None if limit is None else int(_scaled(limit, convention))
    problem = RoutingProblem(
        # Benchmark coordinates are not latitudes; the matrix is given, so they are unused.
        depots=[Depot(key="depot", lat=0.0, lon=0.0, opens_s=opens, closes_s=closes)],
        vehicles=[
            Vehicle(
                key=f"V{number:04d}",
                depot_key="depot",
                capacity_kg=int(capacity),
                shift_start_s=opens,
                shift_end_s=closes,
                max_duration_s=max_duration,
            )
            for number in range(1, fleet + 1)
        ],
        requests=[
            Request(
                key=str(location),
                lat=0.0,
                lon=0.0,
                demand_kg=int(demand[location]),
                priority="urgent",
                window_start_s=int(windows[location][0]),
                window_end_s=int(windows[location][1]),
                service_s=int(service[location]),
            )
            for location in range(1, size)
        ],
        distance_m=distance,
        duration_s=distance,  # the benchmarks drive at one distance unit per time unit
    )
    return problem, SCALE[convention]


def solve_cvrplib_instance(
    *,
    instance: Mapping[str, Any],
    time_limit_s: float,
    seed: int = 0,
    convention: RoundingConvention | None = None,
) -> tuple[float, Plan]:
    """(cost in the benchmark's units, plan) for a CVRPLIB instance solved by the wrapper.

    The cost is infinite when the plan leaves a client out, so an incomplete plan can
    never look better than the best-known solution.
    """
    problem, scale = instance_problem(instance=instance, convention=convention)
    plan = plan_routes(problem=problem, time_limit_s=time_limit_s, seed=seed)
    cost = math.inf if plan.unassigned else plan.total_distance_m / scale
    return cost, plan
