"""API keys for machines (a chain's IT system, a monitoring job), as an admin manages
them: issue (the secret shown once), list, read, revoke."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_api_key
from accounts.bindings import (
    account_in_region,
    binding_names,
    confine_to_admin_region,
    resolve_binding,
)
from core.access import Principal, require_role
from core.errors import InvalidInput, NotFound
from core.lookups import PageOf, page
from core.text import field_problem
from models import ApiKey, Role
from models.base import utc_now

MAX_KEY_YEARS = 10
MAX_KEY_LIFETIME = timedelta(days=365 * MAX_KEY_YEARS + MAX_KEY_YEARS // 4 + 1)
"""The furthest a key's expiry may lie ahead: a key meant to live longer should not expire
at all, and an instant at the calendar's edge cannot even be converted to UTC."""


@dataclass(frozen=True)
class KeyView:
    """A key as an admin reads it: its prefix and binding by code, never its secret."""

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


@dataclass(frozen=True)
class IssuedKey:
    """A new key and its secret, which is shown this once and never stored."""

    key: KeyView
    secret: str


def _view(session: Session, key: ApiKey) -> KeyView:
    names = binding_names(
        session=session,
        store_id=key.store_id,
        enterprise_id=key.enterprise_id,
        truck_id=key.truck_id,
        compound_id=key.compound_id,
        producer_id=key.producer_id,
        checkpoint_id=key.checkpoint_id,
        region_id=key.region_id,
    )
    return KeyView(
        id=key.id,
        name=key.name,
        prefix=key.prefix,
        role=key.role,
        store=names.store,
        enterprise=names.enterprise,
        truck=names.truck,
        compound=names.compound,
        producer=names.producer,
        checkpoint=names.checkpoint,
        region=names.region,
        active=key.active,
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
    )


def _key(session: Session, principal: Principal, key_id: int) -> ApiKey:
    key = session.scalars(
        select(ApiKey).where(ApiKey.id == key_id, account_in_region(principal, ApiKey))
    ).first()
    if key is None:
        raise NotFound("API key {key_id} not found", key_id=key_id)
    return key


def issue_key(
    *,
    session: Session,
    principal: Principal,
    name: str,
    role: Role,
    store: str | None = None,
    enterprise: str | None = None,
    truck: str | None = None,
    compound: str | None = None,
    producer: str | None = None,
    checkpoint: str | None = None,
    region: str | None = None,
    expires_at: datetime | None = None,
) -> IssuedKey:
    """A new key bound by code to what its role needs, expiring (if ever) in the future;
    an admin's, recorded as issued by ``principal``."""
    require_role(principal)
    if expires_at is not None and expires_at <= utc_now():
        raise InvalidInput(
            "the expiry is in the past",
            errors=[field_problem(["body", "expires_at"], "must be in the future")],
        )
    if expires_at is not None and expires_at - utc_now() > MAX_KEY_LIFETIME:
        raise InvalidInput(
            "the expiry is more than {years} years ahead",
            errors=[
                field_problem(
                    ["body", "expires_at"], "at most {years} years from now", years=MAX_KEY_YEARS
                )
            ],
            years=MAX_KEY_YEARS,
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
    key, secret = create_api_key(
        session,
        name=name,
        role=role,
        store_id=binding.store_id,
        enterprise_id=binding.enterprise_id,
        truck_id=binding.truck_id,
        compound_id=binding.compound_id,
        producer_id=binding.producer_id,
        checkpoint_id=binding.checkpoint_id,
        region_id=binding.region_id,
        created_by=principal.label,
        expires_at=expires_at,
    )
    return IssuedKey(key=_view(session, key), secret=secret)


def list_keys(
    *,
    session: Session,
    principal: Principal,
    role: Role | None = None,
    active: bool | None = None,
    limit: int,
    offset: int,
) -> PageOf[KeyView]:
    """One page of keys, oldest first, of a role and activity; an admin's."""
    require_role(principal)
    query = select(ApiKey).where(account_in_region(principal, ApiKey)).order_by(ApiKey.id)
    if role is not None:
        query = query.where(ApiKey.role == role)
    if active is not None:
        query = query.where(ApiKey.active == active)
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=[_view(session, row[0]) for row in rows], total=total, limit=limit, offset=offset
    )


def read_key(*, session: Session, principal: Principal, key_id: int) -> KeyView:
    """The key with this id (never its secret), or a 404; an admin's."""
    require_role(principal)
    return _view(session, _key(session, principal, key_id))


def revoke_key(*, session: Session, principal: Principal, key_id: int) -> KeyView:
    """Revoke a key at once (the row stays, so revisions still name who sent what)."""
    require_role(principal)
    key = _key(session, principal, key_id)
    key.active = False
    session.flush()
    return _view(session, key)
