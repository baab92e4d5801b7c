"""The Prometheus figures (district days of supply, alerts, deliveries) are not public:
`/metrics` answers a scraper with the bearer token or from an allow-listed address,
and by default only the machine itself."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from service.app import create_app
from service.settings import Settings

SCRAPER_TOKEN = "scrape-me-0123456789abcdef"
OUTSIDE = ("203.0.113.9", 41000)
LOOPBACK = ("127.0.0.1", 41000)


def _scrape(
    settings: Settings,
    session_factory: sessionmaker[Session],
    address: tuple[str, int],
    headers: dict[str, str] | None = None,
) -> tuple[int, str, dict[str, str]]:
    """GET /metrics from ``address``; returns status, body and headers."""
    app = create_app(settings, session_factory=session_factory)
    with TestClient(app, client=address) as scraper:
        response = scraper.get("/metrics", headers=headers or {})
    return response.status_code, response.text, dict(response.headers)


def _with(settings: Settings, **changes: object) -> Settings:
    return Settings(**{**settings.model_dump(), **changes})


def test_an_anonymous_visitor_from_outside_cannot_read_the_metrics(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    status, body, headers = _scrape(
        Settings(database_url=settings.database_url), session_factory, OUTSIDE
    )
    assert status == 401
    assert headers["content-type"] == "application/problem+json"
    assert headers["www-authenticate"] == "Bearer"
    assert "supplywatch_" not in body
    assert "SUPPLYWATCH_METRICS_TOKEN" in body


def test_a_scraper_with_the_token_reads_the_metrics_from_anywhere(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    configured = _with(settings, metrics_token=SCRAPER_TOKEN)
    status, body, _ = _scrape(
        configured, session_factory, OUTSIDE, {"Authorization": f"Bearer {SCRAPER_TOKEN}"}
    )
    assert status == 200
    assert "supplywatch_http_requests_total" in body


def test_a_wrong_or_missing_token_is_refused(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    configured = _with(settings, metrics_token=SCRAPER_TOKEN)
    for headers in ({}, {"Authorization": "Bearer guessed"}, {"Authorization": SCRAPER_TOKEN}):
        status, body, _ = _scrape(configured, session_factory, OUTSIDE, headers)
        assert status == 401, headers
        assert "supplywatch_" not in body


def test_by_default_only_the_machine_itself_reads_the_metrics(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    defaults = Settings(database_url=settings.database_url)
    for address in (LOOPBACK, ("::1", 41000), ("::ffff:127.0.0.1", 41000)):
        status, body, _ = _scrape(defaults, session_factory, address)
        assert status == 200, address
        assert "supplywatch_http_requests_total" in body


def test_an_allow_listed_network_reads_the_metrics_and_replaces_the_loopback_default(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    configured = _with(settings, metrics_allowed_networks=["10.20.0.0/16", "fd00:5::/64"])
    assert _scrape(configured, session_factory, ("10.20.3.4", 41000))[0] == 200
    assert _scrape(configured, session_factory, ("fd00:5::7", 41000))[0] == 200
    assert _scrape(configured, session_factory, ("10.21.0.1", 41000))[0] == 401
    assert _scrape(configured, session_factory, LOOPBACK)[0] == 401


def test_a_malformed_allowed_network_stops_the_service_at_start() -> None:
    with pytest.raises(ValidationError, match="metrics_allowed_networks"):
        Settings(metrics_allowed_networks=["10.20.0.0/33"])
