"""Accounts: API keys, people and their sign-in sessions, and who a token belongs to.

Plain functions over a session, shared by the API, the pages and the CLI. Signing in
is the one place that commits on its own: attempts and failed passwords are counted in
short transactions of their own, so the refusal cannot roll them back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.access import Principal, bind_region, check_binding
from core.database import SessionFactory, mark_read_only, session_scope
from core.errors import InvalidInput, TooManyRequests, Unauthenticated
from core.security import (
    DUMMY_PASSWORD_HASH,
    hash_password,
    new_api_key,
    new_session_token,
    sha256_hex,
    verify_password,
)
from core.text import N_, field_problem
from models import ApiKey, LoginAddress, LoginFailure, Role, User, UserSession
from models.base import utc_now

log = logging.getLogger("supplywatch.accounts")

SIGN_IN_REFUSED = N_(
    "wrong username or password, or the account is locked for a while after many failed sign-ins"
)
"""One answer for an unknown name, a wrong password and a locked account, so that a
stranger cannot tell which names exist by locking them."""

# Built once: every request looks its caller up, and building a statement and its cache
# key costs about as much as running it. The lookup itself still runs on every request.
PERSONAL_ROLES = (Role.service_officer, Role.working_group)
"""Roles whose work is a person's own (their assigned enterprises, their groups' tickets):
they sign in and get no API key."""

_USER_OF_SESSION = (
    select(User, UserSession.expires_at)
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token_hash == bindparam("token_hash"))
)
_KEY_BY_HASH = select(ApiKey).where(ApiKey.key_hash == bindparam("token_hash"))


def authenticate_token(session: Session, token: str) -> Principal:
    """The principal behind a bearer API key or session token, or Unauthenticated."""
    token_hash = sha256_hex(token)
    now = utc_now()
    if token.startswith("sws_"):
        row = session.execute(_USER_OF_SESSION, {"token_hash": token_hash}).first()
        if row is None or not row[0].active or row[1] <= now:
            raise Unauthenticated("the session is unknown or has expired; sign in again")
        user = row[0]
        person = Principal(
            "user",
            user.id,
            user.username,
            user.role,
            user.store_id,
            user.enterprise_id,
            user.truck_id,
            user.compound_id,
            user.producer_id,
            user.checkpoint_id,
        )
        return bind_region(session, person, user.region_id)
    key = session.scalars(_KEY_BY_HASH, {"token_hash": token_hash}).first()
    if key is None or not key.active:
        raise Unauthenticated("the API key is unknown or has been revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated("the API key has expired")
    machine = Principal(
        "key",
        key.id,
        key.name,
        key.role,
        key.store_id,
        key.enterprise_id,
        key.truck_id,
        key.compound_id,
        key.producer_id,
        key.checkpoint_id,
    )
    return bind_region(session, machine, key.region_id)


def create_api_key(
    session: Session,
    *,
    name: str,
    role: Role,
    store_id: int | None = None,
    enterprise_id: int | None = None,
    truck_id: int | None = None,
    compound_id: int | None = None,
    producer_id: int | None = None,
    checkpoint_id: int | None = None,
    region_id: int | None = None,
    created_by: str | None = None,
    expires_at: datetime | None = None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key and return it with the secret, which is shown only this once."""
    if role in PERSONAL_ROLES:
        # Their work is a person's (the groups or enterprises assigned to that user): a
        # key would be no one and could do nothing; the person signs in for a token.
        raise InvalidInput(
            "a {role} works as a signed-in person: sign in (POST /api/v1/auth/login) for a "
            "bearer token instead of a key",
            errors=[
                field_problem(
                    ["body", "role"], "a {role} signs in; keys are for other roles", role=role.value
                )
            ],
            role=role.value,
        )
    check_binding(
        role=role,
        store_id=store_id,
        enterprise_id=enterprise_id,
        truck_id=truck_id,
        compound_id=compound_id,
        producer_id=producer_id,
        checkpoint_id=checkpoint_id,
        region_id=region_id,
    )
    key, prefix, key_hash = new_api_key()
    if secret is not None:
        # A configured token: never show any part of it, even as a prefix.
        key, prefix, key_hash = secret, "configured", sha256_hex(secret)
    api_key = ApiKey(
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        role=role,
        store_id=store_id,
        enterprise_id=enterprise_id,
        truck_id=truck_id,
        compound_id=compound_id,
        producer_id=producer_id,
        checkpoint_id=checkpoint_id,
        region_id=region_id,
        created_by=created_by,
        expires_at=expires_at,
    )
    session.add(api_key)
    session.flush()
    return api_key, key


