"""Enterprises: the retail chains and market operators that own stores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from masterdata import enterprises
from models import EnterpriseKind
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    Name,
    OneLine,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/enterprises", tags=["master data"], responses=PROBLEM_RESPONSES)


class EnterpriseCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["CH-01"])
    name: Name
    kind: EnterpriseKind = EnterpriseKind.chain
    contact_name: Annotated[str | None, OneLine] = Field(default=None, max_length=200)
    contact_phone: Annotated[str | None, OneLine] = Field(default=None, max_length=64)


class EnterpriseUpdate(StrictModel):
    name: Name | None = None
    kind: EnterpriseKind | None = None
    contact_name: Annotated[str | None, OneLine] = Field(default=None, max_length=200)
    contact_phone: Annotated[str | None, OneLine] = Field(default=None, max_length=64)
    active: bool | None = None


class EnterpriseRead(ReadModel):
    code: str
    name: str
    kind: EnterpriseKind
    contact_name: str | None
    contact_phone: str | None
    active: bool


@router.get("", summary="List enterprises")
def list_enterprises(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    kind: EnterpriseKind | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[EnterpriseRead]:
    found = enterprises.list_enterprises(
        session=session,
        principal=principal,
        kind=kind,
        active=active,
        contains=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[EnterpriseRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an enterprise")
def create_enterprise(
    body: EnterpriseCreate, session: SessionDep, principal: PrincipalDep
) -> EnterpriseRead:
    created = enterprises.create_enterprise(
        session=session, principal=principal, **body.model_dump()
    )
    return EnterpriseRead.model_validate(created)


@router.get("/{code}", summary="Read an enterprise")
def read_enterprise(code: str, session: SessionDep, principal: PrincipalDep) -> EnterpriseRead:
    return EnterpriseRead.model_validate(
        enterprises.read_enterprise(session=session, principal=principal, code=code)
    )


@router.patch("/{code}", summary="Update an enterprise")
def update_enterprise(
    code: str, body: EnterpriseUpdate, session: SessionDep, principal: PrincipalDep
) -> EnterpriseRead:
    updated = enterprises.update_enterprise(
        session=session,
        principal=principal,
        code=code,
        changes=body.model_dump(exclude_unset=True),
    )
    return EnterpriseRead.model_validate(updated)


@router.delete("/{code}", summary="Deactivate an enterprise (kept for history)")
def deactivate_enterprise(
    code: str, session: SessionDep, principal: PrincipalDep
) -> EnterpriseRead:
    return EnterpriseRead.model_validate(
        enterprises.deactivate_enterprise(session=session, principal=principal, code=code)
    )
