"""Accounts: API keys, people and their sign-in sessions, and who a token belongs to.

Plain functions over a session, shared by the API, the pages and the CLI. Signing in
is the one place that commits on its own: a failed password is counted in a short
transaction of its own, so the refusal cannot roll it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.access import Principal, check_binding
from core.database import SessionFactory, session_scope
from core.errors import DomainError, TooManyRequests, Unauthenticated
from core.security import (
    DUMMY_PASSWORD_HASH,
    hash_password,
    new_api_key,
    new_session_token,
    sha256_hex,
    verify_password,
)
from models import ApiKey, Role, User, UserSession
from models.base import utc_now


def authenticate_token(session: Session, token: str) -> Principal:
    """The principal behind a bearer API key or session token, or Unauthenticated."""
    token_hash = sha256_hex(token)
    now = utc_now()
    if token.startswith("sws_"):
        row = session.execute(
            select(User, UserSession.expires_at)
            .join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.token_hash == token_hash)
        ).first()
        if row is None or not row[0].active or row[1] <= now:
            raise Unauthenticated("the session is unknown or has expired; sign in again")
        user = row[0]
        return Principal(
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
    key = session.scalars(select(ApiKey).where(ApiKey.key_hash == token_hash)).first()
    if key is None or not key.active:
        raise Unauthenticated("the API key is unknown or has been revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise Unauthenticated("the API key has expired")
    return Principal(
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
    created_by: str | None = None,
    expires_at: datetime | None = None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key and return it with the secret, which is shown only this once."""
    check_binding(
        role=role,
        store_id=store_id,
        enterprise_id=enterprise_id,
        truck_id=truck_id,
        compound_id=compound_id,
        producer_id=producer_id,
        checkpoint_id=checkpoint_id,
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
        created_by=created_by,
        expires_at=expires_at,
    )
    session.add(api_key)
    session.flush()
    return api_key, key


def ensure_admin_key(session: Session, token: str) -> ApiKey:
    """Make sure ``token`` (from SUPPLYWATCH_ADMIN_TOKEN) is an active admin key."""
    existing = session.scalars(select(ApiKey).where(ApiKey.key_hash == sha256_hex(token))).first()
    if existing is not None:
        existing.active = True
        existing.role = Role.admin
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


def login(
    *,
    session: Session,
    failures_in: SessionFactory,
    username: str,
    password: str,
    max_failures: int,
    lockout: timedelta,
    session_length: timedelta,
) -> SignedIn:
    """Check a password and open a session in ``session``; an account that fails
    ``max_failures`` times in a row is locked for ``lockout``.

    The password is checked in a short transaction of its own on ``failures_in`` (the
    factory of ``session``), which commits a failure before the refusal is raised: the
    caller's unit of work rolls back on that error, and throttling must still see it.
    """
    user_id = _checked_password(
        failures_in,
        username=username,
        password=password,
        max_failures=max_failures,
        lockout=lockout,
    )
    user = session.get(User, user_id)
    if user is None:  # removed since the check a moment ago
        raise Unauthenticated("wrong username or password")
    now = utc_now()
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    token, token_hash = new_session_token()
    expires_at = now + session_length
    session.add(
        UserSession(token_hash=token_hash, user_id=user.id, created_at=now, expires_at=expires_at)
    )
    session.flush()
    return SignedIn(user=user, token=token, expires_at=expires_at)


def _checked_password(
    factory: SessionFactory,
    *,
    username: str,
    password: str,
    max_failures: int,
    lockout: timedelta,
) -> int:
    """The id of the user whose password this is; otherwise the failure is counted and
    committed (locking the account after ``max_failures``) and the refusal raised."""
    refusal: DomainError | None = None
    user_id = 0
    with session_scope(factory) as own:
        now = utc_now()
        user = own.scalars(select(User).where(User.username == username)).first()
        if user is None:
            verify_password(DUMMY_PASSWORD_HASH, password)
            refusal = Unauthenticated("wrong username or password")
        elif user.locked_until is not None and user.locked_until > now:
            wait = int((user.locked_until - now).total_seconds()) + 1
            refusal = TooManyRequests(
                "too many failed sign-ins; try again in {wait} seconds",
                headers={"Retry-After": str(wait)},
                wait=wait,
            )
        elif not verify_password(user.password_hash, password) or not user.active:
            failures = user.failed_logins + 1
            own.execute(
                update(User)
                .where(User.id == user.id)
                .values(
                    failed_logins=failures,
                    locked_until=now + lockout if failures >= max_failures else None,
                )
            )
            refusal = Unauthenticated("wrong username or password")
        else:
            user_id = user.id
    if refusal is not None:
        raise refusal
    return user_id


def logout(session: Session, token: str) -> None:
    """End the session behind ``token`` (no error when it is already gone)."""
    found = session.scalars(
        select(UserSession).where(UserSession.token_hash == sha256_hex(token))
    ).first()
    if found is not None:
        session.delete(found)
        session.flush()
