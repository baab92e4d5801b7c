"""An incremental monitor run (kept per-store state plus changed store-days) gives exactly
what a full read of the window gives, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from models import (
    MonitorLineState,
    RegionLevel,
    ReportChange,
    SupplySnapshot,
)
from monitors.computing import inputs as data
from monitors.computing import line_states
from monitors.computing.supply import SupplySettings
from monitors.running import day as day_module
from monitors.running.runs import MonitorConfig, compute_day
from reports.upsert import replace_report, store_report_lines
from reports.validation import CheckedReport
from tests.factories import business_today, make_product, make_region, make_store

LAST = business_today() - timedelta(days=1)
SHORT = SupplySettings(
    window_days=3,
    min_observations=2,
    lookback_days=7,
    price_baseline_days=5,
    warning_method="cover",
)
"""An 8-day window (``horizon_days``), so a history of 10 to 24 days moves days out of it."""


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back (one per example)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


Line = tuple[int, float, float, float]
"""A report line: product id, stock, sales, price."""


@dataclass
class City:
    stores: list[int]
    products: list[int]


def make_city(session: Session, stores: int, products: int) -> City:
    city = make_region(session, level=RegionLevel.city)
    districts = [make_region(session, level=RegionLevel.district, parent=city) for _ in range(2)]
    categories = ["vegetables", "meat", "grain"]
    return City(
        stores=[make_store(session, region=districts[i % 2]).id for i in range(stores)],
        products=[make_product(session, category=categories[i % 3]).id for i in range(products)],
    )


def post(session: Session, store: int, day: date, lines: list[Line]) -> None:
    """A store's whole report for ``day`` through the API's write path (lines it no longer
    has are removed)."""
    report = CheckedReport(
        product_ids=[product for product, *_ in lines],
        product_codes=[str(product) for product, *_ in lines],
        units=["kg" for _ in lines],
        numbers={
            "stock": [stock for _, stock, _, _ in lines],
            "sales": [sales for _, _, sales, _ in lines],
            "price": [price for _, _, _, price in lines],
            "received": [None for _ in lines],
        },
    )
    replace_report(session, store_id=store, day=day, report=report, submitted_by="test")


def upsert(session: Session, store: int, day: date, lines: list[Line]) -> None:
    """Lines added or corrected without removing the rest (a bulk file's upsert)."""
    frame = pd.DataFrame(
        [
            {
                "store_id": store,
                "report_date": day,
                "product_id": product,
                "stock": stock,
                "sales": sales,
                "price": price,
                "received": None,
            }
            for product, stock, sales, price in lines
        ]
    )
    store_report_lines(session, frame, submitted_by="test")


def snapshot_rows(session: Session, day: date) -> list[tuple[Any, ...]]:
    columns = [
        column for column in SupplySnapshot.__table__.columns if column.name not in ("id", "run_id")
    ]
    return sorted(
        (
            tuple(row)
            for row in session.execute(select(*columns).where(SupplySnapshot.business_date == day))
        ),
        key=repr,
    )


def sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["store_id", "product_id", "report_date"]).reset_index(drop=True)


@dataclass
class Run:
    snapshots: list[tuple[Any, ...]]
    candidates: pd.DataFrame
    counts: dict[str, Any]


def run_day(session: Session, day: date, *, incremental: bool, supply: SupplySettings) -> Run:
    """compute_day for ``day``: its snapshots, rule candidates and counts."""
    seen: dict[str, pd.DataFrame] = {}
    rule_candidates = day_module._rule_candidates

    def candidates(**arguments: Any) -> pd.DataFrame:
        seen["candidates"] = rule_candidates(**arguments)
        return seen["candidates"]

    with mock.patch.object(day_module, "_rule_candidates", candidates):
        counts = compute_day(
            session,
            business_date=day,
            run_id=None,
            config=MonitorConfig(supply=supply, read_connections=1, incremental=incremental),
        )
    order = ["rule", "scope_level", "scope_id", "product_id", "category"]
    found = seen["candidates"].sort_values(order, na_position="first").reset_index(drop=True)
    return Run(snapshot_rows(session, day), found, counts)


