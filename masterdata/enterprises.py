"""Enterprises: the retail chains and market operators that own stores.

A chain spans regions: the staff who deal with enterprises list and read them (their
stores are listed through ``masterdata.stores``, inside the caller's region), a store's
account reads its own, national staff change them. Drivers, receivers, producers and
checkpoints have no business with a chain's contacts and are refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role
from core.errors import NotFound
from core.lookups import PageOf, add_with_unique_code, apply_changes, get_by_code, page
from core.text import phrase
from models import Enterprise, EnterpriseKind, Role, Store

READERS = (
    Role.admin,
    Role.bureau,
    Role.dispatcher,
    Role.operator,
    Role.working_group,
    Role.service_officer,
)
"""Who reads every enterprise and its contacts: the staff who call chains about their
stores, tickets and deliveries (a store's account reads only its own)."""


@dataclass(frozen=True)
class EnterpriseView:
    """An enterprise as people and machines read it."""

    code: str
    name: str
    kind: EnterpriseKind
    contact_name: str | None
    contact_phone: str | None
    active: bool


def _view(enterprise: Enterprise) -> EnterpriseView:
    return EnterpriseView(
        code=enterprise.code,
        name=enterprise.name,
        kind=enterprise.kind,
        contact_name=enterprise.contact_name,
        contact_phone=enterprise.contact_phone,
        active=enterprise.active,
    )


def _readable(session: Session, principal: Principal) -> ColumnElement[bool]:
    """The enterprises ``principal`` may read: all for the staff, a store account's own."""
    if principal.role in READERS:
        return true()
    require_role(principal, *READERS, Role.store)
    own = principal.enterprise_id
    if own is None and principal.store_id is not None:
        own = session.scalar(select(Store.enterprise_id).where(Store.id == principal.store_id))
    return Enterprise.id == own if own is not None else Enterprise.id.is_(None)


def list_enterprises(
    *,
    session: Session,
    principal: Principal,
    kind: EnterpriseKind | None = None,
    active: bool | None = None,
    contains: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[EnterpriseView]:
    """One page of enterprises by code, filtered by kind, activity and a text the code or
    name contains."""
    query = select(Enterprise).where(_readable(session, principal)).order_by(Enterprise.code)
    if kind is not None:
        query = query.where(Enterprise.kind == kind)
    if active is not None:
        query = query.where(Enterprise.active == active)
    if contains:
        query = query.where(
            or_(
                Enterprise.code.contains(contains, autoescape=True),
                Enterprise.name.contains(contains, autoescape=True),
            )
        )
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(items=[_view(row[0]) for row in rows], total=total, limit=limit, offset=offset)


def read_enterprise(*, session: Session, principal: Principal, code: str) -> EnterpriseView:
    """The enterprise with this code if ``principal`` may read it, or a 404."""
    found = session.scalars(
        select(Enterprise).where(Enterprise.code == code, _readable(session, principal))
    ).first()
    if found is None:
        raise NotFound("{label} {code!r} not found", label=phrase("enterprise"), code=code)
    return _view(found)


def create_enterprise(
    *,
    session: Session,
    principal: Principal,
    code: str,
    name: str,
    kind: EnterpriseKind = EnterpriseKind.chain,
    contact_name: str | None = None,
    contact_phone: str | None = None,
) -> EnterpriseView:
    """Add an enterprise; the bureau's, and a taken code is a 409."""
    require_role(principal, Role.bureau)
    require_national(principal)
    enterprise = Enterprise(
        code=code,
        name=name,
        kind=kind,
        contact_name=contact_name,
        contact_phone=contact_phone,
    )
    add_with_unique_code(session, enterprise, label=phrase("enterprise"))
    return _view(enterprise)


def update_enterprise(
    *, session: Session, principal: Principal, code: str, changes: Mapping[str, Any]
) -> EnterpriseView:
    """Change the fields in ``changes`` (only those a caller sent)."""
    require_role(principal, Role.bureau)
    require_national(principal)
    enterprise = get_by_code(session, Enterprise, code, label=phrase("enterprise"))
    apply_changes(enterprise, dict(changes), required=("name", "kind", "active"))
    session.flush()
    return _view(enterprise)


def deactivate_enterprise(*, session: Session, principal: Principal, code: str) -> EnterpriseView:
    """Mark an enterprise inactive; its stores and their history stay."""
    require_role(principal, Role.bureau)
    require_national(principal)
    enterprise = get_by_code(session, Enterprise, code, label=phrase("enterprise"))
    enterprise.active = False
    session.flush()
    return _view(enterprise)
