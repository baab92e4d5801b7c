"""Who looks after which key enterprise or store: assigning bureau users as service
officers, taking back an assignment, and adopting the old free-text officer names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select, true
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role, within_region
from core.errors import Forbidden, InvalidInput, NotFound
from core.lookups import get_optional_by_code, unknown_code
from core.text import field_problem, phrase
from models import Enterprise, OfficerAssignment, Role, Store, User
from models.base import utc_now

OFFICER_ROLES = (Role.service_officer, Role.bureau)
"""Who can be a service officer: officers by role, and bureau staff given enterprises."""
MANAGER_ROLES = (Role.bureau,)
"""Who assigns officers and reads every officer's work (admins always may)."""
ME = "me"


@dataclass(frozen=True)
class AssignmentView:
    """One officer's charge: an enterprise or a store, by code."""

    officer: str
    enterprise: str | None
    store: str | None
    name: str
    assigned_at: datetime
    assigned_by: str


def _outside(principal: Principal, user: User) -> bool:
    """Whether ``user`` is staff bound to a region outside ``principal``'s (an unbound
    service officer may work anywhere)."""
    return user.region_id is not None and not principal.in_region(user.region_id)


def _officer_user(
    session: Session, username: str, principal: Principal, field: str = "officer"
) -> User:
    """The active user who may serve as an officer; anyone else (or bureau staff of a
    region outside the caller's) is a 422 naming ``field``."""
    user = session.scalars(select(User).where(User.username == username)).first()
    if (
        user is None
        or not user.active
        or user.role not in OFFICER_ROLES
        or _outside(principal, user)
    ):
        raise InvalidInput(
            "{username!r} is not an active service officer or bureau user",
            errors=[
                field_problem(
                    ["body", field], "give the username of a service officer or bureau user"
                )
            ],
            username=username,
        )
    return user


def covered_by_active_officers() -> tuple[Select[int | None], Select[int | None]]:
    """The enterprise ids and the store ids an active officer looks after: an assignment
    of a deactivated officer is nobody's work, so its enterprise or store is uncovered."""
    active = select(User.id).where(User.active.is_(True))
    enterprises = select(OfficerAssignment.enterprise_id).where(
        OfficerAssignment.enterprise_id.is_not(None), OfficerAssignment.officer_id.in_(active)
    )
    stores = select(OfficerAssignment.store_id).where(
        OfficerAssignment.store_id.is_not(None), OfficerAssignment.officer_id.in_(active)
    )
    return enterprises, stores


def officer_in_view(*, session: Session, principal: Principal, officer: str) -> User:
    """The officer a caller asks about (``me`` for themselves): an officer reads only their
    own work, the bureau reads everyone's (region-bound, not staff bound outside its
    region: those are unknown to it), anyone else nothing."""
    require_role(principal, *OFFICER_ROLES)
    if officer == ME:
        if principal.kind != "user":
            raise Forbidden("only a signed-in person has an officer's page of their own")
        user = session.get(User, principal.id)
        assert user is not None
        return user
    if principal.role is Role.service_officer and (
        principal.kind != "user" or officer != principal.name
    ):
        raise Forbidden("a service officer sees only their own enterprises and visits")
    user = session.scalars(select(User).where(User.username == officer)).first()
    if user is None or user.role not in OFFICER_ROLES or _outside(principal, user):
        raise NotFound("service officer {officer!r} not found", officer=officer)
    return user


