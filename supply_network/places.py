"""Where things are: the district a region belongs to, and which regions are locked down.

A producer or a store sits in a township or a district; needs, priorities and lockdowns
are counted by district. The region tree is small, so it is read whole once per call.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Region, RegionLevel, RegionLockdown


def district_by_region(session: Session) -> dict[int, int]:
    """The district id of every region at or below a district (a district maps to itself)."""
    rows = session.execute(select(Region.id, Region.parent_id, Region.level)).all()
    parent = {ident: up for ident, up, _ in rows}
    level = {ident: lvl for ident, _, lvl in rows}
    found: dict[int, int] = {}
    for ident in parent:
        current: int | None = ident
        seen: set[int] = set()
        while current is not None and current not in seen:
            if level[current] is RegionLevel.district:
                found[ident] = current
                break
            seen.add(current)
            current = parent.get(current)
    return found


def locked_region_ids(session: Session, *, day: date) -> set[int]:
    """Every region under a lockdown recorded for ``day``, with every region below one."""
    sealed = set(
        session.scalars(
            select(RegionLockdown.region_id).where(
                RegionLockdown.start_date <= day,
                or_(RegionLockdown.end_date.is_(None), RegionLockdown.end_date >= day),
            )
        )
    )
    if not sealed:
        return set()
    children: dict[int | None, list[int]] = {}
    for ident, up in session.execute(select(Region.id, Region.parent_id)):
        children.setdefault(up, []).append(ident)
    found: set[int] = set()
    stack = list(sealed)
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found
