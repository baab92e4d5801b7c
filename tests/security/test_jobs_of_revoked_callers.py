"""A queued job runs with its submitter's rights as they stand when it runs: a key revoked
(a stolen till key, found out) or a person deactivated while the job waits on a busy
broker, or across a restart that runs the jobs left behind, must not still write the
figures it sent. The job fails, saying why, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from dispatch.plan_jobs import run_plan_job
from models import ApiKey, DailyReport, DispatchPlan, JobStatus, PlanJob, Role, User
from reports.upload_jobs import run_report_upload
from service.configuration import ingest_limits, report_rules
from service.settings import Settings
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import business_today, make_key, make_product, make_store
from tests.service.web.helpers import make_person

JOBS = "/api/v1/reports/bulk-jobs"
HEADER = "store,date,product,stock,sales,price,received,unit"


class HeldJobs:
    """A queue that only remembers what it was sent: the job waits, as on a busy broker."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send_job(self, **job: Any) -> None:
        self.sent.append(job["job_id"])

    def send_plan_job(self, **job: Any) -> None:
        self.sent.append(job["job_id"])


def _file(store: str) -> dict[str, Any]:
    text = f"{HEADER}\n{store},{business_today().isoformat()},pork,0,0,99.9,,\n"
    return {"file": ("reports.csv", text.encode(), "text/csv")}


def _reports(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(DailyReport)) or 0)


@pytest.mark.parametrize("caller", ["key", "user"])
def test_a_revoked_key_or_deactivated_person_cannot_write_through_a_job_still_queued(
    caller: str,
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = HeldJobs()
    monkeypatch.setattr("service.api.background_jobs.job_queue", lambda *_: held)
    store = make_store(session, code="PDS-0001")
    make_product(session, code="pork", category="meat")
    if caller == "key":
        headers = make_key(session, Role.store, store=store)
    else:
        make_person(session, "till.wu", Role.store, store=store)
        signed_in = client.post(
            "/api/v1/auth/login", json={"username": "till.wu", "password": "till.wu-password"}
        )
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    session.commit()

    queued = client.post(JOBS, files=_file(store.code), headers=headers)
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]
    assert held.sent == [job_id]

    if caller == "key":
        session.execute(update(ApiKey).values(active=False))
    else:
        session.execute(update(User).where(User.username == "till.wu").values(active=False))
    session.commit()

    ran = run_report_upload(
        session_factory, job_id, rules=report_rules(settings), limits=ingest_limits(settings)
    )
    assert ran is JobStatus.failed
    assert _reports(session) == 0


@pytest.mark.parametrize("caller", ["key", "user"])
def test_a_revoked_dispatcher_key_or_deactivated_person_gets_no_draft_from_a_plan_job_still_queued(
    caller: str,
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Plan jobs kept only the submitter's label and were solved whatever became of it: a
    # dispatcher's key found stolen and revoked still had its queued plans written.
    held = HeldJobs()
    monkeypatch.setattr("service.api.dispatch_plan_jobs.plan_job_queue", lambda *_: held)
    make_city(session, day=PLAN_DAY, trucks=[1000], loads=[150, 220])
    if caller == "key":
        headers = make_key(session, Role.dispatcher)
    else:
        make_person(session, "ops.li", Role.dispatcher)
        signed_in = client.post(
            "/api/v1/auth/login", json={"username": "ops.li", "password": "ops.li-password"}
        )
        headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    session.commit()

    body = {"date": PLAN_DAY.isoformat(), "time_limit_s": 1}
    queued = client.post("/api/v1/dispatch/plan-jobs", json=body, headers=headers)
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]
    assert held.sent == [job_id]

    if caller == "key":
        session.execute(update(ApiKey).values(active=False))
    else:
        session.execute(update(User).where(User.username == "ops.li").values(active=False))
    session.commit()

    assert run_plan_job(session_factory, job_id) is JobStatus.failed
    session.expire_all()
    job = session.get_one(PlanJob, job_id)
    assert job.error is not None and job.error["status"] == 401
    assert "revoked or deactivated before it ran" in job.error["detail"]
    assert session.scalar(select(func.count()).select_from(DispatchPlan)) == 0
