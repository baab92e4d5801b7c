"""Long work on the task queue, followed by polling its job: a bulk report file checked and
stored, a committed plan's passes printed as one PDF.

``POST`` answers 202 with the queued job and its ``Location`` once the job row (with the
uploaded bytes) is committed, and hands the job to the workers after the response; ``GET``
on the job shows its status and progress (``done`` of ``total``: rows of the file, passes
rendered), then the body the synchronous endpoint would have answered (``result``) or its
problem+json (``error``). Only the key or user that submitted a job may follow it. The
synchronous endpoints (``POST /reports/bulk``, ``GET /dispatch/plans/{id}/passes/pdf``)
stay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, File, Response, UploadFile, status

from core.documents import PDF_MEDIA_TYPE
from core.jobs import job_output, progress_share, send_job
from dispatch.access import require_plan_writer
from models import BackgroundJob, JobKind, JobStatus
from pass_office.print_jobs import queue_plan_passes_pdf, read_print_job
from reports.upload_jobs import queue_report_upload, read_upload_job
from service.http.dependencies import PrincipalDep, SessionDep, SessionFactoryDep, SettingsDep
from service.http.schemas import PROBLEM_RESPONSES, DatabaseId, ReadModel, refuse_repeated_parts
from service.worker import job_queue

router = APIRouter(responses=PROBLEM_RESPONSES)

UPLOAD_JOBS = "/api/v1/reports/bulk-jobs"
PDF_JOBS = "/api/v1/dispatch/pass-pdf-jobs"


class JobRead(ReadModel):
    id: int
    kind: JobKind
    status: JobStatus
    done: int
    total: int | None
    progress: float
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    download: str | None
    attempts: int
    submitted_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _read(job: BackgroundJob, base: str) -> JobRead:
    download = (
        f"{base}/{job.id}/pdf"
        if job.status is JobStatus.succeeded and job.media_type is not None
        else None
    )
    return JobRead(
        id=job.id,
        kind=job.kind,
        status=job.status,
        done=job.done,
        total=job.total,
        progress=progress_share(job),
        result=job.result,
        error=job.error,
        download=download,
        attempts=job.attempts,
        submitted_by=job.submitted_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


@router.post(
    "/reports/bulk-jobs",
    tags=["reports"],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a CSV or XLSX file of report lines: checked and stored by a worker",
    description=(
        "The file is kept with the job before the 202 is sent, so an accepted file is never "
        "lost. The job then checks it as `POST /reports/bulk` does and stores every line or "
        "none; it ends `succeeded` with the same counts, or `failed` with the same problem "
        "(each bad cell by row and column) and nothing stored."
    ),
    dependencies=[Depends(refuse_repeated_parts)],
)
def create_upload_job(
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or GB18030) or XLSX")],
    session: SessionDep,
    session_factory: SessionFactoryDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    response: Response,
    background: BackgroundTasks,
) -> JobRead:
    job = queue_report_upload(
        session=session,
        principal=principal,
        data=file.file.read(),
        filename=file.filename,
        most_unfinished=settings.max_unfinished_jobs,
    )
    # Sent after the response, so after the request's session is committed: a worker
    # never looks for a job row that is not there yet.
    background.add_task(
        send_job, job_queue(settings, session_factory), session_factory, job.kind, job.id
    )
    response.headers["Location"] = f"{UPLOAD_JOBS}/{job.id}"
    return _read(job, UPLOAD_JOBS)


@router.get("/reports/bulk-jobs/{job_id}", tags=["reports"], summary="Follow an upload job")
def read_upload(job_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> JobRead:
    job = read_upload_job(session=session, principal=principal, job_id=job_id)
    return _read(job, UPLOAD_JOBS)


@router.post(
    "/dispatch/plans/{plan_id}/passes/pdf-jobs",
    tags=["dispatch"],
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue printing a committed plan's passes: a worker renders the PDF",
)
def create_pdf_job(
    plan_id: DatabaseId,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    response: Response,
    background: BackgroundTasks,
) -> JobRead:
    require_plan_writer(principal)
    job = queue_plan_passes_pdf(
        session=session,
        principal=principal,
        plan_id=plan_id,
        most_unfinished=settings.max_unfinished_jobs,
    )
    background.add_task(
        send_job, job_queue(settings, session_factory), session_factory, job.kind, job.id
    )
    response.headers["Location"] = f"{PDF_JOBS}/{job.id}"
    return _read(job, PDF_JOBS)


@router.get("/dispatch/pass-pdf-jobs/{job_id}", tags=["dispatch"], summary="Follow a PDF job")
def read_pdf_job(job_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> JobRead:
    require_plan_writer(principal)
    return _read(read_print_job(session=session, principal=principal, job_id=job_id), PDF_JOBS)


@router.get(
    "/dispatch/pass-pdf-jobs/{job_id}/pdf",
    tags=["dispatch"],
    summary="The PDF a finished job printed",
    response_class=Response,
    responses={200: {"content": {PDF_MEDIA_TYPE: {}}}},
)
def download_pdf(job_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> Response:
    require_plan_writer(principal)
    read_print_job(session=session, principal=principal, job_id=job_id)
    job = job_output(session=session, principal=principal, job_id=job_id)
    return Response(
        job.output or b"",
        media_type=job.media_type or PDF_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{job.filename}"'},
    )
