"""A job a client got its 202 for is never left queued or running for ever: when the
process carrying it stops (a web process restarted, a worker machine lost), the scheduler
finds the job silent and runs it again, once in effect, and gives it up with a problem
its submitter reads after it was started too often. A monitor run left running by a
stopped process is closed as interrupted by the next run, so its page stops waiting."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch.plan_jobs import queue_plan
from dispatch.planning import PlanOptions
from models import (
    BackgroundJob,
    DailyReport,
    DispatchPlan,
    Enterprise,
    JobStatus,
    MonitorRun,
    PlanJob,
    Role,
    RunStatus,
)
from models.base import utc_now
from monitors.running.runs import INTERRUPTED_RUN, MonitorConfig, run_monitor
from service.app import create_app
from service.scheduling import Recovery, recover_interrupted_jobs
from service.settings import Settings
from tests.dispatch.factories import PLAN_DAY, make_city, make_planner
from tests.factories import business_today, make_enterprise, make_key, make_product, make_store
from tests.scrape import scrape_metrics

JOBS = "/api/v1/reports/bulk-jobs"
HEADER = "store,date,product,stock,sales,price,received,unit"
LINES = 2
"""Report lines in the file left behind: all of them stored, none twice."""


class LostJobs:
    """A queue whose message is lost with the process that held it: nothing runs."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send_job(self, **job: Any) -> None:
        self.sent.append(job["job_id"])


@pytest.fixture
def chain_key(session: Session) -> dict[str, str]:
    chain = make_enterprise(session, code="CH-01")
    make_store(session, code="A-1", enterprise=chain)
    make_product(session, code="pork", category="meat")
    make_product(session, code="rice", category="grain")
    session.commit()
    owner = session.scalars(select(Enterprise).where(Enterprise.code == "CH-01")).one()
    return make_key(session, Role.store, enterprise=owner)


@pytest.fixture
def left_behind(
    client: TestClient, chain_key: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> int:
    """A bulk file accepted (202) whose process stopped before running it."""
    key = chain_key
    lost = LostJobs()
    monkeypatch.setattr("service.api.background_jobs.job_queue", lambda *_: lost)
    day = business_today().isoformat()
    text = "\n".join([HEADER, f"A-1,{day},pork,100,20,14.8,,", f"A-1,{day},rice,50,5,5.8,,"])
    queued = client.post(JOBS, files={"file": ("r.csv", text.encode(), "text/csv")}, headers=key)
    assert queued.status_code == 202, queued.text
    monkeypatch.undo()
    assert lost.sent == [queued.json()["id"]]
    return int(queued.json()["id"])


def _silent(session: Session, table: type[BackgroundJob] | type[PlanJob], **values: Any) -> None:
    """The jobs last showed life an hour ago (their process stopped then)."""
    hour_ago = utc_now() - timedelta(hours=1)
    session.execute(
        update(table).values(created_at=hour_ago, started_at=hour_ago, heartbeat_at=hour_ago)
    )
    if values:
        session.execute(update(table).values(**values))
    session.commit()


Sweep = Callable[..., Recovery]


@pytest.fixture
def sweep(settings: Settings, session_factory: sessionmaker[Session]) -> Sweep:
    """The scheduler's sweep for interrupted jobs, waited for to its end."""

    def swept(**options: Any) -> Recovery:
        return _finished(recover_interrupted_jobs(settings, session_factory, **options))

    return swept


def _finished(recovery: Recovery) -> Recovery:
    """Wait for the jobs sent again (no broker: a thread of this process) to end."""
    if recovery.sending is not None:
        recovery.sending.join(timeout=120)
        assert not recovery.sending.is_alive()
    return recovery


def _reports(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(DailyReport)) or 0)


def test_an_upload_whose_process_stopped_before_running_it_is_stored_by_the_next_sweep(
    client: TestClient, session: Session, chain_key: dict[str, str], left_behind: int, sweep: Sweep
) -> None:
    job_id = left_behind
    # Still within the silence the scheduler allows: the job may yet be running.
    assert sweep().counts == {
        "jobs_sent_again": 0,
        "plan_jobs_sent_again": 0,
        "jobs_given_up": 0,
        "plan_jobs_given_up": 0,
    }
    assert _reports(session) == 0
    _silent(session, BackgroundJob)
    recovery = sweep()
    assert recovery.counts["jobs_sent_again"] == 1
    followed = client.get(f"{JOBS}/{job_id}", headers=chain_key).json()
    assert followed["status"] == "succeeded", followed
    assert _reports(session) == LINES


def test_a_job_that_died_mid_run_runs_again_and_its_lines_are_stored_once(
    session: Session, left_behind: int, sweep: Sweep
) -> None:
    job_id = left_behind
    # Its process had claimed it and stopped halfway (nothing of a job's work is kept
    # before the job ends: its lines go in with its end, in one transaction).
    _silent(session, BackgroundJob, status=JobStatus.running, attempts=1, done=1, total=2)
    sweep()
    sweep(silent_since=utc_now())
    session.expire_all()
    job = session.get_one(BackgroundJob, job_id)
    assert (job.status, job.attempts, job.input) == (JobStatus.succeeded, 2, None)
    assert _reports(session) == LINES


