"""The dispatcher's "plan the day" queues a job: the page shows its progress, polled every
second, opens the draft when it is ready and says why in the reader's language when the
day cannot be planned."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch.plan_jobs import queue_plan, run_plan_job
from dispatch.planning import PlanOptions
from models import DispatchPlan, PlanJob, Role, Truck, TruckStatus
from tests.dispatch.factories import PLAN_DAY, make_city, make_planner
from tests.service.web.helpers import csrf, make_person, sign_in

DAY = PLAN_DAY
ZH = {"Accept-Language": "zh-CN"}
HTMX = {"HX-Request": "true"}


def _queued(session: Session) -> int:
    job = queue_plan(
        session=session,
        options=PlanOptions(plan_date=DAY, time_limit_s=1),
        principal=make_planner(session),
        most_unfinished=5,
    )
    session.commit()
    return job.id


def test_the_plan_form_queues_a_job_and_lands_on_the_draft(
    client: TestClient, session: Session
) -> None:
    make_city(session, day=DAY, trucks=[1000, 1000], loads=[150, 300, 220])
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    board = client.get(f"/dispatch?day={DAY}")
    assert 'action="/dispatch/plan-jobs"' in board.text
    response = client.post(
        "/dispatch/plan-jobs",
        data={"csrf_token": csrf(client, "/dispatch"), "day": DAY.isoformat(), "time_limit_s": "1"},
    )
    job = session.scalars(select(PlanJob)).one()
    plan = session.scalars(select(DispatchPlan)).one()
    assert job.plan_id == plan.id and job.requested_by == plan.created_by
    assert [step.headers["location"] for step in response.history] == [
        f"/dispatch/plan-jobs/{job.id}",
        f"/dispatch/plans/{plan.id}",
    ]
    assert response.status_code == 200 and 'id="plan-summary"' in response.text


def test_the_progress_panel_polls_until_the_draft_is_ready(
    client: TestClient, session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150, 220])
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    job_id = _queued(session)
    page = client.get(f"/dispatch/plan-jobs/{job_id}")
    assert page.status_code == 200
    assert 'hx-trigger="every 1s"' in page.text and 'id="plan-job-progress"' in page.text
    assert "Waiting for a planner to start" in page.text
    run_plan_job(session_factory, job_id)
    panel = client.get(f"/dispatch/plan-jobs/{job_id}/panel", headers=HTMX)
    plan_id = session.scalars(select(DispatchPlan.id)).one()
    assert panel.headers["HX-Redirect"] == f"/dispatch/plans/{plan_id}"
    assert "hx-trigger" not in panel.text and f'href="/dispatch/plans/{plan_id}"' in panel.text


def test_a_failed_job_says_why_in_chinese_and_stops_polling(
    client: TestClient, session: Session, session_factory: sessionmaker[Session]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    job_id = _queued(session)
    for truck in session.scalars(select(Truck)):
        truck.status = TruckStatus.out_of_service
    session.commit()
    run_plan_job(session_factory, job_id)
    zh = client.get(f"/dispatch/plan-jobs/{job_id}", headers=ZH)
    assert zh.status_code == 200
    assert "当天无法规划：没有可用车辆可供规划" in zh.text
    assert "hx-trigger" not in zh.text
    en = client.get(f"/dispatch/plan-jobs/{job_id}/panel", headers=HTMX)
    assert "The day could not be planned: no available truck to plan with" in en.text


def test_a_day_without_trucks_is_refused_on_the_board_and_nothing_is_queued(
    client: TestClient, session: Session
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    for truck in session.scalars(select(Truck)):
        truck.status = TruckStatus.out_of_service
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    response = client.post(
        "/dispatch/plan-jobs",
        data={"csrf_token": csrf(client, "/dispatch"), "day": DAY.isoformat(), "time_limit_s": "1"},
        headers=ZH,
    )
    assert response.status_code == 422
    assert "没有可用车辆可供规划" in response.text
    assert session.scalars(select(PlanJob)).all() == []


def test_a_time_limit_below_one_second_shows_the_form_again_naming_the_time_limit(
    client: TestClient, session: Session
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    for language, said in (
        ("en", "Time limit (seconds): Enter 1 or more"),
        ("zh", "求解时限（秒）：必须大于或等于 1"),
    ):
        refused = client.post(
            "/dispatch/plan-jobs",
            data={
                "csrf_token": csrf(client, "/dispatch"),
                "day": DAY.isoformat(),
                "time_limit_s": "0.5",
            },
            headers={"Accept-Language": language},
        )
        assert refused.status_code == 422
        assert 'action="/dispatch/plan-jobs"' in refused.text  # the form, not the error page
        assert f'id="time-limit-problem">{said}</span>' in refused.text
        assert 'value="0.5" aria-invalid="true"' in refused.text
        assert "time_limit_s" not in refused.text.replace('name="time_limit_s"', "")
    assert session.scalars(select(PlanJob)).first() is None
