"""A delivery moves to the compound's gate one allowed step at a time, each step
timestamped and audited; a driver moves only its own truck's deliveries (on both
databases, called directly, without HTTP)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.words import english
from dispatch.commitment import commit_plan
from dispatch.demand import cancel_request
from dispatch.planning import PlanOptions, create_draft, load_plan
from dispatch.queries.demand import list_requests
from dispatch.tracking import move_delivery
from models import (
    Delivery,
    DeliveryEvent,
    DeliveryRequest,
    DeliveryStatus,
    RequestStatus,
    Role,
)
from tests.dispatch.factories import PLAN_DAY, make_city

DAY = PLAN_DAY
ZONE = ZoneInfo("Asia/Shanghai")
DISPATCHER = Principal(kind="user", id=1, name="ops", role=Role.dispatcher)


def _driver(truck_id: int | None) -> Principal:
    return Principal(kind="user", id=2, name="wang", role=Role.driver, truck_id=truck_id)


@pytest.fixture
def deliveries(session: Session) -> list[Delivery]:
    """The deliveries of a committed plan: two trucks, four compounds, none split."""
    make_city(session, day=DAY, trucks=[500, 500], loads=[200, 250, 150, 300])
    plan = create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="ops"
    )
    commit_plan(session=session, plan_id=plan.id, expected_version=1, actor="ops", zone=ZONE)
    return list(session.scalars(select(Delivery).order_by(Delivery.truck_id, Delivery.sequence)))


def _events(session: Session, delivery: Delivery) -> list[tuple[str | None, str, str]]:
    return [
        (
            None if event.from_status is None else event.from_status.value,
            event.to_status.value,
            event.actor,
        )
        for event in session.scalars(
            select(DeliveryEvent)
            .where(DeliveryEvent.delivery_id == delivery.id)
            .order_by(DeliveryEvent.id)
        )
    ]


def _step(session: Session, delivery: Delivery, to: str, **details: str) -> Delivery:
    return move_delivery(
        session=session,
        delivery_id=delivery.id,
        to_status=DeliveryStatus(to),
        principal=DISPATCHER,
        **details,
    )


def test_every_allowed_step_is_timestamped_and_audited_to_delivered(
    session: Session, deliveries: list[Delivery]
) -> None:
    delivery = deliveries[0]
    driver = _driver(delivery.truck_id)
    changed_at = [delivery.status_changed_at]
    for step in ("loaded", "en_route"):
        moved = move_delivery(
            session=session,
            delivery_id=delivery.id,
            to_status=DeliveryStatus(step),
            principal=driver,
        )
        assert moved.status.value == step and moved.delivered_at is None
        changed_at.append(moved.status_changed_at)
    done = move_delivery(
        session=session,
        delivery_id=delivery.id,
        to_status=DeliveryStatus.delivered,
        principal=driver,
        receiver_name="Wang Min",
    )
    changed_at.append(done.status_changed_at)

    assert done.status is DeliveryStatus.delivered and done.receiver_name == "Wang Min"
    assert changed_at == sorted(changed_at) and done.delivered_at == done.status_changed_at
    assert _events(session, done) == [
        (None, "assigned", "ops"),
        ("assigned", "loaded", driver.label),
        ("loaded", "en_route", driver.label),
        ("en_route", "delivered", driver.label),
    ]
    last = session.scalars(
        select(DeliveryEvent.at)
        .where(DeliveryEvent.delivery_id == done.id)
        .order_by(DeliveryEvent.id.desc())
    ).first()
    assert last == done.delivered_at
    request = session.get_one(DeliveryRequest, done.request_id)
    assert request.status is RequestStatus.delivered and request.delivered_at == done.delivered_at


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ([], "delivered"),
        ([], "en_route"),
        (["loaded"], "loaded"),
        (["loaded", "en_route"], "assigned"),
    ],
)
def test_a_step_that_is_not_allowed_is_refused_and_writes_nothing(
    session: Session, deliveries: list[Delivery], steps: list[str], refused: str
) -> None:
    delivery = deliveries[0]
    for step in steps:
        _step(session, delivery, step)
    before = _events(session, delivery)
    status, changed_at = delivery.status, delivery.status_changed_at
    with pytest.raises(Conflict) as error:
        _step(session, delivery, refused, receiver_name="Li")
    # The problem names the states in words ("en route"), the field by its code.
    was, wanted = english(status), english(DeliveryStatus(refused))
    assert f"cannot go from {was} to {wanted}" in error.value.detail
    assert error.value.errors == [{"loc": ["body", "status"], "msg": f"not allowed from {was}"}]
    assert (delivery.status, delivery.status_changed_at) == (status, changed_at)
    assert _events(session, delivery) == before


@pytest.mark.parametrize("final", ["delivered", "failed"])
def test_delivered_and_failed_are_final(
    session: Session, deliveries: list[Delivery], final: str
) -> None:
    delivery = deliveries[0]
    _step(session, delivery, "loaded")
    _step(session, delivery, "en_route")
    _step(session, delivery, final, receiver_name="Li", reason="gate closed")
    with pytest.raises(Conflict, match=r"allowed: none \(it is final\)"):
        _step(session, delivery, "failed", reason="again")


def test_delivered_needs_a_receiver_and_failed_needs_a_reason(
    session: Session, deliveries: list[Delivery]
) -> None:
    delivery = deliveries[0]
    with pytest.raises(InvalidInput) as nameless:
        _step(session, delivery, "failed")
    assert nameless.value.errors == [{"loc": ["body", "reason"], "msg": "required when failed"}]
    _step(session, delivery, "loaded")
    _step(session, delivery, "en_route")
    with pytest.raises(InvalidInput) as unsigned:
        _step(session, delivery, "delivered")
    assert unsigned.value.errors == [
        {"loc": ["body", "receiver_name"], "msg": "required when delivered"}
    ]
    failed = _step(session, delivery, "failed", reason="nobody at the gate")
    assert failed.failure_reason == "nobody at the gate" and failed.delivered_at is None
    request = session.get_one(DeliveryRequest, failed.request_id)
    assert request.status is RequestStatus.open  # back in the queue, see below


def test_a_driver_bound_to_another_truck_or_to_none_is_refused(
    session: Session, deliveries: list[Delivery]
) -> None:
    mine = deliveries[0]
    theirs = next(d for d in deliveries if d.truck_id != mine.truck_id)
    events = session.scalar(select(func.count()).select_from(DeliveryEvent))
    refused = [_driver(mine.truck_id), _driver(None)]
    refused.append(Principal(kind="user", id=3, name="li", role=Role.bureau))
    for principal in refused:
        with pytest.raises(Forbidden):
            move_delivery(
                session=session,
                delivery_id=theirs.id,
                to_status=DeliveryStatus.loaded,
                principal=principal,
            )
    assert theirs.status is DeliveryStatus.assigned
    assert session.scalar(select(func.count()).select_from(DeliveryEvent)) == events
    moved = move_delivery(
        session=session,
        delivery_id=theirs.id,
        to_status=DeliveryStatus.loaded,
        principal=_driver(theirs.truck_id),
    )
    assert moved.status is DeliveryStatus.loaded


def test_an_unknown_delivery_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="delivery 999999 not found"):
        move_delivery(
            session=session,
            delivery_id=999_999,
            to_status=DeliveryStatus.loaded,
            principal=DISPATCHER,
        )


def _open_queue(session: Session) -> list[tuple[int, str | None]]:
    """The day's open requests as the board lists them: id and why one came back."""
    found = list_requests(
        session=session, principal=DISPATCHER, status=RequestStatus.open, limit=100, offset=0
    )
    return [
        (view.id, view.last_failure.reason if view.last_failure else None) for view in found.items
    ]


