"""Background jobs: the lifecycle every kind of long work shares (a bulk report file, a
plan's passes as a PDF), kept in ``background_jobs`` rows.

A domain queues a job with :func:`add_job` inside the caller's unit of work (the input is
stored in the same commit that answers 202), and the adapter hands the committed job's id
to a :class:`JobQueue` (a Celery worker, or a thread of the web process without a broker).
The task calls :func:`run_job` with the kind's work: the job is claimed, the work runs as
the submitter, and it ends succeeded (its result written in the work's own transaction,
after the row is locked FOR UPDATE, so a second delivery of a finished job changes
nothing) or failed with the problem the synchronous path would have answered. The row is
the truth; the queue carries only ids. Knows no domain and no queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core.access import Principal, bind_region
from core.database import SessionFactory, mark_read_only, session_scope
from core.errors import Conflict, DomainError, NotFound, Unauthenticated, problem
from core.job_allowance import require_room_for_job
from core.text import N_, Text, text_json
from core.words import word
from models import ApiKey, BackgroundJob, JobKind, JobStatus, PlanJob, Role, User
from models.base import utc_now

log = logging.getLogger("supplywatch.jobs")

FINISHED = (JobStatus.succeeded, JobStatus.failed)
UNEXPECTED = N_("the job failed unexpectedly; the service log has the details")
QUEUE_DOWN = N_("the task queue cannot take the job; submit it again later")
INTERRUPTED = N_(
    "the job was interrupted {attempts} times (the process running it stopped); submit it again"
)


class JobQueue(Protocol):
    """Where a queued job goes once its row is committed: a task queue whose workers (or
    a thread) run the job's kind."""

    def send_job(self, *, kind: JobKind, job_id: int) -> None: ...


@dataclass(frozen=True)
class Claimed:
    """A job a delivery has started: what the work needs from its row."""

    id: int
    kind: JobKind
    principal: Principal
    params: dict[str, Any]
    input: bytes | None


@dataclass(frozen=True)
class Outcome:
    """What a job's work made: the JSON result and, for a file, its bytes and type."""

    result: dict[str, Any] | None = None
    output: bytes | None = None
    media_type: str | None = None
    filename: str | None = None


Progress = Callable[[int, int], None]
"""Hears (done, total) as the work advances."""
Work = Callable[[Session, Claimed, Progress], Outcome]
"""A kind's work: runs in the session that ends the job (``session`` only writes what the
job produces; the work reads apart where it computes for long)."""


def principal_json(principal: Principal) -> dict[str, Any]:
    """The submitter as a job row keeps it (its region's subtree is looked up again)."""
    return {
        "kind": principal.kind,
        "id": principal.id,
        "name": principal.name,
        "role": principal.role.value,
        "store_id": principal.store_id,
        "enterprise_id": principal.enterprise_id,
        "truck_id": principal.truck_id,
        "compound_id": principal.compound_id,
        "producer_id": principal.producer_id,
        "checkpoint_id": principal.checkpoint_id,
        "region_id": principal.region_id,
    }


def principal_of(session: Session, stored: dict[str, Any]) -> Principal:
    """The submitter a job row keeps, with its region's subtree as it stands now."""
    principal = Principal(
        kind=stored["kind"],
        id=stored["id"],
        name=stored["name"],
        role=Role(stored["role"]),
        store_id=stored.get("store_id"),
        enterprise_id=stored.get("enterprise_id"),
        truck_id=stored.get("truck_id"),
        compound_id=stored.get("compound_id"),
        producer_id=stored.get("producer_id"),
        checkpoint_id=stored.get("checkpoint_id"),
    )
    return bind_region(session, principal, stored.get("region_id"))


def add_job(
    session: Session,
    *,
    kind: JobKind,
    principal: Principal,
    params: dict[str, Any],
    most_unfinished: int,
    input: bytes | None = None,
) -> BackgroundJob:
    """A queued job of ``kind`` for ``principal``, written in ``session``'s unit of work:
    send its id to a ``JobQueue`` once the session is committed. A 429 (nothing written)
    when ``principal`` already has ``most_unfinished`` jobs queued or running."""
    require_room_for_job(session, principal=principal, most_unfinished=most_unfinished)
    job = BackgroundJob(
        kind=kind,
        status=JobStatus.queued,
        submitted_by=principal.label,
        principal=principal_json(principal),
        params=params,
        input=input,
        done=0,
        attempts=0,
        created_at=utc_now(),
    )
    session.add(job)
    session.flush()
    return job


