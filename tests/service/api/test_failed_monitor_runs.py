"""A monitor run started over HTTP that fails answers with its own record."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models import MonitorRun, Role
from monitors.running import runs
from service.app import create_app
from service.settings import Settings
from tests.factories import make_key
from tests.monitors.running.test_requested_runs import newer_run_then_crash
from tests.monitors.running.test_runs import live_database, seed

__all__ = ["live_database"]  # the fixture, for pytest


@pytest.fixture
def live_client(
    live_database: tuple[Engine, sessionmaker[Session]],
) -> Iterator[tuple[TestClient, sessionmaker[Session]]]:
    """The app over a database of its own, where runs commit for real."""
    engine, factory = live_database
    url = engine.url.render_as_string(hide_password=False)
    app = create_app(Settings(database_url=url, log_json=False), session_factory=factory)
    with TestClient(app) as client:
        yield client, factory


def test_a_failed_run_answers_with_itself_when_another_run_is_newer(
    live_client: tuple[TestClient, sessionmaker[Session]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, factory = live_client
    seed(factory)
    with factory() as session:
        bureau = make_key(session, Role.bureau)
        session.commit()
    monkeypatch.setattr(runs, "compute_day", newer_run_then_crash(factory))

    response = client.post("/api/v1/monitor/runs", json={}, headers=bureau)
    assert response.status_code == 201, response.text
    failed = response.json()
    assert failed["status"] == "failed" and "disk on fire" in failed["error"]
    assert failed["trigger"] == "api" and failed["requested_by"].startswith("key:")
    with factory() as session:
        newest = session.query(MonitorRun).order_by(MonitorRun.id.desc()).first()
        assert newest is not None and newest.id > failed["id"]
    listed = client.get("/api/v1/monitor/runs", headers=bureau).json()["items"]
    assert [run["id"] for run in listed] == [newest.id, failed["id"]]
    assert listed[0]["status"] == "running" and listed[1]["status"] == "failed"
