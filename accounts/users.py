"""People who sign in to the pages (bureau staff, store clerks, dispatchers, drivers),
as an admin manages them: add, list, change, deactivate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from accounts.bindings import (
    account_in_region,
    binding_names,
    confine_to_admin_region,
    resolve_binding,
)
from core.access import Principal, check_binding, require_role
from core.database import serialize_on
from core.errors import Conflict, NotFound
from core.lookups import PageOf, page
from core.security import hash_password
from models import LoginFailure, Role, User, UserSession


@dataclass(frozen=True)
class UserView:
    """A person as an admin reads them: binding by code, never the password hash."""

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


def user_view(*, session: Session, user: User) -> UserView:
    """The public view of ``user``, with the codes of what they are bound to."""
    names = binding_names(
        session=session,
        store_id=user.store_id,
        enterprise_id=user.enterprise_id,
        truck_id=user.truck_id,
        compound_id=user.compound_id,
        producer_id=user.producer_id,
        checkpoint_id=user.checkpoint_id,
        region_id=user.region_id,
    )
    return UserView(
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        store=names.store,
        enterprise=names.enterprise,
        truck=names.truck,
        compound=names.compound,
        producer=names.producer,
        checkpoint=names.checkpoint,
        region=names.region,
        active=user.active,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        locked_until=user.locked_until,
    )


def _user(session: Session, principal: Principal, username: str) -> User:
    user = session.scalars(
        select(User).where(User.username == username, account_in_region(principal, User))
    ).first()
    if user is None:
        raise NotFound("user {username!r} not found", username=username)
    return user


NATIONAL_ADMINS_LOCK_SPACE = 0x5357_4E41  # advisory lock of the national admins ("SWNA")


def _refuse_locking_everyone_out(session: Session, principal: Principal, user: User) -> None:
    """Refuse a deactivation that would leave nobody to run the service: one's own
    account (another admin does that), or the last active national admin."""
    if principal.kind == "user" and principal.id == user.id:
        raise Conflict("you cannot deactivate your own account; another admin can")
    if not (user.active and user.role is Role.admin and user.region_id is None):
        return
    # Two admins deactivating each other at once must not both see the other as kept.
    serialize_on(session, space=NATIONAL_ADMINS_LOCK_SPACE, name="national admins")
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.role == Role.admin,
            User.region_id.is_(None),
            User.active.is_(True),
            User.id != user.id,
        )
    )
    if not others:
        raise Conflict(
            "{username!r} is the last active national admin; add another before "
            "deactivating this one",
            username=user.username,
        )


def _end_sessions(session: Session, user: User) -> None:
    session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def add_user(
    *,
    session: Session,
    principal: Principal,
    username: str,
    password: str,
    role: Role,
    full_name: str | None = None,
    store: str | None = None,
    enterprise: str | None = None,
    truck: str | None = None,
    compound: str | None = None,
    producer: str | None = None,
    checkpoint: str | None = None,
    region: str | None = None,
) -> UserView:
    """Add a person bound by code to what their role needs; an admin's, and a taken
    username is a 409."""
    require_role(principal)
    taken = session.scalars(
        select(User.username).where(func.lower(User.username) == username.lower())
    ).first()
    if taken == username:
        raise Conflict("username {username!r} is already taken", username=username)
    if taken is not None:
        # "STORE" beside "store" would pass for the same person in every audit trail.
        raise Conflict(
            "username {username!r} differs only in case from {taken!r}, which exists",
            username=username,
            taken=taken,
        )
    binding = resolve_binding(
        session=session,
        store=store,
        enterprise=enterprise,
        truck=truck,
        compound=compound,
        producer=producer,
        checkpoint=checkpoint,
        region=region,
    )
    binding = confine_to_admin_region(session, principal, binding, role)
    check_binding(
        role=role,
        store_id=binding.store_id,
        enterprise_id=binding.enterprise_id,
        truck_id=binding.truck_id,
        compound_id=binding.compound_id,
        producer_id=binding.producer_id,
        checkpoint_id=binding.checkpoint_id,
        region_id=binding.region_id,
    )
    user = create_user(
        session,
        username=username,
        password=password,
        role=role,
        full_name=full_name,
        store_id=binding.store_id,
        enterprise_id=binding.enterprise_id,
        truck_id=binding.truck_id,
        compound_id=binding.compound_id,
        producer_id=binding.producer_id,
        checkpoint_id=binding.checkpoint_id,
        region_id=binding.region_id,
    )
    return user_view(session=session, user=user)


def list_users(
    *,
    session: Session,
    principal: Principal,
    role: Role | None = None,
    active: bool | None = None,
    limit: int,
    offset: int,
) -> PageOf[UserView]:
    """One page of people by username, of a role and activity; an admin's."""
    require_role(principal)
    query = select(User).where(account_in_region(principal, User)).order_by(User.username)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=[user_view(session=session, user=row[0]) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def read_user(*, session: Session, principal: Principal, username: str) -> UserView:
    """The person with this username, or a 404; an admin's."""
    require_role(principal)
    return user_view(session=session, user=_user(session, principal, username))


def update_user(
    *, session: Session, principal: Principal, username: str, changes: Mapping[str, Any]
) -> UserView:
    """Change a person's name, password or activity (only what ``changes`` holds); a new
    password unlocks the account and, like a deactivation, ends their sessions."""
    require_role(principal)
    user = _user(session, principal, username)
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    if changes.get("password") is not None:
        user.password_hash = hash_password(changes["password"])
        user.failed_logins = 0
        user.locked_until = None
        _end_sessions(session, user)
    if changes.get("active") is not None:
        if not changes["active"]:
            _refuse_locking_everyone_out(session, principal, user)
        user.active = changes["active"]
        if not user.active:
            _end_sessions(session, user)
    session.flush()
    return user_view(session=session, user=user)


def deactivate_user(*, session: Session, principal: Principal, username: str) -> UserView:
    """Deactivate a person and end their sessions (the row stays for the audit trail)."""
    require_role(principal)
    user = _user(session, principal, username)
    _refuse_locking_everyone_out(session, principal, user)
    user.active = False
    _end_sessions(session, user)
    session.flush()
    return user_view(session=session, user=user)


def unlock_user(*, session: Session, principal: Principal, username: str) -> UserView:
    """Clear a person's failed sign-ins and lock: an admin's way to let them back in."""
    require_role(principal)
    user = _user(session, principal, username)
    user.failed_logins = 0
    user.locked_until = None
    session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))
    session.flush()
    return user_view(session=session, user=user)