def send_job(queue: JobQueue, factory: SessionFactory, kind: JobKind, job_id: int) -> None:
    """Hand a committed job to ``queue``; a queue that cannot take it (the broker down)
    fails the job with a 503 problem instead of leaving it queued for ever."""
    try:
        queue.send_job(kind=kind, job_id=job_id)
    except Exception:
        log.exception("could not send a job", extra={"job_id": job_id})
        down = problem(
            status=503, title="Service unavailable", detail=QUEUE_DOWN, type_slug="queue-down"
        )
        _record_failure(factory, job_id, down, text_json(Text(QUEUE_DOWN)))


def read_job(
    *, session: Session, principal: Principal, job_id: int, kinds: tuple[JobKind, ...]
) -> BackgroundJob:
    """One of ``principal``'s own jobs of one of ``kinds``, or 404: a job is followed only
    by whoever submitted it (the same key or user), so no one learns of another's."""
    job = session.get(BackgroundJob, job_id)
    if job is None or job.kind not in kinds or not submitted_by(job, principal):
        raise NotFound("job {job_id} not found", job_id=job_id)
    return job


def submitted_by(job: BackgroundJob, principal: Principal) -> bool:
    """Whether ``principal`` (the same key or user) submitted ``job``."""
    return job.principal.get("kind") == principal.kind and job.principal.get("id") == principal.id


def job_output(*, session: Session, principal: Principal, job_id: int) -> BackgroundJob:
    """A succeeded job's file, for its submitter; 404 for no such job, 409 while it has
    none (not finished, failed, or a kind that makes no file)."""
    job = session.get(BackgroundJob, job_id)
    if job is None or not submitted_by(job, principal):
        raise NotFound("job {job_id} not found", job_id=job_id)
    if job.status is not JobStatus.succeeded or job.media_type is None:
        raise Conflict(
            "job {job_id} has no file to download: it is {status}",
            job_id=job_id,
            status=word(job.status),
        )
    return job


class _AlreadyDone(Exception):
    """Another delivery of the job ended it first: this one's writes are rolled back."""


def run_job(factory: SessionFactory, job_id: int, work: Work) -> JobStatus | None:
    """The task: run job ``job_id`` with ``work`` and record how it ended; a job already
    finished (a second delivery) is left as it is. Returns the job's status (None: no
    such job)."""
    claimed = _claim(factory, job_id)
    if not isinstance(claimed, Claimed):
        return claimed
    try:
        # Checked in a read-only transaction of its own: the work's session must not begin
        # (on SQLite, take the write lock) before the work does.
        with session_scope(factory) as checking:
            mark_read_only(checking)
            require_active_submitter(checking, claimed.principal)
        with session_scope(factory) as session:
            outcome = work(
                session, claimed, lambda done, total: record_progress(factory, job_id, done, total)
            )
            job = session.get_one(BackgroundJob, job_id, with_for_update=True)
            if job.status in FINISHED:
                raise _AlreadyDone
            job.status = JobStatus.succeeded
            job.result = outcome.result
            job.output = outcome.output
            job.media_type = outcome.media_type
            job.filename = outcome.filename
            job.input = None
            if job.total is not None:
                job.done = job.total
            job.finished_at = utc_now()
            return JobStatus.succeeded
    except _AlreadyDone:
        with session_scope(factory) as session:
            return session.get_one(BackgroundJob, job_id).status
    except DomainError as error:
        _record_failure(factory, job_id, error_problem(error), text_json(error.text))
    except Exception:
        log.exception("background job failed", extra={"job_id": job_id})
        unexpected = problem(
            status=500, title="Internal server error", detail=UNEXPECTED, type_slug="internal-error"
        )
        _record_failure(factory, job_id, unexpected, text_json(Text(UNEXPECTED)))
    return JobStatus.failed


def require_active_submitter(session: Session, principal: Principal) -> None:
    """Refuse (401) a job whose key was revoked or has expired, or whose person was
    deactivated, since it was queued: it runs with its submitter's rights as they stand
    when it runs, which may be long after (a busy broker, a restart)."""
    require_active_caller(session, kind=principal.kind, caller_id=principal.id)


def require_active_caller(session: Session, *, kind: str, caller_id: int) -> None:
    """:func:`require_active_submitter` for a submitter known by kind (``key`` or
    ``user``) and id only, as a plan job records it."""
    if kind == "key":
        key = session.execute(
            select(ApiKey.active, ApiKey.expires_at).where(ApiKey.id == caller_id)
        ).first()
        active = (
            key is not None
            and key.active
            and (key.expires_at is None or key.expires_at > utc_now())
        )
    else:
        active = bool(session.scalar(select(User.active).where(User.id == caller_id)))
    if not active:
        raise Unauthenticated(
            "the key or person that submitted this job was revoked or deactivated before it "
            "ran; nothing was done"
        )


