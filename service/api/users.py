"""People who sign in to the pages (bureau staff, store clerks, dispatchers); admin only."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, status
from pydantic import Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from core.access import check_binding, require_role
from core.errors import Conflict, NotFound
from core.lookups import get_optional_by_code, page
from core.security import hash_password
from models import Enterprise, Role, Store, User, UserSession
from service.api.dispatch_common import binding_names, resolve_binding
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import PROBLEM_RESPONSES, Page, PageDep, ReadModel, StrictModel

router = APIRouter(prefix="/users", tags=["access"], responses=PROBLEM_RESPONSES)

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-@]{1,63}$"


class UserCreate(StrictModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=8, max_length=256)
    role: Role
    full_name: str | None = Field(default=None, max_length=200)
    store: str | None = None
    enterprise: str | None = None
    truck: str | None = Field(default=None, description="Plate, for a driver")
    compound: str | None = Field(default=None, description="Compound code, for a receiver")


class UserUpdate(StrictModel):
    full_name: str | None = Field(default=None, max_length=200)
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
    active: bool
    created_at: datetime
    last_login_at: datetime | None


def read_user(session: Session, user: User) -> UserRead:
    """The public view of a user (never the password hash)."""
    store = (
        session.scalar(select(Store.code).where(Store.id == user.store_id))
        if user.store_id
        else None
    )
    enterprise = (
        session.scalar(select(Enterprise.code).where(Enterprise.id == user.enterprise_id))
        if user.enterprise_id
        else None
    )
    truck, compound = binding_names(session, truck_id=user.truck_id, compound_id=user.compound_id)
    return UserRead(
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        store=store,
        enterprise=enterprise,
        truck=truck,
        compound=compound,
        active=user.active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
    )


def _get(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a user")
def create(body: UserCreate, session: SessionDep, principal: PrincipalDep) -> UserRead:
    require_role(principal)
    if session.scalars(select(User.id).where(User.username == body.username)).first():
        raise Conflict(f"username {body.username!r} is already taken")
    store = get_optional_by_code(session, Store, body.store, label="store", field="store")
    enterprise = get_optional_by_code(
        session, Enterprise, body.enterprise, label="enterprise", field="enterprise"
    )
    truck, compound = resolve_binding(session, truck=body.truck, compound=body.compound)
    check_binding(
        role=body.role,
        store_id=store.id if store else None,
        enterprise_id=enterprise.id if enterprise else None,
        truck_id=truck,
        compound_id=compound,
    )
    user = create_user(
        session,
        username=body.username,
        password=body.password,
        role=body.role,
        full_name=body.full_name,
        store_id=store.id if store else None,
        enterprise_id=enterprise.id if enterprise else None,
        truck_id=truck,
        compound_id=compound,
    )
    return read_user(session, user)


@router.get("", summary="List users")
def list_users(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    role: Role | None = None,
    active: bool | None = None,
) -> Page[UserRead]:
    require_role(principal)
    query = select(User).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[read_user(session, row[0]) for row in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/{username}", summary="Read a user")
def read(username: str, session: SessionDep, principal: PrincipalDep) -> UserRead:
    require_role(principal)
    return read_user(session, _get(session, username))


@router.patch("/{username}", summary="Update a user (name, password, active)")
def update(
    username: str, body: UserUpdate, session: SessionDep, principal: PrincipalDep
) -> UserRead:
    require_role(principal)
    user = _get(session, username)
    changes = body.model_dump(exclude_unset=True)
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    if changes.get("password") is not None:
        user.password_hash = hash_password(changes["password"])
        user.failed_logins = 0
        user.locked_until = None
        session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    if changes.get("active") is not None:
        user.active = changes["active"]
        if not user.active:
            session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()
    return read_user(session, user)


@router.delete("/{username}", summary="Deactivate a user and end their sessions")
def deactivate(username: str, session: SessionDep, principal: PrincipalDep) -> UserRead:
    require_role(principal)
    user = _get(session, username)
    user.active = False
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    session.flush()
    return read_user(session, user)
