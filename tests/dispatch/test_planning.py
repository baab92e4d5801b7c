"""Draft plans from the database: solved from the day's open requests, edited by hand with
every edit re-checked, and committed once (on both databases, solver limits of 1 s)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Conflict, InvalidInput
from dispatch import commitment
from dispatch.commitment import commit_plan
from dispatch.plan_rows import kg_still_to_plan
from dispatch.planning import PlanOptions, create_draft, discard, load_plan, move_stop, stored_plan
from dispatch.schedule import check_plan
from dispatch.tracking import move_delivery
from models import (
    Compound,
    Delivery,
    DeliveryRequest,
    DeliveryStatus,
    DispatchPlan,
    PlanStatus,
    RequestStatus,
    Role,
    Truck,
    TruckStatus,
)
from tests.dispatch.factories import PLAN_DAY, make_city, make_compound, make_request

DAY = PLAN_DAY
ZONE = ZoneInfo("Asia/Shanghai")


def _draft(session: Session) -> DispatchPlan:
    return create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="test"
    )


def _stops(session: Session, plan_id: int) -> dict[str, list[int]]:
    """Request ids in stop order by truck plate, as stored now."""
    session.expire_all()
    plan = load_plan(session, plan_id)
    return {route.truck.plate: [stop.request_id for stop in route.stops] for route in plan.routes}


def test_a_draft_routes_the_days_open_requests_and_assigns_nothing_yet(session: Session) -> None:
    requests = make_city(session, day=DAY, trucks=[1000, 1000], loads=[200, 300, 250])
    later = make_request(
        session, compound=make_compound(session), delivery_date=DAY + timedelta(days=1)
    )
    plan = _draft(session)

    assert plan.status is PlanStatus.draft and plan.version == 1
    served = sorted(
        request_id for stops in _stops(session, plan.id).values() for request_id in stops
    )
    assert served == sorted(r.id for r in requests)
    assert later.id not in served and plan.unassigned == []
    problem, stored = stored_plan(session, load_plan(session, plan.id))
    assert check_plan(problem=problem, plan=stored) == []
    statuses = set(session.scalars(select(DeliveryRequest.status)))
    assert statuses == {RequestStatus.open}


def test_a_draft_needs_trucks_and_open_requests(session: Session) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[])
    with pytest.raises(InvalidInput) as no_requests:
        _draft(session)
    assert no_requests.value.errors == [
        {
            "loc": ["body", "request_ids"],
            "msg": f"no open delivery request to plan on or before {DAY}",
        }
    ]
    for truck in session.scalars(select(Truck)):
        truck.status = TruckStatus.out_of_service
    make_request(session, compound=make_compound(session), delivery_date=DAY)
    with pytest.raises(InvalidInput) as no_trucks:
        _draft(session)
    assert no_trucks.value.errors == [
        {"loc": ["body", "trucks"], "msg": "no available truck to plan with"}
    ]


def test_a_hand_move_that_overloads_a_truck_is_refused_and_changes_nothing(
    session: Session,
) -> None:
    # 3 x 300 kg on two 700 kg trucks: one carries two stops (600 kg), the other one.
    make_city(session, day=DAY, trucks=[700, 700], loads=[300, 300, 300])
    plan = _draft(session)
    before = _stops(session, plan.id)
    full = max(before, key=lambda plate: len(before[plate]))
    single = next(plate for plate in before if plate != full)
    assert len(before[full]) == 2 and len(before[single]) == 1

    with pytest.raises(InvalidInput) as refused:
        move_stop(
            session=session,
            plan_id=plan.id,
            request_id=before[single][0],
            part=None,
            to_truck=full,
            position=None,
            expected_version=1,
        )
    assert f"vehicle {full}: load 900 kg exceeds its capacity 700 kg" in refused.value.detail
    assert _stops(session, plan.id) == before
    assert load_plan(session, plan.id).version == 1


def test_a_hand_move_that_fits_is_retimed_stored_and_bumps_the_version(session: Session) -> None:
    make_city(session, day=DAY, trucks=[1000, 1000], loads=[200, 200, 200])
    plan = _draft(session)
    before = _stops(session, plan.id)
    source = max(before, key=lambda plate: len(before[plate]))
    target = next(plate for plate in ("T-1", "T-2") if plate != source)
    moved = before[source][-1]

    move_stop(
        session=session,
        plan_id=plan.id,
        request_id=moved,
        part=None,
        to_truck=target,
        position=0,
        expected_version=1,
    )
    after = _stops(session, plan.id)
    assert after[target][0] == moved and moved not in after[source]
    stored = load_plan(session, plan.id)
    assert stored.version == 2
    problem, routes = stored_plan(session, stored)
    assert check_plan(problem=problem, plan=routes) == []

    with pytest.raises(Conflict, match="at version 2, not 1"):
        move_stop(
            session=session,
            plan_id=plan.id,
            request_id=moved,
            part=None,
            to_truck=source,
            position=None,
            expected_version=1,
        )


def test_taking_a_stop_off_the_plan_lists_it_unassigned(session: Session) -> None:
    requests = make_city(session, day=DAY, trucks=[1000], loads=[200, 200])
    plan = _draft(session)
    move_stop(
        session=session,
        plan_id=plan.id,
        request_id=requests[0].id,
        part=None,
        to_truck=None,
        position=None,
        expected_version=1,
    )
    session.expire_all()
    stored = load_plan(session, plan.id)
    assert [(u.request_id, u.reason.value) for u in stored.unassigned] == [
        (requests[0].id, "removed_by_dispatcher")
    ]


def test_only_one_of_two_overlapping_drafts_commits(session: Session) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[200, 300])
    first, second = _draft(session), _draft(session)

    commit_plan(session=session, plan_id=first.id, expected_version=1, actor="one", zone=ZONE)
    assert set(session.scalars(select(DeliveryRequest.status))) == {RequestStatus.assigned}
    assert set(session.scalars(select(Delivery.plan_id))) == {first.id}

    with pytest.raises(Conflict) as lost, session.begin_nested():
        commit_plan(session=session, plan_id=second.id, expected_version=1, actor="two", zone=ZONE)
    session.expire_all()  # the refused commit was rolled back, as the request's would be
    served = sorted(session.scalars(select(DeliveryRequest.id)))
    assert lost.value.extra == {"request_ids": served}
    assert session.get_one(DispatchPlan, second.id).status is PlanStatus.draft
    assert set(session.scalars(select(Delivery.plan_id))) == {first.id}


def test_a_commit_of_a_changed_discarded_or_outdated_draft_is_a_conflict(
    session: Session,
) -> None:
    make_city(session, day=DAY, trucks=[1000, 1000], loads=[200, 300])
    plan = _draft(session)
    with pytest.raises(Conflict, match="version 2 of the draft can no longer be committed"):
        commit_plan(session=session, plan_id=plan.id, expected_version=2, actor="x", zone=ZONE)

    for truck in session.scalars(select(Truck)):
        truck.status = TruckStatus.out_of_service
    session.flush()
    with pytest.raises(Conflict, match="went out of service"), session.begin_nested():
        commit_plan(session=session, plan_id=plan.id, expected_version=1, actor="x", zone=ZONE)
    session.expire_all()  # the refused commit was rolled back, as the request's would be

    discard(session=session, plan_id=plan.id)
    with pytest.raises(Conflict, match="is discarded"):
        commit_plan(session=session, plan_id=plan.id, expected_version=2, actor="x", zone=ZONE)
    assert session.scalars(select(Delivery)).all() == []


def test_a_breakdown_shares_its_time_limit_among_the_days_it_re_plans(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = DAY + timedelta(days=1)
    first, _ = make_city(session, day=DAY, trucks=[1000, 1000], loads=[100, 100])
    make_request(
        session, compound=session.get_one(Compound, first.compound_id), delivery_date=later
    )
    for day in (DAY, later):
        plan = create_draft(
            session=session,
            options=PlanOptions(plan_date=day, time_limit_s=1, truck_plates=["T-1"]),
            created_by="test",
        )
        commit_plan(session=session, plan_id=plan.id, expected_version=1, actor="test", zone=ZONE)
    limits: list[float] = []
    solve = commitment.plan_routes

    def timed(**arguments: Any) -> Any:
        limits.append(arguments["time_limit_s"])
        return solve(**arguments)

    monkeypatch.setattr(commitment, "plan_routes", timed)
    replans = commitment.breakdown(
        session=session, plate="T-1", actor="test", zone=ZONE, time_limit_s=5
    )
    # Two days of stops: the dispatcher waits 5 s in all, not 5 s a day.
    assert [plan.plan_date for plan in replans] == [DAY, later]
    assert limits == [2.5, 2.5]
    assert [plan.time_limit_s for plan in replans] == [2.5, 2.5]


def test_a_breakdown_over_two_days_leaves_a_request_open_when_one_days_part_found_no_truck(
    session: Session,
) -> None:
    """A split request whose part failed is carried the next day by the truck that carries
    its other part today. That truck breaks down; today's part finds no truck (the other
    one is already loaded), tomorrow's is carried again. The request goes back to open
    for today's part, not ``assigned`` as tomorrow's re-plan alone would have it (nobody
    would ever plan that part again)."""
    later = DAY + timedelta(days=1)
    [split] = make_city(session, day=DAY, trucks=[500, 500], loads=[800])
    today = _draft(session)
    commit_plan(session=session, plan_id=today.id, expected_version=1, actor="test", zone=ZONE)
    parts = {
        plate: delivery
        for delivery, plate in session.execute(
            select(Delivery, Truck.plate).join(Truck, Truck.id == Delivery.truck_id)
        )
    }
    dispatcher = Principal(kind="user", id=1, name="ops", role=Role.dispatcher)
    for step in ("loaded", "en_route", "failed"):
        move_delivery(
            session=session,
            delivery_id=parts["T-2"].id,
            to_status=DeliveryStatus(step),
            principal=dispatcher,
            **({"reason": "road closed"} if step == "failed" else {}),
        )
    tomorrow = create_draft(
        session=session,
        options=PlanOptions(plan_date=later, time_limit_s=1, truck_plates=["T-1"]),
        created_by="test",
    )
    commit_plan(session=session, plan_id=tomorrow.id, expected_version=1, actor="test", zone=ZONE)
    make_request(session, compound=make_compound(session), delivery_date=DAY, kg=100)
    busy = create_draft(
        session=session,
        options=PlanOptions(plan_date=DAY, time_limit_s=1, truck_plates=["T-2"]),
        created_by="test",
    )
    commit_plan(session=session, plan_id=busy.id, expected_version=1, actor="test", zone=ZONE)
    for delivery in session.scalars(select(Delivery).where(Delivery.plan_id == busy.id)):
        delivery.status = DeliveryStatus.loaded
    session.flush()
    on_the_broken_truck = session.execute(
        select(DispatchPlan.plan_date, Delivery.load_kg)
        .join(DispatchPlan, DispatchPlan.id == Delivery.plan_id)
        .join(Truck, Truck.id == Delivery.truck_id)
        .where(Delivery.request_id == split.id, Truck.plate == "T-1")
        .order_by(DispatchPlan.plan_date)
    ).all()
    assert [day for day, _ in on_the_broken_truck] == [DAY, later]

    session.expire_all()  # the breakdown is a request of its own: it reads the rows afresh
    commitment.breakdown(session=session, plate="T-1", actor="test", zone=ZONE, time_limit_s=2)

    session.expire_all()
    request = session.get_one(DeliveryRequest, split.id)
    assert request.status is RequestStatus.open
    assert kg_still_to_plan(session, [request]) == {split.id: on_the_broken_truck[0][1]}


def test_a_breakdown_leaves_a_truck_that_is_out_delivering_its_stops(session: Session) -> None:
    """T-2's driver delivered a first stop and drives on; its next stops still read
    assigned. When T-1 breaks down, T-2 keeps its trip: its stops are neither cancelled
    nor handed on, and the broken truck's stops go to the truck still at the depot."""
    make_city(session, day=DAY, trucks=[1000, 1000, 1000], loads=[300] * 6)
    plan = create_draft(
        session=session,
        options=PlanOptions(plan_date=DAY, time_limit_s=1, truck_plates=["T-1", "T-2"]),
        created_by="test",
    )
    commit_plan(session=session, plan_id=plan.id, expected_version=1, actor="test", zone=ZONE)
    plates = dict(session.execute(select(Truck.id, Truck.plate)).all())
    out = [
        d
        for d in session.scalars(select(Delivery).order_by(Delivery.sequence))
        if plates[d.truck_id] == "T-2"
    ]
    assert len(out) >= 2
    dispatcher = Principal(kind="user", id=1, name="ops", role=Role.dispatcher)
    for step in ("loaded", "en_route", "delivered"):
        move_delivery(
            session=session,
            delivery_id=out[0].id,
            to_status=DeliveryStatus(step),
            principal=dispatcher,
            **({"receiver_name": "Li"} if step == "delivered" else {}),
        )
    session.expire_all()

    commitment.breakdown(session=session, plate="T-1", actor="test", zone=ZONE, time_limit_s=2)

    session.expire_all()
    kept = {
        d.id: d.status
        for d in session.scalars(select(Delivery).where(Delivery.id.in_([d.id for d in out])))
    }
    assert kept == {out[0].id: DeliveryStatus.delivered} | {
        d.id: DeliveryStatus.assigned for d in out[1:]
    }
    active = session.scalars(
        select(Truck.plate)
        .join(Delivery, Delivery.truck_id == Truck.id)
        .where(Delivery.status == DeliveryStatus.assigned)
    ).all()
    assert set(active) == {"T-2", "T-3"}