def full_window(session: Session, day: date, days: int, stores: list[int]) -> pd.DataFrame:
    frame = data.load_report_window(session, first_day=day - timedelta(days=days - 1), last_day=day)
    return sorted_frame(frame[frame["store_id"].isin(stores)])


def assert_same_runs(session: Session, day: date, supply: SupplySettings) -> dict[str, Any]:
    """Run ``day`` by a full read (in a savepoint rolled back after, so it changes nothing)
    and then incrementally, and check both give the same snapshots and candidates."""
    nested = session.begin_nested()
    try:
        full = run_day(session, day, incremental=False, supply=supply)
    finally:
        nested.rollback()
    incremental = run_day(session, day, incremental=True, supply=supply)
    assert incremental.snapshots == full.snapshots
    pd.testing.assert_frame_equal(incremental.candidates, full.candidates)
    return incremental.counts


def assert_same_window(session: Session, stores: list[int], day: date, days: int) -> None:
    """The incremental read of the window ending on ``day`` is the full read's frame."""
    first_day = day - timedelta(days=days - 1)
    read = line_states.load_report_window_incremental(
        session,
        store_ids=np.asarray(stores),
        first_day=first_day,
        last_day=day,
        full_reader=lambda: data.load_report_window(session, first_day=first_day, last_day=day),
        day_reader=lambda marked, _stores: data.load_report_window(
            session, first_day=marked, last_day=marked
        ),
    )
    pd.testing.assert_frame_equal(read.reports, full_window(session, day, days, stores))


def states(session: Session) -> dict[int, tuple[Any, ...]]:
    table = MonitorLineState
    return {
        row[0]: tuple(row[1:])
        for row in session.execute(
            select(table.store_id, table.through_date, table.product_ids, table.stock, table.sales)
        )
    }


# One day of a history: per store, None (no report: a gap) or its lines as product
# indexes with (stock, sales, price); 0 stock is a stock-out.
line = st.tuples(
    st.sampled_from([0.0, 0.0, 3.0, 10.0, 40.0]),
    st.sampled_from([0.0, 1.0, 4.0, 9.0]),
    st.sampled_from([2.0, 2.5, 3.0, 4.5]),
)
lines = st.dictionaries(st.integers(0, 2), line, max_size=3)
correction = st.tuples(
    st.integers(0, 2),  # store
    st.integers(1, 12),  # days back
    lines,
    st.booleans(),  # replace the whole report (lines missing are removed) or upsert
)
day_of_history = st.tuples(
    st.lists(st.one_of(st.none(), lines), min_size=3, max_size=3),
    st.lists(correction, max_size=2),
    st.one_of(st.none(), st.integers(1, 6)),  # a back-fill run of that many days back
    st.sampled_from(["every store", "every store", "no store", "the first two stores"]),
)
"""The last item: whose window the day's run reads. Days without a run make the next one
shift a state by several days; a run over some stores leaves states of different days."""


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    history=st.lists(day_of_history, min_size=10, max_size=20),
    forecast=st.booleans(),
)
def test_incremental_runs_equal_full_recomputes(
    engine: Engine, history: list[Any], forecast: bool
) -> None:
    supply = SupplySettings() if forecast else SHORT
    horizon = supply.horizon_days
    first = LAST - timedelta(days=len(history) - 1)
    with rolled_back(engine) as session:
        city = make_city(session, stores=3, products=3)

        def as_lines(chosen: dict[int, tuple[float, float, float]]) -> list[Any]:
            return [(city.products[index], *numbers) for index, numbers in sorted(chosen.items())]

        for offset, (reports, corrections, back_fill, read) in enumerate(history):
            day = first + timedelta(days=offset)
            for store, chosen in zip(city.stores, reports, strict=True):
                if chosen is not None:
                    post(session, store, day, as_lines(chosen))
            for store_index, back, chosen, replace in corrections:
                earlier = day - timedelta(days=back)
                if replace:
                    post(session, city.stores[store_index], earlier, as_lines(chosen))
                elif chosen:
                    upsert(session, city.stores[store_index], earlier, as_lines(chosen))
            if offset == len(history) - 1:
                read = "every store"  # so that every store has a state for the last run
            readers = {"every store": city.stores, "the first two stores": city.stores[:2]}
            if read in readers:
                assert_same_window(session, readers[read], day, horizon)
            if back_fill is not None:
                earlier = day - timedelta(days=back_fill)
                before = states(session)
                assert_same_window(session, city.stores, earlier, horizon)
                after = states(session)
                # A back-fill leaves the states of later days alone (a state of an earlier
                # day moves up to it, a store without one gets it built).
                later = {store for store, state in before.items() if state[0] > earlier}
                assert {store: after[store] for store in later} == {
                    store: before[store] for store in later
                }
        # Every store now has a state through LAST: the run reads only the marks left
        # (none), and computes what a full recompute computes.
        counts = assert_same_runs(session, LAST, supply)
        assert counts["stores_read_in_full"] == 0 and counts["lines_read"] == 0


