"""How much long work one caller may have waiting or running at a time.

Every kind of long work a caller can start and leave running (a queued bulk report file, a
plan's passes PDF, a plan solve, a monitor run it asked for) takes a worker or a thread of
the web process; one key or person queueing them without end would keep everyone else's
waiting. So before a new one is written, the caller's unfinished ones of every kind are
counted in the same transaction, and one past the allowance is refused with 429. On
PostgreSQL the count is taken under a transaction advisory lock per caller, so requests
sent at once cannot all count the same rows; SQLite's writers already go one at a time.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.access import Principal
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
    if session.get_bind().dialect.name == "postgresql":
        slot = hashlib.sha256(submitter_prefix(principal).encode()).digest()
        session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :slot)"),
            {"space": SUBMITTER_LOCK_SPACE, "slot": int.from_bytes(slot[:4], "big", signed=True)},
        )
    unfinished = unfinished_jobs(session, principal)
    if unfinished >= most_unfinished:
        raise TooManyRequests(
            "this key or person already has {unfinished} jobs queued or running, and may "
            "have at most {limit} at a time; wait for one to end, then submit again",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            extra={"limit": most_unfinished, "unfinished": unfinished},
            unfinished=unfinished,
            limit=most_unfinished,
        )
