"""A monitor run turns stored reports into snapshots and alerts, on both databases."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.database import create_database_engine, create_session_factory
from models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    DailyReport,
    MonitorRun,
    MonitorRunPart,
    Product,
    Region,
    RegionLevel,
    ReportingRate,
    RuleSetting,
    RunStatus,
    Store,
    SupplySnapshot,
)
from models.base import utc_now
from monitors.computing import inputs as data
from monitors.computing.supply import SupplySettings
from monitors.running import day, fanout, runs
from monitors.running.locks import run_guard
from monitors.running.runs import MonitorConfig, MonitorRunFailed, compute_day, run_monitor
from reports import store_report_lines
from service.configuration import monitor_config
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.factories import business_today, make_product, make_region, make_store

D = business_today() - timedelta(days=1)


def report(
    session: Session,
    store: Store,
    product_id: int,
    day: date,
    stock: float,
    sales: float,
    price: float = 10.0,
) -> None:
    frame = pd.DataFrame(
        [
            {
                "store_id": store.id,
                "report_date": day,
                "product_id": product_id,
                "stock": stock,
                "sales": sales,
                "price": price,
                "received": None,
            }
        ]
    )
    store_report_lines(session, frame, submitted_by="test")


def history(
    session: Session,
    store: Store,
    product_id: int,
    days: list[tuple[float, float]],
    last: date = D,
    price: float = 10.0,
) -> None:
    """Reports for consecutive days ending on ``last``: (stock, sales) pairs, oldest first."""
    for offset, (stock, sales) in enumerate(reversed(days)):
        report(session, store, product_id, last - timedelta(days=offset), stock, sales, price)


@pytest.fixture
def city(session: Session) -> dict[str, Any]:
    top = make_region(session, code="CITY", level=RegionLevel.city)
    east = make_region(session, code="EAST", level=RegionLevel.district, parent=top)
    west = make_region(session, code="WEST", level=RegionLevel.district, parent=top)
    town = make_region(session, code="EAST-1", level=RegionLevel.township, parent=east)
    rice = make_product(session, code="rice", category="grain")
    cabbage = make_product(session, code="cabbage", category="vegetables")
    return {
        "city": top,
        "east": east,
        "west": west,
        "a": make_store(session, code="A", region=town),
        "b": make_store(session, code="B", region=east),
        "c": make_store(session, code="C", region=west),
        "rice": rice,
        "cabbage": cabbage,
    }


def snapshot(
    session: Session, level: str, scope_id: int, item_id: int, kind: str = "product"
) -> SupplySnapshot:
    return session.scalars(
        select(SupplySnapshot).where(
            SupplySnapshot.business_date == D,
            SupplySnapshot.scope_level == level,
            SupplySnapshot.scope_id == scope_id,
            SupplySnapshot.item_kind == kind,
            SupplySnapshot.item_id == item_id,
        )
    ).one()


def open_alerts(session: Session, rule: AlertRule | None = None) -> list[Alert]:
    query = select(Alert).where(Alert.status != AlertStatus.resolved)
    if rule is not None:
        query = query.where(Alert.rule == rule)
    return list(session.scalars(query.order_by(Alert.id)))


def run(session: Session, day: date = D, config: MonitorConfig | None = None) -> dict[str, Any]:
    session.expire_all()
    counts = compute_day(session, business_date=day, run_id=None, config=config or MonitorConfig())
    session.expire_all()
    return counts


def test_days_of_supply_leave_out_stocked_out_days_and_aggregate_as_ratio_of_sums(
    session: Session, city: dict[str, Any]
) -> None:
    rice = city["rice"].id
    # Store A: sales 10,10,10, then a day out of stock selling only 2, then 10: the
    # stocked-out day is left out, so expected daily sales are 10, not 8.4.
    history(session, city["a"], rice, [(50, 10), (40, 10), (30, 10), (0, 2), (40, 10)])
    # Store B: 90 in stock, 30 a day.
    history(session, city["b"], rice, [(120, 30), (90, 30), (60, 30), (30, 30), (90, 30)])
    run(session)
    a = snapshot(session, "store", city["a"].id, rice)
    assert a.expected_daily_sales == pytest.approx(10.0)
    assert a.days_of_supply == pytest.approx(4.0)
    b = snapshot(session, "store", city["b"].id, rice)
    assert b.days_of_supply == pytest.approx(3.0)
    east = snapshot(session, "district", city["east"].id, rice)
    # Ratio of sums: (40 + 90) / (10 + 30) = 3.25, not the mean of ratios (4 + 3) / 2.
    assert east.days_of_supply == pytest.approx(130 / 40)
    assert east.stores_total == 2 and east.stores_reporting == 2
    assert east.coverage == pytest.approx(1.0)
    whole = snapshot(session, "city", city["city"].id, rice)
    assert whole.stores_total == 3 and whole.stores_reporting == 2
    assert whole.coverage == pytest.approx(2 / 3)
    grain = snapshot(
        session, "district", city["east"].id, city["rice"].category_id, kind="category"
    )
    assert grain.days_of_supply == pytest.approx(130 / 40)


def test_stale_stock_is_carried_forward_and_flagged(session: Session, city: dict[str, Any]) -> None:
    rice = city["rice"].id
    history(session, city["a"], rice, [(50, 10), (40, 10), (30, 10)], last=D - timedelta(days=1))
    run(session)
    carried = snapshot(session, "store", city["a"].id, rice)
    assert carried.stale is True
    assert carried.stock == 30


def test_low_supply_fires_escalates_and_resolves_like_alertmanager(
    session: Session, city: dict[str, Any]
) -> None:
    # The lifecycle on the days-of-supply rule, whose levels the numbers below cross (the
    # forecast's own stories are tests/monitors/running/test_forecast_warnings.py).
    cover = MonitorConfig(supply=SupplySettings(warning_method="cover"))
    cabbage = city["cabbage"].id
    history(session, city["a"], cabbage, [(40, 10), (30, 10), (25, 10), (15, 10)])  # 1.5 days
    run(session, config=cover)
    [alert] = [a for a in open_alerts(session, AlertRule.low_supply) if a.scope_level == "store"]
    assert alert.severity.value == "warning" and alert.status is AlertStatus.firing
    first_id, fingerprint = alert.id, alert.fingerprint

    report(session, city["a"], cabbage, D + timedelta(days=1), 5, 10)  # 0.5 days: critical
    run(session, D + timedelta(days=1), config=cover)
    [alert] = [a for a in open_alerts(session, AlertRule.low_supply) if a.scope_level == "store"]
    assert (alert.id, alert.severity.value) == (first_id, "critical")
    assert alert.consecutive_runs == 2
    kinds = list(session.scalars(select(AlertEvent.kind).where(AlertEvent.alert_id == first_id)))
    assert kinds == ["opened", "escalated"]

    report(session, city["a"], cabbage, D + timedelta(days=2), 100, 10)  # restocked
    run(session, D + timedelta(days=2), config=cover)
    assert session.get(Alert, first_id).status is AlertStatus.resolved  # type: ignore[union-attr]

    report(session, city["a"], cabbage, D + timedelta(days=3), 5, 10)  # breaches again
    run(session, D + timedelta(days=3), config=cover)
    again = [a for a in open_alerts(session, AlertRule.low_supply) if a.fingerprint == fingerprint]
    assert len(again) == 1 and again[0].id != first_id


def test_running_the_same_day_twice_gives_the_same_snapshots_and_alerts(
    session: Session, city: dict[str, Any]
) -> None:
    history(session, city["a"], city["cabbage"].id, [(40, 10), (30, 10), (25, 10), (15, 10)])
    history(session, city["b"], city["rice"].id, [(100, 10), (90, 10), (80, 10), (70, 10)])
    first = run(session)

    def state() -> tuple[Any, ...]:
        snaps = session.execute(
            select(
                SupplySnapshot.scope_level,
                SupplySnapshot.scope_id,
                SupplySnapshot.item_id,
                SupplySnapshot.days_of_supply,
                SupplySnapshot.status,
            ).order_by(SupplySnapshot.scope_level, SupplySnapshot.scope_id, SupplySnapshot.item_id)
        ).all()
        alerts = session.execute(
            select(
                Alert.id, Alert.fingerprint, Alert.status, Alert.severity, Alert.consecutive_runs
            ).order_by(Alert.id)
        ).all()
        return tuple(snaps), tuple(alerts)

    before = state()
    second = run(session)
    assert state() == before
    assert second["alerts_opened"] == 0 and second["alerts_continuing"] == first["alerts_opened"]
    rates = session.scalar(select(func.count()).select_from(ReportingRate))
    assert rates == 2  # one row per district, replaced rather than added


def test_a_rule_can_wait_for_consecutive_days_before_firing(
    session: Session, city: dict[str, Any]
) -> None:
    session.add(RuleSetting(rule=AlertRule.low_supply, enabled=True, for_runs=2))
    session.flush()
    cabbage = city["cabbage"].id
    history(session, city["a"], cabbage, [(40, 10), (30, 10), (25, 10), (15, 10)])
    run(session)
    [alert] = [a for a in open_alerts(session, AlertRule.low_supply) if a.scope_level == "store"]
    assert alert.status is AlertStatus.pending and alert.fired_at is None
    run(session)  # the same day again does not count twice
    assert session.get(Alert, alert.id).status is AlertStatus.pending  # type: ignore[union-attr]
    report(session, city["a"], cabbage, D + timedelta(days=1), 12, 10)
    run(session, D + timedelta(days=1))
    assert session.get(Alert, alert.id).status is AlertStatus.firing  # type: ignore[union-attr]


def test_a_day_with_no_reports_raises_missing_report_alerts_without_crashing(
    session: Session, city: dict[str, Any]
) -> None:
    counts = run(session, business_today() - timedelta(days=3))
    assert counts["snapshots"] == 0
    missing = open_alerts(session, AlertRule.missing_report)
    assert {a.store_id for a in missing} == {city["a"].id, city["b"].id, city["c"].id}


def test_zero_sales_and_a_single_day_of_history_give_no_demand_not_a_crash(
    session: Session, city: dict[str, Any]
) -> None:
    history(session, city["a"], city["rice"].id, [(50, 0), (50, 0), (50, 0)])
    report(session, city["b"], city["rice"].id, D, 80, 8)
    run(session)
    idle = snapshot(session, "store", city["a"].id, city["rice"].id)
    assert idle.status.value == "no_demand" and idle.days_of_supply is None
    newcomer = snapshot(session, "store", city["b"].id, city["rice"].id)
    assert newcomer.trusted is False


def test_an_older_day_refreshes_snapshots_but_leaves_alerts_alone(
    session: Session, city: dict[str, Any]
) -> None:
    history(session, city["a"], city["cabbage"].id, [(40, 10), (30, 10), (25, 10), (15, 10)])
    session.add(
        MonitorRun(
            business_date=D,
            trigger="test",
            status=RunStatus.succeeded,
            started_at=utc_now(),
            counts={},
        )
    )
    session.flush()
    counts = run(session, D - timedelta(days=2))
    assert "skipped" in counts["lifecycle"]
    assert open_alerts(session) == []


@pytest.fixture
def live_database(
    backend: str, empty_database_url: Callable[[str], str]
) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A database of its own, for runs that commit and lock for real."""
    url = empty_database_url(backend)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    yield engine, create_session_factory(engine)
    engine.dispose()


