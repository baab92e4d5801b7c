"""One key or person may have only a few jobs queued or running at a time (bulk report
files, pass PDFs, plan solves, monitor runs it started), every kind together: a script
queueing them without end would keep the workers from everyone else's. One more is
refused with 429 and ``Retry-After``, naming the limit, and writes nothing; once one of
its jobs ends the caller may queue again, and other callers are never held back. The
pages say so in the reader's language. On PostgreSQL, jobs sent all at once are counted
exactly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.access import Principal
from core.database import create_database_engine, create_session_factory, session_scope
from core.errors import TooManyRequests
from core.job_allowance import long_work_in_request
from models import (
    BackgroundJob,
    DailyReport,
    DispatchPlan,
    JobKind,
    JobStatus,
    MonitorRun,
    PlanJob,
    Role,
    RunStatus,
    User,
)
from models.base import utc_now
from reports.upload_jobs import run_report_upload
from service.configuration import ingest_limits, report_rules
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.conftest import PostgresDatabases
from tests.dispatch.factories import PLAN_DAY, make_city, make_compound, make_request
from tests.factories import business_today, make_key, make_product, make_store
from tests.servers import running_server
from tests.service.web.helpers import csrf, make_person, sign_in

UPLOADS = "/api/v1/reports/bulk-jobs"
PLAN_JOBS = "/api/v1/dispatch/plan-jobs"
PLANS = "/api/v1/dispatch/plans"
RUNS = "/api/v1/monitor/runs"
ASYNC = {"Prefer": "respond-async"}
HEADER = "store,date,product,stock,sales,price,received,unit"
ALLOWANCE = 5
"""The default: ``SUPPLYWATCH_MAX_UNFINISHED_JOBS``."""
ENGLISH = (
    "already has 5 jobs queued or running, and may have at most 5 at a time; wait for one "
    "to end, then submit again"
)
CHINESE = "已有 5 个作业在排队或运行，同一时间最多只能有 5 个；请等其中一个结束后再提交"


@pytest.fixture(autouse=True)
def held(monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs and runs wait where they were queued, as on a busy broker: nothing ends them."""
    monkeypatch.setattr("service.worker.InProcessJobs.send_job", lambda *_, **__: None)
    monkeypatch.setattr("service.worker.InProcessPlanJobs.send_plan_job", lambda *_, **__: None)
    monkeypatch.setattr("monitors.running.runs._carried_out", lambda *_, **__: None)


def _file(store: str) -> dict[str, Any]:
    text = f"{HEADER}\n{store},{business_today().isoformat()},pork,10,2,14.5,,\n"
    return {"file": ("reports.csv", text.encode(), "text/csv")}


def _count(session: Session, table: type[Any]) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _assert_refused(answer: Any) -> None:
    """A 429 problem naming the limit, with a time to come back."""
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "60"
    body = answer.json()
    assert body["type"].endswith("/too-many-requests") and body["status"] == 429
    assert ENGLISH in body["detail"]
    assert body["limit"] == ALLOWANCE and body["unfinished"] == ALLOWANCE


def _plan_committed(client: TestClient, session: Session, headers: dict[str, str]) -> int:
    make_city(session, day=PLAN_DAY, trucks=[300, 300], loads=[250, 250])
    session.commit()
    plan = client.post(
        PLANS, json={"date": PLAN_DAY.isoformat(), "time_limit_s": 1}, headers=headers
    )
    assert plan.status_code == 201, plan.text
    plan_id: int = plan.json()["id"]
    committed = client.post(
        f"{PLANS}/{plan_id}/commit", json={"expected_version": 1}, headers=headers
    )
    assert committed.status_code == 200, committed.text
    return plan_id


