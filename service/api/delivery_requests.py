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

from dispatch import demand
from dispatch.demand import ItemInput
from dispatch.queries import demand as queries
from models import RequestPriority, RequestStatus
from service.configuration import business_today
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
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


class FailedAttemptRead(ReadModel):
    delivery_id: int
    plan_id: int
    plate: str
    failed_at: datetime
    reason: str | None


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
    last_failure: FailedAttemptRead | None = Field(
        description="The latest failed delivery; an open request with one came back to the "
        "queue after it"
    )
    kg_to_plan: int = Field(
        description="Kilograms no committed delivery carries or has brought: what the next "
        "plan takes of an open request (less than its weight when a split part is on the "
        "road or delivered)"
    )


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
    found = queries.list_requests(
        session=session,
        principal=principal,
        status=status,
        priority=priority,
        delivery_date=delivery_date,
        compound=compound,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[RequestRead].model_validate(found, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a delivery request")
def create(
    body: RequestCreate, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> RequestRead:
    request = demand.submit_request(
        session=session,
        principal=principal,
        compound=body.compound,
        delivery_date=body.delivery_date,
        priority=body.priority,
        window_start=body.window_start,
        window_end=body.window_end,
        items=[ItemInput(i.product, i.quantity, i.unit) for i in body.items],
        note=body.note,
        today=business_today(settings),
    )
    return RequestRead.model_validate(queries.request_view(session=session, request_id=request.id))


@router.get("/{request_id}", summary="Read a delivery request")
def read(request_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> RequestRead:
    return RequestRead.model_validate(
        queries.read_request(session=session, principal=principal, request_id=request_id)
    )


@router.patch("/{request_id}", summary="Change priority, window or note; cancel or re-open")
def update(
    request_id: DatabaseId, body: RequestUpdate, session: SessionDep, principal: PrincipalDep
) -> RequestRead:
    request = demand.update_request(
        session=session,
        principal=principal,
        request_id=request_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return RequestRead.model_validate(queries.request_view(session=session, request_id=request.id))


@router.delete("/{request_id}", summary="Cancel an open delivery request")
def cancel(request_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> RequestRead:
    request = demand.cancel_request(session=session, principal=principal, request_id=request_id)
    return RequestRead.model_validate(queries.request_view(session=session, request_id=request.id))
