"""Which trucks could take a stop: only those whose capacity, windows and shift still hold
with it on board, least added distance first (on both databases)."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Forbidden, InvalidInput
from dispatch.planning import PlanOptions, create_draft, load_plan, move_stop
from dispatch.suggestions import feasible_trucks
from models import Depot, DispatchPlan, Role
from tests.dispatch.factories import PLAN_DAY, make_city, make_truck

DAY = PLAN_DAY
ZONE = ZoneInfo("Asia/Shanghai")
DISPATCHER = Principal(kind="user", id=1, name="ops", role=Role.dispatcher)


def _arranged(session: Session) -> tuple[DispatchPlan, list[int]]:
    """Three 300 kg requests: two on T-1 (700 kg, now holding 600 kg), one on T-2 (700 kg);
    T-3 (250 kg) is too small for any, T-4 (2,000 kg) idle, T-5's shift ends at 7:30,
    before any window opens."""
    requests = make_city(session, day=DAY, trucks=[700, 700, 250, 2000], loads=[300, 300, 300])
    depot = session.scalars(select(Depot)).one()
    make_truck(session, depot=depot, plate="T-5", shift_start=time(6), shift_end=time(7, 30))
    plan = create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="test"
    )
    ids = [r.id for r in requests]
    for request_id, plate in zip(ids, ["T-1", "T-1", "T-2"], strict=True):
        move_stop(
            session=session,
            plan_id=plan.id,
            request_id=request_id,
            part=None,
            to_truck=plate,
            position=None,
            expected_version=None,
        )
    session.expire_all()
    plan = load_plan(session, plan.id)
    stops = {r.truck.plate: [s.request_id for s in r.stops] for r in plan.routes}
    assert stops == {"T-1": ids[:2], "T-2": ids[2:]}
    return plan, ids


def test_a_truck_over_capacity_or_out_of_shift_is_not_suggested(session: Session) -> None:
    plan, ids = _arranged(session)
    found = feasible_trucks(
        session=session,
        principal=DISPATCHER,
        plan_id=plan.id,
        request_id=ids[2],
        part=None,
        zone=ZONE,
    )
    assert found.current_truck == "T-2" and found.load_kg == 300
    assert found.trucks_tried == 4
    # T-1 would carry 900 kg of 700, T-3 300 of 250, T-5 cannot be there after 7:30.
    assert [s.truck for s in found.trucks] == ["T-4"]
    idle = found.trucks[0]
    assert (idle.position, idle.load_kg, idle.capacity_kg) == (0, 300, 2000)
    assert idle.added_km > 0 and idle.arrival.tzinfo is not None


def test_the_trucks_with_room_are_suggested_least_added_distance_first(session: Session) -> None:
    plan, ids = _arranged(session)
    found = feasible_trucks(
        session=session,
        principal=DISPATCHER,
        plan_id=plan.id,
        request_id=ids[0],
        part=None,
        zone=ZONE,
    )
    assert found.current_truck == "T-1"
    assert {s.truck for s in found.trucks} == {"T-2", "T-4"}
    assert [s.added_km for s in found.trucks] == sorted(s.added_km for s in found.trucks)
    joining = next(s for s in found.trucks if s.truck == "T-2")
    assert joining.load_kg == 600 and joining.position in (0, 1)
    # Following the suggestion is a move the plan accepts.
    move_stop(
        session=session,
        plan_id=plan.id,
        request_id=ids[0],
        part=None,
        to_truck="T-2",
        position=joining.position,
        expected_version=None,
    )
    session.expire_all()
    after = {
        r.truck.plate: [s.request_id for s in r.stops] for r in load_plan(session, plan.id).routes
    }
    assert after["T-2"].index(ids[0]) == joining.position and after["T-1"] == [ids[1]]


def test_a_stop_the_plan_does_not_have_is_refused_naming_the_request(session: Session) -> None:
    plan, ids = _arranged(session)
    with pytest.raises(InvalidInput) as refused:
        feasible_trucks(
            session=session,
            principal=DISPATCHER,
            plan_id=plan.id,
            request_id=max(ids) + 99,
            part=None,
            zone=ZONE,
        )
    assert refused.value.errors == [{"loc": ["query", "request_id"], "msg": refused.value.detail}]


def test_only_a_dispatcher_asks_which_trucks_could_take_a_stop(session: Session) -> None:
    plan, ids = _arranged(session)
    with pytest.raises(Forbidden):
        feasible_trucks(
            session=session,
            principal=Principal(kind="user", id=2, name="li", role=Role.bureau),
            plan_id=plan.id,
            request_id=ids[0],
            part=None,
            zone=ZONE,
        )
