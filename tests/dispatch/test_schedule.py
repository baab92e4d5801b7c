"""A hand-edited assignment is timed leg by leg from the matrix and every broken rule is
named: capacity, windows, and recorded times that no longer match. Pure: no database,
no solver."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dispatch.routing_problem import (
    Depot,
    Plan,
    Request,
    RoutingInputError,
    RoutingProblem,
    Unassigned,
    Vehicle,
)
from dispatch.schedule import check_plan, evaluate_routes

H = 3600
M = 60

# Locations: the depot, then A and B. Kilometres and minutes chosen to read easily.
DISTANCE_M = [
    [0, 6000, 9000],
    [6000, 0, 4000],
    [9000, 4000, 0],
]
DURATION_S = [
    [0, 10 * M, 15 * M],
    [10 * M, 0, 400],
    [15 * M, 400, 0],
]


def _problem(
    *,
    capacity_kg: int = 1000,
    a_window: tuple[int, int] = (9 * H, 10 * H),
    b_window: tuple[int, int] = (8 * H, 12 * H),
) -> RoutingProblem:
    """One depot open 6:00-22:00, truck T1 on a 7:00-19:00 shift, A (300 kg, 10 min at the
    gate) and B (200 kg, 5 min)."""
    return RoutingProblem(
        depots=[Depot(key="D", lat=33.73, lon=113.28, opens_s=6 * H, closes_s=22 * H)],
        vehicles=[
            Vehicle(
                key="T1",
                depot_key="D",
                capacity_kg=capacity_kg,
                shift_start_s=7 * H,
                shift_end_s=19 * H,
            )
        ],
        requests=[
            Request(
                key="A",
                lat=33.74,
                lon=113.29,
                demand_kg=300,
                window_start_s=a_window[0],
                window_end_s=a_window[1],
                service_s=10 * M,
            ),
            Request(
                key="B",
                lat=33.75,
                lon=113.27,
                demand_kg=200,
                window_start_s=b_window[0],
                window_end_s=b_window[1],
                service_s=5 * M,
            ),
        ],
        distance_m=DISTANCE_M,
        duration_s=DURATION_S,
    )


def test_a_route_is_timed_from_the_matrix_and_leaves_as_late_as_is_useful() -> None:
    plan, violations = evaluate_routes(problem=_problem(), routes={"T1": ["A", "B"]})
    assert violations == []
    (route,) = plan.routes
    # Leaving at the shift's 7:00 the truck would wait at A until 9:00; it leaves at 8:50.
    assert route.start_s == 8 * H + 50 * M
    a, b = route.stops
    assert (a.arrival_s, a.wait_s, a.departure_s, a.distance_m) == (9 * H, 0, 9 * H + 10 * M, 6000)
    assert (b.arrival_s, b.wait_s, b.departure_s, b.distance_m) == (
        9 * H + 10 * M + 400,
        0,
        9 * H + 15 * M + 400,
        4000,
    )
    assert route.end_s == b.departure_s + 15 * M
    assert route.return_distance_m == 9000 and route.distance_m == 19_000
    assert route.load_kg == 500 and plan.unassigned == []


def test_waiting_is_removed_by_leaving_later_unless_an_earlier_stop_would_be_late() -> None:
    # B (8:00-12:00) first: leaving later shifts B inside its window, so the truck leaves
    # at 8:33:20 and reaches A as it opens at 9:00 without waiting.
    plan, violations = evaluate_routes(problem=_problem(), routes={"T1": ["B", "A"]})
    assert violations == []
    b, a = plan.routes[0].stops
    assert plan.routes[0].start_s == 8 * H + 33 * M + 20
    assert (b.arrival_s, b.wait_s) == (8 * H + 48 * M + 20, 0)
    assert (a.arrival_s, a.wait_s) == (9 * H, 0)
    # B closing at 7:15 pins the departure to 7:00: the truck waits at A for its window.
    tight = _problem(b_window=(7 * H, 7 * H + 15 * M))
    plan, violations = evaluate_routes(problem=tight, routes={"T1": ["B", "A"]})
    assert violations == []
    b, a = plan.routes[0].stops
    assert plan.routes[0].start_s == 7 * H
    assert (b.arrival_s, b.wait_s) == (7 * H + 15 * M, 0)
    assert (a.arrival_s, a.wait_s, a.service_start_s) == (7 * H + 26 * M + 40, 93 * M + 20, 9 * H)


def test_an_overloaded_truck_is_named_with_its_load_and_capacity() -> None:
    plan, violations = evaluate_routes(problem=_problem(capacity_kg=400), routes={"T1": ["A", "B"]})
    assert [str(v) for v in violations] == ["vehicle T1: load 500 kg exceeds its capacity 400 kg"]
    assert plan.routes[0].load_kg == 500


def test_a_stop_reached_after_its_window_closes_is_named_with_both_times() -> None:
    problem = _problem(a_window=(7 * H, 7 * H + 20 * M))
    _, violations = evaluate_routes(problem=problem, routes={"T1": ["B", "A"]})
    assert [str(v) for v in violations] == [
        "vehicle T1: reaches A at 8:11:40, after its window closes at 7:20:00"
    ]
    _, in_time = evaluate_routes(problem=problem, routes={"T1": ["A", "B"]})
    assert in_time == []


def test_a_request_on_no_truck_is_unassigned_not_a_violation() -> None:
    plan, violations = evaluate_routes(problem=_problem(), routes={"T1": ["B"]})
    assert violations == []
    assert plan.unassigned == [Unassigned("A", "capacity_exhausted")]


def test_recorded_times_that_no_longer_match_the_matrix_are_reported() -> None:
    problem = _problem()
    plan, _ = evaluate_routes(problem=problem, routes={"T1": ["A", "B"]})
    route = plan.routes[0]
    stale = replace(route, stops=[replace(route.stops[0], arrival_s=8 * H), route.stops[1]])
    violations = check_plan(problem=problem, plan=Plan(routes=[stale], unassigned=[]))
    assert len(violations) == 1
    assert "recorded times or distance at A" in str(violations[0])


def test_unknown_trucks_and_requests_are_input_errors() -> None:
    with pytest.raises(RoutingInputError, match="unknown vehicle 'T9'"):
        evaluate_routes(problem=_problem(), routes={"T9": ["A"]})
    with pytest.raises(RoutingInputError, match="unknown request 'Z'"):
        evaluate_routes(problem=_problem(), routes={"T1": ["Z"]})
