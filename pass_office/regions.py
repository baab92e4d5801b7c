"""Which passes a bureau bound to a region deals with: those valid in its region (naming a
region inside it or above it) it reads, and those wholly inside it (every region they name
lies inside) it may also approve, reject and revoke."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, true
from sqlalchemy.orm import Session

from core.access import Principal
from models import Region, TransportPass


def codes_up_from(session: Session, region_id: int) -> tuple[str, ...]:
    """The code of a region and of every region above it, nearest first: a pass naming any
    of them holds there (a city's pass at a district's checkpoint, a district's at a
    township's)."""
    codes: list[str] = []
    current: int | None = region_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        row = session.execute(
            select(Region.code, Region.parent_id).where(Region.id == current)
        ).first()
        if row is None:
            break
        codes.append(row[0])
        current = row[1]
    return tuple(codes)


def region_codes_inside(*, session: Session, principal: Principal) -> set[str] | None:
    """The codes of the regions a region-bound caller's passes may name (None: any)."""
    if principal.region_ids is None:
        return None
    return set(
        session.scalars(select(Region.code).where(Region.id.in_(sorted(principal.region_ids))))
    )


def _named_codes(session: Session) -> Any:
    """The codes a pass names, as a table read from its JSON list by the database's own
    JSON function."""
    if session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(TransportPass.regions).table_valued("value")
    return func.json_each(TransportPass.regions).table_valued("value")


def passes_within_region(*, session: Session, principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause keeping the passes wholly the caller's: every region a pass names
    lies inside the caller's region. Only these may a region-bound bureau approve, reject
    or revoke (a pass valid beyond its region is also another bureau's)."""
    codes = region_codes_inside(session=session, principal=principal)
    if codes is None:
        return true()
    named = _named_codes(session)
    outside = select(named.c.value).select_from(named).where(named.c.value.not_in(sorted(codes)))
    return ~exists(outside) & (func.json_array_length(TransportPass.regions) > 0)


def region_codes_valid_in(*, session: Session, principal: Principal) -> set[str] | None:
    """The codes a pass may name to hold somewhere in a region-bound caller's region: the
    regions inside it and those above it (a city's pass holds at its districts'
    checkpoints); None for a caller bound to none."""
    inside = region_codes_inside(session=session, principal=principal)
    if inside is None or principal.region_id is None:
        return inside
    return inside | set(codes_up_from(session, principal.region_id))


def passes_valid_in_region(*, session: Session, principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause keeping the passes valid in the caller's region: a pass naming any
    region inside it, or one above it, holds at some checkpoint there, so the region's
    pass office and checkpoints deal with it."""
    codes = region_codes_valid_in(session=session, principal=principal)
    if codes is None:
        return true()
    named = _named_codes(session)
    return exists(select(named.c.value).select_from(named).where(named.c.value.in_(sorted(codes))))


def may_change(*, session: Session, principal: Principal, regions: list[str]) -> bool:
    """Whether ``principal`` may approve, reject or revoke a pass naming ``regions``: a
    bureau bound to no region always, one bound to a region when every region lies inside."""
    codes = region_codes_inside(session=session, principal=principal)
    return codes is None or (bool(regions) and set(regions) <= codes)
