"""Reads that tolerate a little lag go to a real streaming replica; writes and the reads
that must be current stay on the primary; a dead replica falls back to the primary."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from core.database import create_database_engine
from models import Role
from service.api import api_router
from service.app import create_app
from service.http.dependencies import get_replica_session
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.replication import StreamingReplica, why_no_replica
from tests.scrape import METRICS_TOKEN, scrape_metrics

REASON = why_no_replica()


@pytest.fixture(scope="module")
def replica_pair() -> Iterator[StreamingReplica]:
    if REASON:
        pytest.skip(f"SKIPPING the read-replica tests: {REASON}")
    pair = StreamingReplica(Path(tempfile.mkdtemp(prefix="supplywatch-replication-")))
    try:
        pair.start()
        upgrade_to_head(pair.primary_url)
        yield pair
    finally:
        pair.stop()


def _bureau_and_store(url: str) -> tuple[dict[str, str], dict[str, str]]:
    """A bureau key and a store key with a store and a product, committed on the primary."""
    engine = create_database_engine(url)
    try:
        with Session(engine) as session:
            store = make_store(session, code="PDS-0001", region=make_region(session, code="410402"))
            make_product(session, code="pork")
            bureau = make_key(session, Role.bureau)
            store_key = make_key(session, Role.store, store=store)
            session.commit()
    finally:
        engine.dispose()
    return bureau, store_key


def test_the_bureau_reads_supply_from_the_replica_and_the_primary_when_the_replica_dies(
    replica_pair: StreamingReplica, tmp_path: Path
) -> None:
    bureau, store_key = _bureau_and_store(replica_pair.primary_url)
    settings = Settings(
        database_url=replica_pair.primary_url,
        read_database_url=replica_pair.replica_url,
        log_json=False,
        log_level="ERROR",
        metrics_token=SecretStr(METRICS_TOKEN),
        passes_signing_key_file=tmp_path / "signing.pem",
    )
    today = business_today().isoformat()
    supply = "/api/v1/supply?level=store"
    with TestClient(create_app(settings)) as client:
        replica_pair.wait_until_caught_up()
        assert client.get(supply, headers=bureau).status_code == 404  # nothing computed yet

        replica_pair.pause_replay()
        report = {"lines": [{"product": "pork", "stock": 60, "sales": 20, "price": 14.8}]}
        posted = client.put(
            f"/api/v1/stores/PDS-0001/reports/{today}", json=report, headers=store_key
        )
        assert posted.status_code == 201, posted.text
        ran = client.post("/api/v1/monitor/runs", json={"date": today}, headers=bureau)
        assert ran.status_code in (200, 201, 202), ran.text
        # The run and the report are read on the primary, current at once ...
        assert client.get("/api/v1/monitor/runs", headers=bureau).json()["total"] == 1
        assert (
            client.get(f"/api/v1/stores/PDS-0001/reports/{today}", headers=store_key).json()[
                "lines"
            ][0]["stock"]
            == 60
        )
        # ... while the days of supply come from the replica, which has not replayed them.
        lagging = client.get(supply, headers=bureau)
        assert lagging.status_code == 404 and "not computed any day" in lagging.text

        replica_pair.resume_replay()
        replica_pair.wait_until_caught_up()
        [row] = client.get(supply, headers=bureau).json()["items"]
        assert (row["scope"]["code"], row["product"], row["stock"]) == ("PDS-0001", "pork", 60)

        assert "supplywatch_read_replica_fallbacks_total 0.0" in scrape_metrics(client)
        replica_pair.stop_replica()
        fallback = client.get(supply, headers=bureau)
        assert fallback.status_code == 200, fallback.text
        assert [item["scope"]["code"] for item in fallback.json()["items"]] == ["PDS-0001"]
        assert "supplywatch_read_replica_fallbacks_total 1.0" in scrape_metrics(client)


LAGGING_READS = {
    "/api/v1/board",
    "/api/v1/bulletin-products/{product}/prices",
    "/api/v1/bulletins",
    "/api/v1/bulletins/{day}",
    "/api/v1/bulletins/{day}/pdf",
    "/api/v1/bulletins/{day}/tables/{table}",
    "/api/v1/supply",
    "/api/v1/supply/history",
    "/board",
    "/bulletin",
    "/bulletin/feed.atom",
    "/bulletin/archive",
    "/bulletin/products/{code}",
    "/bulletin/{day}",
    "/dashboard",
    "/dashboard/map.json",
    "/dashboard/export",
    "/dashboard/district/{code}",
    "/dashboard/product/{code}",
    "/dashboard/district/{code}/export",
    "/dashboard/product/{code}/export",
}
"""The routes the README lists as read from the replica: all GETs, none a user acts on."""


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _routes(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API and page route with its full path (included routers are kept apart)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        included = getattr(route, "original_router", None)
        if included is not None:
            inner = prefix + ("/api/v1" if included is api_router else "")
            yield from _routes(included.routes, inner)


def test_only_the_listed_reads_may_lag(settings: Settings) -> None:
    on_replica = {
        (path, method)
        for path, route in _routes(create_app(settings).routes)
        if get_replica_session in set(_calls(route.dependant))
        for method in route.methods or ()
    }
    assert on_replica == {(path, "GET") for path in LAGGING_READS}
