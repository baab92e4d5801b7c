"""Monitor runs: start one now, and read what every run did."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from pydantic import Field
from sqlalchemy import select

from core.access import require_role
from core.database import SessionFactory
from core.errors import InvalidInput, NotFound
from core.lookups import page
from models import MonitorRun, Role, RunStatus
from monitors.running.runs import MonitorRunFailed, run_monitor
from service.configuration import business_today, monitor_config
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
from service.http.schemas import (
    PROBLEM_RESPONSES,
    DatabaseId,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/monitor", tags=["monitor"], responses=PROBLEM_RESPONSES)


BusinessDay = date  # the field below is called "date"; keep the type reachable


class RunRequest(StrictModel):
    date: Annotated[BusinessDay | None, Field(description="Business day (default: today)")] = None


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


@router.post(
    "/runs",
    status_code=status.HTTP_201_CREATED,
    summary="Run the monitor now (synchronously) for a business day",
    description=(
        "Answers 201 with the run's record: status `succeeded`, `failed` (with the error; "
        "the previous results are kept) or `skipped` (another run was in progress)."
    ),
)
def start_run(
    body: RunRequest,
    request: Request,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> RunRead:
    require_role(principal, Role.bureau)
    today = business_today(settings)
    business_date = body.date or today
    if business_date > today:
        raise InvalidInput(
            "the business day is in the future",
            errors=[{"loc": ["body", "date"], "msg": f"after today ({today.isoformat()})"}],
        )
    session.close()  # the run opens its own transactions; hold no connection meanwhile
    factory: SessionFactory = request.app.state.session_factory
    try:
        run = run_monitor(
            factory=factory,
            business_date=business_date,
            config=monitor_config(settings),
            trigger="api",
            requested_by=principal.label,
        )
    except MonitorRunFailed:
        with factory() as reader:
            failed = reader.scalars(
                select(MonitorRun).order_by(MonitorRun.id.desc()).limit(1)
            ).one()
            return RunRead.model_validate(failed)
    return RunRead.model_validate(run)


@router.get("/runs", summary="Monitor runs, newest first")
def list_runs(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    status_: Annotated[RunStatus | None, Query(alias="status")] = None,
    business_date: date | None = None,
) -> Page[RunRead]:
    require_role(principal, Role.bureau)
    query = select(MonitorRun).order_by(MonitorRun.id.desc())
    if status_ is not None:
        query = query.where(MonitorRun.status == status_)
    if business_date is not None:
        query = query.where(MonitorRun.business_date == business_date)
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
    return Page(
        items=[RunRead.model_validate(row[0]) for row in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/runs/{run_id}", summary="One monitor run")
def read_run(run_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> RunRead:
    require_role(principal, Role.bureau)
    run = session.get(MonitorRun, run_id)
    if run is None:
        raise NotFound(f"monitor run {run_id} not found")
    return RunRead.model_validate(run)
