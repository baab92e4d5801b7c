"""Delivery requests: a locked-down compound's collected orders for one day.

The weight of a request is computed from its items and the catalogue's unit weights, so
a truck's load is always what the products weigh rather than what somebody typed.
Dispatchers submit and manage any request; a receiver (a compound's property manager
or volunteer) submits requests for its own compound only (``dispatch.access``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.catalog import Catalog
from core.database import lock_for_change, serialize_on
from core.errors import Conflict, InvalidInput, NotFound
from core.lookups import get_optional_by_code, unknown_code
from core.text import FieldProblem, Text, field_problem, phrase
from core.typed_text import checked_line
from core.words import word
from dispatch.access import (
    require_compound_access,
    require_dispatcher,
    require_request_in_region,
)
from dispatch.master_data import check_ordered
from models import (
    Compound,
    DeliveryRequest,
    DeliveryRequestItem,
    Product,
    RequestPriority,
    RequestStatus,
    Role,
)

MAX_REQUEST_WEIGHT_KG = 1_000_000.0
"""A thousand tonnes: far beyond a compound's daily need, so a typo is refused."""

STATUS_CHANGES: dict[RequestStatus, tuple[RequestStatus, ...]] = {
    RequestStatus.cancelled: (RequestStatus.open, RequestStatus.failed),
    RequestStatus.open: (RequestStatus.failed, RequestStatus.cancelled),
}
"""The statuses a dispatcher may set by hand, and the ones each may be set from: cancel an
open or failed request, re-open a failed or cancelled one; the rest follow the plans."""


REQUEST_DAYS_AHEAD = 60
"""How far ahead a delivery can be asked for: a lockdown's deliveries are planned day by
day, and a date years away is a typing slip that would sit on the board unplanned."""

RECEIVER_REQUESTS_PER_DAY = 6
"""Requests in the queue or on their way a receiver may have for its compound on one day:
a morning and an evening run with room for a forgotten item, never the fleet (300 of
them routed 25 trucks to one compound). A dispatcher adds more when a day calls for it."""

REQUEST_QUEUE_LOCK_SPACE = 0x5357_4452  # advisory locks of a compound's day of requests ("SWDR")

NOTE_CHARS = 500
"""The longest note a request keeps (its column's length)."""

WEIGHT_DIGITS = 3
"""Weights are kept to the gram; an item that weighs less is refused, as the database
refuses a weight of 0."""


def _field_error(field: str, message: Text) -> InvalidInput:
    return InvalidInput(
        "{where}: {problem}",
        errors=[field_problem(["body", field], message)],
        where=field,
        problem=message,
    )


def request_by_id(session: Session, request_id: int) -> DeliveryRequest:
    """The delivery request with this id, or 404."""
    found = session.get(DeliveryRequest, request_id)
    if found is None:
        raise NotFound("delivery request {request_id} not found", request_id=request_id)
    return found


@dataclass(frozen=True, slots=True)
class ItemInput:
    """One ordered line as the caller gave it; ``unit`` None means the product's own."""

    product: str
    quantity: float
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class WeighedItem:
    product_id: int
    quantity: float
    unit: str
    weight_kg: float


