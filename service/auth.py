"""Who is calling and what they may touch: principals, authentication and store scoping.

Plain functions over a session, shared by the API, the CLI and (later) the web pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import ApiKey, Role, Store, User, UserSession
from models.base import utc_now
from service.errors import Forbidden, InvalidInput, TooManyRequests, Unauthenticated
from service.security import (
    DUMMY_PASSWORD_HASH,
    hash_password,
    new_api_key,
    new_session_token,
    sha256_hex,
    verify_password,
)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a key or a signed-in person, with its role and binding."""

    kind: str  # "key" or "user"
    id: int
    name: str
    role: Role
    store_id: int | None = None
    enterprise_id: int | None = None
    truck_id: int | None = None
    compound_id: int | None = None

    @property
    def label(self) -> str:
        """How this caller is named in audit trails (revisions, logs)."""
        return f"{self.kind}:{self.id}:{self.name}"[:120]

    @property
    def is_store_bound(self) -> bool:
        """True for a store role, which may only see its own store(s)."""
        return self.role is Role.store

    def can_access_store(self, store: Store) -> bool:
        """Whether this caller may read and write ``store``'s reports."""
        if self.role in (Role.admin, Role.bureau):
            return True
        if self.role is Role.store:
            if self.store_id is not None:
                return store.id == self.store_id
            return self.enterprise_id is not None and store.enterprise_id == self.enterprise_id
        return False


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise Forbidden unless ``principal`` has one of ``roles`` (admin always passes)."""
    if principal.role is Role.admin or principal.role in roles:
        return
    allowed = ", ".join(r.value for r in roles) or "admin"
    raise Forbidden(f"this action needs one of the roles: admin, {allowed}")


def require_store_access(principal: Principal, store: Store) -> None:
    """Raise Forbidden unless ``principal`` may act for ``store``."""
    if not principal.can_access_store(store):
        raise Forbidden(f"this key or user is not allowed to act for store {store.code}")


def check_binding(
    *,
    role: Role,
    store_id: int | None,
    enterprise_id: int | None,
    truck_id: int | None = None,
    compound_id: int | None = None,
) -> None:
    """A store role is bound to exactly one store or one enterprise; a receiver to one
    compound; a driver optionally to one truck; others to nothing."""
    if role is Role.receiver and compound_id is None:
        raise InvalidInput(
            "a receiver key or user is bound to one compound",
            errors=[{"loc": ["body", "compound"], "msg": "give the compound code"}],
        )
    if compound_id is not None and role is not Role.receiver:
        raise InvalidInput(
            "only the receiver role is bound to a compound",
            errors=[{"loc": ["body", "role"], "msg": "compound needs role 'receiver'"}],
        )
    if truck_id is not None and role is not Role.driver:
        raise InvalidInput(
            "only the driver role is bound to a truck",
            errors=[{"loc": ["body", "role"], "msg": "truck needs role 'driver'"}],
        )
    if role is Role.store:
        if (store_id is None) == (enterprise_id is None):
            raise InvalidInput(
                "a store key or user is bound to exactly one store or one enterprise",
                errors=[{"loc": ["body", "store"], "msg": "give either store or enterprise"}],
            )
    elif store_id is not None or enterprise_id is not None:
        raise InvalidInput(
            "only the store role is bound to a store or enterprise",
            errors=[{"loc": ["body", "role"], "msg": "store/enterprise need role 'store'"}],
        )


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
) -> User:
    """Store a new person with an argon2 hash of their password."""
    check_binding(
        role=role,
        store_id=store_id,
        enterprise_id=enterprise_id,
        truck_id=truck_id,
        compound_id=compound_id,
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
    )
    session.add(user)
    session.flush()
    return user


def login(
    session: Session,
    *,
    username: str,
    password: str,
    max_failures: int,
    lockout: timedelta,
    session_length: timedelta,
) -> tuple[User, str, datetime]:
    """Check a password and open a session; throttles an account after repeated failures.

    Returns the user, the session token (shown once) and its expiry. The failure
    count is written even though the login fails, so the caller must commit it.
    """
    now = utc_now()
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(DUMMY_PASSWORD_HASH, password)
        raise Unauthenticated("wrong username or password")
    if user.locked_until is not None and user.locked_until > now:
        wait = int((user.locked_until - now).total_seconds()) + 1
        raise TooManyRequests(
            f"too many failed sign-ins; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    if not verify_password(user.password_hash, password) or not user.active:
        failures = user.failed_logins + 1
        session.execute(
            update(User)
            .where(User.id == user.id)
            .values(
                failed_logins=failures,
                locked_until=now + lockout if failures >= max_failures else None,
            )
        )
        raise Unauthenticated("wrong username or password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    token, token_hash = new_session_token()
    expires_at = now + session_length
    session.add(
        UserSession(token_hash=token_hash, user_id=user.id, created_at=now, expires_at=expires_at)
    )
    session.flush()
    return user, token, expires_at


def logout(session: Session, token: str) -> None:
    """End the session behind ``token`` (no error when it is already gone)."""
    found = session.scalars(
        select(UserSession).where(UserSession.token_hash == sha256_hex(token))
    ).first()
    if found is not None:
        session.delete(found)
        session.flush()
