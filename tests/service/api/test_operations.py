"""Operators can tell the service is up, ready and healthy, and scrape its metrics."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from service.app import create_app
from service.observability import JsonFormatter
from service.settings import Settings
from tests.scrape import scrape_metrics


def test_healthz_says_the_process_is_up(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_checks_the_database_is_at_the_newest_migration(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["migrations"] == "at head"


def test_readyz_is_503_on_an_unmigrated_database(tmp_path: object, settings: Settings) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/empty.db")
    app = create_app(settings, session_factory=sessionmaker(bind=engine))
    with TestClient(app) as empty:
        response = empty.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"


def test_readyz_is_503_when_the_database_is_unreachable(settings: Settings) -> None:
    engine = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    app = create_app(settings, session_factory=sessionmaker(bind=engine))
    with TestClient(app) as broken:
        response = broken.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_metrics_count_requests_by_route_template_not_raw_path(client: TestClient) -> None:
    client.get("/api/v1/stores/PDS-0001/reports/2026-01-01")
    client.get("/api/v1/stores/PDS-0002/reports/2026-01-02")
    text = scrape_metrics(client)
    assert (
        'supplywatch_http_requests_total{method="GET",route="/api/v1/stores/{store}/reports/{day}",'
        'status="401"} 2.0' in text
    )
    assert "PDS-0001" not in text
    assert "supplywatch_http_request_duration_seconds_bucket" in text


def test_unknown_paths_are_problem_json_and_one_label(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert 'route="unmatched"' in scrape_metrics(client)


def test_logs_are_one_json_object_per_line(caplog: pytest.LogCaptureFixture) -> None:
    record = logging.LogRecord("supplywatch.access", logging.INFO, "x", 1, "request", None, None)
    record.route = "/api/v1/stores/{store}"
    record.status = 201
    line = JsonFormatter().format(record)
    parsed = json.loads(line)
    assert parsed["message"] == "request" and parsed["route"] == "/api/v1/stores/{store}"
    assert parsed["status"] == 201 and parsed["level"] == "info"


def test_a_person_opening_the_service_lands_on_the_sign_in_page(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/docs").status_code == 200
