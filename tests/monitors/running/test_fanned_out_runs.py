"""A monitor run fanned out by region over real workers on RabbitMQ gives the same
snapshots and alerts as one process, and survives a worker killed mid-part.

The workers are `supplywatch worker` processes started by the test on a queue of its
own; the broker is this machine's RabbitMQ (skipped, saying so, where it is missing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from core.database import create_database_engine, create_session_factory
from models import (
    Alert,
    MonitorRun,
    MonitorRunPart,
    PartStatus,
    RegionLevel,
    RunStatus,
    SupplySnapshot,
)
from monitors.running.runs import MonitorConfig, MonitorRunFailed, run_monitor
from reports import store_report_lines
from service.migrate import upgrade_to_head
from service.settings import Settings
from service.worker import part_queue
from tests.factories import business_today, make_product, make_region, make_store
from tests.task_queue import (
    BROKER_SKIP_REASON,
    BROKER_URL,
    fresh_queue,
    running_workers,
    wait_until,
)

pytestmark = pytest.mark.skipif(BROKER_SKIP_REASON is not None, reason=BROKER_SKIP_REASON or "")

D = business_today() - timedelta(days=1)
PART_STORES = 4
"""Parts of about four stores: the seeded city's three districts make three parts."""


@pytest.fixture
def two_databases(
    backend: str, empty_database_url: Callable[[str], str]
) -> Iterator[tuple[str, sessionmaker[Session], str, sessionmaker[Session]]]:
    """Two empty databases of the backend: one for the fanned-out run, one for the same
    run in one process."""
    engines: list[Engine] = []
    made: list[Any] = []
    for _ in range(2):
        url = empty_database_url(backend)
        upgrade_to_head(url)
        engine = create_database_engine(url)
        engines.append(engine)
        made.extend([url, create_session_factory(engine)])
    yield made[0], made[1], made[2], made[3]
    for engine in engines:
        engine.dispose()


def seed_city(factory: sessionmaker[Session]) -> None:
    """A city of three districts (one store filed in a township) and twelve stores, three
    products in two categories, three weeks of reports with gaps, stock-outs and price
    moves: every rule has something to find."""
    generator = np.random.default_rng(17)
    with factory() as session:
        city = make_region(session, code="C", name="City", level=RegionLevel.city)
        districts = [
            make_region(session, code=f"D{n}", name=f"District {n}", parent=city) for n in range(3)
        ]
        township = make_region(
            session, code="T0", name="Township", level=RegionLevel.township, parent=districts[0]
        )
        products = [
            make_product(session, code="rice", category="grain"),
            make_product(session, code="cabbage", category="vegetables"),
            make_product(session, code="pork", category="meat"),
        ]
        rows = []
        for number in range(12):
            region = township if number == 0 else districts[number % 3]
            store = make_store(session, code=f"S{number:02d}", region=region)
            for product in products:
                stock = float(generator.integers(20, 200))
                for age in range(21, -1, -1):
                    if generator.random() < 0.1 or (number == 11 and age < 2):
                        continue  # a day the store did not report this line (S11: any)
                    sales = float(generator.integers(0, 30))
                    stock = max(stock - sales, 0.0) if generator.random() < 0.8 else stock + 60
                    rows.append(
                        {
                            "store_id": store.id,
                            "report_date": D - timedelta(days=age),
                            "product_id": product.id,
                            "stock": stock,
                            "sales": sales,
                            "price": round(10 + generator.random() * (8 if age < 2 else 1), 2),
                            "received": None,
                        }
                    )
        frame = pd.DataFrame(rows)
        for _, lines in frame.groupby(["store_id", "report_date"]):
            store_report_lines(session, lines.reset_index(drop=True), submitted_by="test")
        session.commit()