def city_district(session: Session) -> Region:
    top = Region(code="CITY", name="City", level=RegionLevel.city)
    session.add(top)
    session.flush()
    district = Region(code="D1", name="D1", level=RegionLevel.district, parent_id=top.id)
    session.add(district)
    session.flush()
    return district


def seed(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        district = city_district(session)
        store = make_store(session, code="S1", region=district)
        product = make_product(session, code="cabbage", category="vegetables")
        history(session, store, product.id, [(40, 10), (30, 10), (25, 10), (15, 10)])
        session.commit()


def test_a_run_is_recorded_with_its_counts(live_database: tuple[Engine, Any]) -> None:
    engine, factory = live_database
    seed(factory)
    record = run_monitor(factory=factory, business_date=D, config=MonitorConfig(), trigger="test")
    assert record.status is RunStatus.succeeded
    assert record.finished_at is not None and record.duration_seconds is not None
    assert record.counts["alerts_opened"] >= 1


@pytest.mark.parametrize("crash", ["in the alert lifecycle", "writing the second store part"])
def test_a_crashing_run_keeps_the_previous_results_and_is_recorded_failed(
    live_database: tuple[Engine, Any], monkeypatch: pytest.MonkeyPatch, crash: str
) -> None:
    engine, factory = live_database
    seed_province(factory)
    run_monitor(factory=factory, business_date=D, config=MonitorConfig(), trigger="test")
    with factory() as session:
        before = session.scalar(select(func.count()).select_from(SupplySnapshot))
        alerts_before = session.scalar(select(func.count()).select_from(Alert))

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    if crash == "in the alert lifecycle":
        monkeypatch.setattr(day, "apply_alert_lifecycle", explode)
    else:  # the snapshot writer thread fails while the run computes the next parts
        writes = iter([day.insert_frame, explode])
        monkeypatch.setattr(
            day, "insert_frame", lambda *args, **kwargs: next(writes, explode)(*args, **kwargs)
        )
    with pytest.raises(MonitorRunFailed, match="disk on fire"):
        run_monitor(factory=factory, business_date=D, config=MonitorConfig(), trigger="test")
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(SupplySnapshot)) == before
        assert session.scalar(select(func.count()).select_from(Alert)) == alerts_before
        last = session.scalars(select(MonitorRun).order_by(MonitorRun.id.desc())).first()
        assert last is not None and last.status is RunStatus.failed
        assert "disk on fire" in (last.error or "")


