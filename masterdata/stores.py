"""Stores: the outlets (supermarkets, farmers' markets) that post daily reports.

Who sees which store is decided here, once: a store-bound caller sees only its own
store or its enterprise's stores; the bureau, admins and dispatchers see them all, or,
when bound to a region, those inside it (one outside is a 404, as if unknown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, select
from sqlalchemy.orm import Session

from core.access import (
    Principal,
    require_in_region,
    require_role,
    require_store_access,
    within_region,
)
from core.lookups import (
    PageOf,
    add_with_unique_code,
    apply_changes,
    get_by_code,
    get_optional_by_code,
    page,
    region_subtree_ids,
)
from core.text import phrase
from masterdata.regions import body_region_inside, region_inside
from models import Enterprise, Region, Role, Store, StoreKind

SEES_EVERY_STORE = (Role.admin, Role.bureau, Role.dispatcher)


@dataclass(frozen=True)
class StoreView:
    """A store as people and machines read it: its region and enterprise by code."""

    code: str
    name: str
    kind: StoreKind
    region: str
    enterprise: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    key_supplier: bool
    service_officer: str | None
    active: bool


@dataclass(frozen=True)
class StoreChoice:
    """A store someone may report for, as the store pages list it (names, not codes)."""

    code: str
    name: str
    region_name: str
    enterprise_name: str | None


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``Store`` that keeps what ``principal`` may see: all stores for
    the bureau, admins and dispatchers (inside their region when bound to one), a store
    role's own store or enterprise, else none."""
    if principal.role in SEES_EVERY_STORE:
        return within_region(principal, Store.region_id)
    if principal.role is Role.store and principal.store_id is not None:
        return Store.id == principal.store_id
    if principal.role is Role.store and principal.enterprise_id is not None:
        return Store.enterprise_id == principal.enterprise_id
    return false()


def _with_codes() -> Select[Store, str, str | None]:
    return (
        select(Store, Region.code, Enterprise.code)
        .join(Region, Store.region_id == Region.id)
        .outerjoin(Enterprise, Store.enterprise_id == Enterprise.id)
    )


def _view(store: Store, region_code: str, enterprise_code: str | None) -> StoreView:
    return StoreView(
        code=store.code,
        name=store.name,
        kind=store.kind,
        region=region_code,
        enterprise=enterprise_code,
        address=store.address,
        latitude=store.latitude,
        longitude=store.longitude,
        key_supplier=store.key_supplier,
        service_officer=store.service_officer,
        active=store.active,
    )


def _view_of(session: Session, store_id: int) -> StoreView:
    store, region_code, enterprise_code = session.execute(
        _with_codes().where(Store.id == store_id)
    ).one()
    return _view(store, region_code, enterprise_code)


