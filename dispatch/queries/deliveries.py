"""Deliveries as dispatchers, the bureau and drivers read them: each with its audit trail,
and a truck's manifest for a day (what it carries and to whom, in driving order)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.lookups import PageOf, page
from dispatch.access import (
    compounds_within_region,
    require_delivery_in_region,
    require_delivery_reader,
    require_truck_reader,
)
from dispatch.master_data import truck_by_plate
from dispatch.tracking import delivery_by_id
from models import (
    Compound,
    Delivery,
    DeliveryEvent,
    DeliveryRequest,
    DeliveryRequestItem,
    DeliveryStatus,
    DispatchPlan,
    Product,
    Role,
    Truck,
)


@dataclass(frozen=True, slots=True)
class EventView:
    """One step of a delivery's audit trail."""

    from_status: DeliveryStatus | None
    to_status: DeliveryStatus
    at: datetime
    actor: str
    note: str | None


@dataclass(frozen=True, slots=True)
class DeliveryView:
    """A delivery of a committed plan with its truck's plate and its audit trail."""

    id: int
    plan_id: int
    request_id: int
    truck: str
    sequence: int
    part: int | None
    load_kg: int
    planned_arrival_at: datetime
    status: DeliveryStatus
    status_changed_at: datetime
    receiver_name: str | None
    failure_reason: str | None
    delivered_at: datetime | None
    events: list[EventView]


def _views(session: Session, deliveries: Sequence[Delivery]) -> list[DeliveryView]:
    """Views of these deliveries (one query for their plates, one for their events)."""
    ids = [d.id for d in deliveries]
    plates = dict(
        session.execute(
            select(Truck.id, Truck.plate).where(Truck.id.in_({d.truck_id for d in deliveries}))
        ).all()
    )
    events: dict[int, list[EventView]] = {}
    for event in session.scalars(
        select(DeliveryEvent).where(DeliveryEvent.delivery_id.in_(ids)).order_by(DeliveryEvent.id)
    ):
        events.setdefault(event.delivery_id, []).append(
            EventView(event.from_status, event.to_status, event.at, event.actor, event.note)
        )
    return [
        DeliveryView(
            id=delivery.id,
            plan_id=delivery.plan_id,
            request_id=delivery.request_id,
            truck=plates[delivery.truck_id],
            sequence=delivery.sequence,
            part=delivery.part,
            load_kg=delivery.load_kg,
            planned_arrival_at=delivery.planned_arrival_at,
            status=delivery.status,
            status_changed_at=delivery.status_changed_at,
            receiver_name=delivery.receiver_name,
            failure_reason=delivery.failure_reason,
            delivered_at=delivery.delivered_at,
            events=events.get(delivery.id, []),
        )
        for delivery in deliveries
    ]


def delivery_view(*, session: Session, delivery_id: int) -> DeliveryView:
    """One delivery's view, for a delivery the caller was just allowed to move."""
    return _views(session, [delivery_by_id(session, delivery_id)])[0]


def list_deliveries(
    *,
    session: Session,
    principal: Principal,
    truck: str | None = None,
    status: DeliveryStatus | None = None,
    plan_date: date | None = None,
    limit: int,
    offset: int,
) -> PageOf[DeliveryView]:
    """Deliveries by id, of one truck (by plate), status or plan day when asked; a driver
    sees only its own truck's, staff bound to a region only those to compounds inside it."""
    require_role(principal, Role.dispatcher, Role.bureau, Role.driver)
    query = select(Delivery).order_by(Delivery.id)
    if principal.is_region_bound:
        query = query.where(
            Delivery.request_id.in_(
                select(DeliveryRequest.id).where(
                    compounds_within_region(principal, DeliveryRequest.compound_id)
                )
            )
        )
    if principal.role is Role.driver:
        query = query.where(Delivery.truck_id == principal.truck_id)
    if truck is not None:
        query = query.where(Delivery.truck_id == truck_by_plate(session, truck).id)
    if status is not None:
        query = query.where(Delivery.status == status)
    if plan_date is not None:
        query = query.where(
            Delivery.plan_id.in_(select(DispatchPlan.id).where(DispatchPlan.plan_date == plan_date))
        )
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(_views(session, [row[0] for row in rows]), total, limit, offset)


def read_delivery(*, session: Session, principal: Principal, delivery_id: int) -> DeliveryView:
    """One delivery and its audit trail, or 404 (also when its compound is outside the
    caller's region); a driver reads only its truck's (403)."""
    delivery = delivery_by_id(session, delivery_id)
    require_delivery_in_region(session, principal, delivery)
    require_delivery_reader(principal, delivery.truck_id)
    return _views(session, [delivery])[0]


