"""Stores: the outlets (supermarkets, farmers' markets) that post daily reports.

A store-bound caller sees only its own store(s); anyone else with a role sees all.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from masterdata import stores
from models import StoreKind
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.master_data import StoreCreate, StoreUpdate
from service.http.schemas import (
    PROBLEM_RESPONSES,
    Page,
    PageDep,
    ReadModel,
)

router = APIRouter(prefix="/stores", tags=["master data"], responses=PROBLEM_RESPONSES)


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
    found = stores.list_stores(
        session=session,
        principal=principal,
        region=region,
        enterprise=enterprise,
        kind=kind,
        key_supplier=key_supplier,
        active=active,
        contains=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[StoreRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a store")
def create_store(body: StoreCreate, session: SessionDep, principal: PrincipalDep) -> StoreRead:
    created = stores.create_store(session=session, principal=principal, **body.model_dump())
    return StoreRead.model_validate(created)


@router.get("/{code}", summary="Read a store")
def read_store(code: str, session: SessionDep, principal: PrincipalDep) -> StoreRead:
    return StoreRead.model_validate(
        stores.read_store(session=session, principal=principal, code=code)
    )


@router.patch("/{code}", summary="Update a store")
def update_store(
    code: str, body: StoreUpdate, session: SessionDep, principal: PrincipalDep
) -> StoreRead:
    updated = stores.update_store(
        session=session,
        principal=principal,
        code=code,
        changes=body.model_dump(exclude_unset=True),
    )
    return StoreRead.model_validate(updated)


@router.delete("/{code}", summary="Deactivate a store (its reports are kept)")
def deactivate_store(code: str, session: SessionDep, principal: PrincipalDep) -> StoreRead:
    return StoreRead.model_validate(
        stores.deactivate_store(session=session, principal=principal, code=code)
    )