def weigh_items(session: Session, items: Sequence[ItemInput]) -> list[WeighedItem]:
    """Each item's weight: quantity → product unit (via the unit tables) x kg per unit.

    Every unknown product or unit and every quantity that is not positive or weighs
    less than a gram is reported (``items.<i>.product`` / ``.unit`` / ``.quantity``), not
    just the first; nothing is returned unless all items are good.
    """
    if not items:
        raise _field_error("items", phrase("a request needs at least one item"))
    catalog = Catalog.load(session, store_codes=[])
    kg_per_unit = _kg_per_unit(session)
    errors: list[FieldProblem] = []
    weighed: list[WeighedItem] = []
    for index, item in enumerate(items):
        product = catalog.products.get(item.product)
        if product is None:
            errors.append(
                field_problem(
                    ["body", "items", index, "product"],
                    "unknown product {code!r}",
                    code=item.product,
                )
            )
            continue
        product_id, canonical = product.id, product.unit
        unit = item.unit or canonical
        factor = catalog.conversion_factor(product_id, canonical, unit)
        if isinstance(factor, Text):
            errors.append(field_problem(["body", "items", index, "unit"], factor))
            continue
        if not (math.isfinite(item.quantity) and item.quantity > 0):
            errors.append(field_problem(["body", "items", index, "quantity"], "must be positive"))
            continue
        weight = round(item.quantity * factor * kg_per_unit[product_id], WEIGHT_DIGITS)
        if weight <= 0:
            errors.append(
                field_problem(["body", "items", index, "quantity"], "is too small: it rounds to 0")
            )
            continue
        weighed.append(WeighedItem(product_id, item.quantity, unit, weight))
    if errors:
        raise InvalidInput(
            "{count} item(s) cannot be weighed: {first}",
            errors=errors,
            count=len(errors),
            first=errors[0].text,
        )
    return weighed


def _kg_per_unit(session: Session) -> dict[int, float]:
    return {int(i): float(kg) for i, kg in session.execute(select(Product.id, Product.kg_per_unit))}


def create_request(
    *,
    session: Session,
    compound: Compound,
    delivery_date: date,
    priority: RequestPriority,
    window_start: time,
    window_end: time,
    items: Sequence[ItemInput],
    note: str | None,
    created_by: str,
) -> DeliveryRequest:
    """A new open request whose weight is the sum of its weighed items."""
    note = checked_line(note, "note", limit=NOTE_CHARS)
    check_ordered(
        window_start, window_end, end_field="window_end", what=phrase("the delivery window")
    )
    weighed = weigh_items(session, items)
    total = round(sum(item.weight_kg for item in weighed), WEIGHT_DIGITS)
    if total > MAX_REQUEST_WEIGHT_KG:
        raise _field_error(
            "items",
            phrase(
                "{total} kg is more than {limit:g} kg", total=total, limit=MAX_REQUEST_WEIGHT_KG
            ),
        )
    request = DeliveryRequest(
        compound_id=compound.id,
        delivery_date=delivery_date,
        priority=priority,
        window_start=window_start,
        window_end=window_end,
        weight_kg=total,
        note=note,
        created_by=created_by,
        items=[
            DeliveryRequestItem(
                product_id=item.product_id,
                quantity=item.quantity,
                unit=item.unit,
                weight_kg=item.weight_kg,
            )
            for item in weighed
        ],
    )
    session.add(request)
    session.flush()
    return request


def _refuse_past_the_daily_requests(session: Session, compound: Compound, day: date) -> None:
    """A 409 once the compound's receivers have ``RECEIVER_REQUESTS_PER_DAY`` requests for
    ``day`` that are neither delivered, failed nor cancelled (counted one filing at a time)."""
    serialize_on(session, space=REQUEST_QUEUE_LOCK_SPACE, name=f"{compound.id}:{day}")
    pending = session.scalar(
        select(func.count())
        .select_from(DeliveryRequest)
        .where(
            DeliveryRequest.compound_id == compound.id,
            DeliveryRequest.delivery_date == day,
            DeliveryRequest.status.in_((RequestStatus.open, RequestStatus.assigned)),
        )
    )
    if int(pending or 0) >= RECEIVER_REQUESTS_PER_DAY:
        raise Conflict(
            "compound {code!r} already has {count} requests for {day}, as many as its "
            "receivers file for a day: ask the dispatcher to add one",
            errors=[
                field_problem(["body", "delivery_date"], "has as many requests as a day takes")
            ],
            code=compound.code,
            count=int(pending or 0),
            day=day,
        )


