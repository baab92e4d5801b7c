"""The dispatcher's "plan the day" as a job: the form queues it, a page shows the
solver's progress (polled every second with htmx) and opens the draft when it is ready,
or says in the reader's language why the day could not be planned.

Without a broker the job is solved in this process after the response is sent, so the
page answers at once either way.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.text import Text, stored_text
from dispatch.access import require_dispatcher, require_plan_writer
from dispatch.plan_jobs import queue_plan, read_plan_job, send_plan_job
from dispatch.planning import PlanOptions
from models import JobStatus, PlanJob
from service.configuration import business_today
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
from service.web.dispatch import board_page, typed_time_limit
from service.web.i18n import problem_text
from service.worker import plan_job_queue

router = APIRouter(route_class=PageRoute, include_in_schema=False)

POLL_EVERY = "every 1s"


@router.post("/dispatch/plan-jobs", dependencies=[Depends(check_csrf)])
def queue_day(
    request: Request,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    background: BackgroundTasks,
    day: Annotated[date, Form()],
    time_limit_s: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Queue the day's plan and show its progress (solved after this response); a time
    limit out of bounds shows the board again with the problem beside the field."""
    require_plan_writer(viewer)
    seconds = typed_time_limit(time_limit_s)
    if isinstance(seconds, Text):
        return board_page(
            request,
            session,
            viewer,
            settings,
            day,
            time_limit=time_limit_s,
            time_limit_problem=seconds,
        )
    job = queue_plan(
        session=session,
        options=PlanOptions(plan_date=day, time_limit_s=seconds, today=business_today(settings)),
        principal=viewer,
        most_unfinished=settings.max_unfinished_jobs,
    )
    queue = plan_job_queue(settings, session_factory)
    background.add_task(send_plan_job, queue, session_factory, job.id)
    return redirect(f"/dispatch/plan-jobs/{job.id}")


@router.get("/dispatch/plan-jobs/{job_id}")
def job_page(
    request: Request, job_id: DatabaseId, session: SessionDep, viewer: ViewerDep
) -> Response:
    """The job's progress; the draft itself once it is ready."""
    require_dispatcher(viewer)
    job = read_plan_job(session=session, principal=viewer, job_id=job_id)
    if job.status is JobStatus.succeeded:
        return redirect(f"/dispatch/plans/{job.plan_id}")
    return _panel(request, job, "dispatch/plan_job.html")


@router.get("/dispatch/plan-jobs/{job_id}/panel")
def job_panel(
    request: Request, job_id: DatabaseId, session: SessionDep, viewer: ViewerDep
) -> Response:
    """The progress panel the job page polls; it sends the browser to the draft when
    the job has succeeded and stops polling once the job has ended."""
    if (whole := page_unless_htmx(request, f"/dispatch/plan-jobs/{job_id}")) is not None:
        return whole
    require_dispatcher(viewer)
    job = read_plan_job(session=session, principal=viewer, job_id=job_id)
    response = _panel(request, job, "dispatch/_plan_job_panel.html")
    if job.status is JobStatus.succeeded:
        response.headers["HX-Redirect"] = f"/dispatch/plans/{job.plan_id}"
    return response


def _panel(request: Request, job: PlanJob, template: str) -> HTMLResponse:
    problem = None
    if job.status is JobStatus.failed and job.error_text is not None:
        problem = problem_text(stored_text(job.error_text), language_of(request))
    return render(
        request,
        template,
        {
            "job": job,
            "day": job.options["plan_date"],
            "ended": job.status in (JobStatus.succeeded, JobStatus.failed),
            "percent": round(100 * job.progress),
            "problem": problem,
            "poll": POLL_EVERY,
        },
    )
