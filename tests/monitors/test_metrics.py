"""The monitor's Prometheus collector reads the stored results at scrape time, keeps its
labels bounded, and never breaks a scrape when the database is down."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from models import (
    Alert,
    AlertRule,
    AlertStatus,
    MonitorRun,
    Product,
    RegionLevel,
    RunStatus,
    Severity,
    Store,
)
from models.base import utc_now
from monitors.metrics import MonitorCollector
from monitors.running.runs import MonitorConfig, compute_day
from reports import store_report_lines
from service.app import create_app
from service.settings import Settings
from tests.factories import business_today, make_product, make_region, make_store
from tests.scrape import scrape_metrics

# Two days back, so every report (stored now) arrived after its 10:00 cut-off on D+1:
# the on-time rate is 0 whatever the hour the tests run.
D = business_today() - timedelta(days=2)
ALLOWED_LABELS = {"district", "category", "rule", "severity", "status"}


def report_days(
    session: Session, store: Store, product: Product, days: list[tuple[float, float]]
) -> None:
    """(stock, sales) reports on consecutive days ending on D, oldest first."""
    frame = pd.DataFrame(
        [
            {
                "store_id": store.id,
                "report_date": D - timedelta(days=len(days) - 1 - offset),
                "product_id": product.id,
                "stock": stock,
                "sales": sales,
                "price": 5.0,
                "received": None,
            }
            for offset, (stock, sales) in enumerate(days)
        ]
    )
    store_report_lines(session, frame, submitted_by="test")


def scrape(session_factory: sessionmaker[Session]) -> str:
    registry = CollectorRegistry(auto_describe=True)
    registry.register(MonitorCollector(session_factory))
    return generate_latest(registry).decode()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, keyed by name and sorted labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def monitored(session: Session) -> dict[str, Any]:
    """EAST (A, B) and WEST (C reports, Q never does); rice (grain), cabbage (vegetables);
    monitored on D. EAST grain = (40 + 60) / (10 + 30) = 2.5, WEST grain = 200 / 10 = 20,
    EAST vegetables = 15 / 10 = 1.5 (low: an alert)."""
    top = make_region(session, code="CITY", level=RegionLevel.city)
    east = make_region(session, code="EAST", parent=top)
    west = make_region(session, code="WEST", parent=top)
    town = make_region(session, code="EAST-1", level=RegionLevel.township, parent=east)
    rice = make_product(session, code="rice", category="grain")
    cabbage = make_product(session, code="cabbage", category="vegetables")
    a = make_store(session, code="A", region=town)
    b = make_store(session, code="B", region=east)
    c = make_store(session, code="C", region=west)
    make_store(session, code="Q", region=west)
    report_days(session, a, rice, [(50, 10), (40, 10), (30, 10), (20, 10), (40, 10)])
    report_days(session, b, rice, [(120, 30), (90, 30), (60, 30), (30, 30), (60, 30)])
    report_days(session, c, rice, [(200, 10)] * 5)
    report_days(session, a, cabbage, [(40, 10), (30, 10), (25, 10), (15, 10)])
    session.expire_all()
    compute_day(session, business_date=D, run_id=None, config=MonitorConfig())
    session.flush()
    return {"a": a, "east": east}


def test_days_of_supply_alerts_and_completeness_are_exposed(
    session: Session, session_factory: sessionmaker[Session], monitored: dict[str, Any]
) -> None:
    resolved = Alert(
        fingerprint="f" * 64,
        rule=AlertRule.low_supply,
        severity=Severity.critical,
        status=AlertStatus.resolved,
        scope_level="district",
        scope_id=monitored["east"].id,
        district_id=monitored["east"].id,
        summary="an old breach",
        first_seen_at=utc_now(),
        last_seen_at=utc_now(),
        first_date=D - timedelta(days=20),
        last_date=D - timedelta(days=19),
    )
    session.add(resolved)
    session.flush()
    text = scrape(session_factory)
    assert 'supplywatch_days_of_supply{category="grain",district="EAST"} 2.5\n' in text
    assert 'supplywatch_days_of_supply{category="grain",district="WEST"} 20.0\n' in text
    assert 'supplywatch_days_of_supply{category="vegetables",district="EAST"} 1.5\n' in text

    values = samples(text)
    # Grain warns below 7 days (critical below 3), vegetables below 2 (1): store A rice
    # (4) and cabbage (1.5), EAST cabbage (1.5), city rice (300 / 50 = 6) and city cabbage
    # (1.5) warn; store B rice (2) and EAST rice (2.5) are critical; Q never reported
    # (critical after 2 days); plus the resolved one added above.
    expected = Counter(
        {
            ("low_supply", "warning", "firing"): 5,
            ("low_supply", "critical", "firing"): 2,
            ("missing_report", "critical", "firing"): 1,
            ("low_supply", "critical", "resolved"): 1,
        }
    )
    for rule in AlertRule:
        for severity in Severity:
            for status in AlertStatus:
                labels = (("rule", rule), ("severity", severity), ("status", status))
                key = ("supplywatch_alerts", tuple(sorted(labels)))
                assert values[key] == expected[(rule, severity, status)], key

    assert values[("supplywatch_report_completeness", (("district", "EAST"),))] == 1.0
    assert values[("supplywatch_report_completeness", (("district", "WEST"),))] == 0.5
    assert values[("supplywatch_report_on_time", (("district", "EAST"),))] == 0.0

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            assert set(sample.labels) <= ALLOWED_LABELS, sample
            assert "store" not in sample.labels and "product" not in sample.labels


def test_only_the_latest_day_is_exposed(
    session: Session, session_factory: sessionmaker[Session], monitored: dict[str, Any]
) -> None:
    later = D + timedelta(days=1)
    report_days_on(session, monitored["a"], later)
    session.expire_all()
    compute_day(session, business_date=later, run_id=None, config=MonitorConfig())
    session.flush()
    values = samples(scrape(session_factory))
    supply = {k: v for k, v in values.items() if k[0] == "supplywatch_days_of_supply"}
    # On the later day only store A reported (rice); B's and C's stock is carried forward.
    east_grain = (("category", "grain"), ("district", "EAST"))
    assert supply[("supplywatch_days_of_supply", east_grain)] == pytest.approx(
        (35 + 60) / (10 + 30)
    )


def report_days_on(session: Session, store: Store, day: date) -> None:
    rice = session.scalars(select(Product).where(Product.code == "rice")).one()
    frame = pd.DataFrame(
        [
            {
                "store_id": store.id,
                "report_date": day,
                "product_id": rice.id,
                "stock": 35.0,
                "sales": 10.0,
                "price": 5.0,
                "received": None,
            }
        ]
    )
    store_report_lines(session, frame, submitted_by="test")


def test_monitor_runs_give_the_last_run_and_counts_of_finished_runs(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    now = utc_now()

    def record(status: RunStatus, finished_minutes_ago: int | None, duration: float) -> None:
        finished = (
            None if finished_minutes_ago is None else now - timedelta(minutes=finished_minutes_ago)
        )
        session.add(
            MonitorRun(
                business_date=D,
                trigger="test",
                status=status,
                started_at=now - timedelta(hours=1),
                finished_at=finished,
                duration_seconds=duration if finished else None,
                counts={},
            )
        )

    record(RunStatus.succeeded, 30, 2.5)
    record(RunStatus.succeeded, 20, 3.5)
    record(RunStatus.failed, 10, 1.25)
    record(RunStatus.skipped, 5, 0.001)  # did not compute: not "the last run"
    record(RunStatus.running, None, 0)
    session.flush()
    values = samples(scrape(session_factory))
    assert values[("supplywatch_monitor_last_run_duration_seconds", ())] == 1.25
    assert values[("supplywatch_monitor_last_run_timestamp_seconds", ())] == pytest.approx(
        (now - timedelta(minutes=10)).timestamp(), abs=1e-3
    )
    assert values[("supplywatch_monitor_last_success_timestamp_seconds", ())] == pytest.approx(
        (now - timedelta(minutes=20)).timestamp(), abs=1e-3
    )
    runs = {k[1]: v for k, v in values.items() if k[0] == "supplywatch_monitor_runs_total"}
    assert runs == {
        (("status", "succeeded"),): 2,
        (("status", "failed"),): 1,
        (("status", "skipped"),): 1,
    }


def test_an_empty_database_gives_zero_counts_and_no_made_up_numbers(
    session_factory: sessionmaker[Session],
) -> None:
    text = scrape(session_factory)
    values = samples(text)
    assert values[("supplywatch_monitor_runs_total", (("status", "failed"),))] == 0
    assert not any(name == "supplywatch_days_of_supply" for name, _ in values)
    assert not any(name == "supplywatch_monitor_last_run_duration_seconds" for name, _ in values)


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The service's logger does not propagate to the root once configured: listen on it."""
    logger = logging.getLogger("supplywatch.metrics")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.WARNING)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_an_unreachable_database_yields_nothing_and_the_scrape_still_works(
    tmp_path: Path, captured: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}")
    registry = CollectorRegistry(auto_describe=True)
    registry.register(MonitorCollector(sessionmaker(bind=engine)))  # no query on register
    assert not captured.records
    assert samples(generate_latest(registry).decode()) == {}
    assert any("could not be read" in record.getMessage() for record in captured.records)
    engine.dispose()


def test_the_app_serves_the_collector_on_metrics(
    settings: Settings, session_factory: sessionmaker[Session], monitored: dict[str, Any]
) -> None:
    app = create_app(settings, session_factory=session_factory)
    try:  # create_app registers it once wired in; a second one would clash
        app.state.metrics.registry.register(MonitorCollector(session_factory))
    except ValueError:
        pass
    with TestClient(app) as client:
        text = scrape_metrics(client)
    assert 'supplywatch_days_of_supply{category="grain",district="EAST"} 2.5' in text
    assert "supplywatch_http_requests_total" in text
