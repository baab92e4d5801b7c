"""People as an admin manages them: bound by code, passwords that end sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounts.authentication import login
from accounts.users import add_user, deactivate_user, list_users, read_user, update_user
from core.access import Principal
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from models import Role, User, UserSession
from tests.factories import LOGIN_LIMITS, make_store

ADMIN = Principal("key", 1, "admin", Role.admin)


def test_a_store_clerk_is_added_bound_to_a_store_by_code(session: Session) -> None:
    make_store(session, code="T-S")
    added = add_user(
        session=session,
        principal=ADMIN,
        username="t.clerk",
        password="long enough",
        role=Role.store,
        store="T-S",
    )
    assert (added.username, added.role, added.store, added.active) == (
        "t.clerk",
        Role.store,
        "T-S",
        True,
    )
    assert read_user(session=session, principal=ADMIN, username="t.clerk") == added
    listed = list_users(session=session, principal=ADMIN, role=Role.store, limit=50, offset=0)
    assert "t.clerk" in [user.username for user in listed.items]

    with pytest.raises(Conflict):
        add_user(
            session=session,
            principal=ADMIN,
            username="t.clerk",
            password="long enough",
            role=Role.bureau,
        )
    with pytest.raises(InvalidInput):  # a store role needs its store or enterprise
        add_user(
            session=session,
            principal=ADMIN,
            username="t.x",
            password="long enough",
            role=Role.store,
        )
    with pytest.raises(Forbidden):
        list_users(
            session=session, principal=Principal("user", 2, "li", Role.bureau), limit=5, offset=0
        )
    with pytest.raises(NotFound):
        read_user(session=session, principal=ADMIN, username="t.nobody")


def test_a_new_password_unlocks_the_account_and_ends_its_sessions(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    add_user(
        session=session, principal=ADMIN, username="t.li", password="first pass", role=Role.bureau
    )
    session.commit()
    login(
        session=session,
        failures_in=session_factory,
        username="t.li",
        password="first pass",
        address="192.0.2.1",
        limits=LOGIN_LIMITS,
        session_length=timedelta(hours=1),
    )
    user = session.scalars(select(User).where(User.username == "t.li")).one()
    user.failed_logins = 2
    session.flush()
    assert session.scalar(select(UserSession.id).where(UserSession.user_id == user.id))

    update_user(
        session=session, principal=ADMIN, username="t.li", changes={"password": "second pass"}
    )
    assert user.failed_logins == 0 and user.locked_until is None
    assert session.scalar(select(UserSession.id).where(UserSession.user_id == user.id)) is None
    assert not deactivate_user(session=session, principal=ADMIN, username="t.li").active