def ensure_admin_key(session: Session, token: str) -> ApiKey:
    """Make sure ``token`` (from SUPPLYWATCH_ADMIN_TOKEN) is an admin key, without ever
    bringing it back once revoked: a leaked token revoked by an admin must stay dead
    across restarts (the setting then needs a new token)."""
    existing = session.scalars(select(ApiKey).where(ApiKey.key_hash == sha256_hex(token))).first()
    if existing is not None and not existing.active:
        log.warning(
            "SUPPLYWATCH_ADMIN_TOKEN names revoked API key %s; it stays revoked, set a new token",
            existing.prefix,
        )
        return existing
    if existing is not None:
        existing.role = Role.admin
        existing.region_id = None  # the configured token is national
        session.flush()
        return existing
    api_key, _ = create_api_key(
        session, name="admin (SUPPLYWATCH_ADMIN_TOKEN)", role=Role.admin, secret=token
    )
    return api_key


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    full_name: str | None = None,
    store_id: int | None = None,
    enterprise_id: int | None = None,
    truck_id: int | None = None,
    compound_id: int | None = None,
    producer_id: int | None = None,
    checkpoint_id: int | None = None,
    region_id: int | None = None,
) -> User:
    """Store a new person with an argon2 hash of their password."""
    check_binding(
        role=role,
        store_id=store_id,
        enterprise_id=enterprise_id,
        truck_id=truck_id,
        compound_id=compound_id,
        producer_id=producer_id,
        checkpoint_id=checkpoint_id,
        region_id=region_id,
    )
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role,
        store_id=store_id,
        enterprise_id=enterprise_id,
        truck_id=truck_id,
        compound_id=compound_id,
        producer_id=producer_id,
        checkpoint_id=checkpoint_id,
        region_id=region_id,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class SignedIn:
    """A person who just signed in, their new session token (shown once) and its expiry."""

    user: User
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class LoginLimits:
    """How sign-in is throttled: per client address first (a burst from one address waits
    alone), and an account locks, with a doubling lockout, only when many failures come
    from several addresses, so one attacker cannot keep its owner out."""

    address_attempts: int
    address_window: timedelta
    account_failures: int
    account_addresses: int
    lockout: timedelta
    longest_lockout: timedelta


def login(
    *,
    session: Session,
    failures_in: SessionFactory,
    username: str,
    password: str,
    address: str,
    limits: LoginLimits,
    session_length: timedelta,
) -> SignedIn:
    """Check a password from client ``address`` and open a session in ``session``.

    The throttle is kept in short transactions of their own on ``failures_in`` (the
    factory of ``session``), committed before a refusal is raised: the caller's unit of
    work rolls back on that error, and throttling must still see it.
    """
    user_id = _checked_password(
        failures_in, username=username, password=password, address=address, limits=limits
    )
    user = session.get(User, user_id)
    if user is None:  # removed since the check a moment ago
        raise Unauthenticated(SIGN_IN_REFUSED)
    now = utc_now()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.execute(delete(LoginFailure).where(LoginFailure.user_id == user.id))
    token, token_hash = new_session_token()
    expires_at = now + session_length
    session.add(
        UserSession(token_hash=token_hash, user_id=user.id, created_at=now, expires_at=expires_at)
    )
    session.flush()
    return SignedIn(user=user, token=token, expires_at=expires_at)


def _seconds_until(until: datetime, now: datetime) -> int:
    """Whole seconds to wait, for a 429's Retry-After."""
    return int((until - now).total_seconds()) + 1


