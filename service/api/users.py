"""People who sign in to the pages (bureau staff, store clerks, dispatchers); admin only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, status
from pydantic import Field

from accounts import users
from models import Role
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.master_data import UserCreate
from service.http.schemas import (
    PROBLEM_RESPONSES,
    OneLine,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/users", tags=["access"], responses=PROBLEM_RESPONSES)


class UserUpdate(StrictModel):
    full_name: Annotated[str | None, OneLine] = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=256)
    active: bool | None = None


class UserRead(ReadModel):
    username: str
    full_name: str | None
    role: Role
    store: str | None
    enterprise: str | None
    truck: str | None
    compound: str | None
    producer: str | None
    checkpoint: str | None
    region: str | None
    active: bool
    created_at: datetime
    last_login_at: datetime | None
    locked_until: datetime | None


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user")
def create(body: UserCreate, session: SessionDep, principal: PrincipalDep) -> UserRead:
    added = users.add_user(session=session, principal=principal, **body.model_dump())
    return UserRead.model_validate(added)


@router.get("", summary="List users")
def list_users(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    role: Role | None = None,
    active: bool | None = None,
) -> Page[UserRead]:
    found = users.list_users(
        session=session,
        principal=principal,
        role=role,
        active=active,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[UserRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/{username}", summary="Read a user")
def read(username: str, session: SessionDep, principal: PrincipalDep) -> UserRead:
    return UserRead.model_validate(
        users.read_user(session=session, principal=principal, username=username)
    )


@router.patch("/{username}", summary="Update a user (name, password, active)")
def update(
    username: str, body: UserUpdate, session: SessionDep, principal: PrincipalDep
) -> UserRead:
    updated = users.update_user(
        session=session,
        principal=principal,
        username=username,
        changes=body.model_dump(exclude_unset=True),
    )
    return UserRead.model_validate(updated)


@router.delete("/{username}", summary="Deactivate a user and end their sessions")
def deactivate(username: str, session: SessionDep, principal: PrincipalDep) -> UserRead:
    return UserRead.model_validate(
        users.deactivate_user(session=session, principal=principal, username=username)
    )


@router.post(
    "/{username}/unlock", summary="Clear a user's failed sign-ins and lock (let them back in)"
)
def unlock(username: str, session: SessionDep, principal: PrincipalDep) -> UserRead:
    return UserRead.model_validate(
        users.unlock_user(session=session, principal=principal, username=username)
    )
