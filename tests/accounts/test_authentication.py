"""Signing in: a refused password is counted in a transaction of its own, so the
request's rollback cannot undo it, and enough of them lock the account."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accounts.authentication import SIGN_IN_REFUSED, SignedIn, create_user, login
from core.errors import Unauthenticated
from models import LoginAddress, Role, User, UserSession
from models.base import utc_now
from tests.factories import LOGIN_LIMITS

PASSWORD = "correct horse"


def _login(
    factory: sessionmaker[Session],
    password: str,
    *,
    username: str = "li",
    address: str = "192.0.2.1",
) -> SignedIn:
    """Sign in as a request would: in a session of its own that commits only on success."""
    request = factory()
    try:
        signed_in = login(
            session=request,
            failures_in=factory,
            username=username,
            password=password,
            address=address,
            limits=LOGIN_LIMITS,
            session_length=timedelta(hours=8),
        )
        request.commit()
        return signed_in
    except BaseException:
        request.rollback()
        raise
    finally:
        request.close()


def _failures(session: Session) -> int | None:
    return session.scalar(select(User.failed_logins).where(User.username == "li"))


@pytest.fixture
def person(session: Session) -> None:
    create_user(session, username="li", password=PASSWORD, role=Role.bureau)
    session.commit()


@pytest.mark.usefixtures("person")
def test_a_failed_login_is_counted_even_though_the_request_rolls_back(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    with pytest.raises(Unauthenticated):
        _login(session_factory, "guess")
    assert _failures(session) == 1
    assert session.scalar(select(UserSession.id)) is None


@pytest.mark.usefixtures("person")
def test_repeated_failures_lock_the_account_and_a_later_success_resets_the_count(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            _login(session_factory, "guess")
    with pytest.raises(Unauthenticated) as locked:
        _login(session_factory, PASSWORD)  # even the right password waits
    assert locked.value.detail == SIGN_IN_REFUSED  # as a wrong password is answered

    session.execute(update(User).where(User.username == "li").values(locked_until=None))
    session.commit()
    signed_in = _login(session_factory, PASSWORD)
    assert signed_in.user.username == "li" and signed_in.token.startswith("sws_")
    session.expire_all()
    assert _failures(session) == 0
    assert session.scalar(select(UserSession.user_id)) == signed_in.user.id


@pytest.mark.usefixtures("person")
def test_an_unknown_name_is_refused_without_writing_anything(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    with pytest.raises(Unauthenticated):
        _login(session_factory, PASSWORD, username="ghost")
    assert _failures(session) == 0


@pytest.mark.usefixtures("person")
def test_addresses_whose_window_ended_are_forgotten_when_a_new_one_arrives(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    long_ago = utc_now() - LOGIN_LIMITS.address_window - timedelta(seconds=1)
    session.add(LoginAddress(address="192.0.2.50", attempts=10, window_started_at=long_ago))
    session.add(LoginAddress(address="192.0.2.51", attempts=3, window_started_at=utc_now()))
    session.commit()
    with pytest.raises(Unauthenticated):
        _login(session_factory, "guess", address="198.51.100.9")
    session.expire_all()
    assert set(session.scalars(select(LoginAddress.address))) == {"192.0.2.51", "198.51.100.9"}
