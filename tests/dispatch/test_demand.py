"""Delivery requests: weighed from their items, submitted for a compound the caller may
order for, changed only while open, cancelled or re-opened by hand."""

from __future__ import annotations

from datetime import time

import pytest
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Conflict, Forbidden, InvalidInput
from dispatch.demand import ItemInput, cancel_request, submit_request, update_request
from models import DeliveryRequest, RequestPriority, RequestStatus, Role
from tests.dispatch.factories import PLAN_DAY, make_compound
from tests.factories import make_product

DAY = PLAN_DAY
DISPATCHER = Principal(kind="user", id=1, name="ops", role=Role.dispatcher)


def _submit(session: Session, principal: Principal, compound: str) -> DeliveryRequest:
    return submit_request(
        session=session,
        principal=principal,
        compound=compound,
        delivery_date=DAY,
        priority=RequestPriority.normal,
        window_start=time(8),
        window_end=time(12),
        items=[ItemInput("rice", 2, "bag"), ItemInput("pork", 6, "jin")],
        note=None,
        today=DAY,
    )


@pytest.fixture
def catalogue(session: Session) -> None:
    """Rice by the kg with a 10 kg bag; pork by the kg (a jin is half of one)."""
    make_product(session, code="rice", category="grain", conversions={"bag": 10.0})
    make_product(session, code="pork", category="meat")


def test_a_request_weighs_what_its_items_weigh_and_names_who_submitted_it(
    session: Session, catalogue: None
) -> None:
    make_compound(session, code="CP-1")
    request = _submit(session, DISPATCHER, "CP-1")
    assert [item.weight_kg for item in request.items] == [20.0, 3.0]
    assert request.weight_kg == 23.0 and request.status is RequestStatus.open
    assert request.created_by == DISPATCHER.label


def test_a_receiver_submits_for_its_own_compound_only(session: Session, catalogue: None) -> None:
    home, other = make_compound(session, code="CP-HOME"), make_compound(session, code="CP-OTHER")
    receiver = Principal(kind="key", id=2, name="gate", role=Role.receiver, compound_id=home.id)
    assert _submit(session, receiver, "CP-HOME").compound_id == home.id
    with pytest.raises(Forbidden, match="not bound to compound CP-OTHER"):
        _submit(session, receiver, other.code)
    with pytest.raises(Forbidden):
        _submit(session, Principal(kind="key", id=3, name="li", role=Role.bureau), "CP-HOME")
    with pytest.raises(InvalidInput) as unknown:
        _submit(session, DISPATCHER, "CP-404")
    assert unknown.value.errors == [
        {"loc": ["body", "compound"], "msg": "unknown compound 'CP-404'"}
    ]


def test_an_open_request_changes_and_a_planned_one_does_not(
    session: Session, catalogue: None
) -> None:
    make_compound(session, code="CP-1")
    request = _submit(session, DISPATCHER, "CP-1")
    changed = update_request(
        session=session,
        principal=DISPATCHER,
        request_id=request.id,
        changes={"priority": RequestPriority.urgent, "window_end": time(14), "note": "gate 2"},
    )
    assert (changed.priority, changed.window_end, changed.note) == (
        RequestPriority.urgent,
        time(14),
        "gate 2",
    )
    with pytest.raises(InvalidInput, match="the delivery window ends at 07:00:00"):
        update_request(
            session=session,
            principal=DISPATCHER,
            request_id=request.id,
            changes={"window_end": time(7)},
        )
    request.status = RequestStatus.assigned
    with pytest.raises(Conflict, match="is assigned; only open ones change"):
        update_request(
            session=session, principal=DISPATCHER, request_id=request.id, changes={"note": "x"}
        )
    with pytest.raises(Conflict, match="cannot go from assigned to cancelled"):
        update_request(
            session=session,
            principal=DISPATCHER,
            request_id=request.id,
            changes={"status": RequestStatus.cancelled},
        )
    with pytest.raises(Conflict, match="is assigned; only open ones cancel"):
        cancel_request(session=session, principal=DISPATCHER, request_id=request.id)


def test_a_failed_request_is_reopened_or_cancelled_by_hand(
    session: Session, catalogue: None
) -> None:
    make_compound(session, code="CP-1")
    request = _submit(session, DISPATCHER, "CP-1")
    request.status = RequestStatus.failed
    reopened = update_request(
        session=session,
        principal=DISPATCHER,
        request_id=request.id,
        changes={"status": RequestStatus.open},
    )
    assert reopened.status is RequestStatus.open
    cancelled = cancel_request(session=session, principal=DISPATCHER, request_id=request.id)
    assert cancelled.status is RequestStatus.cancelled
    receiver = Principal(kind="key", id=2, name="gate", role=Role.receiver, compound_id=1)
    with pytest.raises(Forbidden):
        cancel_request(session=session, principal=receiver, request_id=request.id)
