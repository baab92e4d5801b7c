"""A committed plan's passes printed as a background job: the request only checks the plan
and writes a job row; a worker (or a thread of the web process) renders the PDF as the
submitter, writing how many passes it has rendered, and keeps the file in the job row to
download once it has succeeded.

The PDF is kept in the row rather than in a file: workers and the web process share the
database but not a disk, and a plan's passes are a few megabytes at most.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.access import Principal
from core.database import SessionFactory, mark_read_only, session_scope
from core.documents import PDF_MEDIA_TYPE
from core.jobs import Claimed, Outcome, Progress, add_job, read_job, run_job
from models import BackgroundJob, JobKind, JobStatus
from models.base import utc_now
from pass_office.printing import Translate, committed_plan, plan_passes_pdf

KINDS = (JobKind.plan_passes_pdf,)


def queue_plan_passes_pdf(
    *, session: Session, principal: Principal, plan_id: int, most_unfinished: int
) -> BackgroundJob:
    """A queued job printing plan ``plan_id``'s passes as the caller (who the adapter has
    checked may print them), or 404/409 as the direct PDF answers for no plan or a plan
    not committed, 429 past the caller's ``most_unfinished`` jobs (nothing written): send
    its id once the session is committed."""
    committed_plan(session, plan_id)
    return add_job(
        session,
        kind=JobKind.plan_passes_pdf,
        principal=principal,
        params={"plan_id": plan_id},
        most_unfinished=most_unfinished,
    )


def read_print_job(*, session: Session, principal: Principal, job_id: int) -> BackgroundJob:
    """One of the caller's own pass-printing jobs, or 404."""
    return read_job(session=session, principal=principal, job_id=job_id, kinds=KINDS)


def run_plan_passes_pdf(
    factory: SessionFactory,
    job_id: int,
    *,
    zone: ZoneInfo,
    font_file: Path,
    chinese: Translate,
) -> JobStatus | None:
    """The task: render the plan's passes into the job row and record how it ended."""

    def work(session: Session, job: Claimed, progress: Progress) -> Outcome:
        plan_id = int(job.params["plan_id"])
        # Rendered in a read-only session of its own: no write lock while the pages are
        # drawn, and progress writes from another connection never wait. (It ends with a
        # commit that writes nothing, never a rollback that could take nested work along.)
        with session_scope(factory) as reading:
            mark_read_only(reading)
            content = plan_passes_pdf(
                session=reading,
                plan_id=plan_id,
                now=utc_now(),
                zone=zone,
                font_file=font_file,
                chinese=chinese,
                principal=job.principal,
                on_progress=progress,
            )
        return Outcome(
            output=content, media_type=PDF_MEDIA_TYPE, filename=f"plan-{plan_id}-passes.pdf"
        )

    return run_job(factory, job_id, work)
