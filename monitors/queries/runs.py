"""Monitor runs as an operator reads them: when each ran, for which business day, how it
ended and what it counted."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import NotFound
from core.lookups import PageOf, page
from models import MonitorRun, Role, RunStatus

RUN_READERS = (Role.bureau,)
"""Who starts and reads monitor runs: the bureau (and admins)."""


def list_runs(
    *,
    session: Session,
    principal: Principal,
    status: RunStatus | None = None,
    business_date: date | None = None,
    limit: int,
    offset: int,
) -> PageOf[MonitorRun]:
    """One page of runs, newest first (of one status or business day when asked)."""
    require_role(principal, *RUN_READERS)
    query = select(MonitorRun).order_by(MonitorRun.id.desc())
    if status is not None:
        query = query.where(MonitorRun.status == status)
    if business_date is not None:
        query = query.where(MonitorRun.business_date == business_date)
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(items=[row[0] for row in rows], total=total, limit=limit, offset=offset)


def read_run(*, session: Session, principal: Principal, run_id: int) -> MonitorRun:
    """One run, or a 404."""
    require_role(principal, *RUN_READERS)
    run = session.get(MonitorRun, run_id)
    if run is None:
        raise NotFound("monitor run {run_id} not found", run_id=run_id)
    return run