@pytest.fixture
def city(session: Session) -> City:
    return make_city(session, stores=2, products=2)


def window(session: Session, city: City, day: date) -> line_states.IncrementalRead:
    return line_states.load_report_window_incremental(
        session,
        store_ids=np.asarray(city.stores),
        first_day=day - timedelta(days=SHORT.horizon_days - 1),
        last_day=day,
        full_reader=lambda: data.load_report_window(
            session, first_day=day - timedelta(days=SHORT.horizon_days - 1), last_day=day
        ),
    )


def seed(session: Session, city: City, days: int = 5) -> None:
    for back in range(days - 1, -1, -1):
        for store in city.stores:
            post(
                session,
                store,
                LAST - timedelta(days=back),
                [(p, 20.0, 4.0, 3.0) for p in city.products],
            )


def marks(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ReportChange)) or 0)


def test_a_correction_to_an_earlier_day_changes_the_next_runs_numbers(
    session: Session, city: City
) -> None:
    seed(session, city)
    first = window(session, city, LAST)
    assert first.counts["stores_read_in_full"] == 2 and marks(session) == 0
    store, product = city.stores[0], city.products[0]
    post(session, store, LAST - timedelta(days=2), [(product, 0.0, 9.0, 3.0)])
    second = window(session, city, LAST)
    assert second.counts["states_used"] == 2 and second.counts["lines_read_from_marks"] == 1
    lines = second.reports
    day = pd.Timestamp(LAST - timedelta(days=2))
    corrected = lines[(lines["store_id"] == store) & (lines["report_date"] == day)]
    assert corrected[["product_id", "stock", "sales"]].values.tolist() == [[product, 0.0, 9.0]]
    pd.testing.assert_frame_equal(
        lines, full_window(session, LAST, SHORT.horizon_days, city.stores)
    )
    assert marks(session) == 0


def test_a_correction_changes_the_next_runs_snapshot(session: Session, city: City) -> None:
    seed(session, city)
    run_day(session, LAST, incremental=True, supply=SHORT)
    store, product = city.stores[0], city.products[0]
    post(session, store, LAST, [(product, 0.0, 9.0, 3.0)])
    run_day(session, LAST, incremental=True, supply=SHORT)
    stock = session.scalar(
        select(SupplySnapshot.stock).where(
            SupplySnapshot.business_date == LAST,
            SupplySnapshot.scope_level == "store",
            SupplySnapshot.scope_id == store,
            SupplySnapshot.item_id == product,
        )
    )
    assert stock == 0.0


