"""Dispatchers plan a day with the solver, edit the draft by hand, commit it once, and
re-plan when a truck breaks down; every returned route is checked independently."""

from __future__ import annotations

import math
from collections import Counter
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from dispatch.planning import PLAN_DAYS_AHEAD, load_plan, stored_plan
from dispatch.schedule import check_plan
from models import (
    Compound,
    Delivery,
    DeliveryRequest,
    DeliveryStatus,
    Depot,
    DispatchPlan,
    PlanRoute,
    RequestStatus,
    Role,
    Truck,
    TruckStatus,
)
from tests.dispatch.factories import (
    CENTRE,
    PLAN_DAY,
    make_city,
    make_compound,
    make_depot,
    make_request,
    make_truck,
)
from tests.factories import business_today, make_key, make_region

DAY = PLAN_DAY
PLANS = "/api/v1/dispatch/plans"


@pytest.fixture
def dispatcher(session: Session) -> dict[str, str]:
    return make_key(session, Role.dispatcher)


def _plan(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    body.setdefault("date", DAY.isoformat())
    body.setdefault("time_limit_s", 1)
    return client.post(PLANS, json=body, headers=headers)


def assert_feasible(session: Session, plan: dict[str, Any]) -> None:
    """Check the plan as returned, without the solver: every route's load fits its truck,
    service starts inside each window, each served request gets exactly its weight in
    distinct stops, and the schedule checker finds nothing wrong with the stored plan."""
    capacities = dict(session.execute(select(Truck.plate, Truck.capacity_kg)).all())
    delivered: Counter[int] = Counter()
    visits: Counter[tuple[int, int | None]] = Counter()
    for route in plan["routes"]:
        assert sum(stop["load_kg"] for stop in route["stops"]) <= capacities[route["truck"]]
        assert route["load_kg"] <= route["capacity_kg"] == capacities[route["truck"]]
        for stop in route["stops"]:
            service_start = (
                datetime.fromisoformat(stop["arrival"]).timestamp() + 60 * stop["wait_minutes"]
            )
            opens = datetime.fromisoformat(stop["arrival"]).replace(
                hour=int(stop["window_start"][:2]), minute=int(stop["window_start"][3:5]), second=0
            )
            closes = opens.replace(
                hour=int(stop["window_end"][:2]), minute=int(stop["window_end"][3:5])
            )
            assert opens.timestamp() - 1 <= service_start <= closes.timestamp()
            delivered[stop["request_id"]] += stop["load_kg"]
            visits[(stop["request_id"], stop["part"])] += 1
    assert all(count == 1 for count in visits.values())
    unassigned = {entry["request_id"] for entry in plan["unassigned"]}
    weights = dict(session.execute(select(DeliveryRequest.id, DeliveryRequest.weight_kg)).all())
    for request_id, kg in delivered.items():
        if request_id not in unassigned:
            assert kg == math.ceil(weights[request_id])
    problem, stored = stored_plan(session, load_plan(session, plan["id"]))
    assert check_plan(problem=problem, plan=stored) == []


def test_dispatcher_plans_a_day_and_every_route_is_feasible(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(
        session, day=DAY, trucks=[1000, 1000, 1500], loads=[150, 300, 220, 80, 400, 260, 90]
    )
    response = _plan(client, dispatcher)
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["status"] == "draft" and plan["version"] == 1
    assert plan["unassigned"] == []
    assert plan["totals"]["requests_served"] == len(requests)
    assert plan["totals"]["distance_km"] > 0
    assert plan["totals"]["load_kg"] == sum(math.ceil(r.weight_kg) for r in requests)
    assert_feasible(session, plan)
    again = client.get(f"{PLANS}/{plan['id']}", headers=dispatcher).json()
    assert again == plan


def test_unassigned_requests_say_why(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000, 1000], loads=[5000, 100])
    night = make_compound(session, code="CP-NIGHT")
    early = make_request(
        session, compound=night, delivery_date=DAY, kg=50, window=(time(1, 0), time(2, 0))
    )
    plan = _plan(client, dispatcher).json()
    reasons = {entry["request_id"]: entry["reason"] for entry in plan["unassigned"]}
    assert reasons == {requests[0].id: "too_heavy", early.id: "window_unreachable"}
    assert_feasible(session, plan)


def test_urgent_requests_are_never_left_out_while_a_normal_one_is_served(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(
        session, day=DAY, trucks=[1000, 1000], loads=[900, 900, 900], urgent=frozenset({2})
    )
    plan = _plan(client, dispatcher).json()
    assert [(u["request_id"], u["reason"]) for u in plan["unassigned"]] == [
        (plan["unassigned"][0]["request_id"], "capacity_exhausted")
    ]
    assert plan["unassigned"][0]["request_id"] != requests[2].id
    assert plan["unassigned"][0]["priority"] == "normal"
    assert_feasible(session, plan)


def test_a_request_heavier_than_a_truck_is_split_over_several(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    (big,) = make_city(session, day=DAY, trucks=[2000, 2000, 2000], loads=[3000])
    plan = _plan(client, dispatcher).json()
    stops = [stop for route in plan["routes"] for stop in route["stops"]]
    assert sorted(stop["part"] for stop in stops) == [0, 1]
    assert sum(stop["load_kg"] for stop in stops) == 3000
    assert {stop["request_id"] for stop in stops} == {big.id}
    assert_feasible(session, plan)


def test_an_uploaded_distance_matrix_is_used(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[100, 100])
    locations = ["DEP-A", "CP-1", "CP-2"]
    distance = [[0, 4000, 7000], [4000, 0, 2500], [7000, 2500, 0]]
    response = _plan(
        client,
        dispatcher,
        distance_matrix={"locations": locations, "distance_m": distance},
    )
    assert response.status_code == 201, response.text
    plan = response.json()
    assert plan["distance_source"] == "uploaded matrix"
    assert plan["totals"]["distance_km"] == 13.5
    assert_feasible(session, plan)
    missing = _plan(
        client,
        dispatcher,
        distance_matrix={"locations": locations[:2], "distance_m": [[0, 1], [1, 0]]},
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "distance_matrix", "locations"]
    ragged = _plan(
        client,
        dispatcher,
        distance_matrix={"locations": locations, "distance_m": [[0, 1], [1, 0]]},
    )
    assert ragged.json()["errors"][0]["loc"] == ["body", "distance_matrix", "distance_m"]


def test_a_matrix_cannot_be_used_when_a_depot_and_a_compound_share_a_code(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    (request,) = make_city(session, day=DAY, trucks=[1000], loads=[100])
    session.get_one(Compound, request.compound_id).code = "DEP-A"
    session.commit()
    refused = _plan(
        client,
        dispatcher,
        distance_matrix={"locations": ["DEP-A"], "distance_m": [[0]]},
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "distance_matrix", "locations"]
    assert "both a depot and a compound" in refused.json()["errors"][0]["msg"]
    assert _plan(client, dispatcher).status_code == 201  # by coordinates, each is its own


@pytest.mark.parametrize("speed", [1e-16, 1e-300, 0.5, 0, 151])
def test_a_speed_no_truck_drives_is_refused_naming_it(
    client: TestClient, session: Session, dispatcher: dict[str, str], speed: float
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[100])
    response = _plan(client, dispatcher, speed_kmh=speed)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "speed_kmh"]
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 0


@pytest.mark.parametrize("limit", [0, 0.5, 601, -3])
def test_a_solver_time_limit_out_of_bounds_is_refused(
    client: TestClient, session: Session, dispatcher: dict[str, str], limit: float
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[100])
    response = _plan(client, dispatcher, time_limit_s=limit)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "time_limit_s"]
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 0


@pytest.mark.parametrize("day", ["9999-12-31", "1970-01-01"])
def test_a_plan_for_a_day_off_the_calendar_is_refused_and_takes_no_request(
    client: TestClient, session: Session, dispatcher: dict[str, str], day: str
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[100])
    response = _plan(client, dispatcher, date=day)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "date"]
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 0


@pytest.mark.parametrize("offset_days", [-2, PLAN_DAYS_AHEAD + 1, 365 * 36])
def test_a_plan_for_a_day_far_from_today_is_refused_and_takes_no_request(
    client: TestClient, session: Session, dispatcher: dict[str, str], offset_days: int
) -> None:
    # A mistyped year (2062 for 2026) would take every open request onto a far day.
    yesterday = business_today() - timedelta(days=1)
    make_city(session, day=yesterday, trucks=[1000], loads=[100])
    day = business_today() + timedelta(days=offset_days)
    response = _plan(client, dispatcher, date=day.isoformat())
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "date"]
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 0
    jobs = client.post(
        "/api/v1/dispatch/plan-jobs", json={"date": day.isoformat()}, headers=dispatcher
    )
    assert jobs.status_code == 422, jobs.text
    # A night shift may still plan the day just gone.
    assert _plan(client, dispatcher, date=yesterday.isoformat()).status_code == 201


