"""The routing core plans feasible routes, explains every request it leaves out, and
checks hand-edited plans without the solver. Pure: no database, solver limits of 1-2 s."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from dispatch.distances import build_matrices, haversine_m
from dispatch.routing_problem import (
    Depot,
    Plan,
    Request,
    RoutingInputError,
    RoutingProblem,
    TimeLimitOutOfRange,
    Unassigned,
    Vehicle,
)
from dispatch.schedule import check_plan, evaluate_routes
from dispatch.solver import plan_routes

H = 3600
CENTRE = (31.23, 121.47)


def _depot(key: str, lat: float = CENTRE[0], lon: float = CENTRE[1]) -> Depot:
    return Depot(key=key, lat=lat, lon=lon, opens_s=6 * H, closes_s=22 * H)


def _truck(
    key: str, capacity: int, depot: str = "D1", max_duration_s: int | None = None
) -> Vehicle:
    return Vehicle(
        key=key,
        depot_key=depot,
        capacity_kg=capacity,
        shift_start_s=7 * H,
        shift_end_s=19 * H,
        max_duration_s=max_duration_s,
    )


def _request(key: str, demand: int, priority: str = "normal", **overrides: object) -> Request:
    fields: dict[str, object] = {
        "key": key,
        "lat": CENTRE[0] + 0.02,
        "lon": CENTRE[1] + 0.02,
        "demand_kg": demand,
        "priority": priority,
        "window_start_s": 8 * H,
        "window_end_s": 18 * H,
        "service_s": 600,
    }
    fields.update(overrides)
    return Request(**fields)  # type: ignore[arg-type]


def city_problem() -> RoutingProblem:
    """Two depots, five trucks of two sizes, 30 compounds with windows, 10 % urgent."""
    rng = random.Random(20240601)
    depots = [_depot("D1"), _depot("D2", lat=31.30, lon=121.55)]
    vehicles = [
        _truck("沪A-0001", 3000, "D1", max_duration_s=10 * H),
        _truck("沪A-0002", 3000, "D1", max_duration_s=10 * H),
        _truck("沪A-0003", 1500, "D1", max_duration_s=10 * H),
        _truck("沪B-0001", 3000, "D2", max_duration_s=10 * H),
        _truck("沪B-0002", 1500, "D2", max_duration_s=10 * H),
    ]
    requests = []
    for number in range(30):
        opens = rng.choice([8, 10, 12, 14]) * H
        requests.append(
            _request(
                f"C{number:02d}",
                rng.randint(100, 400),
                "urgent" if number % 10 == 0 else "normal",
                lat=CENTRE[0] - 0.08 + rng.random() * 0.2,
                lon=CENTRE[1] - 0.08 + rng.random() * 0.2,
                window_start_s=opens,
                window_end_s=opens + 3 * H,
            )
        )
    return RoutingProblem(depots=depots, vehicles=vehicles, requests=requests)


def _served_keys(plan: Plan) -> Counter[str]:
    return Counter(stop.request_key for route in plan.routes for stop in route.stops)


def _independent_violations(problem: RoutingProblem, plan: Plan) -> list[str]:
    """Recompute the plan here (not with check_plan): load, windows, each request once."""
    distance, duration = problem.matrices()
    requests = {r.key: r for r in problem.requests}
    vehicles = {v.key: v for v in problem.vehicles}
    found = []
    for route in plan.routes:
        truck = vehicles[route.vehicle_key]
        if sum(stop.load_kg for stop in route.stops) > truck.capacity_kg:
            found.append(f"{truck.key} overloaded")
        here = problem.depot_index[truck.depot_key]
        clock = route.start_s
        for stop in route.stops:
            request = requests[stop.request_key]
            there = problem.request_location(request.key)
            clock += int(duration[here, there])
            if stop.arrival_s != clock:
                found.append(f"{request.key}: arrival {stop.arrival_s} != {clock}")
            start = max(clock, request.window_start_s)
            if not request.window_start_s <= start <= request.window_end_s:
                found.append(f"{request.key}: service at {start} outside its window")
            clock = start + request.service_s
            here = there
    delivered = Counter[str]()
    for route in plan.routes:
        for stop in route.stops:
            delivered[stop.request_key] += stop.load_kg
    for request in problem.requests:
        if delivered[request.key] != request.demand_kg:
            found.append(f"{request.key}: {delivered[request.key]} of {request.demand_kg} kg")
    return found


@pytest.fixture(scope="module")
def city() -> tuple[RoutingProblem, Plan]:
    problem = city_problem()
    return problem, plan_routes(problem=problem, time_limit_s=2, seed=7)


def test_city_plan_is_feasible_and_serves_every_request_once(
    city: tuple[RoutingProblem, Plan],
) -> None:
    problem, plan = city
    assert check_plan(problem=problem, plan=plan) == []
    assert plan.unassigned == []
    assert _served_keys(plan) == Counter({r.key: 1 for r in problem.requests})
    assert {route.depot_key for route in plan.routes} <= {"D1", "D2"}
    assert plan.total_load_kg == sum(r.demand_kg for r in problem.requests)
    assert plan.total_distance_m == sum(r.distance_m for r in plan.routes) > 0


def test_city_plan_passes_an_independent_feasibility_check(
    city: tuple[RoutingProblem, Plan],
) -> None:
    problem, plan = city
    assert _independent_violations(problem, plan) == []


def test_request_heavier_than_any_truck_is_split_into_parts_summing_to_its_demand() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 1000), _truck("T2", 1000), _truck("T3", 600)],
        requests=[_request("BIG", 2500, "urgent"), _request("SMALL", 30)],
    )
    plan = plan_routes(problem=problem, time_limit_s=1, seed=1)
    parts = [stop for route in plan.routes for stop in route.stops if stop.request_key == "BIG"]
    assert sorted(stop.part for stop in parts if stop.part is not None) == [0, 1, 2]
    assert sum(stop.load_kg for stop in parts) == 2500
    assert sorted(stop.load_kg for stop in parts) == [576, 962, 962]  # shares of 1000/1000/600
    assert plan.unassigned == []
    assert check_plan(problem=problem, plan=plan) == []


def test_urgent_request_is_served_and_normal_dropped_when_the_fleet_is_too_small() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 1000)],
        requests=[_request("NORMAL", 500), _request("URGENT", 800, "urgent")],
    )
    plan = plan_routes(problem=problem, time_limit_s=1, seed=1)
    assert _served_keys(plan) == Counter({"URGENT": 1})
    assert plan.unassigned == [Unassigned("NORMAL", "capacity_exhausted")]
    assert check_plan(problem=problem, plan=plan) == []


def test_a_request_left_off_a_truck_with_room_but_no_time_says_so() -> None:
    # Two compounds wanting service at 08:00-08:10, 20 km apart: one truck of ample
    # capacity can serve only one of them. The other is left for want of time, not room.
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 5000)],
        requests=[
            _request("EAST", 100, "urgent", window_start_s=8 * H, window_end_s=8 * H + 600),
            _request(
                "WEST",
                100,
                lon=CENTRE[1] - 0.2,
                window_start_s=8 * H,
                window_end_s=8 * H + 600,
            ),
        ],
    )
    plan = plan_routes(problem=problem, time_limit_s=1, seed=1)
    assert _served_keys(plan) == Counter({"EAST": 1})
    assert plan.unassigned == [Unassigned("WEST", "time_exhausted")]
    assert check_plan(problem=problem, plan=plan) == []


# PyVRP warns that its penalties hit their maximum: expected, this first solve cannot be
# feasible, and that is what sends the planner to its urgent-first fallback.
@pytest.mark.filterwarnings("ignore::pyvrp.exceptions.PenaltyBoundWarning")
def test_when_urgent_requests_alone_overload_the_fleet_they_are_served_first() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 1000)],
        requests=[
            _request("U1", 800, "urgent"),
            _request("U2", 800, "urgent", lat=CENTRE[0] - 0.02),
            _request("N1", 900),
        ],
    )
    plan = plan_routes(problem=problem, time_limit_s=2, seed=1)
    served = _served_keys(plan)
    assert plan.urgent_fallback
    assert sum(served[key] for key in ("U1", "U2")) == 1
    assert "N1" not in served
    assert sorted(plan.unassigned) == sorted(
        [Unassigned(key, "capacity_exhausted") for key in ("U1", "U2", "N1") if key not in served]
    )
    assert check_plan(problem=problem, plan=plan) == []


def test_window_no_truck_can_reach_is_window_unreachable() -> None:
    far_and_early = _request(
        "FAR", 100, lat=CENTRE[0] + 1.0, window_start_s=7 * H, window_end_s=7 * H + 600
    )
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 1000)],
        requests=[far_and_early, _request("NEAR", 100)],
    )
    plan = plan_routes(problem=problem, time_limit_s=1, seed=1)
    assert plan.unassigned == [Unassigned("FAR", "window_unreachable")]
    assert _served_keys(plan) == Counter({"NEAR": 1})


def test_request_heavier_than_every_reachable_truck_together_is_too_heavy() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 1000), _truck("T2", 500)],
        requests=[_request("HUGE", 1600, "urgent"), _request("OK", 100)],
    )
    plan = plan_routes(problem=problem, time_limit_s=1, seed=1)
    assert plan.unassigned == [Unassigned("HUGE", "too_heavy")]
    assert _served_keys(plan) == Counter({"OK": 1})


def test_no_vehicles_leaves_every_request_unassigned_with_no_vehicles() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[],
        requests=[_request("A", 100), _request("B", 100, "urgent")],
    )
    plan = plan_routes(problem=problem, time_limit_s=1)
    assert plan.routes == []
    assert plan.unassigned == [Unassigned("A", "no_vehicles"), Unassigned("B", "no_vehicles")]


def test_empty_request_list_gives_an_empty_plan() -> None:
    problem = RoutingProblem(depots=[_depot("D1")], vehicles=[_truck("T1", 1000)], requests=[])
    plan = plan_routes(problem=problem, time_limit_s=1)
    assert plan.routes == [] and plan.unassigned == []
    assert plan.total_distance_m == 0
    assert check_plan(problem=problem, plan=plan) == []


@pytest.mark.parametrize("limit", [0, 0.5, 600.5, 3600, math.nan, math.inf])
def test_time_limit_outside_1_to_600_seconds_raises(limit: float) -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")], vehicles=[_truck("T1", 1000)], requests=[_request("A", 1)]
    )
    with pytest.raises(TimeLimitOutOfRange, match="time limit") as raised:
        plan_routes(problem=problem, time_limit_s=limit)
    assert isinstance(raised.value, ValueError)


def test_evaluate_routes_reports_an_overloaded_truck_and_a_missed_window() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("SMALL", 500), _truck("BIG", 3000)],
        requests=[
            _request("A", 300),
            _request("B", 300, lat=CENTRE[0] - 0.03),
            _request(
                "EARLY", 100, lat=CENTRE[0] + 0.3, window_start_s=7 * H, window_end_s=7 * H + 1800
            ),
        ],
    )
    # EARLY is about 43 km by road from the depot, 1.4 h at 30 km/h: a truck leaving at
    # 7:00 cannot be there before its window closes at 7:30.
    plan, violations = evaluate_routes(
        problem=problem, routes={"SMALL": ["A", "B"], "BIG": ["A", "EARLY"]}
    )
    found = [str(v) for v in violations]
    assert any("SMALL" in v and "600 kg exceeds its capacity 500 kg" in v for v in found)
    assert any("BIG" in v and "EARLY" in v and "after its window closes" in v for v in found)
    assert any("A is delivered 2 times" in v for v in found)
    small = plan.route_for("SMALL")
    assert small is not None and [s.request_key for s in small.stops] == ["A", "B"]
    assert small.load_kg == 600


def test_evaluate_routes_of_a_good_assignment_is_clean_and_leaves_no_needless_wait() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 1000)],
        requests=[_request("A", 300, window_start_s=12 * H, window_end_s=13 * H)],
    )
    plan, violations = evaluate_routes(problem=problem, routes={"T1": ["A"]})
    assert violations == []
    route = plan.route_for("T1")
    assert route is not None
    assert route.stops[0].arrival_s == 12 * H and route.stops[0].wait_s == 0
    assert plan.unassigned == []


def test_evaluate_routes_names_split_parts_and_lists_requests_on_no_truck() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 1000), _truck("T2", 1000)],
        requests=[_request("BIG", 1500), _request("LEFT", 100)],
    )
    plan, violations = evaluate_routes(problem=problem, routes={"T1": [("BIG", 0)], "T2": []})
    assert plan.unassigned == [
        Unassigned("BIG", "capacity_exhausted"),
        Unassigned("LEFT", "capacity_exhausted"),
    ]
    assert violations == []
    plan, violations = evaluate_routes(
        problem=problem, routes={"T1": [("BIG", 0), "LEFT"], "T2": [("BIG", 1)]}
    )
    assert plan.unassigned == [] and violations == []
    with pytest.raises(RoutingInputError, match="no delivery part 2"):
        evaluate_routes(problem=problem, routes={"T1": [("BIG", 2)]})
    with pytest.raises(RoutingInputError, match="unknown vehicle"):
        evaluate_routes(problem=problem, routes={"NOPE": ["LEFT"]})


def test_check_plan_reports_a_shift_overrun_and_an_overlong_route() -> None:
    problem = RoutingProblem(
        depots=[_depot("D1")],
        vehicles=[_truck("T1", 1000, max_duration_s=2 * H)],
        requests=[
            _request("FAR", 100, lat=CENTRE[0] + 0.5, window_start_s=17 * H, window_end_s=18 * H)
        ],
    )
    _, violations = evaluate_routes(problem=problem, routes={"T1": ["FAR"]})
    assert any("over its maximum" in str(v) for v in violations)
    assert any("shift overrun" in str(v) for v in violations)


def test_replanning_after_a_breakdown_starts_from_the_previous_plan(
    city: tuple[RoutingProblem, Plan],
) -> None:
    problem, before = city
    broken = before.routes[0].vehicle_key
    fleet = [v for v in problem.vehicles if v.key != broken]
    after_problem = RoutingProblem(depots=problem.depots, vehicles=fleet, requests=problem.requests)
    after = plan_routes(problem=after_problem, time_limit_s=1, seed=7, initial_plan=before)
    assert broken not in {route.vehicle_key for route in after.routes}
    assert check_plan(problem=after_problem, plan=after) == []
    urgent = {r.key for r in problem.requests if r.priority == "urgent"}
    assert urgent <= set(_served_keys(after))


def test_haversine_one_degree_of_latitude_is_about_111_km_and_the_road_30_percent_more() -> None:
    assert haversine_m(lat1=30.0, lon1=120.0, lat2=31.0, lon2=120.0) == pytest.approx(
        111_195, abs=1
    )
    distance, duration = build_matrices(points=[(30.0, 120.0), (31.0, 120.0)])
    assert distance[0, 1] == distance[1, 0] == pytest.approx(111_195 * 1.3, abs=2)
    # 144.55 km at 30 km/h is 4.82 hours
    assert duration[0, 1] == pytest.approx(111_195 * 1.3 / (30 / 3.6), abs=2)
    assert distance[0, 0] == duration[1, 1] == 0


def test_a_supplied_matrix_is_used_as_given_and_checked_for_shape() -> None:
    depots = [_depot("D1")]
    requests = [_request("A", 10), _request("B", 10)]
    matrix = [[0, 1000, 2000], [1000, 0, 1500], [2000, 1500, 0]]
    problem = RoutingProblem(
        depots=depots, vehicles=[_truck("T1", 100)], requests=requests, distance_m=matrix
    )
    distance, duration = problem.matrices()
    assert distance.tolist() == matrix
    assert duration[0, 1] == 120  # 1 km at 30 km/h
    with pytest.raises(RoutingInputError, match="^the road distances: shape"):
        RoutingProblem(depots=depots, vehicles=[], requests=requests, distance_m=[[0]])
    negative = [[0, -1, 2], [1, 0, 1], [2, 1, 0]]
    with pytest.raises(RoutingInputError, match="^the travel times: contains negative values"):
        RoutingProblem(
            depots=depots, vehicles=[], requests=requests, distance_m=matrix, duration_s=negative
        )
    with pytest.raises(RoutingInputError, match="^travel times need road distances too$"):
        RoutingProblem(depots=depots, vehicles=[], requests=requests, duration_s=matrix)


def test_inputs_are_validated() -> None:
    with pytest.raises(RoutingInputError, match="priority"):
        _request("A", 1, "whenever")
    with pytest.raises(RoutingInputError, match="capacity"):
        _truck("T1", 0)
    with pytest.raises(RoutingInputError, match="unknown depot"):
        RoutingProblem(depots=[_depot("D1")], vehicles=[_truck("T1", 1, "D9")], requests=[])
    with pytest.raises(RoutingInputError, match="duplicate request"):
        RoutingProblem(depots=[], vehicles=[], requests=[_request("A", 1), _request("A", 2)])