def results(factory: sessionmaker[Session]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every snapshot and alert of the database, in a fixed order, without run ids."""
    with factory() as session:
        snapshots = [
            tuple(row)
            for row in session.execute(
                select(*(c for c in SupplySnapshot.__table__.c if c.name != "run_id")).order_by(
                    SupplySnapshot.scope_level,
                    SupplySnapshot.scope_id,
                    SupplySnapshot.item_kind,
                    SupplySnapshot.item_id,
                )
            )
        ]
        alerts = [
            tuple(row)
            for row in session.execute(
                select(
                    Alert.fingerprint,
                    Alert.rule,
                    Alert.severity,
                    Alert.status,
                    Alert.scope_level,
                    Alert.scope_id,
                    Alert.product_id,
                    Alert.value,
                    Alert.threshold,
                    Alert.summary,
                ).order_by(Alert.fingerprint)
            )
        ]
    return snapshots, alerts


def queue_for(url: str, queue: str) -> Any:
    return part_queue(Settings(database_url=url, broker_url=BROKER_URL, task_queue=queue))


def test_a_run_fanned_out_over_workers_equals_one_process(
    two_databases: tuple[str, sessionmaker[Session], str, sessionmaker[Session]],
    tmp_path: Path,
) -> None:
    url, factory, alone_url, alone = two_databases
    seed_city(factory)
    seed_city(alone)
    config = MonitorConfig(part_stores=PART_STORES)
    expected = run_monitor(factory=alone, business_date=D, config=config, trigger="test")
    queue = fresh_queue()
    with running_workers(url, queue, tmp_path, count=2) as workers:
        run = run_monitor(
            factory=factory,
            business_date=D,
            config=config,
            trigger="test",
            queue=queue_for(url, queue),
        )
        logs = "\n".join(worker.output() for worker in workers)
    assert run.status is RunStatus.succeeded, (run.error, logs)
    assert run.counts["parts"] == 3
    assert run.counts["part_attempts"] == 3
    assert run.counts["candidates"] == expected.counts["candidates"] > 0
    snapshots, alerts = results(factory)
    assert (snapshots, alerts) == results(alone)
    assert {row[1] for row in alerts} >= {"low_supply", "stockout", "missing_report"}
    with factory() as session:
        parts = session.scalars(select(MonitorRunPart).where(MonitorRunPart.run_id == run.id)).all()
    assert sorted(part.status for part in parts) == [PartStatus.done] * 3
    assert all(part.result is None for part in parts)  # folded into the day, then let go


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_worker_killed_mid_part_is_replaced_and_the_run_completes_once(
    two_databases: tuple[str, sessionmaker[Session], str, sessionmaker[Session]],
    tmp_path: Path,
) -> None:
    url, factory, alone_url, alone = two_databases
    seed_city(factory)
    seed_city(alone)
    config = MonitorConfig(part_stores=PART_STORES)
    run_monitor(factory=alone, business_date=D, config=config, trigger="test")
    queue = fresh_queue()
    outcome: list[MonitorRun] = []
    # Hold the snapshots table: the first worker's part stops mid-transaction, at its
    # first write, with its part marked running.
    holder = create_engine(url).connect()
    holder.execute(text("LOCK TABLE supply_snapshots IN ACCESS EXCLUSIVE MODE"))

    def parts_running() -> list[MonitorRunPart]:
        with factory() as session:
            return list(
                session.scalars(
                    select(MonitorRunPart).where(MonitorRunPart.status == PartStatus.running)
                )
            )

    def waiting_on_the_lock() -> bool:
        with factory() as session:
            return bool(
                session.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    )
                )
            )

    try:
        with running_workers(url, queue, tmp_path, count=1) as (first,):
            coordinator = threading.Thread(
                target=lambda: outcome.append(
                    run_monitor(
                        factory=factory,
                        business_date=D,
                        config=config,
                        trigger="test",
                        queue=queue_for(url, queue),
                    )
                )
            )
            coordinator.start()
            wait_until(lambda: parts_running() and waiting_on_the_lock(), what="a part mid-write")
            (stuck,) = parts_running()
            first.kill()
        holder.rollback()
        holder.close()
        with running_workers(url, queue, tmp_path, count=1) as (second,):
            coordinator.join(timeout=120)
            logs = second.output()
    finally:
        if not holder.closed:
            holder.rollback()
            holder.close()
    assert not coordinator.is_alive()
    (run,) = outcome
    assert run.status is RunStatus.succeeded, (run.error, logs)
    with factory() as session:
        parts = {
            part.part_number: part
            for part in session.scalars(
                select(MonitorRunPart).where(MonitorRunPart.run_id == run.id)
            )
        }
    assert parts[stuck.part_number].attempts == 2  # killed once, done by the second worker
    assert all(part.attempts == 1 for n, part in parts.items() if n != stuck.part_number)
    assert run.counts["part_attempts"] == len(parts) + 1
    assert results(factory) == results(alone)  # every row written once, as in one process


def test_with_the_broker_down_a_run_fails_at_once_and_keeps_the_last_results(
    two_databases: tuple[str, sessionmaker[Session], str, sessionmaker[Session]],
) -> None:
    url, factory, _, _ = two_databases
    seed_city(factory)
    config = MonitorConfig(part_stores=PART_STORES)
    assert run_monitor(factory=factory, business_date=D, config=config, trigger="test").status is (
        RunStatus.succeeded
    )
    before = results(factory)
    nowhere = part_queue(
        Settings(database_url=url, broker_url="amqp://guest:guest@127.0.0.1:9//", task_queue="x")
    )
    with pytest.raises(MonitorRunFailed):
        run_monitor(factory=factory, business_date=D, config=config, trigger="test", queue=nowhere)
    assert results(factory) == before
    with factory() as session:
        last = session.scalars(select(MonitorRun).order_by(MonitorRun.id.desc())).first()
    assert last is not None and last.status is RunStatus.failed


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_with_no_worker_running_a_run_fails_after_its_part_timeout_and_keeps_the_last_results(
    two_databases: tuple[str, sessionmaker[Session], str, sessionmaker[Session]],
) -> None:
    url, factory, _, _ = two_databases
    seed_city(factory)
    config = MonitorConfig(part_stores=PART_STORES, part_timeout_seconds=1.5)
    assert run_monitor(factory=factory, business_date=D, config=config, trigger="test").status is (
        RunStatus.succeeded
    )
    before = results(factory)
    # The broker takes the parts, but nobody listens on this queue.
    with pytest.raises(MonitorRunFailed, match="0 of 3 parts done after 2 s: are workers running"):
        run_monitor(
            factory=factory,
            business_date=D,
            config=config,
            trigger="test",
            queue=queue_for(url, fresh_queue()),
        )
    assert results(factory) == before
