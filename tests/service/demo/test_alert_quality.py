"""The alert-quality simulation: ground truth, lead-time and false-alarm accounting on
hand-made histories, and one small replay through the real ingest and monitor."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from core.database import create_database_engine, create_session_factory
from models import DailyReport, MonitorRun, RunStatus
from monitors.computing.supply import SupplySettings
from service.demo import generate_city
from service.demo.scenario import Scenario, build_scenario
from service.demo.scoring import (
    LEAD_DAYS,
    Replay,
    alert_episodes,
    alert_load,
    exclusion_reasons,
    judge_episodes,
    lead_times,
    replay,
    score,
    stockout_events,
    warning_horizon,
)
from service.migrate import upgrade_to_head

# Two stores of a district that loses its supply (Ye county) and two that keep it.
SMALL_STORES = ("PDS-0002", "PDS-0010", "PDS-0001", "PDS-0003")


def events_of(*pairs: tuple[int, int]) -> pd.DataFrame:
    return pd.DataFrame(pairs, columns=["line", "day"])


def episodes_of(*rows: tuple[int, int, int]) -> pd.DataFrame:
    """Episodes from (line, first_day, last_day) tuples; alert ids follow the order."""
    return pd.DataFrame(
        [(i + 1, *row) for i, row in enumerate(rows)],
        columns=["alert_id", "line", "first_day", "last_day"],
    )


def firing_of(episodes: pd.DataFrame) -> pd.DataFrame:
    """The per-day firing records a replay would collect for ``episodes``."""
    columns = ("alert_id", "line", "first_day", "last_day")
    rows = [
        (alert_id, line, day, "warning")
        for alert_id, line, first, last in zip(
            *(episodes[name].to_numpy(int).tolist() for name in columns), strict=True
        )
        for day in range(first, last + 1)
    ]
    return pd.DataFrame(rows, columns=["alert_id", "line", "day", "severity"])


# --- ground truth -------------------------------------------------------------------------


def test_a_stockout_is_the_first_day_stock_reaches_zero() -> None:
    events = stockout_events(np.array([5.0, 3.0, 1.0, 0.0]))
    assert events.to_dict("records") == [{"line": 0, "day": 3}]  # the 4th day


def test_one_event_per_shortage_and_per_line() -> None:
    stock = np.array(
        [
            [5.0, 0.0, 4.0],
            [3.0, 0.0, 0.0],  # line 1 was empty from the start: no event
            [0.0, 2.0, 3.0],  # line 0 runs out; line 2 ran out on day 1
            [0.0, 1.0, 0.0],  # staying at 0 is the same shortage; line 2 flickered
            [0.4, 1.0, 5.0],  # line 0 gets a crumb ...
            [0.0, 2.0, 6.0],  # ... and is out again: still the same shortage
            [9.0, 0.0, 2.0],  # line 1 was in stock from day 2 on: a new event
            [8.0, 0.0, 0.0],  # line 2 was back for 3 days: a new event
            [0.0, 0.0, 0.0],  # line 0 back for 2 days (LEAD_DAYS): a new event
        ]
    )
    events = stockout_events(stock)
    assert list(events.itertuples(index=False, name=None)) == [
        (0, 2),
        (0, 8),
        (1, 6),
        (2, 1),
        (2, 7),
    ]
    assert LEAD_DAYS == 2  # the recovery the comments above count with


def test_exclusions_say_why_a_stockout_is_not_counted() -> None:
    stock = np.array([[5.0, 0.0, 0.0, 0.0, 4.0, 3.0, 2.0, 1.0, 0.0, 9.0, 0.0]]).T
    # Line 0: in stock only on days 0 and 4-7 before running out on day 8 (and day 10).
    events = events_of((0, 1), (0, 8), (0, 10))
    reasons = exclusion_reasons(
        events,
        stock,
        replayed_days=10,
        first_warning_day=2,
        settings=SupplySettings(min_observations=3, lookback_days=7, window_days=7),
    )
    assert list(reasons) == ["too_early", "", "follow_up"]
    strict = exclusion_reasons(
        events,
        stock,
        replayed_days=11,
        first_warning_day=0,
        settings=SupplySettings(min_observations=4, lookback_days=5, window_days=5),
    )
    # In the 5 days up to day 6 = S - 2, only days 4, 5, 6 were in stock: three
    # observations, not four; up to day 8, days 4 to 7 were: four.
    assert list(strict) == ["too_early", "untrusted", ""]


# --- lead times and false alarms ----------------------------------------------------------


def test_episodes_are_built_from_the_daily_firing_records() -> None:
    firing = pd.DataFrame(
        [(7, 3, 10), (7, 3, 11), (9, 3, 14), (8, 1, 12)], columns=["alert_id", "line", "day"]
    )
    episodes = alert_episodes(firing)
    assert list(episodes.itertuples(index=False, name=None)) == [
        (7, 3, 10, 11),
        (8, 1, 12, 12),
        (9, 3, 14, 14),
    ]
    assert alert_episodes(firing.iloc[0:0]).empty


def test_lead_is_counted_from_the_episode_still_firing_the_day_before() -> None:
    episodes = episodes_of(
        (0, 10, 12),  # fired on day 10, firing until the stock-out on 13: lead 3
        (1, 10, 10),  # fired and resolved long before line 1 ran out: no lead
        (1, 14, 14),  # fired the day before: lead 1
        (2, 5, 20),  # still firing on the stock-out day (stale stock): lead counts
        (3, 8, 9),  # another line's alert never counts for line 4
    )
    events = events_of((0, 13), (1, 15), (2, 9), (4, 10), (3, 20))
    assert list(lead_times(events, episodes)) == [3, 1, 4, 0, 0]
    assert lead_times(events.iloc[0:0], episodes).size == 0
    assert list(lead_times(events, episodes.iloc[0:0])) == [0, 0, 0, 0, 0]


def test_an_alarm_is_false_when_no_stockout_follows_within_its_horizon() -> None:
    episodes = episodes_of(
        (0, 10, 10),  # line 0 runs out on 12 = first day + horizon 2: true
        (1, 10, 10),  # line 1 runs out on 13, after the 2-day horizon: false
        (2, 10, 15),  # firing until 15, stock-out on 16 = last day + 1: true
        (3, 10, 11),  # stock-out on day 10 itself came before the alert: false
        (4, 18, 18),  # horizon reaches day 20, the truth only day 19: censored
        (5, 17, 17),  # the same but a stock-out came in time: true
    )
    events = events_of((0, 12), (1, 13), (2, 16), (3, 10), (5, 19))
    verdicts = judge_episodes(episodes, events, horizon=np.full(6, 2), known_until=19)
    assert list(verdicts) == ["true", "false", "true", "false", "censored", "true"]
    assert judge_episodes(episodes.iloc[0:0], events, horizon=np.zeros(0), known_until=9).empty


def test_alert_load_counts_the_warned_share_of_stocked_line_days_in_the_window() -> None:
    # Three lines over six days; the window is days 2-4. Line 2 is empty on days 3 and 4.
    true_stock = np.ones((6, 3))
    true_stock[3:5, 2] = 0
    firing = firing_of(
        episodes_of(
            (0, 0, 5),  # before, through and after the window: days 2, 3, 4 count
            (1, 4, 4),  # one day in the window
            (2, 2, 4),  # day 2 counts; days 3 and 4 the shelf was empty
        )
    )
    # Stocked line-days in the window: 3 + 3 + 1 = 7; warned among them: 3 + 1 + 1 = 5.
    assert alert_load(firing, true_stock, first_day=2, end_day=5) == pytest.approx(5 / 7)
    assert alert_load(firing.iloc[0:0], true_stock, first_day=2, end_day=5) == 0.0
    assert math.isnan(alert_load(firing, np.zeros((6, 3)), first_day=2, end_day=5))


def test_the_horizon_is_the_warning_level_of_the_category() -> None:
    categories = np.array(["vegetables", "meat", "grain", "condiments"], dtype=object)
    assert list(warning_horizon(categories)) == [2, 3, 7, 3]


# --- scenario and scoring -----------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> Scenario:
    """Four stores, a lockdown from day 6 with the supply cut from day 9."""
    return build_scenario(
        seed=42, days=14, lockdown_days=8, follow_up_days=3, store_codes=SMALL_STORES
    )


def test_the_scenario_replays_the_demo_citys_own_reports() -> None:
    scenario = build_scenario(seed=7, days=30, lockdown_days=7, follow_up_days=2)
    city = generate_city(seed=7, end_date=scenario.date_of(29), days=30)
    replayed = pd.concat([scenario.reports(day) for day in range(30)], ignore_index=True)
    merged = city.reports.merge(
        replayed, on=["store_code", "report_date", "product_code"], suffixes=("", "_scenario")
    )
    assert len(merged) == len(city.reports)  # every demo report, the same lines
    for column in ("stock", "sales", "price", "received"):
        assert np.array_equal(merged[column], merged[f"{column}_scenario"])
    assert scenario.simulated_days == 32 and scenario.lockdown_start == 23


def test_a_small_scenario_keeps_only_its_stores(small: Scenario) -> None:
    assert set(small.store_code) == set(SMALL_STORES)
    assert set(small.master.stores["code"]) == set(SMALL_STORES)
    assert len(small.master.assortment) == small.lines
    assert small.truth.stock.shape == (17, small.lines)
    assert small.disrupted.any() and not small.disrupted.all()
    assert (small.lockdown_start, small.disruption_start) == (6, 9)
    with pytest.raises(ValueError, match="unknown store"):
        build_scenario(days=5, lockdown_days=2, store_codes=["NOPE"])


def test_scoring_a_perfect_and_a_silent_monitor(small: Scenario) -> None:
    events = stockout_events(small.truth.stock)
    # A monitor that fires on every line three days before each stock-out, and stays up.
    lines, days = events["line"].to_numpy(int).tolist(), events["day"].to_numpy(int).tolist()
    perfect = episodes_of(
        *[(line, day - 3, day - 1) for line, day in zip(lines, days, strict=True)]
    )
    scored = score(
        small,
        Replay(firing_of(perfect), monitor_start=0, ingest_seconds=0, monitor_seconds=0, runs=0),
    )
    q = scored.quality
    assert q.counted > 0 and q.recall_48h == 1.0 and q.median_lead_days == 3.0
    assert q.false_alarms == 0 and q.false_alarm_rate == 0.0
    assert q.stockouts == q.counted + q.excluded_too_early + q.excluded_untrusted
    assert q.follow_up_stockouts == int((events["day"] >= small.days).sum())
    # Three days before each stock-out is a small share of the stocked line-days.
    assert 0.0 < q.alert_load < 0.5

    silent = score(
        small,
        Replay(
            firing_of(perfect.iloc[0:0]),
            monitor_start=0,
            ingest_seconds=0,
            monitor_seconds=0,
            runs=0,
        ),
    ).quality
    assert silent.recall_48h == 0.0 and silent.median_lead_days == 0.0
    assert silent.episodes == 0 and math.isnan(silent.false_alarm_rate)
    assert silent.alert_load == 0.0


def test_alerts_are_followed_through_the_follow_up_days_but_only_scored_from_the_window(
    small: Scenario,
) -> None:
    # small: days 0..13 replayed, 14..16 follow-up, lockdown from day 6. Line 0 is
    # warned from day 12 to day 15, and runs out on day 16 (the episode's L + 1): true,
    # seen only because the monitor ran on the follow-up days. The same episode cut at
    # the last replayed day 13 (no follow-up) with horizon max(14, 12 + W) misses it.
    # Line 1's alert starts on follow-up day 14: not scored. Line 2's alert fires from
    # day 10 to the last simulated day 16 with no stock-out: censored, not false.
    truth = small.truth.stock.copy()
    truth[:, :3] = 5.0
    truth[16, 0] = 0.0
    scenario = dataclasses.replace(
        small,
        truth=dataclasses.replace(small.truth, stock=truth),
        category=np.array(["vegetables"] * small.lines, dtype=object),
    )
    episodes = episodes_of((0, 12, 15), (1, 14, 16), (2, 10, 16))
    scored = score(
        scenario,
        Replay(firing_of(episodes), monitor_start=0, ingest_seconds=0, monitor_seconds=0, runs=0),
    )
    judged = scored.episodes.set_index("line")
    assert list(judged["window"]) == [True, False, True]
    assert list(judged["verdict"]) == ["true", "censored", "censored"]
    q = scored.quality
    assert (q.episodes, q.true_alarms, q.false_alarms, q.censored) == (2, 1, 0, 1)

    cut = episodes_of((0, 12, 13), (2, 10, 13))
    truncated = score(
        scenario,
        Replay(firing_of(cut), monitor_start=0, ingest_seconds=0, monitor_seconds=0, runs=0),
    ).quality
    assert (truncated.true_alarms, truncated.false_alarms) == (0, 2)


# --- end to end ---------------------------------------------------------------------------


def test_a_small_replay_through_ingest_and_monitor_is_scored(
    small: Scenario, backend: str, empty_database_url: Callable[[str], str]
) -> None:
    url = empty_database_url(backend)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    try:
        factory = create_session_factory(engine)
        replayed = replay(small, factory=factory, monitor_start=3)
        with factory() as session:
            lines = session.scalar(select(func.count()).select_from(DailyReport))
            runs = list(session.scalars(select(MonitorRun).order_by(MonitorRun.business_date)))
    finally:
        engine.dispose()
    # The follow-up days are played too, so that alerts open at the end are seen out.
    assert lines == small.lines * small.simulated_days
    assert [run.status for run in runs] == [RunStatus.succeeded] * (small.simulated_days - 3)
    assert runs[-1].business_date == small.date_of(small.simulated_days - 1)
    assert replayed.runs == small.simulated_days - 3 and not replayed.firing.empty

    q = score(small, replayed).quality
    assert q.counted > 0 and q.episodes > 0
    for figure in (q.recall_48h, q.false_alarm_rate):
        assert 0.0 <= figure <= 1.0
    assert 0.0 <= q.median_lead_days <= small.days
