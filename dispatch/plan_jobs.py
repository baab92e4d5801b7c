"""Plan jobs: a day's plan solved on the task queue instead of inside a web request.

``queue_plan`` checks the options as the synchronous path does (a bad field is a 422 and
nothing is written) and adds a ``plan_jobs`` row; once that row is committed, the caller
hands its id to a ``PlanJobQueue`` (a Celery worker, or a background thread of the web
process when no broker is set). ``run_plan_job`` is the task: it solves the day with
``planning.create_draft`` (read apart, solved outside any transaction), writes the solver's
progress into the row about once a second, and ends it succeeded with the draft's id or
failed with the problem the synchronous path would have answered. The row is the truth;
the queue carries only ids, and a job delivered twice is solved once.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from core.access import Principal
from core.database import SessionFactory, mark_read_only, session_scope
from core.errors import DomainError, NotFound, problem
from core.job_allowance import require_room_for_job
from core.jobs import error_problem, require_active_caller
from core.text import N_, Text, text_json
from dispatch.access import require_dispatch_reader, require_plan_in_region
from dispatch.plan_rows import MatrixUpload
from dispatch.planning import PlanOptions, check_options, create_draft
from models import JobStatus, PlanJob
from models.base import utc_now

log = logging.getLogger("supplywatch.dispatch")

FINISHED = (JobStatus.succeeded, JobStatus.failed)
UNEXPECTED = N_("solving the plan failed unexpectedly; the service log has the details")


QUEUE_DOWN = N_("the task queue cannot take the plan job; queue the plan again later")


class PlanJobQueue(Protocol):
    """Where a queued plan job goes once its row is committed: a task queue whose
    workers (or a thread) call :func:`run_plan_job`."""

    def send_plan_job(self, *, job_id: int) -> None: ...


def options_json(options: PlanOptions) -> dict[str, Any]:
    """The options as the job row keeps them (JSON)."""
    return {
        "plan_date": options.plan_date.isoformat(),
        "request_ids": options.request_ids,
        "truck_plates": options.truck_plates,
        "time_limit_s": options.time_limit_s,
        "service_s": options.service_s,
        "road_factor": options.road_factor,
        "speed_kmh": options.speed_kmh,
        "matrix": None if options.matrix is None else options.matrix.as_json(),
        "note": options.note,
    }


def options_of(stored: dict[str, Any]) -> PlanOptions:
    """The options a job row keeps, as ``create_draft`` takes them."""
    matrix = stored.get("matrix")
    return PlanOptions(
        plan_date=date.fromisoformat(stored["plan_date"]),
        request_ids=stored.get("request_ids"),
        truck_plates=stored.get("truck_plates"),
        time_limit_s=stored["time_limit_s"],
        service_s=stored["service_s"],
        road_factor=stored["road_factor"],
        speed_kmh=stored["speed_kmh"],
        matrix=None
        if matrix is None
        else MatrixUpload(matrix["locations"], matrix["distance_m"], matrix.get("duration_s")),
        note=stored.get("note"),
    )


def queue_plan(
    *, session: Session, options: PlanOptions, principal: Principal, most_unfinished: int
) -> PlanJob:
    """A queued plan job for ``options``, or 422 naming the field when the options are bad,
    429 when ``principal`` already has ``most_unfinished`` jobs queued or running (nothing
    written): send its id to a ``PlanJobQueue`` once the session is committed."""
    check_options(session=session, options=options)
    require_room_for_job(session, principal=principal, most_unfinished=most_unfinished)
    job = PlanJob(
        status=JobStatus.queued,
        requested_by=principal.label,
        options=options_json(options),
        progress=0.0,
        attempts=0,
        created_at=utc_now(),
    )
    session.add(job)
    session.flush()
    return job


def send_plan_job(queue: PlanJobQueue, factory: SessionFactory, job_id: int) -> None:
    """Hand a committed job to ``queue``; a queue that cannot take it (the broker down)
    fails the job with a 503 problem instead of leaving it queued for ever."""
    try:
        queue.send_plan_job(job_id=job_id)
    except Exception:
        log.exception("could not send a plan job", extra={"job_id": job_id})
        down = problem(
            status=503, title="Service unavailable", detail=QUEUE_DOWN, type_slug="queue-down"
        )
        _record_failure(factory, job_id, down, text_json(Text(QUEUE_DOWN)))


def read_plan_job(*, session: Session, principal: Principal, job_id: int) -> PlanJob:
    """One plan job, or 404; staff bound to a region see only a finished job whose plan
    lies wholly inside it (plans are queued by national staff only)."""
    require_dispatch_reader(principal)
    job = session.get(PlanJob, job_id)
    if job is None:
        raise NotFound("plan job {job_id} not found", job_id=job_id)
    if principal.region_ids is not None:
        try:
            if job.plan_id is None:
                raise NotFound("plan job {job_id} not found", job_id=job_id)
            require_plan_in_region(session, principal, job.plan_id)
        except NotFound:
            raise NotFound("plan job {job_id} not found", job_id=job_id) from None
    return job


class _AlreadySolved(Exception):
    """Another delivery of the job stored its plan first: this one's is rolled back."""


