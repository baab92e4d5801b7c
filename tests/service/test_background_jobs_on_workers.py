"""Background jobs queued through the API are run by a real `supplywatch worker` on
RabbitMQ: the web process only writes the job row (with the uploaded file) and sends its
id; the worker stores the file's lines, or prints the plan's passes into the row.

Skipped, saying so, where this machine has no RabbitMQ."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core.database import create_database_engine, create_session_factory
from models import BackgroundJob, DailyReport, JobStatus, Role
from service.app import create_app
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import business_today, make_enterprise, make_key, make_product, make_store
from tests.pdfs import pdf_pages, require_cjk_font
from tests.task_queue import (
    BROKER_SKIP_REASON,
    BROKER_URL,
    fresh_queue,
    running_workers,
    wait_until,
)

pytestmark = pytest.mark.skipif(BROKER_SKIP_REASON is not None, reason=BROKER_SKIP_REASON or "")

FINISHED = ("succeeded", "failed")
DAY = PLAN_DAY


def test_a_worker_stores_a_queued_upload_and_prints_a_plans_passes(
    backend: str,
    empty_database_url: Callable[[str], str],
    settings: Settings,
    tmp_path: Path,
) -> None:
    require_cjk_font()
    url = empty_database_url(backend)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with factory() as session:
        chain = make_enterprise(session, code="CH-01")
        make_store(session, code="A-1", enterprise=chain)
        make_product(session, code="pork", category="meat")
        store = make_key(session, Role.store, enterprise=chain)
        make_city(session, day=DAY, trucks=[300, 300], loads=[250, 250])
        dispatcher = make_key(session, Role.dispatcher)
        session.commit()
    queue = fresh_queue()
    on_broker = settings.model_copy(
        update={"database_url": url, "broker_url": BROKER_URL, "task_queue": queue}
    )
    today = business_today().isoformat()
    upload = f"store,date,product,stock,sales,price\nA-1,{today},pork,100,20,14.8\n"
    with (
        running_workers(url, queue, tmp_path) as workers,
        TestClient(create_app(on_broker)) as client,
    ):
        plan = client.post(
            "/api/v1/dispatch/plans",
            json={"date": DAY.isoformat(), "time_limit_s": 1},
            headers=dispatcher,
        ).json()
        committed = client.post(
            f"/api/v1/dispatch/plans/{plan['id']}/commit",
            json={"expected_version": 1},
            headers=dispatcher,
        )
        assert committed.status_code == 200, committed.text
        queued_upload = client.post(
            "/api/v1/reports/bulk-jobs",
            files={"file": ("reports.csv", upload.encode(), "text/csv")},
            headers=store,
        )
        queued_pdf = client.post(
            f"/api/v1/dispatch/plans/{plan['id']}/passes/pdf-jobs", headers=dispatcher
        )
        assert queued_upload.status_code == queued_pdf.status_code == 202

        def finished() -> bool:
            return all(
                client.get(queued.headers["location"], headers=headers).json()["status"] in FINISHED
                for queued, headers in ((queued_upload, store), (queued_pdf, dispatcher))
            )

        wait_until(finished, seconds=120, what="the worker to finish both jobs")
        stored = client.get(queued_upload.headers["location"], headers=store).json()
        assert stored["status"] == "succeeded", (stored, workers[0].output())
        assert stored["result"] == {"rows": 1, "inserted": 1, "updated": 0, "unchanged": 0}
        assert stored["attempts"] == 1 and stored["done"] == stored["total"] == 1
        printed = client.get(queued_pdf.headers["location"], headers=dispatcher).json()
        assert printed["status"] == "succeeded", (printed, workers[0].output())
        assert printed["done"] == printed["total"] == 2
        pdf = client.get(printed["download"], headers=dispatcher)
        assert len(pdf_pages(pdf.content)) == 2
    with factory() as session:
        jobs = session.scalars(select(BackgroundJob).order_by(BackgroundJob.id)).all()
        assert [job.status for job in jobs] == [JobStatus.succeeded] * 2
        assert session.scalar(select(func.count()).select_from(DailyReport)) == 1
    engine.dispose()
