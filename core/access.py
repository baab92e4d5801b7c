"""Who is calling and what they may touch: the access principal every domain checks.

Adapters authenticate (``accounts``) and hand a Principal down; domains ask it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from core.errors import Forbidden, InvalidInput, NotFound
from core.text import Text, field_problem, listing
from core.words import word
from models import Region, Role, Store

REGION_BOUND_ROLES = (Role.admin, Role.bureau)
"""Staff roles that may be bound to a region (a city, a district): they then see and
manage only what lies inside it. Unbound, they are national (the whole tree)."""


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
    producer_id: int | None = None
    checkpoint_id: int | None = None
    region_id: int | None = None
    region_ids: frozenset[int] | None = None
    """The bound region and every region below it; None for a caller bound to no region."""

    @property
    def label(self) -> str:
        """How this caller is named in audit trails (revisions, logs)."""
        return f"{self.kind}:{self.id}:{self.name}"[:120]

    @property
    def is_store_bound(self) -> bool:
        """True for a store role, which may only see its own store(s)."""
        return self.role is Role.store

    @property
    def is_region_bound(self) -> bool:
        """True for staff bound to a region, who see only what lies inside it."""
        return self.region_ids is not None

    def in_region(self, region_id: int | None) -> bool:
        """Whether something in ``region_id`` lies inside this caller's region (always,
        for a caller bound to none; never, for a thing with no region, when bound)."""
        if self.region_ids is None:
            return True
        return region_id is not None and region_id in self.region_ids

    def can_access_store(self, store: Store) -> bool:
        """Whether this caller may read and write ``store``'s reports."""
        if self.role in (Role.admin, Role.bureau):
            return self.in_region(store.region_id)
        if self.role is Role.store:
            if self.store_id is not None:
                return store.id == self.store_id
            return self.enterprise_id is not None and store.enterprise_id == self.enterprise_id
        return False


def require_role(principal: Principal, *roles: Role) -> None:
    """Raise Forbidden unless ``principal`` has one of ``roles`` (admin always passes)."""
    if principal.role is Role.admin or principal.role in roles:
        return
    others = [word(role) for role in roles if role is not Role.admin]
    if not others:
        raise Forbidden("this action needs the admin role")
    raise Forbidden("this action needs one of the roles: admin, {roles}", roles=listing(others))


def require_national(principal: Principal) -> None:
    """Raise Forbidden for staff bound to a region: what is shared by every region (the
    catalogue, the rules, a run over the whole tree) is changed by national staff only."""
    if principal.region_ids is not None:
        raise Forbidden("this action is for national staff, not staff bound to a region")


def require_store_access(principal: Principal, store: Store) -> None:
    """Raise Forbidden unless ``principal`` may act for ``store``."""
    if not principal.can_access_store(store):
        raise Forbidden(
            "this key or user is not allowed to act for store {store}", store=store.code
        )


LISTED_REGIONS = 500
"""Up to this many regions a filter lists their ids; a larger subtree (a province's
communities) is walked in the query instead, so no statement carries thousands of
parameters (SQLite refuses more than 32,766)."""


def within_region(principal: Principal, column: Any) -> ColumnElement[bool]:
    """A WHERE clause keeping rows whose region ``column`` lies inside the caller's region
    (no restriction for a caller bound to none)."""
    if principal.region_ids is None:
        return true()
    if len(principal.region_ids) <= LISTED_REGIONS or principal.region_id is None:
        return column.in_(sorted(principal.region_ids))
    return column.in_(select(_subtree_query(principal.region_id).c.id))


def _subtree_query(region_id: int) -> Any:
    """A recursive query of a region's id and the ids of every region below it."""
    tree = select(Region.id).where(Region.id == region_id).cte("subtree", recursive=True)
    return tree.union_all(select(Region.id).where(Region.parent_id == tree.c.id))


def require_in_region(
    principal: Principal, region_id: int | None, *, label: Text | str, code: Any
) -> None:
    """A 404, worded as for an unknown code, when a thing lies outside the caller's
    region: a city bureau cannot even learn that a neighbour's store exists."""
    if not principal.in_region(region_id):
        raise NotFound("{label} {code!r} not found", label=label, code=code)


def region_subtree(session: Session, region_id: int) -> frozenset[int]:
    """Ids of a region and every region below it, walked in the database (a recursive
    query), so a national tree is never read whole to authenticate one caller."""
    return frozenset(session.scalars(select(_subtree_query(region_id).c.id)))


def bind_region(session: Session, principal: Principal, region_id: int | None) -> Principal:
    """``principal`` with its region's subtree filled in, as authentication hands it on."""
    if region_id is None:
        return principal
    return replace(principal, region_id=region_id, region_ids=region_subtree(session, region_id))


def check_binding(
    *,
    role: Role,
    store_id: int | None,
    enterprise_id: int | None,
    truck_id: int | None = None,
    compound_id: int | None = None,
    producer_id: int | None = None,
    checkpoint_id: int | None = None,
    region_id: int | None = None,
) -> None:
    """A store role is bound to exactly one store or one enterprise; a receiver to one
    compound; a producer to one producer; a checkpoint to one checkpoint; a driver
    optionally to one truck; an admin or bureau optionally to one region; others to
    nothing."""
    if region_id is not None and role not in REGION_BOUND_ROLES:
        raise InvalidInput(
            "only the admin and bureau roles are bound to a region",
            errors=[field_problem(["body", "region"], "region needs role 'admin' or 'bureau'")],
        )
    if (role is Role.checkpoint) != (checkpoint_id is not None):
        raise InvalidInput(
            "a checkpoint key or user is bound to one checkpoint, and only a checkpoint is",
            errors=[field_problem(["body", "checkpoint"], "checkpoint needs role 'checkpoint'")],
        )
    if (role is Role.producer) != (producer_id is not None):
        raise InvalidInput(
            "a producer key or user is bound to one producer, and only a producer is",
            errors=[field_problem(["body", "producer"], "producer needs role 'producer'")],
        )
    if role is Role.receiver and compound_id is None:
        raise InvalidInput(
            "a receiver key or user is bound to one compound",
            errors=[field_problem(["body", "compound"], "give the compound code")],
        )
    if compound_id is not None and role is not Role.receiver:
        raise InvalidInput(
            "only the receiver role is bound to a compound",
            errors=[field_problem(["body", "role"], "compound needs role 'receiver'")],
        )
    if truck_id is not None and role is not Role.driver:
        raise InvalidInput(
            "only the driver role is bound to a truck",
            errors=[field_problem(["body", "role"], "truck needs role 'driver'")],
        )
    if role is Role.store:
        if (store_id is None) == (enterprise_id is None):
            raise InvalidInput(
                "a store key or user is bound to exactly one store or one enterprise",
                errors=[field_problem(["body", "store"], "give either store or enterprise")],
            )
    elif store_id is not None or enterprise_id is not None:
        raise InvalidInput(
            "only the store role is bound to a store or enterprise",
            errors=[field_problem(["body", "role"], "store/enterprise need role 'store'")],
        )