def list_stores(
    *,
    session: Session,
    principal: Principal,
    region: str | None = None,
    enterprise: str | None = None,
    kind: StoreKind | None = None,
    key_supplier: bool | None = None,
    active: bool | None = None,
    contains: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[StoreView]:
    """One page of the stores ``principal`` may see, by code: in a region (with its
    subregions), of an enterprise, a kind, key suppliers, active, or whose code or name
    contains a text."""
    query = _with_codes().where(visible_to(principal)).order_by(Store.code)
    if region is not None:
        scope = region_inside(session, principal, region)
        query = query.where(Store.region_id.in_(region_subtree_ids(session, scope.id)))
    if enterprise is not None:
        query = query.where(Enterprise.code == enterprise)
    if kind is not None:
        query = query.where(Store.kind == kind)
    if key_supplier is not None:
        query = query.where(Store.key_supplier == key_supplier)
    if active is not None:
        query = query.where(Store.active == active)
    if contains:
        query = query.where(
            or_(
                Store.code.contains(contains, autoescape=True),
                Store.name.contains(contains, autoescape=True),
            )
        )
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(items=[_view(*row) for row in rows], total=total, limit=limit, offset=offset)


def stores_to_report_for(*, session: Session, principal: Principal) -> list[StoreChoice]:
    """The active stores ``principal`` may see, by code: the ones a clerk, a chain or the
    bureau picks from to fill in a report."""
    rows = session.execute(
        select(Store.code, Store.name, Region.name, Enterprise.name)
        .join(Region, Store.region_id == Region.id)
        .outerjoin(Enterprise, Store.enterprise_id == Enterprise.id)
        .where(Store.active.is_(True), visible_to(principal))
        .order_by(Store.code)
    )
    return [StoreChoice(*row) for row in rows]


def store_inside(session: Session, principal: Principal, code: str) -> Store:
    """The store with this code, or a 404 when there is none or it lies outside the
    region ``principal`` is bound to (so a neighbour's store is not confirmed to exist)."""
    store = get_by_code(session, Store, code, label=phrase("store"))
    require_in_region(principal, store.region_id, label=phrase("store"), code=code)
    return store


def accessible_store(*, session: Session, principal: Principal, code: str) -> Store:
    """The store with this code when ``principal`` may act for it (post and read its
    reports): a 404 when there is none or it is outside the caller's region, a 403 when
    it is not theirs."""
    store = store_inside(session, principal, code)
    require_store_access(principal, store)
    return store


def read_store(*, session: Session, principal: Principal, code: str) -> StoreView:
    """The store with this code; a store role reads only its own, a dispatcher any,
    region-bound staff those inside their region."""
    store = store_inside(session, principal, code)
    if principal.role is not Role.dispatcher:
        require_store_access(principal, store)
    return _view_of(session, store.id)


def create_store(
    *,
    session: Session,
    principal: Principal,
    code: str,
    name: str,
    region: str,
    kind: StoreKind = StoreKind.supermarket,
    enterprise: str | None = None,
    address: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    key_supplier: bool = False,
    service_officer: str | None = None,
) -> StoreView:
    """Add a store in a region (and an enterprise) given by code; the bureau's, and a
    taken code is a 409, an unknown region or enterprise (or a region outside the
    caller's) a 422."""
    require_role(principal, Role.bureau)
    found_region = body_region_inside(session, principal, region, field="region")
    assert found_region is not None
    found_enterprise = get_optional_by_code(
        session, Enterprise, enterprise, label=phrase("enterprise"), field="enterprise"
    )
    store = Store(
        code=code,
        name=name,
        kind=kind,
        address=address,
        latitude=latitude,
        longitude=longitude,
        key_supplier=key_supplier,
        service_officer=service_officer,
        region_id=found_region.id,
        enterprise_id=found_enterprise.id if found_enterprise else None,
    )
    add_with_unique_code(session, store, label=phrase("store"))
    return _view_of(session, store.id)


def update_store(
    *, session: Session, principal: Principal, code: str, changes: Mapping[str, Any]
) -> StoreView:
    """Change the fields in ``changes`` (only those a caller sent; region and enterprise
    by code); a null region is refused, a null enterprise unbinds the store. Region-bound
    staff change only stores inside their region and move them only within it."""
    require_role(principal, Role.bureau)
    store = store_inside(session, principal, code)
    changes = dict(changes)
    if "region" in changes:
        region = body_region_inside(session, principal, changes.pop("region"), field="region")
        if region is None:
            changes["region_id"] = None
        else:
            store.region_id = region.id
    if "enterprise" in changes:
        enterprise = get_optional_by_code(
            session,
            Enterprise,
            changes.pop("enterprise"),
            label=phrase("enterprise"),
            field="enterprise",
        )
        store.enterprise_id = enterprise.id if enterprise else None
    apply_changes(store, changes, required=("name", "kind", "region_id", "key_supplier", "active"))
    session.flush()
    return _view_of(session, store.id)


def deactivate_store(*, session: Session, principal: Principal, code: str) -> StoreView:
    """Mark a store inactive (inside the caller's region); its reports are kept."""
    require_role(principal, Role.bureau)
    store = store_inside(session, principal, code)
    store.active = False
    session.flush()
    return _view_of(session, store.id)
