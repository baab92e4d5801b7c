"""Scraping /metrics as the test suite's Prometheus: with the token the test settings set."""

from __future__ import annotations

from fastapi.testclient import TestClient

METRICS_TOKEN = "test-scraper-token"


def scrape_metrics(client: TestClient) -> str:
    """The metrics page as a scraper with the configured bearer token reads it."""
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.text
    return response.text