def test_two_runs_at_once_never_both_write(live_database: tuple[Engine, Any]) -> None:
    engine, factory = live_database
    seed(factory)
    with run_guard(factory, runs.RUN_LOCK) as held:
        assert held
        record = run_monitor(
            factory=factory, business_date=D, config=MonitorConfig(), trigger="test"
        )
    assert record.status is RunStatus.skipped
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(SupplySnapshot)) == 0
    after = run_monitor(factory=factory, business_date=D, config=MonitorConfig(), trigger="test")
    assert after.status is RunStatus.succeeded


def seed_province(factory: sessionmaker[Session], stores: int = 6) -> None:
    """Several stores, two products, four days each, committed: enough stores for the
    report window to be read in parts."""
    with factory() as session:
        district = city_district(session)
        products = [
            make_product(session, code="cabbage", category="vegetables"),
            make_product(session, code="rice", category="grain"),
        ]
        for number in range(stores):
            store = make_store(session, code=f"S{number}", region=district)
            for index, product in enumerate(products):
                start = 20.0 + 7 * number + 3 * index
                days = [(start - 4 * day, 4.0 + index) for day in range(4)]
                history(session, store, product.id, days, price=10.0 + number)
        session.commit()


def store_snapshot_rows(factory: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with factory() as session:
        return [
            tuple(row)
            for row in session.execute(
                select(
                    SupplySnapshot.scope_level,
                    SupplySnapshot.scope_id,
                    SupplySnapshot.item_kind,
                    SupplySnapshot.item_id,
                    SupplySnapshot.stock,
                    SupplySnapshot.expected_daily_sales,
                    SupplySnapshot.days_of_supply,
                    SupplySnapshot.status,
                    SupplySnapshot.price,
                    SupplySnapshot.coverage,
                ).order_by(
                    SupplySnapshot.scope_level,
                    SupplySnapshot.scope_id,
                    SupplySnapshot.item_kind,
                    SupplySnapshot.item_id,
                )
            )
        ]


def test_reading_with_several_connections_gives_the_same_snapshots_as_one(
    backend: str, live_database: tuple[Engine, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, factory = live_database
    seed_province(factory)

    def run_in(parts: int, connections: int) -> MonitorRun:
        monkeypatch.setattr(day, "STORE_PARTS", parts)
        config = MonitorConfig(read_connections=connections, incremental=False)
        return run_monitor(factory=factory, business_date=D, config=config, trigger="test")

    alone = run_in(parts=1, connections=1)
    assert alone.counts["report_connections"] == 1
    expected = store_snapshot_rows(factory)
    assert len(expected) > 12  # 12 store rows plus district, city and category rows

    together = run_in(parts=4, connections=2)
    # PostgreSQL reads the stores' lines on two connections; SQLite on the run's own.
    assert together.counts["report_connections"] == (2 if backend == "postgresql" else 1)
    assert together.counts["report_lines"] == alone.counts["report_lines"] == 6 * 2 * 4
    assert store_snapshot_rows(factory) == expected


def test_report_readers_see_the_run_snapshot_not_reports_committed_later(
    backend: str, live_database: tuple[Engine, Any]
) -> None:
    if backend != "postgresql":
        pytest.skip("only PostgreSQL reads the report window on several connections")
    engine, factory = live_database
    seed_province(factory)
    with factory() as session:
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        seen = session.scalar(select(func.count()).select_from(DailyReport))
        with factory() as other:  # a store posts after the run's snapshot was taken
            store = other.scalars(select(Store).where(Store.code == "S5")).one()
            product = other.scalars(select(Product).where(Product.code == "rice")).one()
            report(other, store, product.id, D + timedelta(days=1), 3.0, 1.0)
            other.commit()
        inputs = data.load_run_inputs(
            session,
            store_ids=np.asarray(session.scalars(select(Store.id)).all()),
            report_days=(D - timedelta(days=10), D + timedelta(days=1)),
            submission_days=(D - timedelta(days=10), D + timedelta(days=1)),
            parts=6,
            connections=2,
        )
    assert inputs.report_connections == 2
    assert inputs.report_lines == seen == 6 * 2 * 4
    # Each reader's three stores as three parts, in store order.
    assert [part["store_id"].nunique() for part in inputs.report_parts] == [1] * 6
    first_ids = [part["store_id"].min() for part in inputs.report_parts]
    assert first_ids == sorted(first_ids)
    assert len(inputs.submissions) == 6 * 4


def test_readers_give_the_submissions_the_submissions_query_gives(
    backend: str, live_database: tuple[Engine, Any]
) -> None:
    """On PostgreSQL the readers carry each line's arrival: the first of each store-day
    must be the one the query finds, to the microsecond, and no day outside the window."""
    if backend != "postgresql":
        pytest.skip("only PostgreSQL reads the report window on several connections")
    engine, factory = live_database
    seed_province(factory)
    with factory() as session:  # each line its own instant, in no order of id or day
        session.execute(
            update(DailyReport).values(
                created_at=datetime(2026, 5, 1, 8, tzinfo=UTC)
                - func.make_interval(0, 0, 0, 0, 0, 0, (DailyReport.id * 7919) % 1000 / 7.0)
            )
        )
        session.commit()
    submission_days = (D - timedelta(days=2), D)
    with factory() as session:
        expected = data.load_submissions(
            session, first_day=submission_days[0], last_day=submission_days[1]
        )
        inputs = data.load_run_inputs(
            session,
            store_ids=np.asarray(session.scalars(select(Store.id)).all()),
            report_days=(D - timedelta(days=10), D),
            submission_days=submission_days,
            parts=2,
            connections=2,
        )
    assert inputs.report_connections == 2
    assert len(expected) == 6 * 3
    pd.testing.assert_frame_equal(
        inputs.submissions,
        expected.sort_values(["store_id", "report_date"], ignore_index=True),
        check_exact=True,
    )


def test_a_run_reads_reports_its_own_transaction_wrote(live_database: tuple[Engine, Any]) -> None:
    engine, factory = live_database
    seed_province(factory)
    with factory() as session:
        store = session.scalars(select(Store).where(Store.code == "S0")).one()
        product = session.scalars(select(Product).where(Product.code == "rice")).one()
        report(session, store, product.id, D + timedelta(days=1), 0.0, 5.0)  # not committed
        counts = compute_day(
            session,
            business_date=D + timedelta(days=1),
            run_id=None,
            config=MonitorConfig(read_connections=2),
        )
        # Other connections could not see the uncommitted line: the run read on its own.
        assert counts["report_connections"] == 1
        stocked_out = session.scalars(
            select(SupplySnapshot).where(
                SupplySnapshot.business_date == D + timedelta(days=1),
                SupplySnapshot.scope_level == "store",
                SupplySnapshot.scope_id == store.id,
                SupplySnapshot.item_id == product.id,
            )
        ).one()
        assert stocked_out.stock == 0.0 and stocked_out.status == "stocked_out"
        session.rollback()


@pytest.mark.parametrize("shuffled", [False, True], ids=["grouped by store", "shuffled"])
def test_store_parts_hold_every_line_of_known_stores_once_in_store_order(shuffled: bool) -> None:
    reports = pd.DataFrame(
        {
            "store_id": [3, 3, 5, 8, 8, 8, 13, 21, 21, 34],  # 34: above the last part
            "line": range(10),
        }
    )
    if shuffled:
        reports = reports.sample(frac=1.0, random_state=7).reset_index(drop=True)
    parts = list(data.store_parts(reports, [5, 13, 21]))
    assert [sorted(part["store_id"].unique().tolist()) for part in parts] == [
        [3, 5],
        [8, 13],
        [21],
    ]
    assert sorted(pd.concat(parts)["line"].tolist()) == [0, 1, 2, 3, 4, 5, 6, 7, 8]


def test_the_read_connections_setting_reaches_the_monitor(settings: Settings) -> None:
    tuned = settings.model_copy(update={"monitor_read_connections": 3})
    assert monitor_config(tuned).read_connections == 3
    with pytest.raises(ValidationError, match="monitor_read_connections"):
        Settings(database_url=settings.database_url, monitor_read_connections=0)


def test_the_forecast_threads_setting_reaches_the_monitor_and_stays_the_machines_own(
    settings: Settings,
) -> None:
    tuned = settings.model_copy(update={"monitor_forecast_threads": 3})
    assert monitor_config(tuned).forecast_threads == 3
    with pytest.raises(ValidationError, match="monitor_forecast_threads"):
        Settings(database_url=settings.database_url, monitor_forecast_threads=0)
    # A run started with two threads is computed on a worker with the worker's own count.
    started = MonitorRun(config=MonitorConfig(forecast_threads=2).as_json())
    assert MonitorConfig(forecast_threads=1).for_part_of(started).forecast_threads == 1
    # Runs kept before the setting existed read back with the default.
    kept = MonitorConfig().as_json()
    del kept["forecast_threads"]
    assert MonitorConfig.from_json(kept) == MonitorConfig()


def test_a_run_over_a_city_with_no_stores_yet_reads_nothing_and_succeeds(
    live_database: tuple[Engine, Any],
) -> None:
    engine, factory = live_database
    record = run_monitor(
        factory=factory,
        business_date=D,
        config=MonitorConfig(read_connections=2),
        trigger="test",
    )
    assert record.status is RunStatus.succeeded
    assert record.counts["report_lines"] == 0 and record.counts["snapshots"] == 0


def test_submissions_give_each_store_day_its_first_arrival_to_the_microsecond(
    session: Session, city: dict[str, Any]
) -> None:
    rice, cabbage = city["rice"].id, city["cabbage"].id
    report(session, city["a"], rice, D, 10, 1)
    report(session, city["a"], cabbage, D, 10, 1)
    report(session, city["b"], rice, D - timedelta(days=1), 10, 1)
    arrivals = {
        (city["a"].id, rice): datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=UTC),
        (city["a"].id, cabbage): datetime(2026, 5, 1, 9, 0, tzinfo=UTC),
        (city["b"].id, rice): datetime(2026, 4, 30, 7, 30, tzinfo=UTC),
    }
    for (store_id, product_id), at in arrivals.items():
        session.execute(
            update(DailyReport)
            .where(DailyReport.store_id == store_id, DailyReport.product_id == product_id)
            .values(created_at=at)
        )
    frame = data.load_submissions(session, first_day=D - timedelta(days=2), last_day=D)
    rows = sorted(
        (int(store), pd.Timestamp(day).date(), pd.Timestamp(at))
        for store, day, at in frame[["store_id", "report_date", "first_received_at"]].itertuples(
            index=False
        )
    )
    assert rows == sorted(
        [
            (city["a"].id, D, pd.Timestamp(arrivals[(city["a"].id, rice)])),
            (city["b"].id, D - timedelta(days=1), pd.Timestamp(arrivals[(city["b"].id, rice)])),
        ]
    )


class WorkerInThisThread:
    """A part queue whose "worker" computes each part at once; a part that raises fails
    as a worker's task does, its error kept in the part's row for the run to read."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def send_part(self, *, run_id: int, part_number: int) -> None:
        with contextlib.suppress(Exception):  # the worker logs it; the run reads the row
            fanout.compute_run_part(
                self.factory, run_id=run_id, part_number=part_number, config=MonitorConfig()
            )


class DiskFull(Exception):
    """As psycopg names the server's "no space left" error."""


def _refuse_for_a_full_disk(*args: Any, **kwargs: Any) -> Any:
    """A database error whose text carries a statement and its parameters."""
    raise OperationalError(
        "INSERT INTO supply_snapshots (store_id, stock) VALUES (%(store_id)s, %(stock)s)",
        {"store_id": 7, "stock": 123.0},
        DiskFull("could not extend file: No space left on device"),
    )


def test_a_fanned_out_run_failed_by_the_database_records_the_kind_not_the_statement(
    live_database: tuple[Engine, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The part's row and the run's record (read by every bureau key) name only the kind
    of database error, as a run in one process does; they carried the statement and its
    parameters, through the part's error wrapped in PartFailed."""
    _, factory = live_database
    seed_province(factory)

    monkeypatch.setattr(fanout, "compute_stores", _refuse_for_a_full_disk)
    with pytest.raises(MonitorRunFailed):
        run_monitor(
            factory=factory,
            business_date=D,
            config=MonitorConfig(part_stores=3),
            trigger="test",
            queue=WorkerInThisThread(factory),
        )
    kind = "database error (DiskFull); the service's log has the details"
    with factory() as session:
        last = session.scalars(select(MonitorRun).order_by(MonitorRun.id.desc())).first()
        parts = session.scalars(select(MonitorRunPart.error)).all()
    assert last is not None and last.status is RunStatus.failed
    assert last.error is not None and last.error.endswith(f"failed: {kind}"), last.error
    assert parts and set(parts) <= {kind, None}, parts
    for recorded in [last.error, *parts]:
        assert "supply_snapshots" not in (recorded or "") and "123" not in (recorded or "")


def test_the_incremental_setting_reaches_the_monitor(settings: Settings) -> None:
    assert monitor_config(settings).incremental is False  # measured slower: off by default
    kept = settings.model_copy(update={"monitor_incremental": True})
    assert monitor_config(kept).incremental is True


def test_a_run_failed_by_the_database_records_the_kind_of_error_not_its_statement(
    live_database: tuple[Engine, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failed run's record is read by every bureau reader (the dashboard, the API); a
    database error's text carries the statement and its parameters, so the record names
    only its kind and the log keeps the rest."""
    _, factory = live_database
    seed_province(factory)

    monkeypatch.setattr(day, "apply_alert_lifecycle", _refuse_for_a_full_disk)
    with pytest.raises(MonitorRunFailed):
        run_monitor(factory=factory, business_date=D, config=MonitorConfig(), trigger="test")
    with factory() as session:
        last = session.scalars(select(MonitorRun).order_by(MonitorRun.id.desc())).first()
        assert last is not None and last.status is RunStatus.failed
        assert last.error == "database error (DiskFull); the service's log has the details"