def _planned_requests(session: Session) -> list[int]:
    """The requests a new draft of the day puts on trucks, one entry per stop."""
    plan = create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="ops"
    )
    stored = load_plan(session, plan.id)
    return sorted(stop.request_id for route in stored.routes for stop in route.stops)


def test_a_failed_delivery_returns_its_request_to_the_open_queue(
    session: Session, deliveries: list[Delivery]
) -> None:
    failed, delivered = deliveries[0], deliveries[1]
    assert _open_queue(session) == []
    _step(session, delivered, "loaded")
    _step(session, delivered, "en_route")
    _step(session, delivered, "delivered", receiver_name="Li")
    _step(session, failed, "loaded")
    _step(session, failed, "failed", reason="gate sealed")

    request = session.get_one(DeliveryRequest, failed.request_id)
    assert request.status is RequestStatus.open and request.delivered_at is None
    assert _open_queue(session) == [(failed.request_id, "gate sealed")]
    # the failed attempt stays as the request's history: the delivery and its event
    assert failed.status is DeliveryStatus.failed and failed.failure_reason == "gate sealed"
    assert _events(session, failed)[-1] == ("loaded", "failed", DISPATCHER.label)
    note = session.scalars(
        select(DeliveryEvent.note).where(
            DeliveryEvent.delivery_id == failed.id, DeliveryEvent.to_status == "failed"
        )
    ).one()
    assert note == "gate sealed"
    # the next plan takes it again, once; the delivered one stays delivered
    assert _planned_requests(session) == [failed.request_id]
    assert session.get_one(DeliveryRequest, delivered.request_id).status is (
        RequestStatus.delivered
    )


