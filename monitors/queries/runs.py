"""Monitor runs as an operator reads them: when each ran, for which business day, how it
ended and what it counted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import NotFound
from core.lookups import PageOf, page
from models import MonitorRun, MonitorRunPart, PartStatus, Role, RunStatus

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


@dataclass(frozen=True)
class RunParts:
    """How far a run fanned out over workers has got: its parts, those done, and how
    many times parts were started (more than the parts: a worker was lost and its part
    computed again)."""

    total: int
    done: int
    attempts: int


def run_parts(*, session: Session, run_ids: list[int]) -> dict[int, RunParts]:
    """The parts of each of ``run_ids`` that was fanned out (runs in one process have
    none and are left out)."""
    rows = session.execute(
        select(
            MonitorRunPart.run_id,
            func.count(),
            func.count().filter(MonitorRunPart.status == PartStatus.done),
            func.coalesce(func.sum(MonitorRunPart.attempts), 0),
        )
        .where(MonitorRunPart.run_id.in_(run_ids))
        .group_by(MonitorRunPart.run_id)
    ).all()
    return {
        run_id: RunParts(total=int(total), done=int(done), attempts=int(attempts))
        for run_id, total, done, attempts in rows
    }