def test_a_plan_with_no_trucks_or_no_requests_is_a_clear_answer(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    no_trucks = _plan(client, dispatcher)
    assert no_trucks.status_code == 422
    assert no_trucks.json()["errors"][0]["loc"] == ["body", "trucks"]
    assert "no available truck" in no_trucks.json()["detail"]
    make_truck(session, depot=make_depot(session))
    no_requests = _plan(client, dispatcher)
    assert no_requests.status_code == 422
    assert no_requests.json()["errors"][0]["loc"] == ["body", "request_ids"]
    unknown = _plan(client, dispatcher, request_ids=[999_999], trucks=["NOPE"])
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "trucks", 0]


def test_named_requests_follow_the_day_and_compound_rules_of_a_whole_day_plan(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    due, later, closed = make_city(session, day=DAY, trucks=[1000], loads=[100, 100, 100])
    later.delivery_date = DAY + timedelta(days=5)
    session.get_one(Compound, closed.compound_id).active = False
    session.commit()
    refused = _plan(client, dispatcher, request_ids=[due.id, later.id, closed.id])
    assert refused.status_code == 422, refused.text
    errors = refused.json()["errors"]
    assert [error["loc"] for error in errors] == [
        ["body", "request_ids", 1],
        ["body", "request_ids", 2],
    ]
    assert (DAY + timedelta(days=5)).isoformat() in errors[0][
        "msg"
    ] and "no longer served" in errors[1]["msg"]
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 0
    planned = _plan(client, dispatcher, request_ids=[due.id]).json()
    assert [stop["request_id"] for stop in planned["routes"][0]["stops"]] == [due.id]


def test_a_stop_moved_to_another_truck_is_re_timed_and_checked(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000, 1000], loads=[100, 200, 300])
    plan = _plan(client, dispatcher, trucks=["T-1"]).json()
    assert plan["routes"][0]["truck"] == "T-1"
    moved = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={
            "request_id": requests[1].id,
            "to_truck": "T-1",
            "position": 0,
            "expected_version": 1,
        },
        headers=dispatcher,
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["routes"][0]["stops"][0]["request_id"] == requests[1].id
    assert moved.json()["version"] == 2
    assert_feasible(session, moved.json())
    stale = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={"request_id": requests[1].id, "to_truck": None, "expected_version": 1},
        headers=dispatcher,
    )
    assert stale.status_code == 409