def _insert(session: Session, table: type[LoginAddress] | type[LoginFailure]) -> Any:
    """An INSERT that can skip or merge a row that is already there, for this dialect."""
    dialect = session.connection().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _reserve_attempt(own: Session, *, address: str, limits: LoginLimits) -> None:
    """Count one more attempt from ``address`` in its window (atomically, so parallel
    requests cannot all pass); past the limit the attempt is refused with 429."""
    now = utc_now()
    expired = LoginAddress.window_started_at <= now - limits.address_window
    inserted = own.execute(
        _insert(own, LoginAddress)
        .values(address=address, attempts=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=["address"])
        .returning(LoginAddress.address)
    ).first()
    if inserted is not None:  # a new address: forget those whose window has ended
        own.execute(delete(LoginAddress).where(expired, LoginAddress.address != address))
    attempts, started = own.execute(
        update(LoginAddress)
        .where(LoginAddress.address == address)
        .values(
            attempts=case((expired, 1), else_=LoginAddress.attempts + 1),
            window_started_at=case((expired, now), else_=LoginAddress.window_started_at),
        )
        .returning(LoginAddress.attempts, LoginAddress.window_started_at)
    ).one()
    if attempts > limits.address_attempts:
        wait = _seconds_until(started + limits.address_window, now)
        raise TooManyRequests(
            "too many failed sign-ins from this address; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
            wait=wait,
        )


def _count_failure(own: Session, *, user_id: int, address: str, limits: LoginLimits) -> None:
    """Add a failure to the account (atomically) and to its address; lock the account at
    every ``account_failures``-th failure, twice as long each time, when the failures
    came from enough addresses."""
    now = utc_now()
    failures = own.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    ).scalar_one()
    own.execute(
        _insert(own, LoginFailure)
        .values(user_id=user_id, address=address, failures=1, last_failed_at=now)
        .on_conflict_do_update(
            index_elements=["user_id", "address"],
            set_={"failures": LoginFailure.failures + 1, "last_failed_at": now},
        )
    )
    if failures % limits.account_failures != 0:  # each further batch of failures locks
        return
    addresses = own.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.user_id == user_id, LoginFailure.failures > 0)
    )
    if (addresses or 0) < limits.account_addresses:
        return
    doublings = min(failures // limits.account_failures - 1, 16)
    lockout = min(limits.lockout * 2**doublings, limits.longest_lockout)
    own.execute(update(User).where(User.id == user_id).values(locked_until=now + lockout))


def _checked_password(
    factory: SessionFactory, *, username: str, password: str, address: str, limits: LoginLimits
) -> int:
    """The id of the user whose password this is; otherwise the refusal is recorded and
    committed (the address's attempt, the account's failure, maybe a lock) and raised."""
    with session_scope(factory) as own:
        _reserve_attempt(own, address=address, limits=limits)
    with session_scope(factory) as own:
        mark_read_only(own)
        user = own.scalars(select(User).where(User.username == username)).first()
        own.expunge_all()
    now = utc_now()
    if user is None:
        verify_password(DUMMY_PASSWORD_HASH, password)
        raise Unauthenticated(SIGN_IN_REFUSED)
    if user.locked_until is not None and user.locked_until > now:
        # answered as a wrong password, so a lock does not tell a stranger the name exists
        verify_password(DUMMY_PASSWORD_HASH, password)
        raise Unauthenticated(SIGN_IN_REFUSED)
    if not verify_password(user.password_hash, password) or not user.active:
        with session_scope(factory) as own:
            _count_failure(own, user_id=user.id, address=address, limits=limits)
        raise Unauthenticated(SIGN_IN_REFUSED)
    with session_scope(factory) as own:  # a success does not use up the address's attempts
        own.execute(
            update(LoginAddress)
            .where(LoginAddress.address == address, LoginAddress.attempts > 0)
            .values(attempts=LoginAddress.attempts - 1)
        )
    return user.id


def logout(session: Session, token: str) -> None:
    """End the session behind ``token`` (no error when it is already gone)."""
    found = session.scalars(
        select(UserSession).where(UserSession.token_hash == sha256_hex(token))
    ).first()
    if found is not None:
        session.delete(found)
        session.flush()
