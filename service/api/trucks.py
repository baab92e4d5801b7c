"""Trucks of the emergency fleet, addressed by plate; a driver key reads its own truck."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import Field

from dispatch import master_data
from dispatch.master_data import TruckInput
from dispatch.queries import master_data as queries
from models import TruckStatus
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    ClockTime,
    OneLine,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/trucks", tags=["dispatch"], responses=PROBLEM_RESPONSES)

PLATE_PATTERN = r"^\w[\w.\-]{0,31}$"


class TruckCreate(StrictModel):
    plate: str = Field(pattern=PLATE_PATTERN, examples=["豫D-A1234"])
    capacity_kg: int = Field(gt=0, le=100_000)
    volume_m3: float | None = Field(default=None, gt=0, le=500)
    depot: str = Field(description="Code of the depot the truck starts from")
    status: TruckStatus = TruckStatus.available
    crew: Annotated[str | None, OneLine] = Field(default=None, max_length=300)
    crew_phone: Annotated[str | None, OneLine] = Field(default=None, max_length=64)
    shift_start: ClockTime = time(7, 0)
    shift_end: ClockTime = time(19, 0)
    max_route_minutes: int | None = Field(default=None, gt=0, le=24 * 60)


class TruckUpdate(StrictModel):
    capacity_kg: int | None = Field(default=None, gt=0, le=100_000)
    volume_m3: float | None = Field(default=None, gt=0, le=500)
    depot: str | None = None
    status: TruckStatus | None = None
    crew: Annotated[str | None, OneLine] = Field(default=None, max_length=300)
    crew_phone: Annotated[str | None, OneLine] = Field(default=None, max_length=64)
    shift_start: ClockTime | None = None
    shift_end: ClockTime | None = None
    max_route_minutes: int | None = Field(default=None, gt=0, le=24 * 60)


class TruckRead(ReadModel):
    plate: str
    capacity_kg: int
    volume_m3: float | None
    depot: str
    status: TruckStatus
    crew: str | None
    crew_phone: str | None
    shift_start: ClockTime
    shift_end: ClockTime
    max_route_minutes: int | None


@router.get("", summary="List trucks")
def list_trucks(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    depot: str | None = None,
    status: TruckStatus | None = None,
) -> Page[TruckRead]:
    found = queries.list_trucks(
        session=session,
        principal=principal,
        depot=depot,
        status=status,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[TruckRead].model_validate(found, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add a truck to the fleet")
def create_truck(body: TruckCreate, session: SessionDep, principal: PrincipalDep) -> TruckRead:
    truck = master_data.create_truck(
        session=session, principal=principal, new=TruckInput(**body.model_dump())
    )
    return TruckRead.model_validate(queries.truck_view(session=session, truck_id=truck.id))


@router.get("/{plate}", summary="Read a truck")
def read_truck(plate: str, session: SessionDep, principal: PrincipalDep) -> TruckRead:
    return TruckRead.model_validate(
        queries.read_truck(session=session, principal=principal, plate=plate)
    )


@router.patch("/{plate}", summary="Update a truck (capacity, depot, crew, shift, status)")
def update_truck(
    plate: str, body: TruckUpdate, session: SessionDep, principal: PrincipalDep
) -> TruckRead:
    truck = master_data.update_truck(
        session=session,
        principal=principal,
        plate=plate,
        changes=body.model_dump(exclude_unset=True),
    )
    return TruckRead.model_validate(queries.truck_view(session=session, truck_id=truck.id))


@router.delete("/{plate}", summary="Take a truck out of service")
def retire_truck(plate: str, session: SessionDep, principal: PrincipalDep) -> TruckRead:
    truck = master_data.retire_truck(session=session, principal=principal, plate=plate)
    return TruckRead.model_validate(queries.truck_view(session=session, truck_id=truck.id))
