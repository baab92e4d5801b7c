"""Plan jobs: a day's plan solved on the task queue, followed by polling its job.

``POST /dispatch/plan-jobs`` checks the body as ``POST /dispatch/plans`` does (a bad field
is a 422 and nothing is queued), answers 202 with the queued job and its ``Location``,
and hands the job to the workers once the request is committed; ``GET`` on the job shows
its status, the solver's progress, and then the draft plan's id or the problem that
stopped it (the same problem+json the synchronous path answers).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Response, status

from dispatch.access import require_plan_writer
from dispatch.plan_jobs import queue_plan, read_plan_job, send_plan_job
from models import JobStatus
from service.api.dispatch_plans import PlanCreate, plan_options
from service.http.dependencies import PrincipalDep, SessionDep, SessionFactoryDep, SettingsDep
from service.http.schemas import PROBLEM_RESPONSES, DatabaseId, ReadModel
from service.worker import plan_job_queue

router = APIRouter(tags=["dispatch"], responses=PROBLEM_RESPONSES)

JOBS = "/api/v1/dispatch/plan-jobs"


class PlanJobRead(ReadModel):
    id: int
    status: JobStatus
    progress: float
    plan_id: int | None
    error: dict[str, Any] | None
    attempts: int
    requested_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@router.post(
    "/dispatch/plan-jobs",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Queue a day's plan: solved by a worker; follow the job for the draft",
)
def create_plan_job(
    body: PlanCreate,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    response: Response,
    background: BackgroundTasks,
) -> PlanJobRead:
    require_plan_writer(principal)
    job = queue_plan(
        session=session,
        options=plan_options(body, settings),
        principal=principal,
        most_unfinished=settings.max_unfinished_jobs,
    )
    # Sent after the response, so after the request's session is committed: a worker
    # never looks for a job row that is not there yet.
    queue = plan_job_queue(settings, session_factory)
    background.add_task(send_plan_job, queue, session_factory, job.id)
    response.headers["Location"] = f"{JOBS}/{job.id}"
    return PlanJobRead.model_validate(job)


@router.get("/dispatch/plan-jobs/{job_id}", summary="Follow a plan job")
def read_job(job_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> PlanJobRead:
    return PlanJobRead.model_validate(
        read_plan_job(session=session, principal=principal, job_id=job_id)
    )
