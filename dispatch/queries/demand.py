"""Delivery requests as dispatchers, the bureau and receivers read them, with their items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.lookups import PageOf, page
from dispatch.access import (
    require_compound_access,
    require_compound_in_region,
    require_request_in_region,
)
from dispatch.demand import request_by_id
from dispatch.plan_rows import kg_left
from models import (
    Compound,
    Delivery,
    DeliveryRequest,
    DeliveryRequestItem,
    DeliveryStatus,
    Product,
    RequestPriority,
    RequestStatus,
    Role,
    Truck,
)


@dataclass(frozen=True, slots=True)
class RequestItemView:
    """One ordered line: the product by code, what was ordered and what it weighs."""

    product: str
    quantity: float
    unit: str
    weight_kg: float


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    """A delivery of the request that failed: which truck, when and why."""

    delivery_id: int
    plan_id: int
    plate: str
    failed_at: datetime
    reason: str | None


@dataclass(frozen=True, slots=True)
class RequestView:
    """A delivery request with its compound and items."""

    id: int
    compound: str
    compound_name: str
    delivery_date: date
    priority: RequestPriority
    window_start: time
    window_end: time
    weight_kg: float
    status: RequestStatus
    note: str | None
    created_by: str | None
    created_at: datetime
    delivered_at: datetime | None
    items: list[RequestItemView]
    last_failure: FailedAttempt | None
    """The latest failed delivery: why an open request came back to the queue."""
    kg_to_plan: int
    """What no committed delivery carries or has brought: all of an open request until a
    part of it goes out, then the rest (``dispatch.plan_rows.kg_still_to_plan``)."""


REQUEST_COLUMNS = (
    DeliveryRequest.id,
    Compound.code,
    Compound.name,
    DeliveryRequest.delivery_date,
    DeliveryRequest.priority,
    DeliveryRequest.window_start,
    DeliveryRequest.window_end,
    DeliveryRequest.weight_kg,
    DeliveryRequest.status,
    DeliveryRequest.note,
    DeliveryRequest.created_by,
    DeliveryRequest.created_at,
    DeliveryRequest.delivered_at,
)
"""What a request view shows, read as plain rows: a board lists hundreds of requests
with thousands of items, and building ORM objects for them took most of the page's time."""


def _requests() -> Select[*tuple[Any, ...]]:
    return select(*REQUEST_COLUMNS).join(Compound, DeliveryRequest.compound_id == Compound.id)


def _last_failures(session: Session, request_ids: Sequence[int]) -> dict[int, FailedAttempt]:
    """The latest failed delivery of each of these requests that had one (one query)."""
    latest: dict[int, FailedAttempt] = {}
    for request_id, delivery_id, plan_id, plate, failed_at, reason in session.execute(
        select(
            Delivery.request_id,
            Delivery.id,
            Delivery.plan_id,
            Truck.plate,
            Delivery.status_changed_at,
            Delivery.failure_reason,
        )
        .join(Truck, Truck.id == Delivery.truck_id)
        .where(Delivery.request_id.in_(request_ids), Delivery.status == DeliveryStatus.failed)
        .order_by(Delivery.status_changed_at, Delivery.id)
    ):
        latest[request_id] = FailedAttempt(delivery_id, plan_id, plate, failed_at, reason)
    return latest


def _views(session: Session, rows: Sequence[Row[Any]]) -> list[RequestView]:
    """Views of request rows (``REQUEST_COLUMNS``), with one query for all their items and
    their product codes and one for their latest failed deliveries."""
    request_ids = [row.id for row in rows]
    items: dict[int, list[RequestItemView]] = {request_id: [] for request_id in request_ids}
    for request_id, product, quantity, unit, weight_kg in session.execute(
        select(
            DeliveryRequestItem.request_id,
            Product.code,
            DeliveryRequestItem.quantity,
            DeliveryRequestItem.unit,
            DeliveryRequestItem.weight_kg,
        )
        .join(Product, Product.id == DeliveryRequestItem.product_id)
        .where(DeliveryRequestItem.request_id.in_(request_ids))
        .order_by(DeliveryRequestItem.id)
    ):
        items[request_id].append(RequestItemView(product, quantity, unit, weight_kg))
    failures = _last_failures(session, request_ids)
    left = kg_left(session, {row.id: row.weight_kg for row in rows})
    return [
        RequestView(
            id=row.id,
            compound=row.code,
            compound_name=row.name,
            delivery_date=row.delivery_date,
            priority=row.priority,
            window_start=row.window_start,
            window_end=row.window_end,
            weight_kg=row.weight_kg,
            status=row.status,
            note=row.note,
            created_by=row.created_by,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            items=items[row.id],
            last_failure=failures.get(row.id),
            kg_to_plan=left[row.id],
        )
        for row in rows
    ]


