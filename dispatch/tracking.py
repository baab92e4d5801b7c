"""Deliveries from the depot to the compound's gate, one allowed step at a time.

A delivery moves assigned → loaded → en_route → delivered (with who received it) or
failed (with why) from any state before delivered; nothing else. Every step is
timestamped on the delivery and written to its audit trail, and a driver bound to a
truck can only move that truck's deliveries. When all of a request's deliveries are
made the request is delivered (the clock for request-to-delivery time stops there).
When one fails, the request goes back to the open queue in the same transaction, so the
next plan takes it again; the failed delivery and its event stay as the attempt's record.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Conflict, InvalidInput, NotFound
from core.text import field_problem, listing, phrase
from core.typed_text import checked_line
from core.words import word
from dispatch.access import require_delivery_in_region, require_truck_access
from models import (
    Delivery,
    DeliveryEvent,
    DeliveryRequest,
    DeliveryStatus,
    RequestStatus,
)
from models.base import utc_now

TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    DeliveryStatus.assigned: frozenset({DeliveryStatus.loaded, DeliveryStatus.failed}),
    DeliveryStatus.loaded: frozenset({DeliveryStatus.en_route, DeliveryStatus.failed}),
    DeliveryStatus.en_route: frozenset({DeliveryStatus.delivered, DeliveryStatus.failed}),
}
"""Allowed next states; delivered, failed and cancelled are final."""

RECEIVER_NAME_CHARS = 200
REASON_CHARS = 500
NOTE_CHARS = 500
"""The longest receiver's name, failure reason and note a step keeps (their columns)."""

RETURNS_ON_FAILURE = frozenset({RequestStatus.assigned, RequestStatus.failed})
"""A request in these statuses goes back to the open queue when a delivery of it fails
(failed: recorded before failures returned requests by themselves)."""


def delivery_by_id(session: Session, delivery_id: int, *, lock: bool = False) -> Delivery:
    """The delivery, or 404 (locked for update when it is about to change)."""
    query = select(Delivery).where(Delivery.id == delivery_id)
    found = session.scalars(query.with_for_update() if lock else query).first()
    if found is None:
        raise NotFound("delivery {delivery_id} not found", delivery_id=delivery_id)
    return found


def move_delivery(
    *,
    session: Session,
    delivery_id: int,
    to_status: DeliveryStatus,
    principal: Principal,
    receiver_name: str | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> Delivery:
    """Move a delivery one allowed step and record it; a step not allowed is a 409 that
    names the states, a missing receiver or reason a 422 naming the field, as is one that
    is not one visible line (``checked_line``)."""
    receiver_name = checked_line(receiver_name, "receiver_name", limit=RECEIVER_NAME_CHARS)
    reason = checked_line(reason, "reason", limit=REASON_CHARS)
    note = checked_line(note, "note", limit=NOTE_CHARS)
    delivery = delivery_by_id(session, delivery_id, lock=True)
    require_delivery_in_region(session, principal, delivery)
    require_truck_access(principal, delivery.truck_id)
    allowed = TRANSITIONS.get(delivery.status, frozenset())
    if to_status not in allowed:
        choices = (
            listing([word(s) for s in sorted(allowed, key=lambda s: s.value)])
            if allowed
            else phrase("none (it is final)")
        )
        raise Conflict(
            "delivery {delivery_id} cannot go from {from_status} to {to_status}; "
            "allowed: {choices}",
            errors=[
                field_problem(
                    ["body", "status"], "not allowed from {status}", status=word(delivery.status)
                )
            ],
            delivery_id=delivery_id,
            from_status=word(delivery.status),
            to_status=word(to_status),
            choices=choices,
        )
    if to_status is DeliveryStatus.delivered and not receiver_name:
        raise InvalidInput(
            "a delivered delivery needs the receiver's name",
            errors=[field_problem(["body", "receiver_name"], "required when delivered")],
        )
    if to_status is DeliveryStatus.failed and not reason:
        raise InvalidInput(
            "a failed delivery needs a reason",
            errors=[field_problem(["body", "reason"], "required when failed")],
        )
    now = utc_now()
    session.add(
        DeliveryEvent(
            delivery_id=delivery.id,
            from_status=delivery.status,
            to_status=to_status,
            at=now,
            actor=principal.label,
            note=note or reason or receiver_name,
        )
    )
    delivery.status = to_status
    delivery.status_changed_at = now
    if to_status is DeliveryStatus.delivered:
        delivery.receiver_name = receiver_name
        delivery.delivered_at = now
    if to_status is DeliveryStatus.failed:
        delivery.failure_reason = reason
    session.flush()
    _settle_request(session, delivery.request_id, to_status, now)
    return delivery


def _settle_request(session: Session, request_id: int, step: DeliveryStatus, now: datetime) -> None:
    """A failed delivery puts its planned request back in the open queue; the request is
    delivered when every delivery still meant for it (not failed or cancelled) is. An open
    request (already waiting to be planned), a delivered or a cancelled one stays as it is."""
    request = session.get_one(
        DeliveryRequest, request_id, populate_existing=True, with_for_update=True
    )  # as stored now (plans change statuses by bulk UPDATEs), and held until the commit
    if step is DeliveryStatus.failed and request.status in RETURNS_ON_FAILURE:
        request.status = RequestStatus.open
    elif step is DeliveryStatus.delivered and request.status is RequestStatus.assigned:
        pending = set(
            session.scalars(
                select(Delivery.status).where(
                    Delivery.request_id == request_id,
                    Delivery.status.not_in((DeliveryStatus.cancelled, DeliveryStatus.failed)),
                )
            )
        )
        if pending == {DeliveryStatus.delivered}:
            request.status = RequestStatus.delivered
            request.delivered_at = now
    session.flush()