def run_plan_job(factory: SessionFactory, job_id: int) -> JobStatus | None:
    """The task: solve job ``job_id`` into a draft and record how it ended; a job already
    finished (a second delivery) is left as it is. Returns the job's status (None: no
    such job)."""
    with session_scope(factory) as session:
        job = session.get(PlanJob, job_id)
        if job is None or job.status in FINISHED:
            return None if job is None else job.status
        job.status = JobStatus.running
        job.attempts += 1
        job.started_at = job.heartbeat_at = utc_now()
        job.progress = 0.0
        options = options_of(job.options)
        created_by = job.requested_by
    try:
        # As every job: solved only while its submitter's key or person is still active
        # (the row keeps the label ``kind:id:name``), checked in a read-only transaction.
        kind, caller_id, _ = created_by.split(":", 2)
        with session_scope(factory) as checking:
            mark_read_only(checking)
            require_active_caller(checking, kind=kind, caller_id=int(caller_id))
        with session_scope(factory) as session:
            plan = create_draft(
                session=session,
                options=options,
                created_by=created_by,
                read_in=factory,
                on_progress=lambda share: _record_progress(factory, job_id, share),
            )
            job = session.get_one(PlanJob, job_id, with_for_update=True)
            if job.status is JobStatus.succeeded:
                raise _AlreadySolved
            job.status = JobStatus.succeeded
            job.plan_id = plan.id
            job.progress = 1.0
            job.finished_at = utc_now()
            return JobStatus.succeeded
    except _AlreadySolved:
        return JobStatus.succeeded
    except DomainError as error:
        _record_failure(factory, job_id, error_problem(error), text_json(error.text))
    except Exception:
        log.exception("plan job failed", extra={"job_id": job_id})
        unexpected = problem(
            status=500, title="Internal server error", detail=UNEXPECTED, type_slug="internal-error"
        )
        _record_failure(factory, job_id, unexpected, text_json(Text(UNEXPECTED)))
    return JobStatus.failed


def _record_progress(factory: SessionFactory, job_id: int, share: float) -> None:
    """Write how far the solver got; best effort (a busy database only delays the bar)."""
    try:
        with session_scope(factory) as session:
            session.execute(
                update(PlanJob)
                .where(PlanJob.id == job_id, PlanJob.status == JobStatus.running)
                .values(progress=min(max(share, 0.0), 0.99), heartbeat_at=utc_now())
            )
    except Exception:
        log.warning("could not record a plan job's progress", exc_info=True)


def _record_failure(
    factory: SessionFactory, job_id: int, error: dict[str, Any], text: dict[str, Any]
) -> None:
    with session_scope(factory) as session:
        job = session.get_one(PlanJob, job_id)
        if job.status is JobStatus.succeeded:
            return
        job.status = JobStatus.failed
        job.error = error
        job.error_text = text
        job.finished_at = utc_now()


def prune_finished_plan_jobs(session: Session, *, finished_before: datetime) -> int:
    """Delete the plan jobs that ended before ``finished_before`` (a succeeded job's draft
    plan stays: it is a plan of its own); queued and solving jobs stay. Returns how many
    went. Flushes only."""
    deleted = session.execute(
        delete(PlanJob).where(PlanJob.status.in_(FINISHED), PlanJob.finished_at < finished_before)
    )
    session.flush()
    return int(getattr(deleted, "rowcount", 0) or 0)