def request_view(*, session: Session, request_id: int) -> RequestView:
    """One request's view, for a request the caller was just allowed to create or change."""
    row = session.execute(_requests().where(DeliveryRequest.id == request_id)).one()
    return _views(session, [row])[0]


def list_requests(
    *,
    session: Session,
    principal: Principal,
    status: RequestStatus | None = None,
    priority: RequestPriority | None = None,
    delivery_date: date | None = None,
    compound: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[RequestView]:
    """Requests by id, filtered by status, priority, day or compound code; a receiver sees
    only its compound's, staff bound to a region only those of compounds inside it."""
    require_role(principal, Role.dispatcher, Role.bureau, Role.receiver)
    query = _requests().where(within_region(principal, Compound.region_id))
    query = query.order_by(DeliveryRequest.id)
    if principal.role is Role.receiver:
        query = query.where(DeliveryRequest.compound_id == principal.compound_id)
    if status is not None:
        query = query.where(DeliveryRequest.status == status)
    if priority is not None:
        query = query.where(DeliveryRequest.priority == priority)
    if delivery_date is not None:
        query = query.where(DeliveryRequest.delivery_date == delivery_date)
    if compound is not None:
        query = query.where(Compound.code == compound)
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(_views(session, rows), total, limit, offset)


def read_request(*, session: Session, principal: Principal, request_id: int) -> RequestView:
    """One request, or 404 (also when its compound is outside the caller's region); a
    receiver reads only its own compound's (403)."""
    request = request_by_id(session, request_id)
    require_request_in_region(session, principal, request.id)
    require_compound_access(principal, session.get_one(Compound, request.compound_id))
    return request_view(session=session, request_id=request.id)


@dataclass(frozen=True, slots=True)
class DeliveryLeg:
    """Where one planned delivery of a request stands, as its receiver follows it."""

    plate: str
    status: DeliveryStatus
    planned_arrival_at: datetime
    failure_reason: str | None
    receiver_name: str | None


@dataclass(frozen=True, slots=True)
class FollowedRequest:
    """A request with the deliveries planned for it, newest plan first."""

    request: RequestView
    deliveries: list[DeliveryLeg]


def followed_requests(
    *,
    session: Session,
    principal: Principal,
    compound_id: int | None = None,
    status: RequestStatus | None = None,
    delivery_date: date | None = None,
    limit: int,
) -> list[FollowedRequest]:
    """Requests newest first, each with its deliveries (truck, status, why one failed): a
    compound's for the people who ordered them, or the failed ones for the dispatcher
    (only of compounds inside the region of staff bound to one)."""
    if compound_id is not None:
        compound = session.get_one(Compound, compound_id)
        require_compound_in_region(principal, compound)
        require_compound_access(principal, compound)
    else:
        require_role(principal, Role.dispatcher, Role.bureau)
    query = _requests().where(within_region(principal, Compound.region_id))
    query = query.order_by(DeliveryRequest.id.desc()).limit(limit)
    if compound_id is not None:
        query = query.where(DeliveryRequest.compound_id == compound_id)
    if status is not None:
        query = query.where(DeliveryRequest.status == status)
    if delivery_date is not None:
        query = query.where(DeliveryRequest.delivery_date == delivery_date)
    views = _views(session, session.execute(query).all())
    legs: dict[int, list[DeliveryLeg]] = {view.id: [] for view in views}
    for request_id, plate, delivery_status, arrival, reason, received_by in session.execute(
        select(
            Delivery.request_id,
            Truck.plate,
            Delivery.status,
            Delivery.planned_arrival_at,
            Delivery.failure_reason,
            Delivery.receiver_name,
        )
        .join(Truck, Truck.id == Delivery.truck_id)
        .where(Delivery.request_id.in_(legs))
        .order_by(Delivery.id.desc())
    ):
        legs[request_id].append(DeliveryLeg(plate, delivery_status, arrival, reason, received_by))
    return [FollowedRequest(view, legs[view.id]) for view in views]
