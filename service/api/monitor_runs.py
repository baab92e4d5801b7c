"""Monitor runs: start one now, and read what every run did."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Query, Request, Response, status
from pydantic import Field
from sqlalchemy.orm import Session

from core.database import SessionFactory
from models import MonitorRun, RunStatus
from monitors.queries import runs
from monitors.running.runs import run_monitor_now, start_monitor_run
from service.configuration import monitor_config
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)
from service.worker import part_queue

router = APIRouter(prefix="/monitor", tags=["monitor"], responses=PROBLEM_RESPONSES)


BusinessDay = date  # the field below is called "date"; keep the type reachable


class RunRequest(StrictModel):
    date: Annotated[BusinessDay | None, Field(description="Business day (default: today)")] = None


class RunPartsRead(ReadModel):
    total: Annotated[int, Field(description="Parts (whole districts) the run was split into")]
    done: Annotated[int, Field(description="Parts a worker has finished")]
    attempts: Annotated[
        int, Field(description="Times parts were started: above `total` when a worker was lost")
    ]


class RunRead(ReadModel):
    id: int
    business_date: date
    trigger: str
    requested_by: str | None
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    counts: dict[str, Any]
    error: str | None
    parts: Annotated[
        RunPartsRead | None,
        Field(description="Progress of a run fanned out over workers (null: one process)"),
    ] = None


def _with_parts(session: Session, found: list[MonitorRun]) -> list[RunRead]:
    """The runs as read, each with its parts' progress when it was fanned out."""
    progress = runs.run_parts(session=session, run_ids=[run.id for run in found])
    return [
        RunRead.model_validate(run).model_copy(
            update={
                "parts": RunPartsRead.model_validate(progress[run.id])
                if run.id in progress
                else None
            }
        )
        for run in found
    ]


RUNS = "/api/v1/monitor/runs"
RESPOND_ASYNC = "respond-async"
"""The ``Prefer`` token (RFC 7240) asking for the run to go on after the answer."""


def _prefers_async(prefer: str | None) -> bool:
    tokens = (token.split(";")[0].strip().lower() for token in (prefer or "").split(","))
    return RESPOND_ASYNC in tokens


@router.post(
    "/runs",
    status_code=status.HTTP_201_CREATED,
    summary="Run the monitor now for a business day",
    description=(
        "Answers 201 with the run's record once it is over: status `succeeded`, `failed` "
        "(with the error; the previous results are kept) or `skipped` (another run was in "
        "progress). With `Prefer: respond-async` it answers 202 at once with the record "
        "still `running` and its `Location`, and the run goes on (fanned out over the "
        "workers when a broker is set): follow it there, part by part."
    ),
    responses={202: {"description": "The run was started; follow it at `Location`"}},
)
def start_run(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: RunRequest | None = None,
    prefer: Annotated[
        str | None,
        Header(description="`respond-async`: answer 202 at once and run in the background"),
    ] = None,
) -> RunRead:
    session.close()  # the run opens its own transactions; hold no connection meanwhile
    factory: SessionFactory = request.app.state.session_factory
    arguments: dict[str, Any] = {
        "session_factory": factory,
        "config": monitor_config(settings),
        "principal": principal,
        "most_unfinished": settings.max_unfinished_jobs,
        "business_date": body.date if body else None,
        "queue": part_queue(settings),
    }
    if not _prefers_async(prefer):
        return RunRead.model_validate(run_monitor_now(**arguments))
    run, work = start_monitor_run(**arguments)
    background.add_task(work)
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"{RUNS}/{run.id}"
    response.headers["Preference-Applied"] = RESPOND_ASYNC
    return RunRead.model_validate(run)


@router.get("/runs", summary="Monitor runs, newest first")
def list_runs(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    status_: Annotated[RunStatus | None, Query(alias="status")] = None,
    business_date: date | None = None,
) -> Page[RunRead]:
    found = runs.list_runs(
        session=session,
        principal=principal,
        status=status_,
        business_date=business_date,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=_with_parts(session, found.items),
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/runs/{run_id}", summary="One monitor run")
def read_run(run_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> RunRead:
    (run,) = _with_parts(
        session, [runs.read_run(session=session, principal=principal, run_id=run_id)]
    )
    return run
