"""Bulk report files as background jobs: the file is kept in a job row in the same commit
that answers 202, and a worker (or a thread of the web process) checks and stores it
later, as the submitter, with :func:`reports.submissions.import_report_file`: every line
or none, in the one transaction that also ends the job, so a job that succeeded has
written its file and a failed one wrote nothing.

Progress is rows of the file: the total once the file is read, then the rows stored so
far (every row is checked before the first is stored). On SQLite the job's transaction
is the only writer while it stores, so there the count moves from 0 to the total when
the job ends instead of slice by slice.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.database import SessionFactory
from core.jobs import Claimed, Outcome, Progress, add_job, read_job, run_job
from models import BackgroundJob, JobKind, JobStatus
from reports.submissions import (
    REPORT_WRITERS,
    BulkResult,
    IngestLimits,
    import_report_file,
)
from reports.validation import ReportRules

KINDS = (JobKind.report_upload,)
CHUNK_ROWS = 2000
"""Rows stored between two progress writes."""


def queue_report_upload(
    *,
    session: Session,
    principal: Principal,
    data: bytes,
    filename: str | None,
    most_unfinished: int,
) -> BackgroundJob:
    """A queued job holding the file's bytes, for a caller that may upload report files
    (403 otherwise, 429 past its ``most_unfinished`` jobs; nothing written): send its id
    once the session is committed. The file's rows are checked by the job, with the
    caller's rights, as the synchronous upload checks them."""
    require_role(principal, *REPORT_WRITERS)
    return add_job(
        session,
        kind=JobKind.report_upload,
        principal=principal,
        params={"filename": filename},
        input=data,
        most_unfinished=most_unfinished,
    )


def read_upload_job(*, session: Session, principal: Principal, job_id: int) -> BackgroundJob:
    """One of the caller's own upload jobs, or 404."""
    require_role(principal, *REPORT_WRITERS)
    return read_job(session=session, principal=principal, job_id=job_id, kinds=KINDS)


def bulk_result_json(result: BulkResult) -> dict[str, Any]:
    """What the synchronous upload answers with: rows, inserted, updated, unchanged."""
    counts = result.counts
    return {
        "rows": result.rows,
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
    }


def run_report_upload(
    factory: SessionFactory,
    job_id: int,
    *,
    rules: ReportRules,
    limits: IngestLimits,
    chunk_rows: int = CHUNK_ROWS,
) -> JobStatus | None:
    """The task: check and store the job's file, all of it or none, and record how it
    ended (a second delivery of a finished job changes nothing)."""

    def work(session: Session, job: Claimed, progress: Progress) -> Outcome:
        # On SQLite the storing transaction holds the database's write lock: a progress
        # write from another connection would wait for it, so only the total is written.
        live = session.get_bind().dialect.name != "sqlite"
        stored = 0

        def advance(rows: int, total: int) -> None:
            nonlocal stored
            stored += rows
            if live:
                progress(stored, total)

        result = import_report_file(
            session,
            data=job.input or b"",
            filename=job.params.get("filename"),
            principal=job.principal,
            rules=rules,
            limits=limits,
            chunk_rows=chunk_rows,
            progress=advance,
            read_in=factory,
            on_read=lambda total: progress(0, total),
        )
        return Outcome(result=bulk_result_json(result))

    return run_job(factory, job_id, work)
