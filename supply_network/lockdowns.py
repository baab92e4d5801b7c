"""Region lockdowns as the bureau records them: a district or township sealed for a period.

The supply network reads them twice: needs of a sealed district are served first by the
matcher, and producers in a sealed region drop out of the candidate sources and the
matcher's offers (they cannot ship).

Bureau staff bound to a region list, record and lift only the lockdowns inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, within_region
from core.database import lock_for_change
from core.errors import Conflict, InvalidInput, NotFound
from core.text import FieldProblem, control_character_problem, field_problem
from models import Region, RegionLockdown, Role
from supply_network.codes import resolve_codes

LOCKDOWN_READERS = (Role.bureau, Role.dispatcher, Role.store, Role.producer)
LOCKDOWN_WINDOW = timedelta(days=366)
"""How far from today a lockdown's start or end may lie, back or ahead: a year (and a
day, for a leap year). A date at the calendar's edge (0001-01-01, 9999-12-31) would
otherwise sort first in every list forever, and seal a region for millennia."""


def _date_problem(day: date, name: str, today: date) -> FieldProblem | None:
    """A problem when ``day`` lies more than ``LOCKDOWN_WINDOW`` from ``today``."""
    first, last = today - LOCKDOWN_WINDOW, today + LOCKDOWN_WINDOW
    if first <= day <= last:
        return None
    return field_problem(["body", name], "must be from {first} to {last}", first=first, last=last)


def _refuse(problems: list[FieldProblem | None]) -> None:
    """Every problem found at once, a 422 naming each field."""
    found = [problem for problem in problems if problem is not None]
    if found:
        raise InvalidInput("the lockdown has {count} problem(s)", errors=found, count=len(found))


@dataclass(frozen=True)
class LockdownView:
    """A recorded lockdown, its region by code and name."""

    id: int
    region: str
    region_name: str
    start_date: date
    end_date: date | None
    note: str | None
    recorded_by: str


def _view(lockdown: RegionLockdown, code: str, name: str) -> LockdownView:
    """A lockdown as people read it."""
    return LockdownView(
        id=lockdown.id,
        region=code,
        region_name=name,
        start_date=lockdown.start_date,
        end_date=lockdown.end_date,
        note=lockdown.note,
        recorded_by=lockdown.recorded_by,
    )


def list_lockdowns(
    *, session: Session, principal: Principal, on_date: date | None = None
) -> list[LockdownView]:
    """Every recorded lockdown (or those in force on ``on_date``), the latest first; those
    inside the caller's region for staff bound to one."""
    require_role(principal, *LOCKDOWN_READERS)
    query = (
        select(RegionLockdown, Region.code, Region.name)
        .join(Region, Region.id == RegionLockdown.region_id)
        .where(within_region(principal, RegionLockdown.region_id))
        .order_by(RegionLockdown.start_date.desc(), RegionLockdown.id.desc())
    )
    if on_date is not None:
        query = query.where(
            RegionLockdown.start_date <= on_date,
            or_(RegionLockdown.end_date.is_(None), RegionLockdown.end_date >= on_date),
        )
    return [_view(*row) for row in session.execute(query)]


def record_lockdown(
    *,
    session: Session,
    principal: Principal,
    region: str,
    start_date: date,
    end_date: date | None = None,
    note: str | None = None,
    today: date,
) -> LockdownView:
    """Record that a region is sealed from ``start_date`` (to ``end_date``, or until
    ended); the bureau's. Both dates lie within ``LOCKDOWN_WINDOW`` of ``today``, and the
    note is one line (it is shown in a table cell)."""
    require_role(principal, Role.bureau)
    _refuse(
        [
            _date_problem(start_date, "start_date", today),
            None if end_date is None else _date_problem(end_date, "end_date", today),
            None if note is None else control_character_problem(note, ["body", "note"]),
        ]
    )
    found = resolve_codes(session, where="body", principal=principal, region=region)["region"]
    if end_date is not None and end_date < start_date:
        raise InvalidInput(
            "the lockdown ends before it starts",
            errors=[field_problem(["body", "end_date"], "is before the start date")],
        )
    lockdown = RegionLockdown(
        region_id=found.id,
        start_date=start_date,
        end_date=end_date,
        note=note,
        recorded_by=principal.label,
    )
    session.add(lockdown)
    session.flush()
    return _view(lockdown, found.code, found.name)


def end_lockdown(
    *, session: Session, principal: Principal, lockdown_id: int, end_date: date, today: date
) -> LockdownView:
    """Lift a lockdown: its last day is ``end_date``; the bureau's (a lockdown outside a
    region-bound caller's region is a 404, as an unknown id).

    A lockdown whose last day has come (today or before) is over: ending it again would
    rewrite its period after the fact, a 409. One whose recorded end is still ahead may
    be lifted."""
    require_role(principal, Role.bureau)
    _refuse([_date_problem(end_date, "end_date", today)])
    lockdown = session.get(RegionLockdown, lockdown_id)
    if lockdown is None or not principal.in_region(lockdown.region_id):
        raise NotFound("lockdown {lockdown} not found", lockdown=lockdown_id)
    lock_for_change(session, lockdown)
    if lockdown.end_date is not None and lockdown.end_date <= today:
        raise Conflict(
            "lockdown {lockdown} was lifted with its last day {end_date}",
            lockdown=lockdown_id,
            end_date=lockdown.end_date,
        )
    if end_date < lockdown.start_date:
        raise InvalidInput(
            "the lockdown ends before it starts",
            errors=[field_problem(["body", "end_date"], "is before the start date")],
        )
    lockdown.end_date = end_date
    session.flush()
    region = session.get(Region, lockdown.region_id)
    assert region is not None
    return _view(lockdown, region.code, region.name)
