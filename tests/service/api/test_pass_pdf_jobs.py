"""A dispatcher has a committed plan's passes printed by a job instead of waiting on the
PDF, follows it (passes rendered of all), and downloads the PDF from the finished job;
a plan with no passes yet is refused before anything is queued, and only the dispatcher
who queued the job may follow or download it.

Without a broker (these tests) the job runs in the web process after the response."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import BackgroundJob, Role
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import make_enterprise, make_key
from tests.pdfs import pdf_images, pdf_pages, require_cjk_font

PLANS = "/api/v1/dispatch/plans"
JOBS = "/api/v1/dispatch/pass-pdf-jobs"
DAY = PLAN_DAY


@pytest.fixture(autouse=True)
def cjk_font() -> Path:
    return require_cjk_font()


@pytest.fixture
def dispatcher(session: Session) -> dict[str, str]:
    return make_key(session, Role.dispatcher)


def plan_of_two_trucks(
    client: TestClient, session: Session, dispatcher: dict[str, str], *, commit: bool = True
) -> int:
    make_city(session, day=DAY, trucks=[300, 300], loads=[250, 250])
    session.commit()
    plan = client.post(PLANS, json={"date": DAY.isoformat(), "time_limit_s": 1}, headers=dispatcher)
    assert plan.status_code == 201, plan.text
    plan_id: int = plan.json()["id"]
    if commit:
        committed = client.post(
            f"{PLANS}/{plan_id}/commit", json={"expected_version": 1}, headers=dispatcher
        )
        assert committed.status_code == 200, committed.text
    return plan_id


def queue(client: TestClient, headers: dict[str, str], plan_id: int) -> Any:
    return client.post(f"{PLANS}/{plan_id}/passes/pdf-jobs", headers=headers)


def jobs(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(BackgroundJob)) or 0)


def test_dispatcher_downloads_plan_passes_pdf_from_a_finished_job(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    plan_id = plan_of_two_trucks(client, session, dispatcher)
    queued = queue(client, dispatcher, plan_id)
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["status"] == "queued" and job["kind"] == "plan_passes_pdf"
    assert job["download"] is None
    assert queued.headers["location"] == f"{JOBS}/{job['id']}"

    finished = client.get(queued.headers["location"], headers=dispatcher).json()
    assert finished["status"] == "succeeded", finished
    assert finished["done"] == finished["total"] == 2 and finished["progress"] == 1
    assert finished["download"] == f"{JOBS}/{job['id']}/pdf"
    printed = client.get(finished["download"], headers=dispatcher)
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf"
    assert f'filename="plan-{plan_id}-passes.pdf"' in printed.headers["content-disposition"]
    pages = pdf_pages(printed.content)
    assert len(pages) == 2 and pdf_images(printed.content) == 2
    for page, plate in zip(pages, ["T-1", "T-2"], strict=True):
        assert f"调度计划 {plan_id}" in page and plate in page
    # The direct endpoint prints the same pages.
    direct = client.get(f"{PLANS}/{plan_id}/passes/pdf", headers=dispatcher)
    assert pdf_pages(direct.content) == pages


def test_a_plan_without_passes_is_refused_before_anything_is_queued(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    draft = plan_of_two_trucks(client, session, dispatcher, commit=False)
    refused = queue(client, dispatcher, draft)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "is not committed" in refused.json()["detail"]
    assert queue(client, dispatcher, 999999).status_code == 404
    assert jobs(session) == 0


def test_only_the_dispatcher_who_queued_the_job_follows_and_downloads_it(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    plan_id = plan_of_two_trucks(client, session, dispatcher)
    other = make_key(session, Role.dispatcher)
    store = make_key(session, Role.store, enterprise=make_enterprise(session))
    session.commit()
    assert queue(client, store, plan_id).status_code == 403
    job = queue(client, dispatcher, plan_id).json()
    for path in (f"{JOBS}/{job['id']}", f"{JOBS}/{job['id']}/pdf"):
        assert client.get(path, headers=other).status_code == 404
        assert client.get(path, headers=store).status_code == 403
        assert client.get(path, headers=dispatcher).status_code == 200


class HeldJobs:
    """A queue that only remembers what it was sent: the job waits, as on a busy broker."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send_job(self, **job: Any) -> None:
        self.sent.append(job["job_id"])


def test_the_pdf_is_not_offered_before_the_job_has_ended(
    client: TestClient,
    session: Session,
    dispatcher: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan_id = plan_of_two_trucks(client, session, dispatcher)
    monkeypatch.setattr("service.api.background_jobs.job_queue", lambda *_: HeldJobs())
    job = queue(client, dispatcher, plan_id).json()
    waiting = client.get(f"{JOBS}/{job['id']}", headers=dispatcher).json()
    assert waiting["status"] == "queued" and waiting["download"] is None
    early = client.get(f"{JOBS}/{job['id']}/pdf", headers=dispatcher)
    assert early.status_code == 409
    assert early.json()["detail"] == f"job {job['id']} has no file to download: it is queued"
