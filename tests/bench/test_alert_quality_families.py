"""A scenario family's city goes through the alert-quality bench like the demo does: its
reported lines are posted as they are, the real monitor runs, and the alerts are judged
by the demo's definitions (a warning 2 days ahead is recalled, a warning with no
stock-out behind it is a false alarm)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from bench.alert_quality import METHODS
from bench.families.model import CityHistory
from bench.family_replay import FAMILIES, FamilyCity
from core.database import create_database_engine, create_session_factory
from models import DailyReport, Enterprise, Product, Region, Store
from monitors.running.runs import MonitorConfig
from service.demo.scoring import (
    NORMAL_FROM_DAY,
    Replay,
    new_alerts_per_100_lines,
    replay,
    score,
    stockout_events,
)
from service.migrate import upgrade_to_head

REPORTED_DAYS, FOLLOW_UP_DAYS, EVENT_START = 18, 4, 10
SIMULATED_DAYS = REPORTED_DAYS + FOLLOW_UP_DAYS
MARKET_MISSES_DAY = 3
STOCKOUT_DAY = 15


def tiny_city() -> CityHistory:
    """Two stores, three lines: the supermarket's rice never runs low; its eggs sell
    down from day 12 (2.5 days left, below the eggs' 3-day warning) and run out on
    day 15; the market's eggs dip to 2 days on day 12 only and are refilled the next
    morning. The market skips day 3 and never reports deliveries."""
    days = SIMULATED_DAYS
    stock = np.zeros((days, 3))
    stock[:, 0] = 500.0
    stock[:, 1] = [100.0] * 12 + [25.0, 15.0, 5.0] + [0.0] * (days - 15)
    stock[:, 2] = 100.0
    stock[12, 2] = 20.0
    sales = np.full((days, 3), 10.0)
    sales[:, 0] = 20.0
    sales[STOCKOUT_DAY:, 1] = [5.0] + [0.0] * (days - STOCKOUT_DAY - 1)
    received = np.column_stack(
        [np.full(days, 20.0), np.r_[np.full(12, 10.0), np.zeros(days - 12)], np.full(days, np.nan)]
    )
    price = np.column_stack([np.full(days, 5.2), np.full(days, 11.5), np.full(days, 10.8)])
    reported = np.ones((days, 3), dtype=bool)
    reported[MARKET_MISSES_DAY, 2] = False
    for values in (stock, sales, price, received):
        values[~reported] = np.nan
    true_stock = stock.copy()
    true_stock[MARKET_MISSES_DAY, 2] = 100.0
    history = CityHistory(
        family="tiny",
        seed=0,
        first_date=date(2026, 3, 1),
        reported_days=REPORTED_DAYS,
        follow_up_days=FOLLOW_UP_DAYS,
        event_start=EVENT_START,
        stores=pd.DataFrame(
            {
                "code": ["TINY-SM-1", "TINY-FM-1"],
                "name": ["Test Mart Xinhua", "Weidong Farmers' Market"],
                "district": ["410402", "410403"],
                "kind": ["supermarket", "farmers_market"],
                "chain": ["Test Mart", "Weidong Market Service Centre"],
            }
        ),
        lines=pd.DataFrame(
            {
                "store": ["TINY-SM-1", "TINY-SM-1", "TINY-FM-1"],
                "product": ["rice", "eggs", "eggs"],
            }
        ),
        stock=stock,
        sales=sales,
        price=price,
        received=received,
        reported=reported,
        true_stock=true_stock,
        disrupted=np.array([False, True, False]),
    )
    history.check()
    return history


@pytest.fixture(scope="module")
def replayed_city(
    backend: str, empty_database_url: Callable[[str], str]
) -> tuple[FamilyCity, Replay, pd.DataFrame, dict[str, object]]:
    """The tiny city replayed with the plain rule (once per backend); what the database
    holds afterwards."""
    city = FamilyCity.of(tiny_city())
    url = empty_database_url(backend)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    try:
        factory = create_session_factory(engine)
        replayed = replay(city, factory=factory, config=MonitorConfig(supply=METHODS["simple"]))
        with factory() as session:
            rows = session.execute(
                select(
                    Store.code,
                    Product.code,
                    DailyReport.report_date,
                    DailyReport.stock,
                    DailyReport.sales,
                    DailyReport.price,
                    DailyReport.received,
                )
                .join(Store, Store.id == DailyReport.store_id)
                .join(Product, Product.id == DailyReport.product_id)
            ).all()
            stored = pd.DataFrame(
                rows,
                columns=["store", "product", "report_date", "stock", "sales", "price", "received"],
            )
            master = {
                "districts": dict(
                    session.execute(
                        select(Store.code, Region.code).join(Region, Region.id == Store.region_id)
                    ).all()
                ),
                "enterprises": dict(
                    session.execute(
                        select(Store.code, Enterprise.kind).join(
                            Enterprise, Enterprise.id == Store.enterprise_id
                        )
                    ).all()
                ),
                "products": session.scalar(select(Product.id).where(Product.code == "flour")),
            }
    finally:
        engine.dispose()
    return city, replayed, stored, master


def test_the_replay_posts_exactly_the_reported_values(
    replayed_city: tuple[FamilyCity, Replay, pd.DataFrame, dict[str, object]],
) -> None:
    city, replayed, stored, master = replayed_city
    history = city.history
    day, line = np.nonzero(history.reported)
    expected = pd.DataFrame(
        {
            "store": history.lines["store"].to_numpy()[line],
            "product": history.lines["product"].to_numpy()[line],
            "report_date": [history.date_of(int(d)) for d in day],
            "stock": history.stock[day, line],
            "sales": history.sales[day, line],
            "price": history.price[day, line],
            "received": history.received[day, line],
        }
    )
    keys = ["store", "product", "report_date"]
    merged = expected.merge(stored, on=keys, how="outer", suffixes=("", "_stored"))
    assert len(stored) == len(expected) == int(history.reported.sum())  # follow-up days too
    assert len(merged) == len(expected)
    for column in ("stock", "sales", "price"):
        assert np.array_equal(merged[column], merged[f"{column}_stored"])
    market = merged["store"] == "TINY-FM-1"
    assert merged.loc[market, "received_stored"].isna().all()  # not reported: left empty
    assert np.array_equal(merged.loc[~market, "received"], merged.loc[~market, "received_stored"])
    skipped = history.date_of(MARKET_MISSES_DAY)
    assert not ((stored["store"] == "TINY-FM-1") & (stored["report_date"] == skipped)).any()
    # The stores stand in their districts under their chains; the whole catalogue is there.
    assert master["districts"] == {"TINY-SM-1": "410402", "TINY-FM-1": "410403"}
    assert master["enterprises"] == {"TINY-SM-1": "chain", "TINY-FM-1": "market_operator"}
    assert master["products"] is not None
    assert replayed.runs == SIMULATED_DAYS - METHODS["simple"].window_days


def test_a_warning_two_days_ahead_is_recalled_and_a_dip_is_a_false_alarm(
    replayed_city: tuple[FamilyCity, Replay, pd.DataFrame, dict[str, object]],
) -> None:
    city, replayed, _, _ = replayed_city
    scored = score(city, replayed, settings=METHODS["simple"])
    # The demo's definitions: one stock-out event, the supermarket's eggs on day 15 ...
    assert scored.events[["line", "day"]].values.tolist() == [[1, STOCKOUT_DAY]]
    assert stockout_events(city.true_stock).values.tolist() == [[1, STOCKOUT_DAY]]
    # ... warned from day 12 (25 eggs, 2.5 days of sales) and firing until the day before.
    episodes = scored.episodes.set_index("line")
    warned = scored.episodes[scored.episodes["line"] == 1]
    first_day, last_day = warned[["first_day", "last_day"]].to_numpy(np.int64)[0].tolist()
    assert first_day == 12 and last_day >= 14
    assert scored.events["lead"].tolist() == [3]
    assert episodes.loc[1, "verdict"] == "true"
    # The market's one-day dip to 2 days of eggs, refilled the next morning: false.
    assert (episodes.loc[2, "first_day"], episodes.loc[2, "last_day"]) == (12, 12)
    assert episodes.loc[2, "verdict"] == "false"
    assert 0 not in episodes.index  # the rice never ran low
    q = scored.quality
    assert (q.counted, q.warned_48h, q.recall_48h, q.median_lead_days) == (1, 1, 1.0, 3.0)
    assert (q.episodes, q.true_alarms, q.false_alarms, q.false_alarm_rate) == (2, 1, 1, 0.5)
    assert scored.events["disrupted"].tolist() == [True]


def test_normal_times_alerts_count_new_alerts_per_100_lines_per_day(
    replayed_city: tuple[FamilyCity, Replay, pd.DataFrame, dict[str, object]],
) -> None:
    city, replayed, _, _ = replayed_city
    # Two alerts open on day 12, in days 7 .. 17 (11 days) of 3 lines.
    rate = new_alerts_per_100_lines(
        replayed, lines=city.lines, first_day=NORMAL_FROM_DAY, end_day=city.days
    )
    assert rate == pytest.approx(2 * 100 / 3 / 11)
    quiet = new_alerts_per_100_lines(replayed, lines=city.lines, first_day=13, end_day=city.days)
    assert quiet == 0.0


def test_every_family_is_picked_up_by_name() -> None:
    for name in FAMILIES:
        module = importlib.import_module(f"bench.families.{name}")
        assert callable(module.generate)