def test_a_job_interrupted_too_often_fails_with_a_problem_its_submitter_reads(
    client: TestClient,
    session: Session,
    settings: Settings,
    chain_key: dict[str, str],
    left_behind: int,
    sweep: Sweep,
) -> None:
    job_id = left_behind
    _silent(session, BackgroundJob, status=JobStatus.running, attempts=settings.job_max_attempts)
    recovery = sweep()
    assert recovery.counts["jobs_given_up"] == 1 and recovery.sending is None
    followed = client.get(f"{JOBS}/{job_id}", headers=chain_key).json()
    assert followed["status"] == "failed"
    assert followed["error"]["type"].endswith("job-interrupted")
    assert f"interrupted {settings.job_max_attempts} times" in followed["error"]["detail"]
    session.expire_all()
    assert session.get_one(BackgroundJob, job_id).input is None and _reports(session) == 0


def test_a_plan_job_whose_solver_stopped_is_solved_again_into_one_draft(
    session: Session, sweep: Sweep
) -> None:
    make_city(session, day=PLAN_DAY, trucks=[1000, 1000], loads=[150, 300, 220])
    job = queue_plan(
        session=session,
        options=PlanOptions(plan_date=PLAN_DAY, time_limit_s=1),
        principal=make_planner(session),
        most_unfinished=5,
    )
    session.commit()
    _silent(session, PlanJob, status=JobStatus.running, attempts=1, progress=0.4)
    recovery = sweep()
    assert recovery.counts["plan_jobs_sent_again"] == 1
    session.expire_all()
    solved = session.get_one(PlanJob, job.id)
    assert (solved.status, solved.attempts) == (JobStatus.succeeded, 2)
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 1


def test_the_only_web_process_runs_the_jobs_its_predecessor_left_when_it_starts(
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    left_behind: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    job_id = left_behind
    started = []
    real = recover_interrupted_jobs

    def recorded(*args: Any, **kwargs: Any) -> Recovery:
        started.append(real(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr("service.app.recover_interrupted_jobs", recorded)
    monkeypatch.setattr("service.app.build_scheduler", _NoScheduler)
    restarted = settings.model_copy(update={"scheduler_in_process": True, "broker_url": None})
    with TestClient(create_app(restarted, session_factory=session_factory)):
        assert len(started) == 1
        _finished(started[0])
    session.expire_all()
    assert session.get_one(BackgroundJob, job_id).status is JobStatus.succeeded
    assert _reports(session) == LINES


class _NoScheduler:
    """Stands for the scheduler the restarted process would start: this test is about
    what happens before it."""

    def __init__(self, *_: Any) -> None:
        pass

    def start_thread(self) -> tuple[None, threading.Event]:
        return None, threading.Event()


def test_a_run_left_running_by_a_stopped_process_is_closed_by_the_next_run(
    client: TestClient, session: Session, session_factory: sessionmaker[Session]
) -> None:
    bureau = make_key(session, Role.bureau)
    day = business_today()
    left = MonitorRun(
        business_date=day,
        trigger="scheduler",
        status=RunStatus.running,
        started_at=utc_now() - timedelta(hours=2),
        counts={},
    )
    just_opened = MonitorRun(
        business_date=day,
        trigger="api",
        status=RunStatus.running,
        started_at=utc_now(),
        counts={},
    )
    session.add_all([left, just_opened])
    session.commit()
    run = run_monitor(
        factory=session_factory,
        business_date=day,
        config=MonitorConfig(),
        trigger="scheduler",
    )
    assert run.status is RunStatus.succeeded
    session.expire_all()
    closed = session.get_one(MonitorRun, left.id)
    assert (closed.status, closed.error) == (RunStatus.failed, INTERRUPTED_RUN)
    assert closed.finished_at is not None
    # A run opened moments ago by another process is on its way to the guard: kept.
    assert session.get_one(MonitorRun, just_opened.id).status is RunStatus.running
    followed = client.get(f"/api/v1/monitor/runs/{left.id}", headers=bureau).json()
    assert followed["status"] == "failed" and "interrupted" in followed["error"]


def test_a_scraper_sees_a_silent_job_until_it_is_run_again(
    client: TestClient, session: Session, left_behind: int, sweep: Sweep
) -> None:
    _silent(session, BackgroundJob)
    waiting = scrape_metrics(client)
    assert 'supplywatch_jobs{kind="report_upload",status="queued"} 1.0' in waiting
    assert 'supplywatch_jobs{kind="plan",status="queued"} 0.0' in waiting
    (silence,) = [
        float(line.rsplit(" ", 1)[1])
        for line in waiting.splitlines()
        if line.startswith('supplywatch_jobs_silent_seconds{kind="report_upload"}')
    ]
    assert 3_500 < silence < 7_200  # an hour silent (the clock moved on a little)
    sweep()
    after = scrape_metrics(client)
    assert 'supplywatch_jobs{kind="report_upload",status="succeeded"} 1.0' in after
    assert "supplywatch_jobs_silent_seconds{" not in after
