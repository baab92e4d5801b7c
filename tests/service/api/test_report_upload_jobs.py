"""A store (or a chain's IT system) queues a big CSV or XLSX upload instead of waiting on
it, and follows the job until its lines are stored, all of them, or the job names the bad
row and column and stored none. The file is in the database when the 202 is sent.

Without a broker (these tests) the job runs in the web process after the response (a
background task), so the job reads back finished on the next request."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import BackgroundJob, DailyReport, Enterprise, JobStatus, ReportRevision, Role, Store
from reports.upload_jobs import run_report_upload
from service.app import create_app
from service.configuration import ingest_limits, report_rules
from service.settings import Settings
from tests.factories import business_today, make_enterprise, make_key, make_product, make_store

BULK = "/api/v1/reports/bulk"
JOBS = "/api/v1/reports/bulk-jobs"
HEADER = "store,date,product,stock,sales,price,received,unit"


@pytest.fixture
def city(session: Session) -> None:
    chain = make_enterprise(session, code="CH-01")
    make_store(session, code="A-1", enterprise=chain)
    make_store(session, code="A-2", enterprise=chain)
    make_store(session, code="B-1")
    make_product(session, code="pork", category="meat")
    make_product(session, code="rice", category="grain")
    session.commit()


def _store_key(session: Session, code: str) -> dict[str, str]:
    store = session.scalars(select(Store).where(Store.code == code)).one()
    return make_key(session, Role.store, store=store)


def _chain_key(session: Session) -> dict[str, str]:
    chain = session.scalars(select(Enterprise).where(Enterprise.code == "CH-01")).one()
    return make_key(session, Role.store, enterprise=chain)


def csv_file(*rows: str) -> dict[str, Any]:
    text = "\n".join([HEADER, *rows]) + "\n"
    return {"file": ("reports.csv", text.encode(), "text/csv")}


def today() -> str:
    return business_today().isoformat()


def count(session: Session, model: Any = DailyReport) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def without_instance(problem: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in problem.items() if name != "instance"}


@pytest.mark.usefixtures("city")
def test_store_bulk_upload_queued_is_written_when_the_job_succeeds(
    client: TestClient, session: Session
) -> None:
    chain = _chain_key(session)
    rows = [
        f"A-1,{today()},pork,100,20,14.8,10,kg",
        f"A-1,{today()},rice,500,50,5.8,,",
        f"A-2,{today()},pork,200,30,7.4,0,jin",
    ]
    queued = client.post(JOBS, files=csv_file(*rows), headers=chain)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["status"] == "queued" and job["kind"] == "report_upload"
    assert job["done"] == 0 and job["result"] is None
    assert queued.headers["location"] == f"{JOBS}/{job['id']}"

    done = client.get(queued.headers["location"], headers=chain)
    assert done.status_code == 200, done.text
    finished = done.json()
    assert finished["status"] == "succeeded", finished
    assert finished["result"] == {"rows": 3, "inserted": 3, "updated": 0, "unchanged": 0}
    assert finished["done"] == finished["total"] == 3 and finished["progress"] == 1
    assert finished["error"] is None and finished["attempts"] == 1
    assert count(session) == 3
    a2 = client.get(f"/api/v1/stores/A-2/reports/{today()}", headers=chain).json()
    assert a2["lines"][0]["stock"] == 100  # 200 jin
    assert a2["lines"][0]["submitted_by"] == finished["submitted_by"]
    # The synchronous endpoint answers the same body for the same file: now all unchanged.
    again = client.post(BULK, files=csv_file(*rows), headers=chain)
    assert again.json() == {"rows": 3, "inserted": 0, "updated": 0, "unchanged": 3}


@pytest.mark.usefixtures("city")
def test_bad_row_in_queued_upload_fails_the_job_naming_row_and_column_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    chain = _chain_key(session)
    bad = csv_file(
        f"A-1,{today()},pork,100,20,14.8,,",
        f"A-1,{today()},rice,lots,20,5.8,,",
        f"A-2,{today()},caviar,1,1,1,,",
    )
    synchronous = client.post(BULK, files=bad, headers=chain)
    assert synchronous.status_code == 422
    queued = client.post(JOBS, files=bad, headers=chain)
    assert queued.status_code == 202, queued.text
    job = client.get(queued.headers["location"], headers=chain).json()
    assert job["status"] == "failed" and job["result"] is None
    assert job["error"] == without_instance(synchronous.json())
    cells = {(error["row"], error["column"]) for error in job["error"]["errors"]}
    assert cells == {(3, "stock"), (4, "product")}
    assert job["error"]["status"] == 422
    assert count(session) == 0 and count(session, ReportRevision) == 0


@pytest.mark.usefixtures("city")
def test_store_cannot_upload_another_stores_rows_through_a_job(
    client: TestClient, session: Session
) -> None:
    chain = _chain_key(session)
    rows = csv_file(f"A-1,{today()},pork,1,1,1,,", f"B-1,{today()},pork,1,1,1,,")
    synchronous = client.post(BULK, files=rows, headers=chain)
    assert synchronous.status_code == 403
    queued = client.post(JOBS, files=rows, headers=chain)
    job = client.get(queued.headers["location"], headers=chain).json()
    assert job["status"] == "failed"
    assert job["error"] == without_instance(synchronous.json())
    assert job["error"]["errors"][0]["msg"] == "not allowed to post for store 'B-1'"
    assert count(session) == 0


@pytest.mark.usefixtures("city")
def test_store_cannot_follow_another_stores_upload_job(
    client: TestClient, session: Session
) -> None:
    a1 = _store_key(session, "A-1")
    b1 = _store_key(session, "B-1")
    bureau = make_key(session, Role.bureau)
    queued = client.post(JOBS, files=csv_file(f"A-1,{today()},pork,1,1,1,,"), headers=a1)
    location = queued.headers["location"]
    assert client.get(location, headers=a1).json()["status"] == "succeeded"
    for other in (b1, bureau):
        hidden = client.get(location, headers=other)
        assert hidden.status_code == 404, hidden.text
        assert hidden.json()["detail"] == f"job {queued.json()['id']} not found"
    assert client.get(f"{JOBS}/999999", headers=a1).status_code == 404


@pytest.mark.usefixtures("city")
def test_a_driver_key_cannot_queue_an_upload_and_nothing_is_kept(
    client: TestClient, session: Session
) -> None:
    driver = make_key(session, Role.driver)
    refused = client.post(JOBS, files=csv_file(f"A-1,{today()},pork,1,1,1,,"), headers=driver)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert count(session, BackgroundJob) == 0


class HeldJobs:
    """A queue that only remembers what it was sent: the job waits, as on a busy broker."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send_job(self, **job: Any) -> None:
        self.sent.append(job["job_id"])


