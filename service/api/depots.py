"""Depots: warehouses and designated supplier stores where trucks load and return."""

from __future__ import annotations

from datetime import time

from fastapi import APIRouter, status
from pydantic import Field

from dispatch import master_data
from dispatch.master_data import DepotInput
from dispatch.queries import master_data as queries
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    ClockTime,
    Latitude,
    Longitude,
    Name,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/depots", tags=["dispatch"], responses=PROBLEM_RESPONSES)


class DepotCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["DEP-XINHUA"])
    name: Name
    latitude: Latitude
    longitude: Longitude
    store: str | None = Field(default=None, description="Code of the store this depot is")
    opens_at: ClockTime = time(0, 0)
    closes_at: ClockTime = time(23, 59, 59)


class DepotUpdate(StrictModel):
    name: Name | None = None
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


@router.get("", summary="List depots")
def list_depots(
    session: SessionDep, principal: PrincipalDep, paging: PageDep, active: bool | None = None
) -> Page[DepotRead]:
    found = queries.list_depots(
        session=session,
        principal=principal,
        active=active,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[DepotRead].model_validate(found, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a depot")
def create_depot(body: DepotCreate, session: SessionDep, principal: PrincipalDep) -> DepotRead:
    depot = master_data.create_depot(
        session=session, principal=principal, new=DepotInput(**body.model_dump())
    )
    return DepotRead.model_validate(queries.depot_view(session=session, depot_id=depot.id))


@router.get("/{code}", summary="Read a depot")
def read_depot(code: str, session: SessionDep, principal: PrincipalDep) -> DepotRead:
    return DepotRead.model_validate(
        queries.read_depot(session=session, principal=principal, code=code)
    )


@router.patch("/{code}", summary="Update a depot")
def update_depot(
    code: str, body: DepotUpdate, session: SessionDep, principal: PrincipalDep
) -> DepotRead:
    depot = master_data.update_depot(
        session=session, principal=principal, code=code, changes=body.model_dump(exclude_unset=True)
    )
    return DepotRead.model_validate(queries.depot_view(session=session, depot_id=depot.id))


@router.delete("/{code}", summary="Deactivate a depot")
def deactivate_depot(code: str, session: SessionDep, principal: PrincipalDep) -> DepotRead:
    depot = master_data.deactivate_depot(session=session, principal=principal, code=code)
    return DepotRead.model_validate(queries.depot_view(session=session, depot_id=depot.id))
