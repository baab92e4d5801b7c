"""How much long work one caller may have waiting or running at a time.

Every kind of long work a caller can start and leave running (a queued bulk report file, a
plan's passes PDF, a plan solve, a monitor run it asked for) takes a worker or a thread of
the web process; one key or person queueing them without end would keep everyone else's
waiting. So before a new one is written, the caller's unfinished ones of every kind are
counted in the same transaction, and one past the allowance is refused with 429. On
PostgreSQL the count is taken under a transaction advisory lock per caller, so requests
sent at once cannot all count the same rows; SQLite's writers already go one at a time.
Long work run inside the caller's own request (:func:`long_work_in_request`) counts too,
while it runs.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from core.database import read_apart, serialize_on
from core.errors import TooManyRequests
from models import BackgroundJob, JobStatus, MonitorRun, PlanJob, RunStatus

SUBMITTER_LOCK_SPACE = 0x5357_4A42  # advisory locks of job submitters, by caller ("SWJB")
RETRY_AFTER_SECONDS = 60
"""What a refused caller is told to wait: the shortest jobs (a PDF, a small file) end in
seconds, a plan solve in a few minutes."""
UNFINISHED = (JobStatus.queued, JobStatus.running)


def submitter_prefix(principal: Principal) -> str:
    """The start of every label ``principal`` is recorded under (``kind:id:name``): the
    name may change, the key or person stays."""
    return f"{principal.kind}:{principal.id}:"


def unfinished_jobs(session: Session, principal: Principal) -> int:
    """How many jobs and requested monitor runs ``principal`` submitted that are still
    queued or running."""
    prefix = submitter_prefix(principal)
    counts = (
        select(func.count())
        .select_from(BackgroundJob)
        .where(
            BackgroundJob.status.in_(UNFINISHED),
            BackgroundJob.submitted_by.startswith(prefix, autoescape=True),
        ),
        select(func.count())
        .select_from(PlanJob)
        .where(
            PlanJob.status.in_(UNFINISHED),
            PlanJob.requested_by.startswith(prefix, autoescape=True),
        ),
        select(func.count())
        .select_from(MonitorRun)
        .where(
            MonitorRun.status == RunStatus.running,
            MonitorRun.requested_by.startswith(prefix, autoescape=True),
        ),
    )
    return sum(int(session.scalar(count) or 0) for count in counts)


def require_room_for_job(session: Session, *, principal: Principal, most_unfinished: int) -> None:
    """Refuse (429, with ``Retry-After``) a caller who already has ``most_unfinished`` jobs
    queued or running; call it in the transaction that writes the new one."""
    serialize_on(session, space=SUBMITTER_LOCK_SPACE, name=submitter_prefix(principal))
    unfinished = unfinished_jobs(session, principal) + _in_requests(principal)
    if unfinished >= most_unfinished:
        raise _too_many(unfinished, most_unfinished)


def _too_many(unfinished: int, limit: int) -> TooManyRequests:
    """The 429 of a caller at its allowance, with the time to come back."""
    return TooManyRequests(
        "this key or person already has {unfinished} jobs queued or running, and may "
        "have at most {limit} at a time; wait for one to end, then submit again",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        extra={"limit": limit, "unfinished": unfinished},
        unfinished=unfinished,
        limit=limit,
    )


_running_in_requests: Counter[str] = Counter()
_running_lock = threading.Lock()


def _in_requests(principal: Principal) -> int:
    """How much long work ``principal`` runs inside requests of this process now."""
    with _running_lock:
        return _running_in_requests[submitter_prefix(principal)]


@contextmanager
def long_work_in_request(
    session: Session, *, principal: Principal, most_unfinished: int
) -> Iterator[None]:
    """Hold one of ``principal``'s allowance while it runs long work inside its own request
    (a plan solved now, a breakdown's re-plan, a bulk file, a plan's passes PDF): such work
    holds a web thread as long as a queued job holds a worker, and sent in a loop it kept
    every thread busy while the allowance counted only queued jobs. Counted with the caller's
    queued and running jobs; a 429 past the allowance. The count of work in requests is
    this process's own (each web process holds its callers to the allowance)."""
    prefix = submitter_prefix(principal)
    # read apart: the work must not run inside a transaction opened here (SQLite's write
    # lock, an idle transaction on PostgreSQL) while it solves or reads for minutes
    queued = read_apart(session, lambda: unfinished_jobs(session, principal))
    with _running_lock:
        running = _running_in_requests[prefix]
        if queued + running >= most_unfinished:
            raise _too_many(queued + running, most_unfinished)
        _running_in_requests[prefix] += 1
    try:
        yield
    finally:
        with _running_lock:
            _running_in_requests[prefix] -= 1
            if _running_in_requests[prefix] <= 0:
                del _running_in_requests[prefix]
