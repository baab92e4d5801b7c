"""A committed plan's passes printed by a job: the manifests page queues it, a page shows
how many passes are rendered (polled every second with htmx) and offers the PDF when it is
ready, or says in the reader's language why it could not be printed.

Without a broker the job runs in this process after the response is sent, so the page
answers at once either way. The direct ``/dispatch/plans/{id}/passes.pdf`` stays.
"""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, Response

from core.documents import PDF_MEDIA_TYPE
from core.jobs import job_output, progress_share, send_job
from core.text import stored_text
from dispatch.access import require_dispatcher, require_plan_writer
from models import BackgroundJob, JobStatus
from pass_office.print_jobs import queue_plan_passes_pdf, read_print_job
from service.http.dependencies import SessionDep, SessionFactoryDep
from service.http.schemas import DatabaseId
from service.web.common import (
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    language_of,
    page_unless_htmx,
    redirect,
    render,
)
from service.web.i18n import problem_text
from service.worker import job_queue

router = APIRouter(route_class=PageRoute, include_in_schema=False)

POLL_EVERY = "every 1s"
JOBS = "/dispatch/pass-pdf-jobs"


@router.post("/dispatch/plans/{plan_id}/passes-jobs", dependencies=[Depends(check_csrf)])
def queue_passes(
    plan_id: DatabaseId,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    background: BackgroundTasks,
) -> Response:
    """Queue printing the plan's passes and show the job (rendered after this response)."""
    require_plan_writer(viewer)  # as the API: a plan's trucks span regions
    job = queue_plan_passes_pdf(
        session=session,
        principal=viewer,
        plan_id=plan_id,
        most_unfinished=settings.max_unfinished_jobs,
    )
    background.add_task(
        send_job, job_queue(settings, session_factory), session_factory, job.kind, job.id
    )
    return redirect(f"{JOBS}/{job.id}")


@router.get("/dispatch/pass-pdf-jobs/{job_id}")
def job_page(
    request: Request, job_id: DatabaseId, session: SessionDep, viewer: ViewerDep
) -> Response:
    """The job's progress, and the PDF's link once it is ready."""
    require_dispatcher(viewer)
    job = read_print_job(session=session, principal=viewer, job_id=job_id)
    return _panel(request, job, "dispatch/pass_pdf_job.html")


@router.get("/dispatch/pass-pdf-jobs/{job_id}/panel")
def job_panel(
    request: Request, job_id: DatabaseId, session: SessionDep, viewer: ViewerDep
) -> Response:
    """The progress panel the job page polls; it stops polling once the job has ended."""
    if (whole := page_unless_htmx(request, f"/dispatch/pass-pdf-jobs/{job_id}")) is not None:
        return whole
    require_dispatcher(viewer)
    job = read_print_job(session=session, principal=viewer, job_id=job_id)
    return _panel(request, job, "dispatch/_pass_pdf_job_panel.html")


@router.get("/dispatch/pass-pdf-jobs/{job_id}/passes.pdf")
def job_pdf(job_id: DatabaseId, session: SessionDep, viewer: ViewerDep) -> Response:
    """The PDF the job printed, for whoever queued it."""
    require_dispatcher(viewer)
    read_print_job(session=session, principal=viewer, job_id=job_id)
    job = job_output(session=session, principal=viewer, job_id=job_id)
    return Response(
        job.output or b"",
        media_type=job.media_type or PDF_MEDIA_TYPE,
        headers={"Content-Disposition": f'inline; filename="{job.filename}"'},
    )


def _panel(request: Request, job: BackgroundJob, template: str) -> HTMLResponse:
    problem = None
    if job.status is JobStatus.failed and job.error_text is not None:
        problem = problem_text(stored_text(job.error_text), language_of(request))
    return render(
        request,
        template,
        {
            "job": job,
            "plan_id": job.params["plan_id"],
            "ended": job.status in (JobStatus.succeeded, JobStatus.failed),
            "percent": round(100 * progress_share(job)),
            "problem": problem,
            "poll": POLL_EVERY,
        },
    )
