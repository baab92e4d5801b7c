"""A monitor run: read a business day's reports, compute days of supply and alert
conditions, store snapshots, move alerts through their lifecycle and queue
notifications, and record how it went.

In one process (no task queue) all of it is one transaction, so a run that fails
leaves the previous results as they were, and is recorded as failed. Fanned out over
workers (:mod:`monitors.running.fanout`), each part of whole districts is one
transaction of its worker and the rest of the day one transaction of the run's.

Runs are idempotent (the same day twice gives the same snapshots and alerts) and
guarded (two runs never write at once: PostgreSQL advisory lock, SQLite lease row).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role
from core.clock import business_day_today
from core.database import SessionFactory, session_scope
from core.errors import InvalidInput
from core.job_allowance import require_room_for_job
from core.text import field_problem
from models import MonitorRun, Role, RunStatus
from models.base import utc_now
from monitors.running.day import MonitorConfig, compute_day
from monitors.running.failures import failure_detail
from monitors.running.fanout import PartQueue, fan_out_day
from monitors.running.locks import run_guard

__all__ = [
    "MonitorConfig",
    "MonitorRunFailed",
    "carry_out_run",
    "compute_day",
    "open_run",
    "run_monitor",
    "run_monitor_now",
    "start_monitor_run",
]

log = logging.getLogger("supplywatch.monitor")

RUN_LOCK = "monitor-run"
REQUESTED_TRIGGER = "api"
"""How a run someone asked for (through the API or the dashboard) is recorded."""
RUN_REQUESTERS = (Role.bureau,)
"""Who may start a run: the bureau (and admins)."""
INTERRUPTED_RUN = "interrupted: the process carrying out the run stopped before it ended"
FIRST_RUN_DAY = date(2000, 1, 1)
"""The earliest business day a run may be asked for: a back-fill years back is fine, but
a day near year 1 has no room for the run's windows before it (the run failed with an
``OverflowError``, or its days went below the calendar)."""
OPENING_GRACE = timedelta(minutes=1)
"""A run another process has just opened reaches the guard within moments (the API's
background path answers first); only runs opened longer ago count as interrupted."""


class MonitorRunFailed(RuntimeError):
    """The run raised; it is recorded as failed (``run_id``) and its transaction rolled
    back."""

    def __init__(self, detail: str, *, run_id: int) -> None:
        super().__init__(detail)
        self.run_id = run_id


def run_monitor(
    *,
    factory: SessionFactory,
    business_date: date,
    config: MonitorConfig,
    trigger: str,
    requested_by: str | None = None,
    queue: PartQueue | None = None,
) -> MonitorRun:
    """Run the monitor for ``business_date`` and return its record (succeeded, skipped
    because another run holds the lock, or failed — then MonitorRunFailed is raised).
    With a ``queue``, the run's parts go to workers through it; without, this process
    computes the day in one transaction."""
    run_id = open_run(
        factory,
        business_date=business_date,
        trigger=trigger,
        requested_by=requested_by,
        config=config,
    )
    return carry_out_run(
        factory, run_id=run_id, business_date=business_date, config=config, queue=queue
    )


def open_run(
    factory: SessionFactory,
    *,
    business_date: date,
    trigger: str,
    requested_by: str | None,
    config: MonitorConfig,
) -> int:
    """Record a run as running with the settings it computes with (committed, so it can
    be followed and its workers read them) and return its id."""
    with session_scope(factory) as session:
        return _add_run(
            session,
            business_date=business_date,
            trigger=trigger,
            requested_by=requested_by,
            config=config,
        )


def _add_run(
    session: Session,
    *,
    business_date: date,
    trigger: str,
    requested_by: str | None,
    config: MonitorConfig,
) -> int:
    """A run recorded as running in ``session`` (flushed only): its id."""
    run = MonitorRun(
        business_date=business_date,
        trigger=trigger,
        requested_by=requested_by,
        status=RunStatus.running,
        started_at=utc_now(),
        counts={},
        config=config.as_json(),
    )
    session.add(run)
    session.flush()
    return run.id


def carry_out_run(
    factory: SessionFactory,
    *,
    run_id: int,
    business_date: date,
    config: MonitorConfig,
    queue: PartQueue | None,
) -> MonitorRun:
    """Compute the day of the opened run ``run_id`` under the run guard and record how it
    ended (see :func:`run_monitor`)."""
    started = time.perf_counter()
    with run_guard(factory, RUN_LOCK) as acquired:
        if not acquired:
            return _finish(
                factory, run_id, RunStatus.skipped, started, {}, "another run holds the lock"
            )
        close_interrupted_runs(factory, run_id=run_id)
        try:
            if queue is None:
                with session_scope(factory) as session:
                    counts = compute_day(
                        session, business_date=business_date, run_id=run_id, config=config
                    )
            else:
                counts = fan_out_day(
                    factory, run_id=run_id, business_date=business_date, config=config, queue=queue
                )
        except Exception as error:
            log.exception("monitor run failed", extra={"business_date": business_date.isoformat()})
            detail = failure_detail(error)
            _finish(factory, run_id, RunStatus.failed, started, {}, detail)
            raise MonitorRunFailed(detail, run_id=run_id) from error
    return _finish(factory, run_id, RunStatus.succeeded, started, counts, None)


def close_interrupted_runs(factory: SessionFactory, *, run_id: int) -> int:
    """Record as failed the runs left running by a process that stopped (killed, the
    machine lost): called by run ``run_id`` holding the guard, so no other run is alive to
    end them, and their pages stop waiting. Returns how many."""
    now = utc_now()
    with session_scope(factory) as session:
        closed = session.execute(
            update(MonitorRun)
            .where(
                MonitorRun.status == RunStatus.running,
                MonitorRun.id != run_id,
                MonitorRun.started_at < now - OPENING_GRACE,
            )
            .values(status=RunStatus.failed, finished_at=now, error=INTERRUPTED_RUN)
        )
    count = int(getattr(closed, "rowcount", 0) or 0)
    if count:
        log.warning("interrupted monitor runs closed", extra={"runs": count})
    return count


def run_monitor_now(
    *,
    session_factory: SessionFactory,
    config: MonitorConfig,
    principal: Principal,
    most_unfinished: int,
    business_date: date | None = None,
    queue: PartQueue | None = None,
) -> MonitorRun:
    """Run the monitor now for ``business_date`` (default: today in the city) at someone's
    request, and return the record of *this* run: succeeded, skipped, or failed with its
    error (the previous results kept), never another run that happened to be newer.

    The run opens its own transactions: the caller should hold no database connection
    meanwhile (close its session first).
    """
    run_id, day = _open_requested(
        session_factory, principal, business_date, config, most_unfinished=most_unfinished
    )
    return _carried_out(session_factory, run_id=run_id, day=day, config=config, queue=queue)


def start_monitor_run(
    *,
    session_factory: SessionFactory,
    config: MonitorConfig,
    principal: Principal,
    most_unfinished: int,
    business_date: date | None = None,
    queue: PartQueue | None = None,
) -> tuple[MonitorRun, Callable[[], MonitorRun]]:
    """Open a requested run and hand back its record (running) with the work that carries
    it out, for a caller that answers at once and runs the work after its response (the
    API's ``Prefer: respond-async``); the record is then followed like any run's."""
    run_id, day = _open_requested(
        session_factory, principal, business_date, config, most_unfinished=most_unfinished
    )
    with session_factory() as reader:
        opened = reader.get_one(MonitorRun, run_id)

    def work() -> MonitorRun:
        return _carried_out(session_factory, run_id=run_id, day=day, config=config, queue=queue)

    return opened, work


def _open_requested(
    factory: SessionFactory,
    principal: Principal,
    business_date: date | None,
    config: MonitorConfig,
    *,
    most_unfinished: int,
) -> tuple[int, date]:
    """Open the run someone asked for, once allowed (a 429 while ``principal`` already has
    ``most_unfinished`` jobs or runs unfinished): its id and business day."""
    day = _requested_day(principal, business_date, config)
    with session_scope(factory) as session:
        require_room_for_job(session, principal=principal, most_unfinished=most_unfinished)
        run_id = _add_run(
            session,
            business_date=day,
            trigger=REQUESTED_TRIGGER,
            requested_by=principal.label,
            config=config,
        )
    return run_id, day


def _requested_day(principal: Principal, business_date: date | None, config: MonitorConfig) -> date:
    """Who may ask for a run, and for which day (today in the city unless given)."""
    require_role(principal, *RUN_REQUESTERS)
    require_national(principal)  # a run covers the whole tree, every region's alerts
    today = business_day_today(config.timezone)
    day = business_date or today
    if day > today:
        raise InvalidInput(
            "the business day is in the future",
            errors=[
                field_problem(["body", "date"], "after today ({today})", today=today.isoformat())
            ],
        )
    if day < FIRST_RUN_DAY:
        raise InvalidInput(
            "the business day is before {first}",
            errors=[
                field_problem(["body", "date"], "before {first}", first=FIRST_RUN_DAY.isoformat())
            ],
            first=FIRST_RUN_DAY.isoformat(),
        )
    return day


def _carried_out(
    factory: SessionFactory,
    *,
    run_id: int,
    day: date,
    config: MonitorConfig,
    queue: PartQueue | None,
) -> MonitorRun:
    try:
        return carry_out_run(factory, run_id=run_id, business_date=day, config=config, queue=queue)
    except MonitorRunFailed as failure:
        with factory() as reader:
            return reader.get_one(MonitorRun, failure.run_id)


def _finish(
    factory: SessionFactory,
    run_id: int,
    status: RunStatus,
    started: float,
    counts: dict[str, Any],
    error: str | None,
) -> MonitorRun:
    with session_scope(factory) as session:
        run = session.get_one(MonitorRun, run_id)
        run.status = status
        run.finished_at = utc_now()
        run.duration_seconds = round(time.perf_counter() - started, 3)
        run.counts = counts
        run.error = error
        session.flush()
    return run
