"""API keys for machines (a chain's IT system, a monitoring job); admin only."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import AwareDatetime, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_api_key
from core.access import require_role
from core.errors import InvalidInput, NotFound
from core.lookups import get_optional_by_code, page
from models import ApiKey, Enterprise, Role, Store
from models.base import utc_now
from service.api.dispatch_common import binding_names, resolve_binding
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/keys", tags=["access"], responses=PROBLEM_RESPONSES)


class KeyCreate(StrictModel):
    name: str = Field(min_length=1, max_length=120, examples=["chain CH-01 ERP"])
    role: Role
    store: str | None = Field(default=None, description="Store code, for a key bound to one store")
    enterprise: str | None = Field(
        default=None, description="Enterprise code, for a key bound to all its stores"
    )
    truck: str | None = Field(default=None, description="Plate, for a driver key")
    compound: str | None = Field(default=None, description="Compound code, for a receiver key")
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the key stops working (with a UTC offset)"
    )


class KeyRead(ReadModel):
    id: int
    name: str
    prefix: str
    role: Role
    store: str | None
    enterprise: str | None
    truck: str | None
    compound: str | None
    active: bool
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None


class KeyCreated(KeyRead):
    key: str = Field(description="The secret; shown only in this response")


def _read(session: Session, key: ApiKey) -> KeyRead:
    store = (
        session.scalar(select(Store.code).where(Store.id == key.store_id)) if key.store_id else None
    )
    enterprise = (
        session.scalar(select(Enterprise.code).where(Enterprise.id == key.enterprise_id))
        if key.enterprise_id
        else None
    )
    truck, compound = binding_names(session, truck_id=key.truck_id, compound_id=key.compound_id)
    return KeyRead(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        role=key.role,
        store=store,
        enterprise=enterprise,
        truck=truck,
        compound=compound,
        active=key.active,
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
    )


def _get(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} not found")
    return key


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an API key")
def create_key(body: KeyCreate, session: SessionDep, principal: PrincipalDep) -> KeyCreated:
    require_role(principal)
    if body.expires_at is not None and body.expires_at <= utc_now():
        raise InvalidInput(
            "expires_at is in the past",
            errors=[{"loc": ["body", "expires_at"], "msg": "must be in the future"}],
        )
    store = get_optional_by_code(session, Store, body.store, label="store", field="store")
    enterprise = get_optional_by_code(
        session, Enterprise, body.enterprise, label="enterprise", field="enterprise"
    )
    truck, compound = resolve_binding(session, truck=body.truck, compound=body.compound)
    key, secret = create_api_key(
        session,
        name=body.name,
        role=body.role,
        store_id=store.id if store else None,
        enterprise_id=enterprise.id if enterprise else None,
        truck_id=truck,
        compound_id=compound,
        created_by=principal.label,
        expires_at=body.expires_at,
    )
    return KeyCreated(**_read(session, key).model_dump(), key=secret)


@router.get("", summary="List API keys")
def list_keys(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    role: Role | None = None,
    active: bool | None = None,
) -> Page[KeyRead]:
    require_role(principal)
    query = select(ApiKey).order_by(ApiKey.id)
    if role is not None:
        query = query.where(ApiKey.role == role)
    if active is not None:
        query = query.where(ApiKey.active == active)
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[_read(session, row[0]) for row in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/{key_id}", summary="Read an API key (never its secret)")
def read_key(key_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> KeyRead:
    require_role(principal)
    return _read(session, _get(session, key_id))


@router.delete("/{key_id}", summary="Revoke an API key")
def revoke_key(key_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> KeyRead:
    require_role(principal)
    key = _get(session, key_id)
    key.active = False
    session.flush()
    return _read(session, key)