def test_the_returned_request_is_delivered_by_the_next_plan(
    session: Session, deliveries: list[Delivery]
) -> None:
    first = deliveries[0]
    _step(session, first, "failed", reason="nobody at the gate")
    plan = create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="ops"
    )
    commit_plan(session=session, plan_id=plan.id, expected_version=1, actor="ops", zone=ZONE)
    request = session.get_one(DeliveryRequest, first.request_id)
    assert request.status is RequestStatus.assigned
    second = session.scalars(
        select(Delivery).where(Delivery.request_id == request.id, Delivery.plan_id == plan.id)
    ).one()
    _step(session, second, "loaded")
    _step(session, second, "en_route")
    _step(session, second, "delivered", receiver_name="Li")
    assert request.status is RequestStatus.delivered  # the old failure does not hold it back
    assert _open_queue(session) == []
    history = list_requests(
        session=session, principal=DISPATCHER, status=RequestStatus.delivered, limit=10, offset=0
    ).items
    assert [(v.id, v.last_failure and v.last_failure.reason) for v in history] == [
        (request.id, "nobody at the gate")
    ]


def test_a_split_request_comes_back_once_and_a_cancelled_one_never(session: Session) -> None:
    make_city(session, day=DAY, trucks=[500, 500], loads=[800])
    plan = create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="ops"
    )
    commit_plan(session=session, plan_id=plan.id, expected_version=1, actor="ops", zone=ZONE)
    parts = list(session.scalars(select(Delivery).order_by(Delivery.part)))
    assert [part.part for part in parts] == [0, 1]
    request = session.get_one(DeliveryRequest, parts[0].request_id)

    _step(session, parts[0], "failed", reason="road closed")
    assert _open_queue(session) == [(request.id, "road closed")]
    cancel_request(session=session, principal=DISPATCHER, request_id=request.id)
    _step(session, parts[1], "failed", reason="road still closed")
    assert request.status is RequestStatus.cancelled
    assert _open_queue(session) == []


def test_a_second_failed_part_leaves_the_request_in_the_queue_once(session: Session) -> None:
    make_city(session, day=DAY, trucks=[500, 500], loads=[800])
    plan = create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="ops"
    )
    commit_plan(session=session, plan_id=plan.id, expected_version=1, actor="ops", zone=ZONE)
    first, second = session.scalars(select(Delivery).order_by(Delivery.part))
    _step(session, first, "failed", reason="road closed")
    _step(session, second, "failed", reason="flat tyre")
    assert _open_queue(session) == [(first.request_id, "flat tyre")]
    assert session.scalar(select(func.count()).select_from(DeliveryRequest)) == 1


def test_a_delivered_request_never_comes_back(session: Session, deliveries: list[Delivery]) -> None:
    delivery = deliveries[0]
    for step in ("loaded", "en_route"):
        _step(session, delivery, step)
    _step(session, delivery, "delivered", receiver_name="Li")
    with pytest.raises(Conflict):
        _step(session, delivery, "failed", reason="changed my mind")
    assert session.get_one(DeliveryRequest, delivery.request_id).status is (RequestStatus.delivered)
    assert _open_queue(session) == []
