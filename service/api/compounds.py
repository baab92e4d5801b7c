"""Residential compounds: where they are, whether they are locked down, who receives.

Dispatchers (and admins) manage them; the bureau reads them; a receiver key reads only
its own compound.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from dispatch import master_data
from dispatch.master_data import CompoundInput
from dispatch.queries import master_data as queries
from models import LockdownStatus
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    Latitude,
    Longitude,
    Name,
    OneLine,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/compounds", tags=["dispatch"], responses=PROBLEM_RESPONSES)


class CompoundCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["CP-0001"])
    name: Name
    region: str = Field(description="Code of the compound's region (community or township)")
    address: Annotated[str | None, OneLine] = Field(default=None, max_length=300)
    latitude: Latitude
    longitude: Longitude
    households: int | None = Field(default=None, ge=0, le=1_000_000)
    population: int | None = Field(default=None, ge=0, le=10_000_000)
    lockdown_status: LockdownStatus = LockdownStatus.open
    lockdown_start_date: date | None = None
    lockdown_end_date: date | None = None
    supplier_store: str | None = Field(default=None, description="Designated supplier store")
    contact_name: Annotated[str | None, OneLine] = Field(default=None, max_length=200)
    contact_phone: Annotated[str | None, OneLine] = Field(default=None, max_length=64)


class CompoundUpdate(StrictModel):
    name: Name | None = None
    region: str | None = None
    address: Annotated[str | None, OneLine] = Field(default=None, max_length=300)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    households: int | None = Field(default=None, ge=0, le=1_000_000)
    population: int | None = Field(default=None, ge=0, le=10_000_000)
    lockdown_status: LockdownStatus | None = None
    lockdown_start_date: date | None = None
    lockdown_end_date: date | None = None
    supplier_store: str | None = None
    contact_name: Annotated[str | None, OneLine] = Field(default=None, max_length=200)
    contact_phone: Annotated[str | None, OneLine] = Field(default=None, max_length=64)
    active: bool | None = None


class CompoundRead(ReadModel):
    code: str
    name: str
    region: str
    address: str | None
    latitude: float
    longitude: float
    households: int | None
    population: int | None
    lockdown_status: LockdownStatus
    lockdown_start_date: date | None
    lockdown_end_date: date | None
    supplier_store: str | None
    contact_name: str | None
    contact_phone: str | None
    active: bool


@router.get("", summary="List compounds (a receiver key sees only its own)")
def list_compounds(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    region: Annotated[str | None, Query(max_length=64, description="With subregions")] = None,
    lockdown_status: LockdownStatus | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[CompoundRead]:
    found = queries.list_compounds(
        session=session,
        principal=principal,
        region=region,
        lockdown_status=lockdown_status,
        active=active,
        search=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[CompoundRead].model_validate(found, from_attributes=True)


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a compound")
def create_compound(
    body: CompoundCreate, session: SessionDep, principal: PrincipalDep
) -> CompoundRead:
    compound = master_data.create_compound(
        session=session, principal=principal, new=CompoundInput(**body.model_dump())
    )
    return CompoundRead.model_validate(
        queries.compound_view(session=session, principal=principal, compound_id=compound.id)
    )


@router.get("/{code}", summary="Read a compound")
def read_compound(code: str, session: SessionDep, principal: PrincipalDep) -> CompoundRead:
    return CompoundRead.model_validate(
        queries.read_compound(session=session, principal=principal, code=code)
    )


@router.patch("/{code}", summary="Update a compound (lock it down, lift the lockdown, ...)")
def update_compound(
    code: str, body: CompoundUpdate, session: SessionDep, principal: PrincipalDep
) -> CompoundRead:
    compound = master_data.update_compound(
        session=session, principal=principal, code=code, changes=body.model_dump(exclude_unset=True)
    )
    return CompoundRead.model_validate(
        queries.compound_view(session=session, principal=principal, compound_id=compound.id)
    )


@router.delete("/{code}", summary="Deactivate a compound (its requests are kept)")
def deactivate_compound(code: str, session: SessionDep, principal: PrincipalDep) -> CompoundRead:
    compound = master_data.deactivate_compound(session=session, principal=principal, code=code)
    return CompoundRead.model_validate(
        queries.compound_view(session=session, principal=principal, compound_id=compound.id)
    )
