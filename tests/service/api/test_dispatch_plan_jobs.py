"""A dispatcher queues a day's plan and follows the job until it names its draft; bad
options are refused before anything is queued, and only national plan writers queue.

Without a broker (these tests) the job is solved in the web process after the response
(a background task), so the job reads back finished on the next request."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Compound, Depot, DispatchPlan, PlanJob, Region, Role, Truck, TruckStatus
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import make_key, make_region, make_store

DAY = PLAN_DAY
JOBS = "/api/v1/dispatch/plan-jobs"


@pytest.fixture
def dispatcher(session: Session) -> dict[str, str]:
    return make_key(session, Role.dispatcher)


def _queue(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    body.setdefault("date", DAY.isoformat())
    body.setdefault("time_limit_s", 1)
    return client.post(JOBS, json=body, headers=headers)


def _count(session: Session, table: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_dispatcher_queues_a_plan_and_reads_the_job_back_done_with_its_draft(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000, 1500], loads=[150, 300, 220, 80])
    session.commit()
    queued = _queue(client, dispatcher, note="morning run")
    assert queued.status_code == 202, queued.text
    job = queued.json()
    assert job["status"] == "queued" and job["progress"] == 0 and job["plan_id"] is None
    assert queued.headers["location"] == f"{JOBS}/{job['id']}"

    done = client.get(queued.headers["location"], headers=dispatcher)
    assert done.status_code == 200, done.text
    finished = done.json()
    assert finished["status"] == "succeeded", finished
    assert finished["progress"] == 1 and finished["attempts"] == 1 and finished["error"] is None
    assert finished["started_at"] and finished["finished_at"]
    plan = client.get(f"/api/v1/dispatch/plans/{finished['plan_id']}", headers=dispatcher).json()
    assert plan["status"] == "draft" and plan["note"] == "morning run"
    assert plan["totals"]["requests_served"] == len(requests)
    assert plan["created_by"] == finished["requested_by"]


def test_a_day_without_trucks_is_refused_before_anything_is_queued(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    for truck in session.scalars(select(Truck)):
        truck.status = TruckStatus.out_of_service
    session.commit()
    refused = _queue(client, dispatcher)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["detail"] == "no available truck to plan with"
    assert [error["loc"] for error in body["errors"]] == [["body", "trucks"]]
    unknown = _queue(client, dispatcher, trucks=["NOPE-1"])
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["body", "trucks", 0]
    too_long = _queue(client, dispatcher, time_limit_s=601)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["loc"] == ["body", "time_limit_s"]
    assert _count(session, PlanJob) == 0 and _count(session, DispatchPlan) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"trucks": ["ZA\x00001"]}, ["body", "trucks"]),
        (
            {"distance_matrix": {"locations": ["DEPOT\x00"], "distance_m": [[0]]}},
            ["body", "distance_matrix", "locations"],
        ),
    ],
)
def test_a_nul_character_in_a_plate_or_a_matrix_location_is_refused_naming_the_field(
    client: TestClient,
    session: Session,
    dispatcher: dict[str, str],
    body: dict[str, Any],
    field: list[str],
) -> None:
    # PostgreSQL cannot compare or store text with a NUL: a plate carrying one answered
    # 500 there, and a matrix location carrying one was queued (its row unstorable).
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    session.commit()
    for path in (JOBS, "/api/v1/dispatch/plans"):
        refused = (
            _queue(client, dispatcher, **body)
            if path == JOBS
            else client.post(
                path, json={"date": DAY.isoformat(), "time_limit_s": 1, **body}, headers=dispatcher
            )
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        (error,) = refused.json()["errors"]
        assert error["loc"] == field and "must not contain a NUL character" in error["msg"]
    assert _count(session, PlanJob) == 0 and _count(session, DispatchPlan) == 0


@pytest.mark.parametrize(
    ("matrix", "field", "detail"),
    [
        (
            {"locations": ["SOMEWHERE"], "distance_m": [[0]]},
            ["body", "distance_matrix", "locations"],
            "the matrix has no row for",
        ),
        (
            {"locations": ["A", "A"], "distance_m": [[0, 1], [1, 0]]},
            ["body", "distance_matrix", "locations"],
            "location codes must be unique",
        ),
    ],
)
def test_a_distance_matrix_that_cannot_route_the_day_is_refused_before_anything_is_queued(
    client: TestClient,
    session: Session,
    dispatcher: dict[str, str],
    matrix: dict[str, Any],
    field: list[str],
    detail: str,
) -> None:
    # The synchronous path refused these at once; the job path queued them, and the
    # dispatcher learnt of the mistake only when the job failed (a slot of the allowance
    # held meanwhile).
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    session.commit()
    refused = _queue(client, dispatcher, distance_matrix=matrix)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    (error,) = refused.json()["errors"]
    assert error["loc"] == field and detail in error["msg"]
    assert _count(session, PlanJob) == 0 and _count(session, DispatchPlan) == 0


def test_a_distance_matrix_of_the_wrong_shape_is_refused_before_anything_is_queued(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    session.commit()
    codes = [row.code for row in session.scalars(select(Depot))] + [
        row.code for row in session.scalars(select(Compound))
    ]
    refused = _queue(client, dispatcher, distance_matrix={"locations": codes, "distance_m": [[0]]})
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert error["loc"] == ["body", "distance_matrix", "distance_m"]
    assert _count(session, PlanJob) == 0


def test_a_store_key_cannot_queue_nor_read_plan_jobs(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150])
    store = make_key(session, Role.store, store=make_store(session))
    session.commit()
    refused = _queue(client, store)
    assert refused.status_code == 403, refused.text
    assert _count(session, PlanJob) == 0
    job = _queue(client, dispatcher).json()
    assert client.get(f"{JOBS}/{job['id']}", headers=store).status_code == 403


def test_staff_bound_to_a_region_neither_queue_nor_see_jobs_reaching_outside_it(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    requests = make_city(session, day=DAY, trucks=[1000], loads=[150])
    home = session.get_one(Region, session.get_one(Compound, requests[0].compound_id).region_id)
    elsewhere = make_region(session, code="ELSEWHERE")
    local = make_key(session, Role.admin, region=home)
    bureau_home = make_key(session, Role.bureau, region=home)
    bureau_away = make_key(session, Role.bureau, region=elsewhere)
    session.commit()
    assert _queue(client, local).status_code == 403
    job = _queue(client, dispatcher).json()
    assert client.get(f"{JOBS}/{job['id']}", headers=bureau_home).json()["status"] == "succeeded"
    away = client.get(f"{JOBS}/{job['id']}", headers=bureau_away)
    assert away.status_code == 404
    assert away.json()["detail"] == f"plan job {job['id']} not found"
    assert client.get(f"{JOBS}/999999", headers=dispatcher).status_code == 404


def test_the_synchronous_path_still_plans_at_once(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_city(session, day=DAY, trucks=[1000], loads=[150, 200])
    session.commit()
    response = client.post(
        "/api/v1/dispatch/plans",
        json={"date": DAY.isoformat(), "time_limit_s": 1},
        headers=dispatcher,
    )
    assert response.status_code == 201, response.text
    assert _count(session, PlanJob) == 0
