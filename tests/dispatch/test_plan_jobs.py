"""A plan job is solved once however often it is delivered, reports the solver's progress,
and records the synchronous path's problem when the day cannot be planned any more."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.errors import InvalidInput
from core.text import phrase, stored_text, text_json
from dispatch import solver
from dispatch.plan_jobs import (
    QUEUE_DOWN,
    options_json,
    options_of,
    queue_plan,
    run_plan_job,
    send_plan_job,
)
from dispatch.plan_rows import MatrixUpload
from dispatch.planning import PlanOptions
from models import DispatchPlan, JobStatus, PlanJob, Truck, TruckStatus
from tests.dispatch.factories import PLAN_DAY, make_city, make_planner

DAY = PLAN_DAY


def _queued(session: Session, time_limit_s: float = 1) -> int:
    job = queue_plan(
        session=session,
        options=PlanOptions(plan_date=DAY, time_limit_s=time_limit_s),
        principal=make_planner(session),
        most_unfinished=5,
    )
    session.commit()
    return job.id


def test_a_job_delivered_twice_is_solved_once(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_city(session, day=DAY, trucks=[1000, 1000], loads=[150, 300, 220])
    job_id = _queued(session)
    assert run_plan_job(session_factory, job_id) is JobStatus.succeeded
    assert run_plan_job(session_factory, job_id) is JobStatus.succeeded
    session.expire_all()
    job = session.get_one(PlanJob, job_id)
    assert job.attempts == 1 and job.progress == 1 and job.plan_id is not None
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 1
    assert run_plan_job(session_factory, 999_999) is None


def test_the_job_hears_the_solvers_progress(
    session: Session, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_city(session, day=DAY, trucks=[1000, 1000], loads=[150, 300, 220, 80, 400])
    job_id = _queued(session, time_limit_s=2)
    monkeypatch.setattr(solver, "PROGRESS_EVERY_S", 0.2)
    seen: list[float] = []
    real = solver._progress_ticker

    def watching(limit: float, report: object) -> object:
        def recorded(share: float) -> None:
            report(share)  # type: ignore[operator]
            with session_factory() as reader:
                seen.append(reader.get_one(PlanJob, job_id).progress)

        return real(limit, recorded)

    monkeypatch.setattr(solver, "_progress_ticker", watching)
    assert run_plan_job(session_factory, job_id) is JobStatus.succeeded
    assert seen, "the solver never reported progress"
    assert all(0 < share < 1 for share in seen) and seen == sorted(seen)


def test_a_day_that_lost_its_trucks_after_queuing_fails_with_the_sync_paths_problem(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    job_id = _queued(session)
    for truck in session.scalars(select(Truck)):
        truck.status = TruckStatus.out_of_service
    session.commit()
    assert run_plan_job(session_factory, job_id) is JobStatus.failed
    session.expire_all()
    job = session.get_one(PlanJob, job_id)
    assert job.error is not None and job.error_text is not None and job.plan_id is None
    assert job.error["status"] == 422 and job.error["detail"] == "no available truck to plan with"
    assert [error["loc"] for error in job.error["errors"]] == [["body", "trucks"]]
    assert stored_text(job.error_text) == phrase("no available truck to plan with")
    assert run_plan_job(session_factory, job_id) is JobStatus.failed  # final: not retried


def test_bad_options_are_refused_before_anything_is_written(session: Session) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    with pytest.raises(InvalidInput) as refused:
        queue_plan(
            session=session,
            options=PlanOptions(plan_date=DAY, request_ids=[987654]),
            principal=make_planner(session),
            most_unfinished=5,
        )
    assert refused.value.errors is not None
    assert refused.value.errors[0]["loc"] == ["body", "request_ids", 0]
    assert session.scalar(select(func.count()).select_from(PlanJob)) == 0


def test_options_and_texts_survive_the_row() -> None:
    options = PlanOptions(
        plan_date=DAY,
        request_ids=[3, 1],
        truck_plates=["T-1"],
        time_limit_s=4.5,
        service_s=300,
        matrix=MatrixUpload(["A", "B"], [[0, 1], [1, 0]], None),
        note="n",
    )
    assert options_of(options_json(options)) == options
    nested = phrase("{earlier}; {later}", earlier=phrase("day {day}", day=DAY), later="x")
    assert stored_text(text_json(nested)).render() == nested.render()


class _BrokerDown:
    def send_plan_job(self, *, job_id: int) -> None:
        raise ConnectionRefusedError("broker down")


def test_a_job_the_queue_cannot_take_fails_instead_of_waiting_for_ever(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    job_id = _queued(session)
    send_plan_job(_BrokerDown(), session_factory, job_id)
    session.expire_all()
    job = session.get_one(PlanJob, job_id)
    assert job.status is JobStatus.failed and job.error is not None
    assert job.error["status"] == 503 and job.error["detail"] == QUEUE_DOWN