def stores_inside(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``Store`` keeping the stores inside a region-bound caller's region."""
    return within_region(principal, Store.region_id)


def charges_inside(principal: Principal, store_id: Any, enterprise_id: Any) -> ColumnElement[bool]:
    """The condition keeping assignments or visits (by their store and enterprise columns)
    a region-bound caller may see: a store inside, or an enterprise with a store inside."""
    if not principal.is_region_bound:
        return true()
    inside = select(Store.id).where(stores_inside(principal))
    enterprises = select(Store.enterprise_id).where(
        stores_inside(principal), Store.enterprise_id.is_not(None)
    )
    return or_(store_id.in_(inside), store_id.is_(None) & enterprise_id.in_(enterprises))


def target_of(
    session: Session,
    enterprise: str | None,
    store: str | None,
    principal: Principal | None = None,
) -> tuple[Enterprise | None, Store | None]:
    """The enterprise or the store an assignment or a visit is about: exactly one of them
    (a store outside ``principal``'s region, or an enterprise with no store inside it, is
    refused as an unknown code: region-bound staff neither learn of nor write to it)."""
    if (enterprise is None) == (store is None):
        raise InvalidInput(
            "name either an enterprise or a store",
            errors=[field_problem(["body", "enterprise"], "give either enterprise or store")],
        )
    found_store = get_optional_by_code(session, Store, store, label=phrase("store"), field="store")
    if found_store is not None and principal is not None:
        if not principal.in_region(found_store.region_id):
            raise unknown_code(label=phrase("store"), code=store, field="store")
    found_enterprise = get_optional_by_code(
        session, Enterprise, enterprise, label=phrase("enterprise"), field="enterprise"
    )
    if found_enterprise is not None and principal is not None and principal.is_region_bound:
        store_inside = session.scalar(
            select(Store.id)
            .where(Store.enterprise_id == found_enterprise.id, stores_inside(principal))
            .limit(1)
        )
        if store_inside is None:
            raise unknown_code(label=phrase("enterprise"), code=enterprise, field="enterprise")
    return found_enterprise, found_store


def _view(session: Session, row: OfficerAssignment) -> AssignmentView:
    officer = session.scalar(select(User.username).where(User.id == row.officer_id)) or ""
    if row.enterprise_id is not None:
        code, name = session.execute(
            select(Enterprise.code, Enterprise.name).where(Enterprise.id == row.enterprise_id)
        ).one()
        return AssignmentView(officer, code, None, name, row.assigned_at, row.assigned_by)
    code, name = session.execute(
        select(Store.code, Store.name).where(Store.id == row.store_id)
    ).one()
    return AssignmentView(officer, None, code, name, row.assigned_at, row.assigned_by)


def assign_officer(
    *,
    session: Session,
    principal: Principal,
    officer: str,
    enterprise: str | None = None,
    store: str | None = None,
    now: datetime | None = None,
) -> AssignmentView:
    """Make ``officer`` the service officer of an enterprise or a store, replacing the
    officer it had: each key supplier has one person to call. Region-bound staff assign
    stores inside their region only; an enterprise, which spans regions, is national."""
    require_role(principal, *MANAGER_ROLES)
    if enterprise is not None:
        require_national(principal)
    user = _officer_user(session, officer, principal)
    found_enterprise, found_store = target_of(session, enterprise, store, principal)
    condition = (
        OfficerAssignment.enterprise_id == found_enterprise.id
        if found_enterprise
        else OfficerAssignment.store_id == (found_store.id if found_store else None)
    )
    row = session.scalars(select(OfficerAssignment).where(condition)).first()
    if row is None:
        row = OfficerAssignment(
            enterprise_id=found_enterprise.id if found_enterprise else None,
            store_id=found_store.id if found_store else None,
            officer_id=user.id,
        )
        session.add(row)
    row.officer_id = user.id
    row.assigned_at = now or utc_now()
    row.assigned_by = principal.label
    session.flush()
    return _view(session, row)


def unassign_officer(
    *,
    session: Session,
    principal: Principal,
    enterprise: str | None = None,
    store: str | None = None,
) -> AssignmentView:
    """Take an enterprise or store away from its officer (it then shows in the coverage
    gaps until someone else is assigned); as for assigning, inside the caller's region."""
    require_role(principal, *MANAGER_ROLES)
    if enterprise is not None:
        require_national(principal)
    found_enterprise, found_store = target_of(session, enterprise, store, principal)
    condition = (
        OfficerAssignment.enterprise_id == found_enterprise.id
        if found_enterprise
        else OfficerAssignment.store_id == (found_store.id if found_store else None)
    )
    row = session.scalars(select(OfficerAssignment).where(condition)).first()
    if row is None:
        raise NotFound("{code!r} has no service officer", code=enterprise or store)
    view = _view(session, row)
    session.delete(row)
    session.flush()
    return view


def list_assignments(
    *, session: Session, principal: Principal, officer: str | None = None
) -> list[AssignmentView]:
    """Every assignment (of one officer), by officer and code: the bureau's roster (for
    region-bound staff, of the stores inside their region and those stores' enterprises)."""
    inside = charges_inside(principal, OfficerAssignment.store_id, OfficerAssignment.enterprise_id)
    if officer is None:
        require_role(principal, *MANAGER_ROLES)
        rows = session.scalars(
            select(OfficerAssignment).where(inside).order_by(OfficerAssignment.id)
        )
    else:
        user = officer_in_view(session=session, principal=principal, officer=officer)
        rows = session.scalars(
            select(OfficerAssignment)
            .where(OfficerAssignment.officer_id == user.id, inside)
            .order_by(OfficerAssignment.id)
        )
    views = [_view(session, row) for row in rows]
    return sorted(views, key=lambda view: (view.officer, view.enterprise or "", view.store or ""))


def assigned_store_ids(
    session: Session, officer_id: int, principal: Principal | None = None
) -> tuple[list[int], list[int]]:
    """The enterprises an officer looks after, and every active store in their charge
    (the enterprises' stores and the stores assigned one by one; only those inside
    ``principal``'s region when given)."""
    enterprise_ids = list(
        session.scalars(
            select(OfficerAssignment.enterprise_id).where(
                OfficerAssignment.officer_id == officer_id,
                OfficerAssignment.enterprise_id.is_not(None),
            )
        )
    )
    direct = select(OfficerAssignment.store_id).where(
        OfficerAssignment.officer_id == officer_id, OfficerAssignment.store_id.is_not(None)
    )
    store_ids = list(
        session.scalars(
            select(Store.id)
            .where(
                Store.active.is_(True),
                or_(Store.enterprise_id.in_(enterprise_ids), Store.id.in_(direct)),
                stores_inside(principal) if principal is not None else true(),
            )
            .order_by(Store.code)
        )
    )
    return [int(e) for e in enterprise_ids if e is not None], store_ids


@dataclass(frozen=True)
class AdoptedName:
    """A store whose free-text officer name matched a username and became an assignment."""

    store: str
    officer: str


def adopt_free_text_officers(
    *, session: Session, principal: Principal, now: datetime | None = None
) -> list[AdoptedName]:
    """Turn the stores' old free-text ``service_officer`` names that match an officer's
    username into assignments, where the store has no officer yet; others stay as text
    (region-bound staff adopt the names of the stores inside their region only, and only
    officers they could assign by hand: staff bound to a region outside are left as text)."""
    require_role(principal, *MANAGER_ROLES)
    officers = {
        username.lower(): (user_id, username)
        for user_id, username in session.execute(
            select(User.id, User.username).where(
                User.active.is_(True),
                User.role.in_(OFFICER_ROLES),
                or_(User.region_id.is_(None), within_region(principal, User.region_id)),
            )
        )
    }
    covered_enterprises = select(OfficerAssignment.enterprise_id).where(
        OfficerAssignment.enterprise_id.is_not(None)
    )
    covered_stores = select(OfficerAssignment.store_id).where(
        OfficerAssignment.store_id.is_not(None)
    )
    adopted: list[AdoptedName] = []
    for store_id, code, name in session.execute(
        select(Store.id, Store.code, Store.service_officer)
        .where(
            Store.service_officer.is_not(None),
            func.length(Store.service_officer) > 0,
            stores_inside(principal),
            Store.id.not_in(covered_stores),
            or_(Store.enterprise_id.is_(None), Store.enterprise_id.not_in(covered_enterprises)),
        )
        .order_by(Store.code)
    ):
        match = officers.get(str(name).strip().lower())
        if match is None:
            continue
        user_id, username = match
        session.add(
            OfficerAssignment(
                officer_id=user_id,
                store_id=store_id,
                assigned_at=now or utc_now(),
                assigned_by=f"adopted from the free-text name ({principal.label})"[:120],
            )
        )
        adopted.append(AdoptedName(store=code, officer=username))
    session.flush()
    return adopted
