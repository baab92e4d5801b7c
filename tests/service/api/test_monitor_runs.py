"""The bureau starts a monitor run through the API and reads what it did."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import MonitorRun, MonitorRunPart, PartStatus, RegionLevel, Role, RunStatus
from models.base import utc_now
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.monitors.running.test_runs import history


def test_bureau_runs_the_monitor_and_reads_the_run(client: TestClient, session: Session) -> None:
    city = make_region(session, code="CITY", level=RegionLevel.city)
    district = make_region(session, code="EAST", level=RegionLevel.district, parent=city)
    store = make_store(session, region=district)
    cabbage = make_product(session, code="cabbage", category="vegetables")
    day = business_today() - timedelta(days=1)
    history(session, store, cabbage.id, [(40, 10), (30, 10), (25, 10), (15, 10)], last=day)
    session.commit()
    bureau = make_key(session, Role.bureau)
    session.commit()

    response = client.post("/api/v1/monitor/runs", json={"date": day.isoformat()}, headers=bureau)
    assert response.status_code == 201, response.text
    run = response.json()
    assert run["status"] == "succeeded"
    assert run["counts"]["alerts_fired"] >= 1
    listed = client.get("/api/v1/monitor/runs", headers=bureau).json()
    assert listed["items"][0]["id"] == run["id"]
    assert (
        client.get(f"/api/v1/monitor/runs/{run['id']}", headers=bureau).json()["trigger"] == "api"
    )


def test_bureau_starts_a_run_in_the_background_and_follows_it(
    client: TestClient, session: Session
) -> None:
    city = make_region(session, code="CITY", level=RegionLevel.city)
    district = make_region(session, code="EAST", level=RegionLevel.district, parent=city)
    store = make_store(session, region=district)
    cabbage = make_product(session, code="cabbage", category="vegetables")
    day = business_today() - timedelta(days=1)
    history(session, store, cabbage.id, [(40, 10), (30, 10), (25, 10), (15, 10)], last=day)
    bureau = make_key(session, Role.bureau)
    session.commit()

    response = client.post(
        "/api/v1/monitor/runs",
        json={"date": day.isoformat()},
        headers={**bureau, "Prefer": "respond-async, wait=5"},
    )
    # The answer comes before the run: the record is still running.
    assert response.status_code == 202, response.text
    assert response.headers["Preference-Applied"] == "respond-async"
    started = response.json()
    assert started["status"] == "running" and started["finished_at"] is None
    assert response.headers["Location"] == f"/api/v1/monitor/runs/{started['id']}"

    # The test client runs the background work before it returns; the run is over.
    followed = client.get(response.headers["Location"], headers=bureau).json()
    assert followed["status"] == "succeeded"
    assert followed["counts"]["alerts_fired"] >= 1
    assert followed["business_date"] == day.isoformat() and followed["trigger"] == "api"


def test_a_refused_background_run_leaves_no_record(client: TestClient, session: Session) -> None:
    bureau = make_key(session, Role.bureau)
    store_key = make_key(session, Role.store, store=make_store(session))
    session.commit()
    tomorrow = (business_today() + timedelta(days=1)).isoformat()
    background = {"Prefer": "respond-async"}
    future = client.post(
        "/api/v1/monitor/runs", json={"date": tomorrow}, headers={**bureau, **background}
    )
    assert future.status_code == 422
    assert future.headers["content-type"] == "application/problem+json"
    assert future.json()["errors"][0]["loc"] == ["body", "date"]
    forbidden = client.post("/api/v1/monitor/runs", json={}, headers={**store_key, **background})
    assert forbidden.status_code == 403
    assert client.get("/api/v1/monitor/runs", headers=bureau).json()["total"] == 0


def test_a_run_for_a_future_day_is_refused_and_stores_may_not_run_it(
    client: TestClient, session: Session
) -> None:
    bureau = make_key(session, Role.bureau)
    store_key = make_key(session, Role.store, store=make_store(session))
    tomorrow = (business_today() + timedelta(days=1)).isoformat()
    refused = client.post("/api/v1/monitor/runs", json={"date": tomorrow}, headers=bureau)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "date"]
    assert client.post("/api/v1/monitor/runs", json={}, headers=store_key).status_code == 403
    assert client.get("/api/v1/monitor/runs", headers=store_key).status_code == 403


@pytest.mark.parametrize("day", ["0001-01-01", "0001-01-05", "1999-12-31"])
@pytest.mark.parametrize("prefer", [{}, {"Prefer": "respond-async"}])
def test_a_run_for_a_day_before_2000_is_refused_naming_the_date_and_nothing_is_recorded(
    client: TestClient, session: Session, day: str, prefer: dict[str, str]
) -> None:
    # A day in year 1 was accepted: the run failed with "OverflowError: date value out of
    # range" (its windows reached below the calendar) for any bureau key to read.
    bureau = make_key(session, Role.bureau)
    session.commit()
    refused = client.post("/api/v1/monitor/runs", json={"date": day}, headers={**bureau, **prefer})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["detail"] == "the business day is before 2000-01-01"
    assert refused.json()["errors"] == [{"loc": ["body", "date"], "msg": "before 2000-01-01"}]
    assert client.get("/api/v1/monitor/runs", headers=bureau).json()["total"] == 0
    earliest = client.post("/api/v1/monitor/runs", json={"date": "2000-01-01"}, headers=bureau)
    assert earliest.status_code == 201 and earliest.json()["status"] == "succeeded"


def test_a_run_posted_without_a_body_is_for_today(client: TestClient, session: Session) -> None:
    bureau = make_key(session, Role.bureau)
    session.commit()
    response = client.post("/api/v1/monitor/runs", headers=bureau)
    assert response.status_code == 201, response.text
    assert response.json()["business_date"] == business_today().isoformat()


def test_the_bureau_follows_a_fanned_out_run_part_by_part(
    client: TestClient, session: Session
) -> None:
    """A run handed to workers shows how many of its parts are done, and how many times
    parts were started (one more than the parts: a worker was lost once)."""
    run = MonitorRun(
        business_date=business_today(),
        trigger="scheduler",
        status=RunStatus.running,
        started_at=utc_now(),
        counts={},
    )
    session.add(run)
    session.flush()
    for number, (status, attempts) in enumerate(
        [(PartStatus.done, 1), (PartStatus.done, 2), (PartStatus.running, 1)]
    ):
        session.add(
            MonitorRunPart(
                run_id=run.id,
                part_number=number,
                region_ids=[number],
                stores=10,
                status=status,
                attempts=attempts,
            )
        )
    in_one_process = MonitorRun(
        business_date=business_today(),
        trigger="cli",
        status=RunStatus.succeeded,
        started_at=utc_now(),
        counts={},
    )
    session.add(in_one_process)
    bureau = make_key(session, Role.bureau)
    session.commit()

    read = client.get(f"/api/v1/monitor/runs/{run.id}", headers=bureau).json()
    assert read["status"] == "running"
    assert read["parts"] == {"total": 3, "done": 2, "attempts": 4}
    listed = {
        item["id"]: item
        for item in client.get("/api/v1/monitor/runs", headers=bureau).json()["items"]
    }
    assert listed[run.id]["parts"] == {"total": 3, "done": 2, "attempts": 4}
    assert listed[in_one_process.id]["parts"] is None
