"""Delivery requests: a locked-down compound's collected orders for one day.

Dispatchers create and manage any; a receiver key (a compound's property manager or
volunteer) creates and reads requests of its own compound only. The weight is always
computed from the items and the catalogue's unit weights.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from core.access import Principal, require_role
from core.errors import Conflict, Forbidden
from core.lookups import get_optional_by_code, page
from dispatch.master_data import ItemInput, check_ordered, create_request, request_by_id
from models import (
    Compound,
    DeliveryRequest,
    Product,
    RequestPriority,
    RequestStatus,
    Role,
)
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    ClockTime,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/delivery-requests", tags=["dispatch"], responses=PROBLEM_RESPONSES)


class ItemCreate(StrictModel):
    product: str = Field(min_length=1, max_length=64, examples=["rice"])
    quantity: float = Field(gt=0, le=1_000_000)
    unit: str | None = Field(
        default=None, min_length=1, max_length=16, description="Default: the product's unit"
    )


class RequestCreate(StrictModel):
    compound: str = Field(description="Compound code")
    delivery_date: date
    priority: RequestPriority = RequestPriority.normal
    window_start: ClockTime = Field(examples=["08:00"])
    window_end: ClockTime = Field(examples=["12:00"])
    items: list[ItemCreate] = Field(min_length=1, max_length=500)
    note: str | None = Field(default=None, max_length=500)


class RequestUpdate(StrictModel):
    priority: RequestPriority | None = None
    window_start: ClockTime | None = None
    window_end: ClockTime | None = None
    note: str | None = Field(default=None, max_length=500)
    status: RequestStatus | None = Field(
        default=None, description="Only 'open' (re-open a failed one) or 'cancelled'"
    )


class ItemRead(ReadModel):
    product: str
    quantity: float
    unit: str
    weight_kg: float


class RequestRead(ReadModel):
    id: int
    compound: str
    compound_name: str
    delivery_date: date
    priority: RequestPriority
    window_start: ClockTime
    window_end: ClockTime
    weight_kg: float
    status: RequestStatus
    note: str | None
    created_by: str | None
    created_at: datetime
    delivered_at: datetime | None
    items: list[ItemRead]


def _query() -> Select[DeliveryRequest, str, str]:
    return (
        select(DeliveryRequest, Compound.code, Compound.name)
        .join(Compound, DeliveryRequest.compound_id == Compound.id)
        .options(selectinload(DeliveryRequest.items))
    )


def _read_many(session: Session, rows: list[tuple[DeliveryRequest, str, str]]) -> list[RequestRead]:
    product_ids = {item.product_id for request, _, _ in rows for item in request.items}
    codes = {
        int(product_id): str(code)
        for product_id, code in session.execute(
            select(Product.id, Product.code).where(Product.id.in_(product_ids))
        )
    }
    return [
        RequestRead(
            id=request.id,
            compound=code,
            compound_name=name,
            delivery_date=request.delivery_date,
            priority=request.priority,
            window_start=request.window_start,
            window_end=request.window_end,
            weight_kg=request.weight_kg,
            status=request.status,
            note=request.note,
            created_by=request.created_by,
            created_at=request.created_at,
            delivered_at=request.delivered_at,
            items=[
                ItemRead(
                    product=codes[item.product_id],
                    quantity=item.quantity,
                    unit=item.unit,
                    weight_kg=item.weight_kg,
                )
                for item in request.items
            ],
        )
        for request, code, name in rows
    ]


def _read_one(session: Session, request_id: int) -> RequestRead:
    request, code, name = session.execute(_query().where(DeliveryRequest.id == request_id)).one()
    return _read_many(session, [(request, code, name)])[0]


def _require_compound_access(principal: Principal, compound_id: int, code: str) -> None:
    """Dispatchers act for every compound; a receiver only for its own."""
    if principal.role is Role.receiver:
        if principal.compound_id != compound_id:
            raise Forbidden(f"this receiver key is not bound to compound {code}")
        return
    require_role(principal, Role.dispatcher, Role.bureau)


@router.get("", summary="List delivery requests (a receiver sees its compound's)")
def list_requests(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    status: RequestStatus | None = None,
    priority: RequestPriority | None = None,
    delivery_date: date | None = None,
    compound: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[RequestRead]:
    require_role(principal, Role.dispatcher, Role.bureau, Role.receiver)
    query = _query().order_by(DeliveryRequest.id)
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
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=_read_many(session, [tuple(row) for row in rows]),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a delivery request")
def create(body: RequestCreate, session: SessionDep, principal: PrincipalDep) -> RequestRead:
    require_role(principal, Role.dispatcher, Role.receiver)
    compound = get_optional_by_code(
        session, Compound, body.compound, label="compound", field="compound"
    )
    assert compound is not None
    _require_compound_access(principal, compound.id, compound.code)
    request = create_request(
        session=session,
        compound=compound,
        delivery_date=body.delivery_date,
        priority=body.priority,
        window_start=body.window_start,
        window_end=body.window_end,
        items=[ItemInput(i.product, i.quantity, i.unit) for i in body.items],
        note=body.note,
        created_by=principal.label,
    )
    return _read_one(session, request.id)


@router.get("/{request_id}", summary="Read a delivery request")
def read(request_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> RequestRead:
    request = request_by_id(session, request_id)
    compound = session.get_one(Compound, request.compound_id)
    _require_compound_access(principal, compound.id, compound.code)
    return _read_one(session, request.id)


@router.patch("/{request_id}", summary="Change priority, window or note; cancel or re-open")
def update(
    request_id: DatabaseId, body: RequestUpdate, session: SessionDep, principal: PrincipalDep
) -> RequestRead:
    require_role(principal, Role.dispatcher)
    request = request_by_id(session, request_id)
    changes = body.model_dump(exclude_unset=True)
    new_status = changes.pop("status", None)
    if changes and request.status is not RequestStatus.open:
        raise Conflict(f"request {request_id} is {request.status.value}; only open ones change")
    if new_status is not None:
        allowed = {
            RequestStatus.cancelled: (RequestStatus.open, RequestStatus.failed),
            RequestStatus.open: (RequestStatus.failed, RequestStatus.cancelled),
        }.get(new_status, ())
        if request.status not in allowed:
            raise Conflict(
                f"request {request_id} cannot go from {request.status.value} to {new_status.value}"
            )
        request.status = new_status
    for name, value in changes.items():
        if value is None and name != "note":
            continue
        setattr(request, name, value)
    check_ordered(
        request.window_start, request.window_end, end_field="window_end", what="the delivery window"
    )
    session.flush()
    return _read_one(session, request.id)


@router.delete("/{request_id}", summary="Cancel an open delivery request")
def cancel(request_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> RequestRead:
    require_role(principal, Role.dispatcher)
    request = request_by_id(session, request_id)
    if request.status is not RequestStatus.open:
        raise Conflict(f"request {request_id} is {request.status.value}; only open ones cancel")
    request.status = RequestStatus.cancelled
    session.flush()
    return _read_one(session, request.id)