def test_a_chain_key_queues_its_allowance_of_report_files_then_waits_for_one_to_end(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    store = make_store(session, code="PDS-0001")
    other = make_store(session, code="PDS-0002")
    make_product(session, code="pork", category="meat")
    till = make_key(session, Role.store, store=store)
    neighbour = make_key(session, Role.store, store=other)
    session.commit()
    assert settings.max_unfinished_jobs == ALLOWANCE

    queued = [client.post(UPLOADS, files=_file("PDS-0001"), headers=till) for _ in range(5)]
    assert [answer.status_code for answer in queued] == [202] * ALLOWANCE
    _assert_refused(client.post(UPLOADS, files=_file("PDS-0001"), headers=till))
    assert _count(session, BackgroundJob) == ALLOWANCE

    # Another caller is not held back by this one's queue.
    assert client.post(UPLOADS, files=_file("PDS-0002"), headers=neighbour).status_code == 202

    first = queued[0].json()["id"]
    ended = run_report_upload(
        session_factory, first, rules=report_rules(settings), limits=ingest_limits(settings)
    )
    assert ended is JobStatus.succeeded
    assert client.post(UPLOADS, files=_file("PDS-0001"), headers=till).status_code == 202
    _assert_refused(client.post(UPLOADS, files=_file("PDS-0001"), headers=till))


def test_a_dispatcher_queues_its_allowance_of_plan_solves_and_no_more(
    client: TestClient, session: Session
) -> None:
    make_city(session, day=PLAN_DAY, trucks=[1000], loads=[150, 220])
    dispatcher = make_key(session, Role.dispatcher)
    session.commit()
    body = {"date": PLAN_DAY.isoformat(), "time_limit_s": 1}
    answers = [client.post(PLAN_JOBS, json=body, headers=dispatcher) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [202] * ALLOWANCE
    _assert_refused(client.post(PLAN_JOBS, json=body, headers=dispatcher))
    assert _count(session, PlanJob) == ALLOWANCE


def test_a_dispatcher_queues_its_allowance_of_pass_pdfs_and_no_more(
    client: TestClient, session: Session
) -> None:
    dispatcher = make_key(session, Role.dispatcher)
    plan_id = _plan_committed(client, session, dispatcher)
    pdf_jobs = f"{PLANS}/{plan_id}/passes/pdf-jobs"
    answers = [client.post(pdf_jobs, headers=dispatcher) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [202] * ALLOWANCE
    _assert_refused(client.post(pdf_jobs, headers=dispatcher))
    assert _count(session, BackgroundJob) == ALLOWANCE


def test_the_bureau_starts_its_allowance_of_background_monitor_runs_and_no_more(
    client: TestClient, session: Session
) -> None:
    bureau = make_key(session, Role.bureau)
    other_bureau = make_key(session, Role.bureau)
    session.commit()
    answers = [client.post(RUNS, headers={**bureau, **ASYNC}) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [202] * ALLOWANCE
    _assert_refused(client.post(RUNS, headers={**bureau, **ASYNC}))
    _assert_refused(client.post(RUNS, headers=bureau))  # a run in the request is one more too
    assert _count(session, MonitorRun) == ALLOWANCE
    assert client.post(RUNS, headers={**other_bureau, **ASYNC}).status_code == 202

    session.execute(update(MonitorRun).values(status=RunStatus.failed))
    session.commit()
    assert client.post(RUNS, headers={**bureau, **ASYNC}).status_code == 202


def test_every_kind_of_job_counts_towards_one_allowance(
    client: TestClient, session: Session
) -> None:
    admin = make_key(session, Role.admin)
    make_store(session, code="PDS-0001")
    make_product(session, code="pork", category="meat")
    plan_id = _plan_committed(client, session, admin)
    next_day = PLAN_DAY + timedelta(days=1)  # the first day's requests are all planned
    make_request(session, compound=make_compound(session), delivery_date=next_day, kg=150)
    session.commit()
    body = {"date": next_day.isoformat(), "time_limit_s": 1}
    answers = [
        client.post(UPLOADS, files=_file("PDS-0001"), headers=admin),
        client.post(UPLOADS, files=_file("PDS-0001"), headers=admin),
        client.post(PLAN_JOBS, json=body, headers=admin),
        client.post(f"{PLANS}/{plan_id}/passes/pdf-jobs", headers=admin),
        client.post(RUNS, headers={**admin, **ASYNC}),
    ]
    assert [answer.status_code for answer in answers] == [202] * ALLOWANCE
    for refused in (
        client.post(UPLOADS, files=_file("PDS-0001"), headers=admin),
        client.post(PLAN_JOBS, json=body, headers=admin),
        client.post(f"{PLANS}/{plan_id}/passes/pdf-jobs", headers=admin),
        client.post(RUNS, headers={**admin, **ASYNC}),
    ):
        _assert_refused(refused)
    assert _count(session, BackgroundJob) == 3
    assert _count(session, PlanJob) == 1 and _count(session, MonitorRun) == 1


LANGUAGES = [({}, ENGLISH), ({"Accept-Language": "zh-CN"}, CHINESE)]


def _refused_page(answer: Any, message: str) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert message in answer.text


@pytest.mark.parametrize(("language", "message"), LANGUAGES)
def test_the_dispatch_board_says_why_a_sixth_plan_is_not_queued(
    client: TestClient, session: Session, language: dict[str, str], message: str
) -> None:
    make_city(session, day=PLAN_DAY, trucks=[1000], loads=[150, 220])
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    form = {"csrf_token": csrf(client, "/dispatch"), "day": PLAN_DAY.isoformat()}
    for _ in range(5):
        queued = client.post("/dispatch/plan-jobs", data=form, follow_redirects=False)
        assert queued.status_code == 303, queued.text
    _refused_page(client.post("/dispatch/plan-jobs", data=form, headers=language), message)
    assert _count(session, PlanJob) == ALLOWANCE


@pytest.mark.parametrize(("language", "message"), LANGUAGES)
def test_the_manifests_page_says_why_a_sixth_passes_pdf_is_not_queued(
    client: TestClient, session: Session, language: dict[str, str], message: str
) -> None:
    plan_id = _plan_committed(client, session, make_key(session, Role.dispatcher))
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    form = {"csrf_token": csrf(client, f"/dispatch/plans/{plan_id}/manifests")}
    action = f"/dispatch/plans/{plan_id}/passes-jobs"
    for _ in range(5):
        assert client.post(action, data=form, follow_redirects=False).status_code == 303
    _refused_page(client.post(action, data=form, headers=language), message)
    assert _count(session, BackgroundJob) == ALLOWANCE


@pytest.mark.parametrize(("language", "message"), LANGUAGES)
def test_the_dashboard_says_why_a_sixth_monitor_run_is_not_started(
    client: TestClient, session: Session, language: dict[str, str], message: str
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    form = {"csrf_token": csrf(client, "/dashboard")}
    for _ in range(5):
        assert (
            client.post("/dashboard/monitor", data=form, follow_redirects=False).status_code == 303
        )
    _refused_page(client.post("/dashboard/monitor", data=form, headers=language), message)
    assert _count(session, MonitorRun) == ALLOWANCE


@pytest.mark.postgres
def test_twenty_files_sent_at_once_by_one_key_stop_at_the_allowance(
    postgres_databases: PostgresDatabases,
) -> None:
    url = postgres_databases.create("job_allowance")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        store = make_store(session, code="PDS-0001")
        make_product(session, code="pork", category="meat")
        till = make_key(session, Role.store, store=store)
    settings = Settings(
        database_url=url, log_json=False, log_level="WARNING", max_unfinished_jobs=3
    )
    with running_server(settings) as base_url:

        def upload(_: int) -> int:
            with httpx.Client(timeout=60) as client:
                answer = client.post(f"{base_url}{UPLOADS}", files=_file("PDS-0001"), headers=till)
                return answer.status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(upload, range(20)))
    with session_scope(factory) as session:
        queued = _count(session, BackgroundJob)
    engine.dispose()
    assert sorted(set(answers)) == [202, 429], answers
    assert answers.count(202) == 3 == queued


def test_a_dispatcher_at_its_allowance_cannot_solve_a_plan_in_the_request_instead(
    client: TestClient, session: Session
) -> None:
    """A solve run inside the request holds a web thread as long as a queued one holds a
    worker: a caller with its allowance queued cannot go round it with ``POST /plans``,
    nor re-plan a breakdown in its request, and nothing is written."""
    make_city(session, day=PLAN_DAY, trucks=[1000], loads=[150, 220])
    dispatcher = make_key(session, Role.dispatcher)
    colleague = make_key(session, Role.dispatcher)
    session.commit()
    body = {"date": PLAN_DAY.isoformat(), "time_limit_s": 1}
    for _ in range(ALLOWANCE):
        assert client.post(PLAN_JOBS, json=body, headers=dispatcher).status_code == 202
    _assert_refused(client.post(PLANS, json=body, headers=dispatcher))
    _assert_refused(client.post("/api/v1/trucks/T-1/breakdown", json={}, headers=dispatcher))
    assert _count(session, DispatchPlan) == 0
    # another caller solves in its request as before
    assert client.post(PLANS, json=body, headers=colleague).status_code == 201


def test_a_dispatcher_at_its_allowance_cannot_print_a_plans_passes_in_the_request_instead(
    client: TestClient, session: Session
) -> None:
    """The API prints a plan's passes in its request (``GET .../passes/pdf``, a page per
    truck) as the manifests page does: with its allowance of PDF jobs queued, a caller
    cannot loop on the API's print instead; another caller prints as before."""
    dispatcher = make_key(session, Role.dispatcher)
    colleague = make_key(session, Role.dispatcher)
    plan_id = _plan_committed(client, session, dispatcher)
    for _ in range(ALLOWANCE):
        assert (
            client.post(f"{PLANS}/{plan_id}/passes/pdf-jobs", headers=dispatcher).status_code == 202
        )
    _assert_refused(client.get(f"{PLANS}/{plan_id}/passes/pdf", headers=dispatcher))
    printed = client.get(f"{PLANS}/{plan_id}/passes/pdf", headers=colleague)
    assert printed.status_code == 200, printed.text
    assert printed.content.startswith(b"%PDF")


def test_a_chain_key_at_its_allowance_cannot_upload_a_file_in_the_request_instead(
    client: TestClient, session: Session
) -> None:
    store = make_store(session, code="PDS-0001")
    make_product(session, code="pork", category="meat")
    till = make_key(session, Role.store, store=store)
    session.commit()
    for _ in range(ALLOWANCE):
        assert client.post(UPLOADS, files=_file("PDS-0001"), headers=till).status_code == 202
    _assert_refused(client.post("/api/v1/reports/bulk", files=_file("PDS-0001"), headers=till))
    assert _count(session, DailyReport) == 0


@pytest.mark.parametrize(("language", "message"), LANGUAGES)
def test_the_store_page_says_why_a_file_is_not_read_while_its_allowance_is_queued(
    client: TestClient, session: Session, language: dict[str, str], message: str
) -> None:
    store = make_store(session, code="PDS-0001")
    make_product(session, code="pork", category="meat")
    password = make_person(session, "shop", Role.store, store=store)
    for _ in range(ALLOWANCE):
        session.add(
            BackgroundJob(
                kind=JobKind.report_upload,
                status=JobStatus.queued,
                submitted_by=f"user:{_user_id(session, 'shop')}:shop",
                principal={},
                params={},
                done=0,
                attempts=0,
                created_at=utc_now(),
            )
        )
    session.commit()
    sign_in(client, "shop", password)
    form = {"csrf_token": csrf(client, "/store/PDS-0001")}
    answer = client.post(
        "/store/PDS-0001/upload", data=form, files=_file("PDS-0001"), headers=language
    )
    _refused_page(answer, message)
    assert _count(session, DailyReport) == 0


def _user_id(session: Session, username: str) -> int:
    return int(session.scalars(select(User.id).where(User.username == username)).one())


def test_long_work_in_requests_counts_towards_the_allowance_while_it_runs(
    session: Session,
) -> None:
    """Work inside a request holds a place until it ends; another caller is not held back."""
    one = Principal("key", 101, "one", Role.dispatcher)
    other = Principal("key", 102, "other", Role.dispatcher)
    with long_work_in_request(session, principal=one, most_unfinished=2):
        with long_work_in_request(session, principal=one, most_unfinished=2):
            with pytest.raises(TooManyRequests) as refused:
                with long_work_in_request(session, principal=one, most_unfinished=2):
                    pass
            assert refused.value.extra == {"limit": 2, "unfinished": 2}
            with long_work_in_request(session, principal=other, most_unfinished=2):
                pass
    with long_work_in_request(session, principal=one, most_unfinished=1):
        pass  # every place was given back, refused one included
