"""CVRPLIB benchmark instances through the dispatch wrapper.

The bench measures the planner the service uses, not PyVRP on its own, so an instance
is turned into depots, trucks and urgent (required) requests and solved with
``plan_routes`` on the matrix input path. Distances follow each benchmark's published
convention so the cost is comparable to the best-known solution:

- CVRP (X, A sets): Euclidean distance rounded to the nearest integer;
- VRPTW (Solomon, Gehring-Homberger): distances and times truncated to one decimal
  (DIMACS), done as PyVRP's ``round_func="dimacs"`` does it: everything is scaled by 10
  and truncated, and the cost is divided by 10 again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np

from dispatch.routing_problem import Depot, IntMatrix, Plan, Request, RoutingProblem, Vehicle
from dispatch.solver import plan_routes

RoundingConvention = Literal["round", "dimacs"]

UNBOUNDED = int(np.iinfo(np.int64).max)
"""No time limit; the same value PyVRP uses, so it sees an instance without windows."""


def rounding_convention(*, instance: Mapping[str, Any]) -> RoundingConvention:
    """The benchmark's convention: DIMACS for instances with time windows, else rounding."""
    return "dimacs" if "time_window" in instance else "round"


def _scaled(values: Any, convention: RoundingConvention) -> IntMatrix:
    """Values as integers under ``convention`` (DIMACS: x10 and truncated)."""
    array = np.asarray(values, dtype=np.float64)
    if convention == "dimacs":
        return (10 * array).astype(np.int64)
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
    instance allows, else one per client), every client an urgent request. The cost of
    a plan in benchmark units is its total distance divided by the scale.
    """
    convention = convention or rounding_convention(instance=instance)
    depots = np.atleast_1d(instance.get("depot", [0]))
    if depots.tolist() != [0]:
        raise ValueError("only single-depot instances with the depot first are supported")
    capacity = instance["capacity"]
    if np.ndim(capacity) != 0:
        raise ValueError("only instances with one capacity for all vehicles are supported")
    distance = _scaled(instance["edge_weight"], convention)
    size = distance.shape[0]
    demand = np.asarray(instance["demand"], dtype=np.int64)
    service = _scaled(_per_location(instance, "service_time", size), convention)
    if "time_window" in instance:
        windows = _scaled(instance["time_window"], convention)
    else:
        windows = np.tile(np.array([0, UNBOUNDED], dtype=np.int64), (size, 1))
    opens, closes = int(windows[0][0]), int(windows[0][1])
    fleet = int(instance.get("vehicles", size - 1))
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
    return problem, 10 if convention == "dimacs" else 1


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
