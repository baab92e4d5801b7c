"""API keys for machines (a chain's IT system, a monitoring job); admin only."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import Field

from accounts import keys
from models import Role
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.master_data import KeyCreate
from service.http.schemas import PROBLEM_RESPONSES, DatabaseId, Page, PageDep, ReadModel

router = APIRouter(prefix="/keys", tags=["access"], responses=PROBLEM_RESPONSES)


class KeyRead(ReadModel):
    id: int
    name: str
    prefix: str
    role: Role
    store: str | None
    enterprise: str | None
    truck: str | None
    compound: str | None
    producer: str | None
    checkpoint: str | None
    region: str | None
    active: bool
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None


class KeyCreated(KeyRead):
    key: str = Field(description="The secret; shown only in this response")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an API key")
def create_key(body: KeyCreate, session: SessionDep, principal: PrincipalDep) -> KeyCreated:
    issued = keys.issue_key(session=session, principal=principal, **body.model_dump())
    return KeyCreated(**KeyRead.model_validate(issued.key).model_dump(), key=issued.secret)


@router.get("", summary="List API keys")
def list_keys(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    role: Role | None = None,
    active: bool | None = None,
) -> Page[KeyRead]:
    found = keys.list_keys(
        session=session,
        principal=principal,
        role=role,
        active=active,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[KeyRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/{key_id}", summary="Read an API key (never its secret)")
def read_key(key_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> KeyRead:
    return KeyRead.model_validate(
        keys.read_key(session=session, principal=principal, key_id=key_id)
    )


@router.delete("/{key_id}", summary="Revoke an API key")
def revoke_key(key_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> KeyRead:
    return KeyRead.model_validate(
        keys.revoke_key(session=session, principal=principal, key_id=key_id)
    )