def submit_request(
    *,
    session: Session,
    principal: Principal,
    compound: str,
    delivery_date: date,
    priority: RequestPriority,
    window_start: time,
    window_end: time,
    items: Sequence[ItemInput],
    note: str | None,
    today: date,
) -> DeliveryRequest:
    """A caller's new request for the compound with this code, when it may order for it
    (a dispatcher for any compound, a receiver for its own, staff bound to a region for
    one inside it: one outside is refused as unknown), for a day from ``today`` to
    ``REQUEST_DAYS_AHEAD`` after it."""
    require_role(principal, Role.dispatcher, Role.receiver)
    if delivery_date < today:
        raise _field_error(
            "delivery_date", phrase("is in the past: the earliest day is {today}", today=today)
        )
    if delivery_date > today + timedelta(days=REQUEST_DAYS_AHEAD):
        raise _field_error(
            "delivery_date",
            phrase("is more than {days} days ahead", days=REQUEST_DAYS_AHEAD),
        )
    found = get_optional_by_code(
        session, Compound, compound, label=phrase("compound"), field="compound"
    )
    assert found is not None
    if not principal.in_region(found.region_id):
        raise unknown_code(label=phrase("compound"), code=compound, field="compound")
    require_compound_access(principal, found)
    if not found.active:
        # The planner leaves a deactivated compound's requests out without a word, so one
        # taken now would wait on the board for a truck that never comes.
        raise InvalidInput(
            "compound {code!r} is no longer served: it was deactivated",
            errors=[field_problem(["body", "compound"], "is deactivated")],
            code=found.code,
        )
    if principal.role is Role.receiver:
        _refuse_past_the_daily_requests(session, found, delivery_date)
    return create_request(
        session=session,
        compound=found,
        delivery_date=delivery_date,
        priority=priority,
        window_start=window_start,
        window_end=window_end,
        items=items,
        note=note,
        created_by=principal.label,
    )


def update_request(
    *, session: Session, principal: Principal, request_id: int, changes: Mapping[str, Any]
) -> DeliveryRequest:
    """Change an open request's priority, window or note, or its status by hand (cancel, or
    re-open a failed one); a request on its way is a 409, one outside the caller's
    region a 404."""
    require_dispatcher(principal)
    request = request_by_id(session, request_id)
    require_request_in_region(session, principal, request.id)
    lock_for_change(session, request)
    fields = dict(changes)
    new_status: RequestStatus | None = fields.pop("status", None)
    if fields and request.status is not RequestStatus.open:
        raise Conflict(
            "request {request_id} is {status}; only open ones change",
            request_id=request_id,
            status=word(request.status),
        )
    if new_status is not None:
        if request.status not in STATUS_CHANGES.get(new_status, ()):
            raise Conflict(
                "request {request_id} cannot go from {from_status} to {to_status}",
                request_id=request_id,
                from_status=word(request.status),
                to_status=word(new_status),
            )
    # The window is checked as it would become before anything changes: a refused change
    # leaves the request as it was.
    starts = fields.get("window_start")
    ends = fields.get("window_end")
    check_ordered(
        starts if starts is not None else request.window_start,
        ends if ends is not None else request.window_end,
        end_field="window_end",
        what=phrase("the delivery window"),
    )
    if "note" in fields:
        checked_line(fields["note"], "note", limit=NOTE_CHARS)
    if new_status is not None:
        request.status = new_status
    for name, value in fields.items():
        if value is None and name != "note":
            continue
        setattr(request, name, value)
    session.flush()
    return request


def cancel_request(*, session: Session, principal: Principal, request_id: int) -> DeliveryRequest:
    """Cancel an open request (kept for the record); one already planned is a 409, one
    outside the caller's region a 404."""
    require_dispatcher(principal)
    request = request_by_id(session, request_id)
    require_request_in_region(session, principal, request.id)
    lock_for_change(session, request)
    if request.status is not RequestStatus.open:
        raise Conflict(
            "request {request_id} is {status}; only open ones cancel",
            request_id=request_id,
            status=word(request.status),
        )
    request.status = RequestStatus.cancelled
    session.flush()
    return request
