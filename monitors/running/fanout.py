"""A monitor run fanned out over workers: the stores in parts of whole districts, each
part computed by a worker (a task on the queue), the day finished from their sums.

The run writes one ``monitor_run_parts`` row per part and sends each part to the queue;
a worker computes its part's stores in one transaction (store snapshots, the
aggregates' sums, store alerts) and stores what it hands back in the part's row, in the
same transaction. The run waits for every part and finishes the day from the rows
(:func:`monitors.running.day.finish_day`): district and city numbers are ratios of sums,
so the parts' sums give exactly the whole's.

A worker killed mid-part never commits, and the queue hands the part to another
worker (the task is acknowledged only once it returns); the part's row, locked while
it is computed and marked done in the same commit, makes a part delivered twice count
once. Store snapshots are replaced by key, so a retried part writes each row once.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any, Protocol

import numpy as np
from sqlalchemy import select, update

from core.database import SessionFactory, session_scope
from core.huge_pages import without_huge_pages
from models import MonitorRun, MonitorRunPart, PartStatus
from models.base import utc_now
from monitors.computing import inputs as data
from monitors.running.day import (
    MonitorConfig,
    PhaseTimer,
    compute_stores,
    finish_day,
    load_day_reference,
    part_store_groups,
    region_keys,
    submission_days,
)
from monitors.running.failures import failure_detail
from monitors.running.locks import holder_name
from monitors.running.part_results import decode_outcome, encode_outcome

log = logging.getLogger("supplywatch.monitor")

POLL_SECONDS = 0.25
"""How often a run looks at its parts' rows while the workers compute them."""


class PartQueue(Protocol):
    """Where a run sends its parts: a task queue whose workers call
    :func:`compute_run_part`."""

    def send_part(self, *, run_id: int, part_number: int) -> None: ...


class PartFailed(RuntimeError):
    """A part of the run raised in its worker; the run fails with the part's error."""


def fan_out_day(
    factory: SessionFactory,
    *,
    run_id: int,
    business_date: date,
    config: MonitorConfig,
    queue: PartQueue,
) -> dict[str, Any]:
    """Compute ``business_date`` for run ``run_id`` with its parts on ``queue``'s
    workers, then finish the day here; return the run's counts."""
    without_huge_pages()  # the coordinator's arrays are large and brief too
    now = utc_now()
    phases = PhaseTimer()
    with session_scope(factory) as session:
        reference = load_day_reference(session)
        keys = region_keys(reference.stores)
        store_ids = reference.stores["store_id"].to_numpy()
        groups = part_store_groups(reference.stores, config.part_stores)
        for number, group in enumerate(groups):
            regions = np.unique(keys[np.isin(store_ids, group)])
            session.add(
                MonitorRunPart(
                    run_id=run_id,
                    part_number=number,
                    region_ids=[int(region) for region in regions],
                    stores=len(group),
                    status=PartStatus.pending,
                    attempts=0,
                )
            )
    for number in range(len(groups)):
        queue.send_part(run_id=run_id, part_number=number)
    _wait_for_parts(
        factory, run_id=run_id, parts=len(groups), timeout_seconds=config.part_timeout_seconds
    )
    phases.lap("parts")
    with session_scope(factory) as session:
        reference = load_day_reference(session)
        stored = session.execute(
            select(MonitorRunPart.result, MonitorRunPart.attempts)
            .where(MonitorRunPart.run_id == run_id)
            .order_by(MonitorRunPart.part_number)
        ).all()
        outcomes = [decode_outcome(result) for result, _ in stored if result is not None]
        first_day, last_day = submission_days(business_date, config)
        submissions = data.load_submissions(session, first_day=first_day, last_day=last_day)
        phases.lap("load")
        counts = finish_day(
            session,
            reference=reference,
            outcomes=outcomes,
            submissions=submissions,
            business_date=business_date,
            run_id=run_id,
            config=config,
            now=now,
            phases=phases,
        )
        counts["parts"] = len(stored)
        counts["part_attempts"] = int(sum(attempts for _, attempts in stored))
        # What the parts handed back is folded into the day: keep the rows as the
        # record of who computed what, without the bytes.
        session.execute(
            update(MonitorRunPart).where(MonitorRunPart.run_id == run_id).values(result=None)
        )
    return counts


def _wait_for_parts(
    factory: SessionFactory, *, run_id: int, parts: int, timeout_seconds: float
) -> None:
    """Return once every part is done; raise PartFailed when one failed, TimeoutError
    when they take longer than ``timeout_seconds``."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        with factory() as session:
            rows = session.execute(
                select(MonitorRunPart.part_number, MonitorRunPart.status, MonitorRunPart.error)
                .where(MonitorRunPart.run_id == run_id)
                .order_by(MonitorRunPart.part_number)
            ).all()
        failed = [row for row in rows if row.status == PartStatus.failed]
        if failed:
            raise PartFailed(f"part {failed[0].part_number} failed: {failed[0].error}")
        if sum(row.status == PartStatus.done for row in rows) == parts:
            return
        if time.monotonic() > deadline:
            done = sum(row.status == PartStatus.done for row in rows)
            raise TimeoutError(
                f"{done} of {parts} parts done after {timeout_seconds:.0f} s: are workers running?"
            )
        time.sleep(POLL_SECONDS)


def compute_run_part(
    factory: SessionFactory, *, run_id: int, part_number: int, config: MonitorConfig
) -> PartStatus | None:
    """A worker's task: compute one part of a run in one transaction, or nothing when the
    part is already done (a second delivery) or gone. Returns the part's status. The part
    is computed with the run's settings (``config`` gives only this machine's reading
    connections, and everything for a run recorded without its settings)."""
    with session_scope(factory) as session:
        part = session.get(MonitorRunPart, (run_id, part_number))
        if part is None or part.status in (PartStatus.done, PartStatus.failed):
            return None if part is None else part.status
        part.attempts += 1
        part.status = PartStatus.running
        part.worker = holder_name()
        part.started_at = utc_now()
    try:
        with session_scope(factory) as session:
            # Locked until this transaction ends: a second delivery of the part waits
            # here, then finds it done.
            part = session.get_one(MonitorRunPart, (run_id, part_number), with_for_update=True)
            if part.status == PartStatus.done:
                return part.status
            run = session.get_one(MonitorRun, run_id)
            config = config.for_part_of(run)
            reference = load_day_reference(session)
            keys = region_keys(reference.stores)
            stores = reference.stores["store_id"].to_numpy()[np.isin(keys, part.region_ids)]
            outcome, _ = compute_stores(
                session,
                reference=reference,
                store_ids=stores,
                business_date=run.business_date,
                run_id=run_id,
                config=config,
                phases=PhaseTimer(),
            )
            part.result = encode_outcome(outcome)
            part.status = PartStatus.done
            part.finished_at = utc_now()
            return part.status
    except Exception as error:
        log.exception("monitor run part failed", extra={"run_id": run_id, "part": part_number})
        with session_scope(factory) as session:
            failed = session.get_one(MonitorRunPart, (run_id, part_number))
            failed.status = PartStatus.failed
            # The run's record repeats it (PartFailed): a database error by its kind only.
            failed.error = failure_detail(error)
            failed.finished_at = utc_now()
        raise
