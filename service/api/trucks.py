"""Trucks of the emergency fleet, addressed by plate; a driver key reads its own truck."""

from __future__ import annotations

from datetime import time

from fastapi import APIRouter, status
from pydantic import Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import Conflict, Forbidden
from core.lookups import apply_changes, get_optional_by_code, page
from dispatch.master_data import check_ordered, truck_by_plate
from models import Depot, Role, Truck, TruckStatus
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import PROBLEM_RESPONSES, ClockTime, Page, PageDep, ReadModel, StrictModel

router = APIRouter(prefix="/trucks", tags=["dispatch"], responses=PROBLEM_RESPONSES)

PLATE_PATTERN = r"^\w[\w.\-]{0,31}$"


class TruckCreate(StrictModel):
    plate: str = Field(pattern=PLATE_PATTERN, examples=["豫D-A1234"])
    capacity_kg: int = Field(gt=0, le=100_000)
    volume_m3: float | None = Field(default=None, gt=0, le=500)
    depot: str = Field(description="Code of the depot the truck starts from")
    status: TruckStatus = TruckStatus.available
    crew: str | None = Field(default=None, max_length=300)
    crew_phone: str | None = Field(default=None, max_length=64)
    shift_start: ClockTime = time(7, 0)
    shift_end: ClockTime = time(19, 0)
    max_route_minutes: int | None = Field(default=None, gt=0, le=24 * 60)


class TruckUpdate(StrictModel):
    capacity_kg: int | None = Field(default=None, gt=0, le=100_000)
    volume_m3: float | None = Field(default=None, gt=0, le=500)
    depot: str | None = None
    status: TruckStatus | None = None
    crew: str | None = Field(default=None, max_length=300)
    crew_phone: str | None = Field(default=None, max_length=64)
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


def _query() -> Select[Truck, str]:
    return select(Truck, Depot.code).join(Depot, Truck.depot_id == Depot.id)


def _read(truck: Truck, depot: str) -> TruckRead:
    return TruckRead(
        plate=truck.plate,
        capacity_kg=truck.capacity_kg,
        volume_m3=truck.volume_m3,
        depot=depot,
        status=truck.status,
        crew=truck.crew,
        crew_phone=truck.crew_phone,
        shift_start=truck.shift_start,
        shift_end=truck.shift_end,
        max_route_minutes=truck.max_route_minutes,
    )


def read_truck_row(session: Session, truck_id: int) -> TruckRead:
    """The public view of one truck."""
    return _read(*session.execute(_query().where(Truck.id == truck_id)).one())


def require_truck_reader(principal: Principal, truck: Truck) -> None:
    """Dispatchers and the bureau read every truck; a driver only the one it is bound to."""
    if principal.role is Role.driver:
        if principal.truck_id != truck.id:
            raise Forbidden(f"this driver key is not bound to truck {truck.plate}")
        return
    require_role(principal, Role.dispatcher, Role.bureau)


@router.get("", summary="List trucks")
def list_trucks(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    depot: str | None = None,
    status: TruckStatus | None = None,
) -> Page[TruckRead]:
    require_role(principal, Role.dispatcher, Role.bureau)
    query = _query().order_by(Truck.plate)
    if depot is not None:
        query = query.where(Depot.code == depot)
    if status is not None:
        query = query.where(Truck.status == status)
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_read(*row) for row in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Add a truck to the fleet")
def create_truck(body: TruckCreate, session: SessionDep, principal: PrincipalDep) -> TruckRead:
    require_role(principal, Role.dispatcher)
    check_ordered(body.shift_start, body.shift_end, end_field="shift_end", what="the shift")
    depot = get_optional_by_code(session, Depot, body.depot, label="depot", field="depot")
    assert depot is not None
    if session.scalars(select(Truck.id).where(Truck.plate == body.plate)).first() is not None:
        raise Conflict(f"truck {body.plate!r} already exists")
    truck = Truck(**body.model_dump(exclude={"depot"}), depot_id=depot.id)
    session.add(truck)
    session.flush()
    return read_truck_row(session, truck.id)


@router.get("/{plate}", summary="Read a truck")
def read_truck(plate: str, session: SessionDep, principal: PrincipalDep) -> TruckRead:
    truck = truck_by_plate(session, plate)
    require_truck_reader(principal, truck)
    return read_truck_row(session, truck.id)


@router.patch("/{plate}", summary="Update a truck (capacity, depot, crew, shift, status)")
def update_truck(
    plate: str, body: TruckUpdate, session: SessionDep, principal: PrincipalDep
) -> TruckRead:
    require_role(principal, Role.dispatcher)
    truck = truck_by_plate(session, plate)
    changes = body.model_dump(exclude_unset=True)
    if "depot" in changes:
        depot = get_optional_by_code(
            session, Depot, changes.pop("depot"), label="depot", field="depot"
        )
        changes["depot_id"] = depot.id if depot else None
    apply_changes(
        truck,
        changes,
        required=("capacity_kg", "depot_id", "status", "shift_start", "shift_end"),
    )
    check_ordered(truck.shift_start, truck.shift_end, end_field="shift_end", what="the shift")
    session.flush()
    return read_truck_row(session, truck.id)


@router.delete("/{plate}", summary="Take a truck out of service")
def retire_truck(plate: str, session: SessionDep, principal: PrincipalDep) -> TruckRead:
    require_role(principal, Role.dispatcher)
    truck = truck_by_plate(session, plate)
    truck.status = TruckStatus.out_of_service
    session.flush()
    return read_truck_row(session, truck.id)
