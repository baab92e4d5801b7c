"""Residential compounds: where they are, whether they are locked down, who receives.

Dispatchers (and admins) manage them; the bureau reads them; a receiver key reads only
its own compound.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import Forbidden
from core.lookups import (
    add_with_unique_code,
    apply_changes,
    get_by_code,
    get_optional_by_code,
    page,
    region_subtree_ids,
)
from dispatch.master_data import check_ordered
from models import Compound, LockdownStatus, Region, Role, Store
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    Latitude,
    Longitude,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/compounds", tags=["dispatch"], responses=PROBLEM_RESPONSES)


class CompoundCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["CP-0001"])
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(description="Code of the compound's region (community or township)")
    address: str | None = Field(default=None, max_length=300)
    latitude: Latitude
    longitude: Longitude
    households: int | None = Field(default=None, ge=0, le=1_000_000)
    population: int | None = Field(default=None, ge=0, le=10_000_000)
    lockdown_status: LockdownStatus = LockdownStatus.open
    lockdown_start_date: date | None = None
    lockdown_end_date: date | None = None
    supplier_store: str | None = Field(default=None, description="Designated supplier store")
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=64)


class CompoundUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    region: str | None = None
    address: str | None = Field(default=None, max_length=300)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    households: int | None = Field(default=None, ge=0, le=1_000_000)
    population: int | None = Field(default=None, ge=0, le=10_000_000)
    lockdown_status: LockdownStatus | None = None
    lockdown_start_date: date | None = None
    lockdown_end_date: date | None = None
    supplier_store: str | None = None
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=64)
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


def _query() -> Select[Compound, str, str | None]:
    return (
        select(Compound, Region.code, Store.code)
        .join(Region, Compound.region_id == Region.id)
        .outerjoin(Store, Compound.supplier_store_id == Store.id)
    )


def _read(compound: Compound, region: str, store: str | None) -> CompoundRead:
    return CompoundRead(
        code=compound.code,
        name=compound.name,
        region=region,
        address=compound.address,
        latitude=compound.latitude,
        longitude=compound.longitude,
        households=compound.households,
        population=compound.population,
        lockdown_status=compound.lockdown_status,
        lockdown_start_date=compound.lockdown_start_date,
        lockdown_end_date=compound.lockdown_end_date,
        supplier_store=store,
        contact_name=compound.contact_name,
        contact_phone=compound.contact_phone,
        active=compound.active,
    )


def _read_one(session: Session, compound_id: int) -> CompoundRead:
    compound, region, store = session.execute(_query().where(Compound.id == compound_id)).one()
    return _read(compound, region, store)


def _require_reader(principal: Principal) -> None:
    require_role(principal, Role.dispatcher, Role.bureau, Role.receiver)


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
    _require_reader(principal)
    query = _query().order_by(Compound.code)
    if principal.role is Role.receiver:
        query = query.where(Compound.id == principal.compound_id)
    if region is not None:
        scope = get_by_code(session, Region, region, label="region")
        query = query.where(Compound.region_id.in_(region_subtree_ids(session, scope.id)))
    if lockdown_status is not None:
        query = query.where(Compound.lockdown_status == lockdown_status)
    if active is not None:
        query = query.where(Compound.active == active)
    if q:
        query = query.where(or_(Compound.code.contains(q), Compound.name.contains(q)))
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_read(*row) for row in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a compound")
def create_compound(
    body: CompoundCreate, session: SessionDep, principal: PrincipalDep
) -> CompoundRead:
    require_role(principal, Role.dispatcher)
    check_ordered(
        body.lockdown_start_date,
        body.lockdown_end_date,
        end_field="lockdown_end_date",
        what="the lockdown",
    )
    region = get_optional_by_code(session, Region, body.region, label="region", field="region")
    assert region is not None
    store = get_optional_by_code(
        session, Store, body.supplier_store, label="store", field="supplier_store"
    )
    compound = Compound(
        **body.model_dump(exclude={"region", "supplier_store"}),
        region_id=region.id,
        supplier_store_id=store.id if store else None,
    )
    add_with_unique_code(session, compound, label="compound")
    return _read_one(session, compound.id)


@router.get("/{code}", summary="Read a compound")
def read_compound(code: str, session: SessionDep, principal: PrincipalDep) -> CompoundRead:
    _require_reader(principal)
    compound = get_by_code(session, Compound, code, label="compound")
    if principal.role is Role.receiver and compound.id != principal.compound_id:
        raise Forbidden(f"this key receives for another compound, not {code}")
    return _read_one(session, compound.id)


@router.patch("/{code}", summary="Update a compound (lock it down, lift the lockdown, ...)")
def update_compound(
    code: str, body: CompoundUpdate, session: SessionDep, principal: PrincipalDep
) -> CompoundRead:
    require_role(principal, Role.dispatcher)
    compound = get_by_code(session, Compound, code, label="compound")
    changes = body.model_dump(exclude_unset=True)
    if "region" in changes:
        region = get_optional_by_code(
            session, Region, changes.pop("region"), label="region", field="region"
        )
        changes["region_id"] = region.id if region else None
    if "supplier_store" in changes:
        store = get_optional_by_code(
            session, Store, changes.pop("supplier_store"), label="store", field="supplier_store"
        )
        changes["supplier_store_id"] = store.id if store else None
    apply_changes(
        compound,
        changes,
        required=("name", "region_id", "latitude", "longitude", "lockdown_status", "active"),
    )
    check_ordered(
        compound.lockdown_start_date,
        compound.lockdown_end_date,
        end_field="lockdown_end_date",
        what="the lockdown",
    )
    session.flush()
    return _read_one(session, compound.id)


@router.delete("/{code}", summary="Deactivate a compound (its requests are kept)")
def deactivate_compound(code: str, session: SessionDep, principal: PrincipalDep) -> CompoundRead:
    require_role(principal, Role.dispatcher)
    compound = get_by_code(session, Compound, code, label="compound")
    compound.active = False
    session.flush()
    return _read_one(session, compound.id)