def test_a_back_fill_of_an_older_day_leaves_the_state_alone(session: Session, city: City) -> None:
    seed(session, city)
    window(session, city, LAST)
    before = states(session)
    post(session, city.stores[1], LAST - timedelta(days=1), [(city.products[1], 1.0, 1.0, 3.0)])
    back_fill = window(session, city, LAST - timedelta(days=2))
    assert back_fill.counts["stores_read_in_full"] == 2 and back_fill.counts["states_used"] == 0
    assert states(session) == before and marks(session) == 1  # the mark waits for LAST's run
    again = window(session, city, LAST)
    assert again.counts["lines_read_from_marks"] == 1 and marks(session) == 0


def test_states_emptied_as_a_crash_empties_them_are_rebuilt_by_a_full_read(
    session: Session, city: City
) -> None:
    """On PostgreSQL the states are an unlogged table, which a crash (or a replica
    promoted to primary) leaves empty: the next run reads every store in full."""
    seed(session, city)
    window(session, city, LAST - timedelta(days=1))
    assert len(states(session)) == 2
    session.execute(delete(MonitorLineState))
    read = window(session, city, LAST)
    assert read.counts["stores_read_in_full"] == 2 and read.counts["states_used"] == 0
    pd.testing.assert_frame_equal(
        read.reports, full_window(session, LAST, SHORT.horizon_days, city.stores)
    )
    assert len(states(session)) == 2
    assert window(session, city, LAST).counts["states_used"] == 2


def test_a_second_run_of_the_same_day_reads_only_marks(session: Session, city: City) -> None:
    seed(session, city)
    first = run_day(session, LAST, incremental=True, supply=SHORT)
    assert first.counts["stores_read_in_full"] == 2
    assert first.counts["lines_read_in_full"] == 2 * 2 * 5
    unchanged = run_day(session, LAST, incremental=True, supply=SHORT)
    assert unchanged.counts["lines_read"] == 0 and unchanged.counts["states_used"] == 2
    assert unchanged.counts["lines_from_states"] == 2 * 2 * 5
    assert unchanged.counts["states_written"] == 0
    post(session, city.stores[0], LAST, [(city.products[0], 5.0, 1.0, 3.0)])  # one line left
    corrected = run_day(session, LAST, incremental=True, supply=SHORT)
    assert corrected.counts["lines_read"] == corrected.counts["lines_read_from_marks"] == 1
    assert corrected.counts["report_lines"] == 2 * 2 * 5 - 1


def test_a_new_day_moves_the_window_and_a_new_product_adds_a_row(
    session: Session, city: City
) -> None:
    seed(session, city, days=SHORT.horizon_days)
    window(session, city, LAST - timedelta(days=1))
    extra = make_product(session, category="meat").id
    post(session, city.stores[0], LAST, [(extra, 2.0, 1.0, 3.0)])
    read = window(session, city, LAST)
    assert read.counts["states_used"] == 2
    pd.testing.assert_frame_equal(
        read.reports, full_window(session, LAST, SHORT.horizon_days, city.stores)
    )


def test_runs_with_incremental_reads_off_leave_no_marks_to_pile_up(
    session: Session, city: City
) -> None:
    seed(session, city)
    run_day(session, LAST, incremental=True, supply=SHORT)
    post(session, city.stores[0], LAST, [(city.products[0], 5.0, 1.0, 3.0)])
    post(session, city.stores[1], LAST + timedelta(days=1), [(city.products[1], 5.0, 1.0, 3.0)])
    assert marks(session) == 2 and len(states(session)) == 2

    full = run_day(session, LAST, incremental=False, supply=SHORT)
    # LAST's mark is gone with the states that needed it; tomorrow's waits for its day.
    assert full.counts["marks_forgotten"] == 1 and full.counts["states_forgotten"] == 2
    assert marks(session) == 1 and states(session) == {}

    # Turned back on, the next run reads every store in full and builds the states anew.
    again = run_day(session, LAST, incremental=True, supply=SHORT)
    assert again.counts["stores_read_in_full"] == 2 and again.counts["states_used"] == 0
    assert again.snapshots == full.snapshots
    pd.testing.assert_frame_equal(again.candidates, full.candidates)