@dataclass(frozen=True, slots=True)
class ManifestItem:
    """One product of a stop's request: what to hand over."""

    product: str
    product_name: str
    quantity: float
    unit: str
    weight_kg: float
    product_name_zh: str | None = None
    """The product's Chinese name, when the catalogue has one."""


@dataclass(frozen=True, slots=True)
class ManifestStop:
    """One stop of a truck's day: where, whom to call, what to hand over."""

    delivery_id: int
    sequence: int
    planned_arrival_at: datetime
    status: str
    request_id: int
    part: int | None
    priority: str
    load_kg: int
    compound: str
    compound_name: str
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    receiver_name: str | None
    failure_reason: str | None
    """Why the driver could not deliver (a failed stop)."""
    items: list[ManifestItem]


@dataclass(frozen=True, slots=True)
class Manifest:
    """What a truck carries on a day and to whom, in driving order."""

    plate: str
    crew: str | None
    crew_phone: str | None
    capacity_kg: int
    date: date
    load_kg: int
    stops: list[ManifestStop]


def items_to_hand_over(session: Session, request_ids: set[int]) -> dict[int, list[ManifestItem]]:
    """The products each request ordered, by request id, as a manifest lists them."""
    items: dict[int, list[ManifestItem]] = {}
    for item, code, name, name_zh in session.execute(
        select(DeliveryRequestItem, Product.code, Product.name, Product.name_zh)
        .join(Product, Product.id == DeliveryRequestItem.product_id)
        .where(DeliveryRequestItem.request_id.in_(request_ids))
        .order_by(DeliveryRequestItem.id)
    ):
        items.setdefault(item.request_id, []).append(
            ManifestItem(code, name, item.quantity, item.unit, item.weight_kg, name_zh)
        )
    return items


def _manifest(session: Session, principal: Principal, truck: Truck, day: date) -> Manifest:
    """What a truck carries on ``day`` and to whom, in the order it drives (cancelled
    deliveries left out, and for staff bound to a region the stops outside it); the items
    are the whole request's, the load this truck's part."""
    rows = session.execute(
        select(Delivery, DeliveryRequest, Compound)
        .join(DispatchPlan, DispatchPlan.id == Delivery.plan_id)
        .join(DeliveryRequest, DeliveryRequest.id == Delivery.request_id)
        .join(Compound, Compound.id == DeliveryRequest.compound_id)
        .where(
            Delivery.truck_id == truck.id,
            DispatchPlan.plan_date == day,
            Delivery.status != DeliveryStatus.cancelled,
            within_region(principal, Compound.region_id),
        )
        .order_by(Delivery.planned_arrival_at, Delivery.id)
    ).all()
    items = items_to_hand_over(session, {request.id for _, request, _ in rows})
    stops = [
        ManifestStop(
            delivery_id=delivery.id,
            sequence=position,
            planned_arrival_at=delivery.planned_arrival_at,
            status=delivery.status.value,
            request_id=request.id,
            part=delivery.part,
            priority=request.priority.value,
            load_kg=delivery.load_kg,
            compound=compound.code,
            compound_name=compound.name,
            address=compound.address,
            contact_name=compound.contact_name,
            contact_phone=compound.contact_phone,
            receiver_name=delivery.receiver_name,
            failure_reason=delivery.failure_reason,
            items=items.get(request.id, []),
        )
        for position, (delivery, request, compound) in enumerate(rows, start=1)
    ]
    return Manifest(
        plate=truck.plate,
        crew=truck.crew,
        crew_phone=truck.crew_phone,
        capacity_kg=truck.capacity_kg,
        date=day,
        load_kg=sum(stop.load_kg for stop in stops),
        stops=stops,
    )


def truck_manifest(*, session: Session, principal: Principal, truck: Truck, day: date) -> Manifest:
    """A truck's manifest for a day; a driver reads only its own truck's (403)."""
    require_truck_reader(principal, truck)
    return _manifest(session, principal, truck, day)


def driver_manifest(
    *, session: Session, principal: Principal, plate: str | None, day: date
) -> Manifest | None:
    """The manifest a driver works from: its own truck's (None when it is bound to none);
    a dispatcher may look at any truck's by plate (None when there is no such truck)."""
    require_role(principal, Role.driver, Role.dispatcher)
    if principal.role is Role.driver:
        truck = session.get(Truck, principal.truck_id) if principal.truck_id else None
    elif plate:
        truck = session.scalars(select(Truck).where(Truck.plate == plate)).first()
    else:
        truck = None
    return None if truck is None else _manifest(session, principal, truck, day)