@pytest.mark.usefixtures("city")
def test_an_accepted_file_is_kept_until_a_worker_runs_it_once_however_often_delivered(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = HeldJobs()
    monkeypatch.setattr("service.api.background_jobs.job_queue", lambda *_: held)
    chain = _chain_key(session)
    rows = csv_file(f"A-1,{today()},pork,100,20,14.8,,", f"A-2,{today()},rice,5,1,5.8,,")
    queued = client.post(JOBS, files=rows, headers=chain)
    job_id = queued.json()["id"]
    assert held.sent == [job_id]
    waiting = client.get(queued.headers["location"], headers=chain).json()
    assert waiting["status"] == "queued" and count(session) == 0
    stored = session.get_one(BackgroundJob, job_id)
    assert stored.input == rows["file"][1]
    session.expire_all()

    def deliver() -> JobStatus | None:
        return run_report_upload(
            session_factory, job_id, rules=report_rules(settings), limits=ingest_limits(settings)
        )

    assert deliver() is JobStatus.succeeded
    assert deliver() is JobStatus.succeeded  # delivered twice: run once
    finished = client.get(queued.headers["location"], headers=chain).json()
    assert finished["attempts"] == 1
    assert finished["result"] == {"rows": 2, "inserted": 2, "updated": 0, "unchanged": 0}
    assert count(session) == 2 and count(session, ReportRevision) == 0
    session.expire_all()
    assert session.get_one(BackgroundJob, job_id).input is None


@pytest.mark.usefixtures("city")
def test_a_queued_upload_has_the_upload_size_limit_not_the_body_limit(
    client: TestClient, session: Session, settings: Settings
) -> None:
    chain = _chain_key(session)
    rows = [f"A-1,{today()},pork,{stock},20,14.8,,kg" for stock in range(100)]
    big = csv_file(*rows[:1])
    big["file"] = ("reports.csv", big["file"][1] + b"\n" * 3000, "text/csv")
    limited = settings.model_copy(update={"max_body_bytes": 1000, "max_upload_bytes": 5000})
    app = create_app(limited, session_factory=client.app.state.session_factory)  # type: ignore[attr-defined]
    with TestClient(app) as small_client:
        queued = small_client.post(JOBS, files=big, headers=chain)
        assert queued.status_code == 202, queued.text
        huge = csv_file(*rows)
        huge["file"] = ("reports.csv", huge["file"][1] * 3, "text/csv")
        assert small_client.post(JOBS, files=huge, headers=chain).status_code == 413
    assert count(session, BackgroundJob) == 1
