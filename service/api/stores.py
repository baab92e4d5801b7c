"""Stores: the outlets (supermarkets, farmers' markets) that post daily reports.

A store-bound caller sees only its own store(s); anyone else with a role sees all.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, require_store_access
from core.lookups import (
    add_with_unique_code,
    apply_changes,
    get_by_code,
    get_optional_by_code,
    page,
    region_subtree_ids,
)
from models import Enterprise, Region, Role, Store, StoreKind
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

router = APIRouter(prefix="/stores", tags=["master data"], responses=PROBLEM_RESPONSES)


class StoreCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["PDS-0001"])
    name: str = Field(min_length=1, max_length=200)
    kind: StoreKind = StoreKind.supermarket
    region: str = Field(description="Code of the store's region")
    enterprise: str | None = Field(default=None, description="Code of the owning enterprise")
    address: str | None = Field(default=None, max_length=300)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    key_supplier: bool = False
    service_officer: str | None = Field(default=None, max_length=200)


class StoreUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: StoreKind | None = None
    region: str | None = None
    enterprise: str | None = None
    address: str | None = Field(default=None, max_length=300)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    key_supplier: bool | None = None
    service_officer: str | None = Field(default=None, max_length=200)
    active: bool | None = None


class StoreRead(ReadModel):
    code: str
    name: str
    kind: StoreKind
    region: str
    enterprise: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    key_supplier: bool
    service_officer: str | None
    active: bool


def _query() -> Select[Store, str, str | None]:
    return (
        select(Store, Region.code, Enterprise.code)
        .join(Region, Store.region_id == Region.id)
        .outerjoin(Enterprise, Store.enterprise_id == Enterprise.id)
    )


def _read(store: Store, region_code: str, enterprise_code: str | None) -> StoreRead:
    return StoreRead(
        code=store.code,
        name=store.name,
        kind=store.kind,
        region=region_code,
        enterprise=enterprise_code,
        address=store.address,
        latitude=store.latitude,
        longitude=store.longitude,
        key_supplier=store.key_supplier,
        service_officer=store.service_officer,
        active=store.active,
    )


def _read_one(session: Session, store_id: int) -> StoreRead:
    store, region_code, enterprise_code = session.execute(
        _query().where(Store.id == store_id)
    ).one()
    return _read(store, region_code, enterprise_code)


def visible_stores(
    query: Select[Store, str, str | None], principal: Principal
) -> Select[Store, str, str | None]:
    """Narrow a store query to what ``principal`` may see."""
    if principal.role in (Role.admin, Role.bureau, Role.dispatcher):
        return query
    if principal.role is Role.store and principal.store_id is not None:
        return query.where(Store.id == principal.store_id)
    if principal.role is Role.store and principal.enterprise_id is not None:
        return query.where(Store.enterprise_id == principal.enterprise_id)
    return query.where(Store.id.is_(None))


@router.get("", summary="List stores (a store key sees only its own)")
def list_stores(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    region: Annotated[
        str | None, Query(max_length=64, description="Region code, with its subregions")
    ] = None,
    enterprise: Annotated[str | None, Query(max_length=64)] = None,
    kind: StoreKind | None = None,
    key_supplier: bool | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[StoreRead]:
    query = visible_stores(_query(), principal).order_by(Store.code)
    if region is not None:
        scope = get_by_code(session, Region, region, label="region")
        query = query.where(Store.region_id.in_(region_subtree_ids(session, scope.id)))
    if enterprise is not None:
        query = query.where(Enterprise.code == enterprise)
    if kind is not None:
        query = query.where(Store.kind == kind)
    if key_supplier is not None:
        query = query.where(Store.key_supplier == key_supplier)
    if active is not None:
        query = query.where(Store.active == active)
    if q:
        query = query.where(or_(Store.code.contains(q), Store.name.contains(q)))
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_read(*row) for row in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a store")
def create_store(body: StoreCreate, session: SessionDep, principal: PrincipalDep) -> StoreRead:
    require_role(principal, Role.bureau)
    region = get_optional_by_code(session, Region, body.region, label="region", field="region")
    assert region is not None
    enterprise = get_optional_by_code(
        session, Enterprise, body.enterprise, label="enterprise", field="enterprise"
    )
    values = body.model_dump(exclude={"region", "enterprise"})
    store = Store(
        **values, region_id=region.id, enterprise_id=enterprise.id if enterprise else None
    )
    add_with_unique_code(session, store, label="store")
    return _read_one(session, store.id)


@router.get("/{code}", summary="Read a store")
def read_store(code: str, session: SessionDep, principal: PrincipalDep) -> StoreRead:
    store = get_by_code(session, Store, code, label="store")
    if principal.role is not Role.dispatcher:
        require_store_access(principal, store)
    return _read_one(session, store.id)


@router.patch("/{code}", summary="Update a store")
def update_store(
    code: str, body: StoreUpdate, session: SessionDep, principal: PrincipalDep
) -> StoreRead:
    require_role(principal, Role.bureau)
    store = get_by_code(session, Store, code, label="store")
    changes = body.model_dump(exclude_unset=True)
    if "region" in changes:
        region = get_optional_by_code(
            session, Region, changes.pop("region"), label="region", field="region"
        )
        if region is None:
            changes["region_id"] = None
        else:
            store.region_id = region.id
    if "enterprise" in changes:
        enterprise = get_optional_by_code(
            session, Enterprise, changes.pop("enterprise"), label="enterprise", field="enterprise"
        )
        store.enterprise_id = enterprise.id if enterprise else None
    apply_changes(store, changes, required=("name", "kind", "region_id", "key_supplier", "active"))
    session.flush()
    return _read_one(session, store.id)


@router.delete("/{code}", summary="Deactivate a store (its reports are kept)")
def deactivate_store(code: str, session: SessionDep, principal: PrincipalDep) -> StoreRead:
    require_role(principal, Role.bureau)
    store = get_by_code(session, Store, code, label="store")
    store.active = False
    session.flush()
    return _read_one(session, store.id)