def test_a_split_part_taken_off_the_draft_can_be_put_back(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    (big,) = make_city(session, day=DAY, trucks=[1000, 1000], loads=[1500])
    plan = _plan(client, dispatcher).json()
    truck, part = next(
        (route["truck"], stop["part"]) for route in plan["routes"] for stop in route["stops"]
    )
    off = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={"request_id": big.id, "part": part, "to_truck": None, "expected_version": 1},
        headers=dispatcher,
    )
    assert off.status_code == 200, off.text
    assert [row["request_id"] for row in off.json()["unassigned"]] == [big.id]
    back = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={"request_id": big.id, "part": part, "to_truck": truck, "expected_version": 2},
        headers=dispatcher,
    )
    assert back.status_code == 200, back.text
    assert back.json()["unassigned"] == []
    assert_feasible(session, back.json())
    unknown_part = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={"request_id": big.id, "part": 7, "to_truck": truck, "expected_version": 3},
        headers=dispatcher,
    )
    assert unknown_part.status_code == 422, unknown_part.text
    assert unknown_part.json()["errors"][0]["loc"] == ["body", "request_id"]
    committed = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 3}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text


def test_a_stop_taken_off_the_draft_says_the_dispatcher_removed_it_and_can_be_put_back(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    """Two requests want their gate opened at 08:00-08:05, so one truck serves only one of
    them (time_exhausted), and a third may come any time. The dispatcher takes the third
    off the draft: it is listed as removed by the dispatcher, not as if no truck had room,
    and the request the planner left off keeps its own reason. Put back, it is a stop."""
    tight = make_city(
        session, day=DAY, trucks=[1000], loads=[200, 300], window=(time(8, 0), time(8, 5))
    )
    anytime = make_request(
        session,
        compound=make_compound(session, code="CP-ANY", latitude=CENTRE[0] + 0.01),
        delivery_date=DAY,
        kg=100,
    )
    plan = _plan(client, dispatcher).json()
    (left_off,) = plan["unassigned"]
    assert left_off["request_id"] in {r.id for r in tight}
    assert left_off["reason"] == "time_exhausted"
    (route,) = plan["routes"]
    position = [stop["request_id"] for stop in route["stops"]].index(anytime.id)

    off = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={"request_id": anytime.id, "to_truck": None, "expected_version": 1},
        headers=dispatcher,
    )
    assert off.status_code == 200, off.text
    reasons = {row["request_id"]: row["reason"] for row in off.json()["unassigned"]}
    assert reasons == {
        anytime.id: "removed_by_dispatcher",
        left_off["request_id"]: "time_exhausted",
    }
    assert client.get(f"{PLANS}/{plan['id']}", headers=dispatcher).json() == off.json()

    back = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={
            "request_id": anytime.id,
            "to_truck": "T-1",
            "position": position,
            "expected_version": 2,
        },
        headers=dispatcher,
    )
    assert back.status_code == 200, back.text
    assert back.json()["unassigned"] == [left_off]
    assert anytime.id in [stop["request_id"] for stop in back.json()["routes"][0]["stops"]]
    assert_feasible(session, back.json())
    committed = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 3}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text


