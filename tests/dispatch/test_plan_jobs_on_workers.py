"""A plan job queued through the API is solved by a real `supplywatch worker` on RabbitMQ:
the web process only writes the job row and sends its id; the worker writes the draft.

Skipped, saying so, where this machine has no RabbitMQ."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.database import create_database_engine, create_session_factory
from models import DispatchPlan, JobStatus, PlanJob, Role
from service.app import create_app
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import make_key
from tests.task_queue import (
    BROKER_SKIP_REASON,
    BROKER_URL,
    fresh_queue,
    running_workers,
    wait_until,
)

pytestmark = pytest.mark.skipif(BROKER_SKIP_REASON is not None, reason=BROKER_SKIP_REASON or "")

DAY = PLAN_DAY
FINISHED = ("succeeded", "failed")


def test_a_worker_solves_the_queued_plan(
    backend: str,
    empty_database_url: Callable[[str], str],
    settings: Settings,
    tmp_path: Path,
) -> None:
    url = empty_database_url(backend)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with factory() as session:
        requests = make_city(session, day=DAY, trucks=[1000, 1500], loads=[150, 300, 220])
        dispatcher = make_key(session, Role.dispatcher)
        session.commit()
    queue = fresh_queue()
    on_broker = settings.model_copy(
        update={"database_url": url, "broker_url": BROKER_URL, "task_queue": queue}
    )
    with (
        running_workers(url, queue, tmp_path) as workers,
        TestClient(create_app(on_broker)) as client,
    ):
        queued = client.post(
            "/api/v1/dispatch/plan-jobs",
            json={"date": DAY.isoformat(), "time_limit_s": 1},
            headers=dispatcher,
        )
        assert queued.status_code == 202, queued.text
        assert queued.json()["status"] == "queued"
        location = queued.headers["location"]

        def finished() -> bool:
            return client.get(location, headers=dispatcher).json()["status"] in FINISHED

        wait_until(finished, seconds=90, what="the worker to finish the plan job")
        job = client.get(location, headers=dispatcher).json()
        assert job["status"] == "succeeded", (job, workers[0].output())
        assert job["attempts"] == 1 and job["progress"] == 1
    with factory() as session:
        stored = session.get_one(PlanJob, job["id"])
        assert stored.status is JobStatus.succeeded
        plans = session.scalars(select(DispatchPlan)).all()
        assert [plan.id for plan in plans] == [job["plan_id"]]
        assert plans[0].created_by == stored.requested_by
        assert len(plans[0].truck_ids) == 2 and len(requests) == 3
    engine.dispose()