def _claim(factory: SessionFactory, job_id: int) -> Claimed | JobStatus | None:
    """Mark the job running (its row locked while doing so) and read what its work needs;
    a finished job's status, or None for no such job, when there is nothing to run."""
    with session_scope(factory) as session:
        job = session.get(BackgroundJob, job_id, with_for_update=True)
        if job is None or job.status in FINISHED:
            return None if job is None else job.status
        job.status = JobStatus.running
        job.attempts += 1
        job.started_at = job.heartbeat_at = utc_now()
        job.done = 0
        return Claimed(
            id=job.id,
            kind=job.kind,
            principal=principal_of(session, job.principal),
            params=dict(job.params),
            input=job.input,
        )


def record_progress(factory: SessionFactory, job_id: int, done: int, total: int) -> None:
    """Write how far a job got; best effort (a busy database only delays the bar)."""
    total = max(total, 0)
    try:
        with session_scope(factory) as session:
            session.execute(
                update(BackgroundJob)
                .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.running)
                .values(done=min(max(done, 0), total), total=total, heartbeat_at=utc_now())
            )
    except Exception:
        log.warning("could not record a job's progress", exc_info=True)


def _record_failure(
    factory: SessionFactory, job_id: int, error: dict[str, Any], text: dict[str, Any]
) -> None:
    with session_scope(factory) as session:
        job = session.get_one(BackgroundJob, job_id, with_for_update=True)
        if job.status is JobStatus.succeeded:
            return
        job.status = JobStatus.failed
        job.error = error
        job.error_text = text
        job.input = None
        job.finished_at = utc_now()


def error_problem(error: DomainError) -> dict[str, Any]:
    """The problem+json body the synchronous path answers ``error`` with."""
    return problem(
        status=error.status,
        title=error.title,
        detail=error.detail,
        type_slug=error.type_slug,
        errors=error.errors,
        extra=error.extra,
    )


def progress_share(job: BackgroundJob) -> float:
    """How far a job got, 0..1 (0 while its total is unknown)."""
    if job.status is JobStatus.succeeded:
        return 1.0
    if not job.total:
        return 0.0
    return min(job.done / job.total, 1.0)


def prune_finished_jobs(session: Session, *, finished_before: datetime) -> int:
    """Delete the jobs that ended before ``finished_before`` with what they kept (uploaded
    files, rendered PDFs), so the table does not grow with every upload and print; queued
    and running jobs stay. Returns how many went. Flushes only."""
    deleted = session.execute(
        delete(BackgroundJob).where(
            BackgroundJob.status.in_(FINISHED), BackgroundJob.finished_at < finished_before
        )
    )
    session.flush()
    return int(getattr(deleted, "rowcount", 0) or 0)


Job = TypeVar("Job", BackgroundJob, PlanJob)


@dataclass(frozen=True)
class Interrupted(Generic[Job]):
    """Jobs whose process stopped before they ended: those to send to the queue again
    (once the session is committed), and those given up, now failed."""

    send_again: list[Job]
    given_up: list[Job]


def take_interrupted(
    session: Session, table: type[Job], *, silent_since: datetime, max_attempts: int
) -> Interrupted[Job]:
    """The jobs of ``table`` whose work showed no life since ``silent_since``: queued ones
    never started (their message or thread was lost) and running ones whose process
    stopped (a killed web process, a lost worker machine the broker did not redeliver
    for). A job started ``max_attempts`` times is failed instead of sent again (its work
    may be what kills the process). Each job taken is marked as just heard from, so the
    next sweep leaves it a full silence before taking it again. Flushes only."""
    now = utc_now()
    last_life = func.coalesce(table.heartbeat_at, table.started_at, table.created_at)
    jobs = session.scalars(
        select(table)
        .where(table.status.in_((JobStatus.queued, JobStatus.running)), last_life < silent_since)
        .order_by(table.id)
        .with_for_update()
    ).all()
    send_again: list[Job] = []
    given_up: list[Job] = []
    for job in jobs:
        if job.status is JobStatus.running and job.attempts >= max_attempts:
            _give_up(job, now)
            given_up.append(job)
        else:
            job.heartbeat_at = now
            send_again.append(job)
    session.flush()
    return Interrupted(send_again=send_again, given_up=given_up)


def _give_up(job: BackgroundJob | PlanJob, now: datetime) -> None:
    """Fail a job interrupted too often, with the problem its follower reads."""
    text = Text(INTERRUPTED, {"attempts": job.attempts})
    job.status = JobStatus.failed
    job.error = problem(
        status=500,
        title="Internal server error",
        detail=text.render(),
        type_slug="job-interrupted",
    )
    job.error_text = text_json(text)
    job.finished_at = now
    if isinstance(job, BackgroundJob):
        job.input = None
