"""A dispatcher has a plan's passes printed in the background from the manifests page: the
job page shows how many passes are rendered, polled every second, and offers the PDF when
it is ready; it says why in the reader's language when they cannot be printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models import BackgroundJob, Role
from service.settings import Settings
from service.worker import run_background_job
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import make_key
from tests.pdfs import pdf_pages, require_cjk_font
from tests.service.web.helpers import csrf, make_person, sign_in

DAY = PLAN_DAY
ZH = {"Accept-Language": "zh-CN"}
HTMX = {"HX-Request": "true"}
PLANS = "/api/v1/dispatch/plans"


@pytest.fixture(autouse=True)
def cjk_font() -> Path:
    return require_cjk_font()


@pytest.fixture
def plan_id(client: TestClient, session: Session) -> int:
    """A committed plan of two trucks, each with its pass."""
    dispatcher = make_key(session, Role.dispatcher)
    make_city(session, day=DAY, trucks=[300, 300], loads=[250, 250])
    session.commit()
    plan = client.post(PLANS, json={"date": DAY.isoformat(), "time_limit_s": 1}, headers=dispatcher)
    committed = client.post(
        f"{PLANS}/{plan.json()['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    result: int = plan.json()["id"]
    return result


class HeldJobs:
    """A queue that only remembers what it was sent: the job waits, as on a busy broker."""

    def __init__(self) -> None:
        self.sent: list[int] = []

    def send_job(self, **job: Any) -> None:
        self.sent.append(job["job_id"])


def _queue_from_manifests(client: TestClient, plan_id: int) -> Any:
    manifests = f"/dispatch/plans/{plan_id}/manifests"
    assert f'action="/dispatch/plans/{plan_id}/passes-jobs"' in client.get(manifests).text
    return client.post(
        f"/dispatch/plans/{plan_id}/passes-jobs", data={"csrf_token": csrf(client, manifests)}
    )


def test_dispatcher_queues_the_plans_passes_and_downloads_the_pdf_from_the_job_page(
    client: TestClient, session: Session, plan_id: int
) -> None:
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    page = _queue_from_manifests(client, plan_id)
    job = session.scalars(select(BackgroundJob)).one()
    assert [step.headers["location"] for step in page.history] == [
        f"/dispatch/pass-pdf-jobs/{job.id}"
    ]
    assert page.status_code == 200 and "The passes are printed." in page.text
    assert "hx-trigger" not in page.text
    link = f'href="/dispatch/pass-pdf-jobs/{job.id}/passes.pdf"'
    assert link in page.text
    printed = client.get(f"/dispatch/pass-pdf-jobs/{job.id}/passes.pdf")
    assert printed.status_code == 200 and printed.headers["content-type"] == "application/pdf"
    pages = pdf_pages(printed.content)
    assert len(pages) == 2 and all(f"调度计划 {plan_id}" in text for text in pages)


def test_the_progress_panel_polls_until_the_pdf_is_ready(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    plan_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = HeldJobs()
    monkeypatch.setattr("service.web.pass_print_jobs.job_queue", lambda *_: held)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    waiting = _queue_from_manifests(client, plan_id)
    (job_id,) = held.sent
    assert 'hx-trigger="every 1s"' in waiting.text and 'id="pass-pdf-job-progress"' in waiting.text
    assert "Waiting for a worker to start" in waiting.text
    assert "/passes.pdf" not in waiting.text
    job = session.get_one(BackgroundJob, job_id)
    run_background_job(settings, session_factory, job.kind, job_id)
    panel = client.get(f"/dispatch/pass-pdf-jobs/{job_id}/panel", headers={**ZH, **HTMX})
    assert "hx-trigger" not in panel.text and "通行证已打印完成" in panel.text
    assert f'href="/dispatch/pass-pdf-jobs/{job_id}/passes.pdf"' in panel.text


def test_a_job_that_cannot_print_says_why_in_chinese_and_another_dispatcher_sees_nothing(
    client: TestClient,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    plan_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    held = HeldJobs()
    monkeypatch.setattr("service.web.pass_print_jobs.job_queue", lambda *_: held)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    _queue_from_manifests(client, plan_id)
    (job_id,) = held.sent
    broken = settings.model_copy(update={"pdf_font_file": Path("/nonexistent/font.ttc")})
    run_background_job(broken, session_factory, session.get_one(BackgroundJob, job_id).kind, job_id)
    zh = client.get(f"/dispatch/pass-pdf-jobs/{job_id}", headers=ZH)
    assert zh.status_code == 200 and "通行证无法打印" in zh.text
    en = client.get(f"/dispatch/pass-pdf-jobs/{job_id}/panel", headers=HTMX)
    assert "The passes could not be printed: " in en.text and "SUPPLYWATCH_PDF_FONT_FILE" in en.text
    assert "hx-trigger" not in zh.text
    assert client.get(f"/dispatch/pass-pdf-jobs/{job_id}/passes.pdf").status_code == 409
    sign_in(client, "ops2", make_person(session, "ops2", Role.dispatcher))
    assert client.get(f"/dispatch/pass-pdf-jobs/{job_id}").status_code == 404
