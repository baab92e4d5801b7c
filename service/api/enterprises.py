"""Enterprises: the retail chains and market operators that own stores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field
from sqlalchemy import or_, select

from core.access import require_role
from core.lookups import add_with_unique_code, apply_changes, get_by_code, page
from models import Enterprise, EnterpriseKind, Role
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/enterprises", tags=["master data"], responses=PROBLEM_RESPONSES)


class EnterpriseCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["CH-01"])
    name: str = Field(min_length=1, max_length=200)
    kind: EnterpriseKind = EnterpriseKind.chain
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=64)


class EnterpriseUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: EnterpriseKind | None = None
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=64)
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
    _principal: PrincipalDep,
    paging: PageDep,
    kind: EnterpriseKind | None = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[EnterpriseRead]:
    query = select(Enterprise).order_by(Enterprise.code)
    if kind is not None:
        query = query.where(Enterprise.kind == kind)
    if active is not None:
        query = query.where(Enterprise.active == active)
    if q:
        query = query.where(or_(Enterprise.code.contains(q), Enterprise.name.contains(q)))
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[EnterpriseRead.model_validate(row[0]) for row in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an enterprise")
def create_enterprise(
    body: EnterpriseCreate, session: SessionDep, principal: PrincipalDep
) -> EnterpriseRead:
    require_role(principal, Role.bureau)
    enterprise = Enterprise(**body.model_dump())
    add_with_unique_code(session, enterprise, label="enterprise")
    return EnterpriseRead.model_validate(enterprise)


@router.get("/{code}", summary="Read an enterprise")
def read_enterprise(code: str, session: SessionDep, _principal: PrincipalDep) -> EnterpriseRead:
    return EnterpriseRead.model_validate(get_by_code(session, Enterprise, code, label="enterprise"))


@router.patch("/{code}", summary="Update an enterprise")
def update_enterprise(
    code: str, body: EnterpriseUpdate, session: SessionDep, principal: PrincipalDep
) -> EnterpriseRead:
    require_role(principal, Role.bureau)
    enterprise = get_by_code(session, Enterprise, code, label="enterprise")
    apply_changes(
        enterprise, body.model_dump(exclude_unset=True), required=("name", "kind", "active")
    )
    session.flush()
    return EnterpriseRead.model_validate(enterprise)


@router.delete("/{code}", summary="Deactivate an enterprise (kept for history)")
def deactivate_enterprise(
    code: str, session: SessionDep, principal: PrincipalDep
) -> EnterpriseRead:
    require_role(principal, Role.bureau)
    enterprise = get_by_code(session, Enterprise, code, label="enterprise")
    enterprise.active = False
    session.flush()
    return EnterpriseRead.model_validate(enterprise)
