"""Depots: warehouses and designated supplier stores where trucks load and return."""

from __future__ import annotations

from datetime import time

from fastapi import APIRouter, status
from pydantic import Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.access import require_role
from core.lookups import (
    add_with_unique_code,
    apply_changes,
    get_by_code,
    get_optional_by_code,
    page,
)
from dispatch.master_data import check_ordered
from models import Depot, Role, Store
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    ClockTime,
    Latitude,
    Longitude,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/depots", tags=["dispatch"], responses=PROBLEM_RESPONSES)


class DepotCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["DEP-XINHUA"])
    name: str = Field(min_length=1, max_length=200)
    latitude: Latitude
    longitude: Longitude
    store: str | None = Field(default=None, description="Code of the store this depot is")
    opens_at: ClockTime = time(0, 0)
    closes_at: ClockTime = time(23, 59, 59)


class DepotUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    store: str | None = None
    opens_at: ClockTime | None = None
    closes_at: ClockTime | None = None
    active: bool | None = None


class DepotRead(ReadModel):
    code: str
    name: str
    latitude: float
    longitude: float
    store: str | None
    opens_at: ClockTime
    closes_at: ClockTime
    active: bool


def _query() -> Select[Depot, str | None]:
    return select(Depot, Store.code).outerjoin(Store, Depot.store_id == Store.id)


def _read(depot: Depot, store: str | None) -> DepotRead:
    return DepotRead(
        code=depot.code,
        name=depot.name,
        latitude=depot.latitude,
        longitude=depot.longitude,
        store=store,
        opens_at=depot.opens_at,
        closes_at=depot.closes_at,
        active=depot.active,
    )


def _read_one(session: Session, depot_id: int) -> DepotRead:
    return _read(*session.execute(_query().where(Depot.id == depot_id)).one())


@router.get("", summary="List depots")
def list_depots(
    session: SessionDep, principal: PrincipalDep, paging: PageDep, active: bool | None = None
) -> Page[DepotRead]:
    require_role(principal, Role.dispatcher, Role.bureau)
    query = _query().order_by(Depot.code)
    if active is not None:
        query = query.where(Depot.active == active)
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_read(*row) for row in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a depot")
def create_depot(body: DepotCreate, session: SessionDep, principal: PrincipalDep) -> DepotRead:
    require_role(principal, Role.dispatcher)
    check_ordered(body.opens_at, body.closes_at, end_field="closes_at", what="the opening hours")
    store = get_optional_by_code(session, Store, body.store, label="store", field="store")
    depot = Depot(**body.model_dump(exclude={"store"}), store_id=store.id if store else None)
    add_with_unique_code(session, depot, label="depot")
    return _read_one(session, depot.id)


@router.get("/{code}", summary="Read a depot")
def read_depot(code: str, session: SessionDep, principal: PrincipalDep) -> DepotRead:
    require_role(principal, Role.dispatcher, Role.bureau)
    return _read_one(session, get_by_code(session, Depot, code, label="depot").id)


@router.patch("/{code}", summary="Update a depot")
def update_depot(
    code: str, body: DepotUpdate, session: SessionDep, principal: PrincipalDep
) -> DepotRead:
    require_role(principal, Role.dispatcher)
    depot = get_by_code(session, Depot, code, label="depot")
    changes = body.model_dump(exclude_unset=True)
    if "store" in changes:
        store = get_optional_by_code(
            session, Store, changes.pop("store"), label="store", field="store"
        )
        changes["store_id"] = store.id if store else None
    apply_changes(
        depot,
        changes,
        required=("name", "latitude", "longitude", "opens_at", "closes_at", "active"),
    )
    check_ordered(depot.opens_at, depot.closes_at, end_field="closes_at", what="the opening hours")
    session.flush()
    return _read_one(session, depot.id)


@router.delete("/{code}", summary="Deactivate a depot")
def deactivate_depot(code: str, session: SessionDep, principal: PrincipalDep) -> DepotRead:
    require_role(principal, Role.dispatcher)
    depot = get_by_code(session, Depot, code, label="depot")
    depot.active = False
    session.flush()
    return _read_one(session, depot.id)