def test_an_edit_that_overloads_a_truck_is_refused_and_nothing_is_saved(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000, 1000], loads=[700, 700])
    plan = _plan(client, dispatcher).json()
    by_request = {s["request_id"]: r["truck"] for r in plan["routes"] for s in r["stops"]}
    first, second = (by_request[r.id] for r in requests)
    assert first != second
    refused = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={"request_id": requests[0].id, "to_truck": second, "expected_version": 1},
        headers=dispatcher,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert any("exceeds its capacity" in e["msg"] for e in refused.json()["errors"])
    assert client.get(f"{PLANS}/{plan['id']}", headers=dispatcher).json() == plan
    late = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={"request_id": requests[0].id, "to_truck": "NOPE", "expected_version": 1},
        headers=dispatcher,
    )
    assert late.status_code == 422 and late.json()["errors"][0]["loc"] == ["body", "to_truck"]


def test_a_window_missed_after_an_edit_is_reported(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    region = make_region(session)
    depot = make_depot(session, code="DEP-A")
    make_truck(session, depot=depot, plate="T-1", capacity_kg=5000)
    far = make_compound(session, region=region, latitude=CENTRE[0] + 0.3, longitude=CENTRE[1])
    near = make_compound(session, region=region, latitude=CENTRE[0] + 0.01, longitude=CENTRE[1])
    tight = make_request(
        session, compound=near, delivery_date=DAY, kg=10, window=(time(7, 0), time(7, 30))
    )
    make_request(session, compound=far, delivery_date=DAY, kg=10, window=(time(7, 0), time(18, 0)))
    plan = _plan(client, dispatcher).json()
    assert plan["routes"][0]["stops"][0]["request_id"] == tight.id
    refused = client.post(
        f"{PLANS}/{plan['id']}/moves",
        json={"request_id": tight.id, "to_truck": "T-1", "position": 1, "expected_version": 1},
        headers=dispatcher,
    )
    assert refused.status_code == 422
    assert any("after its window closes" in e["msg"] for e in refused.json()["errors"])


def test_commit_creates_deliveries_and_a_second_commit_of_an_overlapping_plan_loses(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000, 1000], loads=[100, 200, 300])
    first = _plan(client, dispatcher).json()
    second = _plan(client, dispatcher).json()
    committed = client.post(
        f"{PLANS}/{first['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    assert committed.json()["status"] == "committed"
    statuses = set(session.scalars(select(DeliveryRequest.status)))
    assert statuses == {RequestStatus.assigned}
    deliveries = session.scalars(select(Delivery)).all()
    assert sorted(d.request_id for d in deliveries) == sorted(r.id for r in requests)
    assert {d.status for d in deliveries} == {DeliveryStatus.assigned}
    lost = client.post(
        f"{PLANS}/{second['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert lost.status_code == 409
    assert session.scalar(select(func.count()).select_from(Delivery)) == len(deliveries)
    assert client.get(f"{PLANS}/{second['id']}", headers=dispatcher).json()["status"] == "draft"
    twice = client.post(
        f"{PLANS}/{first['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert twice.status_code == 409


def test_breakdown_re_plans_undelivered_stops_and_keeps_delivered_ones(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[600, 600, 600, 600], loads=[250, 250, 250, 250, 250, 250])
    plan = _plan(client, dispatcher, trucks=["T-1", "T-2", "T-3"]).json()
    client.post(f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher)
    route = plan["routes"][0]
    broken_plate = route["truck"]
    done = session.scalars(
        select(Delivery).where(Delivery.request_id == route["stops"][0]["request_id"])
    ).one()
    done.status = DeliveryStatus.delivered
    session.flush()
    response = client.post(f"/api/v1/trucks/{broken_plate}/breakdown", headers=dispatcher)
    assert response.status_code == 200, response.text
    (replan,) = response.json()
    assert replan["status"] == "committed" and replan["replaces_plan_id"] == plan["id"]
    assert broken_plate not in {r["truck"] for r in replan["routes"]}
    assert replan["unassigned"] == []
    assert_feasible(session, replan)
    session.expire_all()
    assert session.get_one(Delivery, done.id).status is DeliveryStatus.delivered
    assert (
        session.scalars(select(Truck.status).where(Truck.plate == broken_plate)).one()
        is TruckStatus.out_of_service
    )
    active = session.scalars(
        select(Delivery).where(Delivery.status == DeliveryStatus.assigned)
    ).all()
    served = Counter(d.request_id for d in active)
    assert all(count == 1 for count in served.values())
    assert len(served) == 5 and done.request_id not in served


@pytest.mark.parametrize("role", [Role.driver, Role.bureau])
def test_only_dispatchers_plan(client: TestClient, session: Session, role: Role) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[100])
    assert _plan(client, make_key(session, role)).status_code == 403


def test_breakdown_leaves_a_loaded_truck_on_its_trip(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[600, 600, 600, 600], loads=[250] * 6)
    plan = _plan(client, dispatcher, trucks=["T-1", "T-2", "T-3"]).json()
    client.post(f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher)
    broken, busy = plan["routes"][0]["truck"], plan["routes"][1]["truck"]
    on_board = session.scalars(
        select(Delivery).join(Truck, Truck.id == Delivery.truck_id).where(Truck.plate == busy)
    ).all()
    for delivery in on_board:
        delivery.status = DeliveryStatus.loaded
    session.flush()
    response = client.post(f"/api/v1/trucks/{broken}/breakdown", headers=dispatcher)
    assert response.status_code == 200, response.text
    (replan,) = response.json()
    assert {broken, busy}.isdisjoint(r["truck"] for r in replan["routes"])
    assert replan["unassigned"] == []
    assert_feasible(session, replan)
    session.expire_all()
    assert {session.get_one(Delivery, d.id).status for d in on_board} == {DeliveryStatus.loaded}


def test_a_breakdown_with_no_truck_to_take_over_sends_the_requests_back_to_open(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[100, 100])
    plan = _plan(client, dispatcher).json()
    client.post(f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher)
    response = client.post(
        "/api/v1/trucks/T-1/breakdown", json={"time_limit_s": 1}, headers=dispatcher
    )
    assert response.status_code == 200, response.text
    (replan,) = response.json()
    assert replan["status"] == "committed" and replan["routes"] == []
    session.expire_all()
    assert {r.status for r in session.scalars(select(DeliveryRequest))} == {RequestStatus.open}
    assert {d.status for d in session.scalars(select(Delivery))} == {DeliveryStatus.cancelled}
    assert session.scalars(select(Truck.status)).one() is TruckStatus.out_of_service


def test_a_split_request_whose_truck_breaks_down_is_planned_again_for_the_lost_part_only(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    (big,) = make_city(session, day=DAY, trucks=[1000, 1000], loads=[1500])
    plan = _plan(client, dispatcher).json()
    committed = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    carried = {
        route["truck"]: sum(stop["load_kg"] for stop in route["stops"]) for route in plan["routes"]
    }
    on_the_road, broken = sorted(carried)
    for delivery in session.scalars(
        select(Delivery)
        .join(Truck, Truck.id == Delivery.truck_id)
        .where(Truck.plate == on_the_road)
    ):
        delivery.status = DeliveryStatus.loaded
    session.commit()
    response = client.post(
        f"/api/v1/trucks/{broken}/breakdown", json={"time_limit_s": 1}, headers=dispatcher
    )
    assert response.status_code == 200, response.text
    assert response.json()[0]["routes"] == []  # the other truck is loaded: nobody takes over
    session.expire_all()
    assert session.get_one(DeliveryRequest, big.id).status is RequestStatus.open

    make_truck(session, depot=session.scalars(select(Depot)).one(), plate="T-3")
    session.commit()
    again = _plan(client, dispatcher).json()
    stops = [stop for route in again["routes"] for stop in route["stops"]]
    # The part on the road is not sent a second time: only the lost kilograms go out.
    assert sum(stop["load_kg"] for stop in stops) == carried[broken] == 1500 - carried[on_the_road]
    assert again["unassigned"] == []
    problem, stored = stored_plan(session, load_plan(session, again["id"]))
    assert check_plan(problem=problem, plan=stored) == []
    assert client.post(
        f"{PLANS}/{again['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    ).is_success


def test_a_breakdown_re_plans_what_is_left_of_a_split_request_not_the_lost_load(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    """A 2,500 kg request goes out on three trucks. One part is delivered, another fails
    at the gate (the request goes back to the open queue for that part), then the third
    truck breaks down: the re-plan sends the failed and the lost parts, never the
    delivered one again, and the request is assigned with nothing left to plan."""
    (big,) = make_city(session, day=DAY, trucks=[1000, 1000, 1000, 1000], loads=[2500])
    plan = _plan(client, dispatcher, trucks=["T-1", "T-2", "T-3"]).json()
    committed = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    made, failed, broken = sorted(
        session.scalars(select(Delivery).where(Delivery.request_id == big.id)),
        key=lambda delivery: delivery.id,
    )
    status = "/api/v1/deliveries/{}/status"
    for step in ("loaded", "en_route"):
        client.post(status.format(made.id), json={"status": step}, headers=dispatcher)
    delivered = client.post(
        status.format(made.id),
        json={"status": "delivered", "receiver_name": "Gate office"},
        headers=dispatcher,
    )
    assert delivered.status_code == 200, delivered.text
    gate = client.post(
        status.format(failed.id),
        json={"status": "failed", "reason": "gate sealed"},
        headers=dispatcher,
    )
    assert gate.status_code == 200, gate.text
    queued = client.get(f"/api/v1/delivery-requests/{big.id}", headers=dispatcher).json()
    assert queued["status"] == "open" and queued["kg_to_plan"] == failed.load_kg

    broken_plate = session.get_one(Truck, broken.truck_id).plate
    response = client.post(
        f"/api/v1/trucks/{broken_plate}/breakdown", json={"time_limit_s": 1}, headers=dispatcher
    )
    assert response.status_code == 200, response.text
    (replan,) = response.json()
    stops = [stop for route in replan["routes"] for stop in route["stops"]]
    # What is left of the request, not only the broken truck's load: before, the re-plan
    # carried the broken truck's part alone and the failed part waited for another plan.
    assert {stop["request_id"] for stop in stops} == {big.id}
    assert sum(stop["load_kg"] for stop in stops) == 2500 - made.load_kg
    assert sum(stop["load_kg"] for stop in stops) == failed.load_kg + broken.load_kg
    assert replan["unassigned"] == []
    problem, stored = stored_plan(session, load_plan(session, replan["id"]))
    assert check_plan(problem=problem, plan=stored) == []
    request = client.get(f"/api/v1/delivery-requests/{big.id}", headers=dispatcher).json()
    assert request["status"] == "assigned" and request["kg_to_plan"] == 0
    nothing_left = _plan(client, dispatcher)
    assert nothing_left.status_code == 422, nothing_left.text


@pytest.mark.parametrize(
    "changes",
    [{"status": "out_of_service"}, {"capacity_kg": 1}, {"shift_end": "09:00"}],
)
def test_a_truck_with_committed_stops_keeps_what_they_were_planned_with(
    client: TestClient, session: Session, dispatcher: dict[str, str], changes: dict[str, Any]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[100, 100])
    plan = _plan(client, dispatcher).json()
    client.post(f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher)
    refused = client.patch("/api/v1/trucks/T-1", json=changes, headers=dispatcher)
    assert refused.status_code == 409, refused.text
    assert "/api/v1/trucks/T-1/breakdown" in refused.json()["detail"]
    assert client.delete("/api/v1/trucks/T-1", headers=dispatcher).status_code == 409
    session.expire_all()
    truck = session.scalars(select(Truck)).one()
    assert (truck.status, truck.capacity_kg) == (TruckStatus.available, 1000)
    crew = client.patch("/api/v1/trucks/T-1", json={"crew": "Zhang Wei"}, headers=dispatcher)
    assert crew.status_code == 200, crew.text


@pytest.mark.parametrize(
    ("path", "change"),
    [
        ("/api/v1/delivery-requests/{request}", {"window_start": "01:00", "window_end": "01:30"}),
        ("/api/v1/trucks/T-1", {"capacity_kg": 1}),
        ("/api/v1/trucks/T-1", {"shift_start": "05:00", "shift_end": "06:00"}),
    ],
)
def test_a_draft_that_no_longer_holds_with_todays_rows_is_not_committed(
    client: TestClient,
    session: Session,
    dispatcher: dict[str, str],
    path: str,
    change: dict[str, Any],
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000], loads=[300, 300])
    plan = _plan(client, dispatcher).json()
    assert plan["unassigned"] == []
    changed = client.patch(path.format(request=requests[0].id), json=change, headers=dispatcher)
    assert changed.status_code == 200, changed.text
    refused = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert refused.status_code == 409, refused.text
    assert "no longer holds" in refused.json()["detail"]
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    session.expire_all()
    assert {r.status for r in session.scalars(select(DeliveryRequest))} == {RequestStatus.open}


def test_a_commit_refused_for_requests_that_left_the_queue_names_only_those(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    """A draft serves A, B and C; A's window changes (A stays open, and the draft still
    holds), B is cancelled, C is left alone: the refusal names B, the one request no
    longer open to assign, not every request of the plan, and nothing is assigned."""
    a, b, c = make_city(session, day=DAY, trucks=[1000], loads=[100, 200, 300])
    plan = _plan(client, dispatcher).json()
    assert plan["unassigned"] == []
    changed = client.patch(
        f"/api/v1/delivery-requests/{a.id}",
        json={"window_start": "07:00", "window_end": "19:00"},
        headers=dispatcher,
    )
    assert changed.status_code == 200, changed.text
    cancelled = client.delete(f"/api/v1/delivery-requests/{b.id}", headers=dispatcher)
    assert cancelled.status_code == 200, cancelled.text
    refused = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["request_ids"] == [b.id]
    assert refused.json()["detail"].startswith(f"request(s) {b.id} were")
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    session.expire_all()
    assert [session.get_one(DeliveryRequest, r.id).status for r in (a, b, c)] == [
        RequestStatus.open,
        RequestStatus.cancelled,
        RequestStatus.open,
    ]


@pytest.mark.parametrize("note", ["night \u202ethgin", "night\nshift", "\x1b[1mnight", "\u200b"])
def test_a_plan_note_that_is_not_one_visible_line_is_refused_and_no_plan_is_made(
    client: TestClient, session: Session, dispatcher: dict[str, str], note: str
) -> None:
    """A plan's note heads it on the board: a mark that reverses the text, a line break,
    a terminal escape or nothing visible is refused naming the note."""
    make_city(session, day=DAY, trucks=[1000], loads=[100])
    refused = _plan(client, dispatcher, note=note)
    assert refused.status_code == 422, refused.text
    assert [error["loc"] for error in refused.json()["errors"]] == [["body", "note"]]
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 0


def test_a_request_only_partly_planned_is_not_committed_as_if_whole(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(
        session, day=DAY, trucks=[1000, 1000], loads=[1500, 900], urgent=frozenset({1})
    )
    plan = _plan(client, dispatcher).json()
    split = requests[0].id
    left = [row for row in plan["unassigned"] if row["request_id"] == split]
    planned = [
        stop for route in plan["routes"] for stop in route["stops"] if stop["request_id"] == split
    ]
    assert left and planned, plan  # the solver serves part of the 1,500 kg and leaves the rest
    refused = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["request_ids"] == [split]
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_a_truck_is_not_sent_out_again_before_its_committed_route_brings_it_back(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000], loads=[100, 100, 100])
    first, second, third = (request.id for request in requests)
    morning = _plan(client, dispatcher, request_ids=[first]).json()
    rival = _plan(client, dispatcher, request_ids=[second]).json()
    committed = client.post(
        f"{PLANS}/{morning['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    back = datetime.fromisoformat(morning["routes"][0]["end"])
    # Solved while T-1 was free: committing it now would send T-1 out twice at once.
    refused = client.post(
        f"{PLANS}/{rival['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["trucks"] == ["T-1"]
    assert "committed route" in refused.json()["detail"]
    # A second plan of the day (new requests came in) sends T-1 out once it is back, and
    # an edit of that draft keeps it so.
    later = _plan(client, dispatcher, request_ids=[second, third]).json()
    assert later["unassigned"] == []
    assert datetime.fromisoformat(later["routes"][0]["start"]) >= back
    moved = client.post(
        f"{PLANS}/{later['id']}/moves",
        json={"request_id": third, "to_truck": "T-1", "position": 0, "expected_version": 1},
        headers=dispatcher,
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["routes"][0]["start"]) >= back
    done = client.post(
        f"{PLANS}/{later['id']}/commit", json={"expected_version": 2}, headers=dispatcher
    )
    assert done.status_code == 200, done.text
    arrivals = sorted(session.scalars(select(Delivery.planned_arrival_at)))
    assert len(arrivals) == 3 and arrivals[1] >= back


def test_a_truck_out_until_the_end_of_its_shift_is_not_planned_again_that_day(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000, 1000], loads=[100, 100])
    session.execute(update(Truck).values(shift_start=time(7, 0), shift_end=time(9, 0)))
    session.commit()
    morning = _plan(client, dispatcher, request_ids=[requests[0].id], trucks=["T-1"]).json()
    assert morning["unassigned"] == [], morning
    committed = client.post(
        f"{PLANS}/{morning['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    # Back at 09:00 at the earliest, the end of its shift: named, it is refused ...
    session.execute(update(PlanRoute).values(end_s=9 * 3600))
    session.commit()
    named = _plan(client, dispatcher, request_ids=[requests[1].id], trucks=["T-1"])
    assert named.status_code == 422, named.text
    assert named.json()["errors"][0]["loc"] == ["body", "trucks", 0]
    assert "09:00" in named.json()["errors"][0]["msg"]
    # ... and left out when the dispatcher names no truck.
    anyone = _plan(client, dispatcher, request_ids=[requests[1].id]).json()
    assert [route["truck"] for route in anyone["routes"]] == ["T-2"]


def test_a_closed_depot_sends_no_truck_out_and_closes_only_once_its_trucks_are_back(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000], loads=[100, 100])
    other = make_depot(session, code="DEP-B")
    make_truck(session, depot=other, plate="B-1")
    session.commit()
    out = _plan(client, dispatcher, request_ids=[requests[0].id], trucks=["B-1"]).json()
    committed = client.post(
        f"{PLANS}/{out['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    draft = _plan(client, dispatcher, request_ids=[requests[1].id], trucks=["T-1"]).json()
    # B-1 still carries a committed stop: its depot stays open until that is settled.
    refused = client.delete("/api/v1/depots/DEP-B", headers=dispatcher)
    assert refused.status_code == 409, refused.text
    assert refused.json()["trucks"] == ["B-1"]
    (stop,) = session.scalars(select(Delivery.id)).all()
    failed = client.post(
        f"/api/v1/deliveries/{stop}/status",
        json={"status": "failed", "reason": "road closed"},
        headers=dispatcher,
    )
    assert failed.status_code == 200, failed.text
    assert client.delete("/api/v1/depots/DEP-B", headers=dispatcher).status_code == 200
    assert client.delete("/api/v1/depots/DEP-A", headers=dispatcher).status_code == 200
    # A draft solved before its truck's depot closed is not committed; no new plan uses it.
    stale = client.post(
        f"{PLANS}/{draft['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert stale.status_code == 409 and "T-1" in stale.json()["detail"]
    named = _plan(client, dispatcher, trucks=["T-1"])
    assert named.status_code == 422, named.text
    assert "closed" in named.json()["errors"][0]["msg"]
    assert _plan(client, dispatcher).json()["errors"][0]["loc"] == ["body", "trucks"]


def test_a_discarded_draft_cannot_be_committed(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[100])
    plan = _plan(client, dispatcher).json()
    discarded = client.post(f"{PLANS}/{plan['id']}/discard", headers=dispatcher)
    assert discarded.json()["status"] == "discarded"
    refused = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 2}, headers=dispatcher
    )
    assert refused.status_code == 409
    listed = client.get(PLANS, params={"status": "discarded"}, headers=dispatcher).json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
