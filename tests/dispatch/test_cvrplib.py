"""The CVRPLIB wrapper keeps an instance's own rules and units: a ``DISTANCE`` route
limit is obeyed, and ``EXACT_2D`` costs come back in the instance's units (vrplib reads
those distances times 1000). Pure: tiny instances, solver limit 1 s."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import vrplib

from dispatch.cvrplib import instance_problem, rounding_convention, solve_cvrplib_instance

# Depot at the origin, two clients 10 away on opposite sides: one truck could serve both
# in 40, but a route may be at most 30 long including 5 of service per client.
LIMITED = """NAME : limited
TYPE : DCVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
DISTANCE : 30
SERVICE_TIME : 5
NODE_COORD_SECTION
1 0 0
2 10 0
3 -10 0
DEMAND_SECTION
1 0
2 1
3 1
DEPOT_SECTION
1
-1
EOF
"""

# Real distances: 0-(1,1) is sqrt(2), (1,1)-(2,0) is sqrt(2), (2,0)-0 is 2.
EXACT = """NAME : exact
TYPE : CVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : EXACT_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 1 1
3 2 0
DEMAND_SECTION
1 0
2 1
3 1
DEPOT_SECTION
1
-1
EOF
"""


def _read(tmp_path: Path, text: str) -> dict:
    path = tmp_path / "instance.vrp"
    path.write_text(text)
    return vrplib.read_instance(path)


def _route_length(instance: dict, stops: list[int]) -> float:
    coords = np.asarray(instance["node_coord"], dtype=float)
    sequence = [0, *stops, 0]
    legs = zip(sequence, sequence[1:], strict=False)
    return sum(float(np.hypot(*(coords[a] - coords[b]))) for a, b in legs)


def test_distance_limit_becomes_a_route_limit_that_every_route_obeys(tmp_path: Path) -> None:
    instance = _read(tmp_path, LIMITED)
    problem, _ = instance_problem(instance=instance)
    assert {v.max_duration_s for v in problem.vehicles} == {30}
    cost, plan = solve_cvrplib_instance(instance=instance, time_limit_s=1)
    assert not plan.unassigned
    assert len(plan.routes) == 2
    for route in plan.routes:
        stops = [int(stop.request_key) for stop in route.stops]
        assert _route_length(instance, stops) + 5 * len(stops) <= 30
    assert cost == 40


def test_exact_2d_cost_is_in_the_instance_units(tmp_path: Path) -> None:
    instance = _read(tmp_path, EXACT)
    assert rounding_convention(instance=instance) == "exact"
    cost, plan = solve_cvrplib_instance(instance=instance, time_limit_s=1)
    assert not plan.unassigned
    assert cost == pytest.approx(2 * 2**0.5 + 2, abs=1e-3)


def test_exact_convention_on_euclidean_files_keeps_real_distances(tmp_path: Path) -> None:
    instance = _read(tmp_path, EXACT.replace("EXACT_2D", "EUC_2D"))
    assert rounding_convention(instance=instance) == "round"
    rounded, _ = solve_cvrplib_instance(instance=instance, time_limit_s=1)
    exact, _ = solve_cvrplib_instance(instance=instance, time_limit_s=1, convention="exact")
    assert rounded == 1 + 1 + 2
    assert exact == pytest.approx(2 * 2**0.5 + 2, abs=1e-3)


def test_client_heavier_than_a_truck_is_refused_not_split(tmp_path: Path) -> None:
    instance = _read(tmp_path, EXACT.replace("2 1\n3 1", "2 11\n3 1"))
    with pytest.raises(ValueError, match="client 1 needs 11, more than the vehicle capacity 10"):
        instance_problem(instance=instance)


def test_fractional_demands_are_refused_not_truncated(tmp_path: Path) -> None:
    instance = _read(tmp_path, EXACT.replace("2 1\n3 1", "2 5.6\n3 4.6"))
    with pytest.raises(ValueError, match="whole-number demands"):
        instance_problem(instance=instance)


@pytest.mark.parametrize(
    ("field", "value"),
    [("prize", [0, 5, 5]), ("backhaul", [0, 1, 0]), ("release_time", [0, 3, 0])],
)
def test_fields_the_wrapper_does_not_model_are_refused(
    tmp_path: Path, field: str, value: list[int]
) -> None:
    instance = {**_read(tmp_path, EXACT), field: np.array(value)}
    with pytest.raises(ValueError, match=f"instance fields not supported: {field}"):
        instance_problem(instance=instance)


def test_an_uncapacitated_instance_is_refused_with_a_reason(tmp_path: Path) -> None:
    instance = _read(tmp_path, EXACT)
    del instance["capacity"]
    with pytest.raises(ValueError, match="only capacitated instances"):
        instance_problem(instance=instance)
