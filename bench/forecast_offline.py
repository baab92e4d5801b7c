"""Replay the store ``low_supply`` decision on a scenario's arrays, without a database,
to iterate on the stock-out forecast in seconds; scored with the real bench's own
definitions (``service.demo.scoring.score``).

What it leaves out of the real replay: ingest and the monitor's loading (the forecast
reads the reported values as the monitor would: NaN where a store did not report), the
alert lifecycle's grouping and silences. Each day from ``--start`` on, a method decides
which lines fire given which fired the day before; an episode is a run of firing days of
one line, as the lifecycle makes one alert of them.

Figures per scenario and method: ``recall48`` (share of counted stock-outs warned at
least 2 days ahead), ``lead`` (median, misses as 0), ``fa`` (false-alarm rate of the
episodes starting in the emergency), ``episodes``, ``counted``, ``normal`` (new episodes
per 100 lines per ordinary day, from a week after the first run to the day before the
emergency), ``one_day`` (emergency episodes lasting one day) and ``quiet_fa`` (false
alarms before the emergency).

Run: ``.venv/bin/python bench/forecast_offline.py [--scenarios demo:42,order_up_to:1]
[--methods plain,forecast,resolving,everything]``; a scenario is ``demo:<seed>`` or
``<family>:<seed>[:ordinary]`` for a module in ``bench/families``. ``everything`` is a check
on the bench, not a method (:func:`everything_rule`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitors.alerting.thresholds import ANY_CATEGORY, default_thresholds  # noqa: E402
from monitors.computing.forecast import (  # noqa: E402
    Forecast,
    ForecastSettings,
    LineHistory,
    forecast_stockouts,
    low_supply_decision,
)
from service.demo.scenario import build_scenario  # noqa: E402
from service.demo.scoring import Replay, Scored, score  # noqa: E402

DEFAULT_SCENARIOS = (
    "demo:42",
    "demo:7",
    "order_up_to:1",
    "order_up_to:2",
    "order_up_to:3",
    "continuous_review:1",
    "continuous_review:2",
    "continuous_review:3",
)
PLAIN_WINDOW_DAYS = 7
"""In-stock days the plain rule's mean sales cover."""
PLAIN_LOOKBACK_DAYS = 21
MIN_OBSERVATIONS = 3
STALE_AFTER_DAYS = 2


@dataclass(frozen=True)
class Scenario:
    """A city's reported arrays and truth, shaped (simulated days, lines)."""

    name: str
    stock: np.ndarray
    sales: np.ndarray
    received: np.ndarray
    true_stock: np.ndarray
    category: np.ndarray
    store: np.ndarray
    """Per line, a small integer naming its store."""
    district: np.ndarray
    """Per line, a small integer naming its store's district."""
    disrupted: np.ndarray
    days: int
    """Reported (replayed) days; the rest are follow-up days."""
    event_start: int
    first_date: date

    @property
    def lines(self) -> int:
        """Number of store × product lines."""
        return self.stock.shape[1]

    def levels(self) -> tuple[np.ndarray, np.ndarray]:
        """Per line, the ``low_supply`` warning and critical levels of its category."""
        table = default_thresholds()
        fallback = table[ANY_CATEGORY]
        chosen = [table.get(str(c), fallback) for c in self.category]
        warning = np.array([t.low_supply_warning_days for t in chosen])
        critical = np.array([t.low_supply_critical_days for t in chosen])
        return warning, critical


def from_demo(seed: int) -> Scenario:
    """The demo city's lockdown (``service.demo.scenario.build_scenario``)."""
    built = build_scenario(seed=seed)
    truth = built.truth
    return Scenario(
        name=f"demo:{seed}",
        stock=truth.stock,
        sales=truth.sales,
        received=truth.received,
        true_stock=truth.stock,
        category=built.category,
        store=pd.factorize(built.store_code)[0],
        district=pd.factorize(
            built.master.stores.set_index("code").loc[built.store_code, "district_code"]
        )[0],
        disrupted=built.disrupted,
        days=built.days,
        event_start=built.lockdown_start,
        first_date=built.first_date,
    )


def from_family(family: str, seed: int, *, emergency: bool = True) -> Scenario:
    """A scenario family's city (``bench/families/<family>.py``); unreported days NaN."""
    module = importlib.import_module(f"bench.families.{family}")
    city = module.generate(seed, emergency=emergency)
    products = pd.read_csv(ROOT / "service" / "data" / "products.csv").set_index("code")
    posted = city.reported
    return Scenario(
        name=f"{family}:{seed}" + ("" if emergency else ":ordinary"),
        stock=np.where(posted, city.stock, np.nan),
        sales=np.where(posted, city.sales, np.nan),
        received=np.where(posted, city.received, np.nan),
        true_stock=city.true_stock,
        category=products.loc[city.lines["product"], "category"].to_numpy(object),
        store=pd.factorize(city.lines["store"])[0],
        district=pd.factorize(city.stores.set_index("code").loc[city.lines["store"], "district"])[
            0
        ],
        disrupted=city.disrupted,
        days=city.reported_days,
        event_start=city.event_start if city.event_start is not None else city.reported_days,
        first_date=city.first_date,
    )


def load(name: str) -> Scenario:
    """``demo:<seed>``, ``<family>:<seed>``, or ``<family>:<seed>:ordinary`` for the same
    city without its emergency (every day then counts as ordinary)."""
    family, seed, *rest = name.split(":")
    if family == "demo":
        return from_demo(int(seed))
    return from_family(family, int(seed), emergency=rest != ["ordinary"])


def history_at(scenario: Scenario, day: int, days: int) -> LineHistory:
    """What the monitor reads on ``day``: the last ``days`` reported days, age 0 first."""
    first = max(0, day - days + 1)

    def matrix(values: np.ndarray) -> np.ndarray:
        out = np.full((scenario.lines, days), np.nan)
        recent = values[first : day + 1][::-1].T
        out[:, : recent.shape[1]] = recent
        return out

    return LineHistory(
        stock=matrix(scenario.stock),
        sales=matrix(scenario.sales),
        # The monitor reads no `received` column (receipts come from the stock identity),
        # so neither does the replay of its decision.
        received=np.full((scenario.lines, days), np.nan),
        store=scenario.store,
        weekday=(scenario.first_date + timedelta(days=day)).weekday(),
        district=scenario.district,
    )


Decide = Callable[[Scenario, int, np.ndarray], np.ndarray]
"""(scenario, day, lines firing the day before) → lines firing on ``day``."""


def plain_rule(scenario: Scenario, day: int, previously_firing: np.ndarray) -> np.ndarray:
    """DESIGN.md's first rule: stock ÷ the mean of the last 7 in-stock days' sales below
    the category's warning level."""
    del previously_firing
    history = history_at(scenario, day, PLAIN_LOOKBACK_DAYS)
    usable = (history.stock > 0) & ~np.isnan(history.sales)
    window = usable & (np.cumsum(usable, axis=1) <= PLAIN_WINDOW_DAYS)
    count = window.sum(axis=1)
    mean = np.where(window, history.sales, 0.0).sum(axis=1) / np.maximum(count, 1)
    stock = pd.DataFrame(history.stock[:, : STALE_AFTER_DAYS + 1]).bfill(axis=1)[0].to_numpy()
    warning, _ = scenario.levels()
    with np.errstate(invalid="ignore", divide="ignore"):
        days_of_supply = stock / mean
    return (count >= MIN_OBSERVATIONS) & (stock > 0) & (mean > 0) & (days_of_supply < warning)


def everything_rule(scenario: Scenario, day: int, previously_firing: np.ndarray) -> np.ndarray:
    """Not a method but a check on the bench: told when the emergency starts (no monitor
    is), fire on every line with stock on the shelf (its latest report within
    ``STALE_AFTER_DAYS``) on every day of it. What it scores shows what recall and the
    false-alarm rate reward without charging the alert load (``firing``)."""
    del previously_firing
    if day < scenario.event_start:
        return np.zeros(scenario.lines, dtype=bool)
    recent = scenario.stock[max(0, day - STALE_AFTER_DAYS) : day + 1]
    latest = pd.DataFrame(recent).ffill().to_numpy()[-1]
    return np.nan_to_num(latest, nan=0.0) > 0


def forecast_rule(settings: ForecastSettings) -> Decide:
    """The forecast's ``low_supply_decision`` with ``settings``."""

    def decide(scenario: Scenario, day: int, previously_firing: np.ndarray) -> np.ndarray:
        forecast = forecast_at(scenario, day, settings)
        warning, critical = scenario.levels()
        fire, _, _ = low_supply_decision(
            forecast=forecast,
            warning_days=warning,
            critical_days=critical,
            previously_firing=previously_firing,
            settings=settings,
        )
        return fire

    return decide


def forecast_at(scenario: Scenario, day: int, settings: ForecastSettings) -> Forecast:
    """The forecast the monitor would compute on ``day``."""
    history = history_at(scenario, day, settings.history_days)
    return forecast_stockouts(history=history, settings=settings)


@dataclass(frozen=True)
class Result:
    """Figures of one replayed method."""

    scored: Scored
    normal: float
    one_day: int
    flaps: int
    """Episodes that ended with stock still on the shelf and reopened within two days."""
    firing_share: float
    """Share of emergency line-days (in stock, replayed) on which the warning fired."""
    seconds: float


def replay(scenario: Scenario, decide: Decide, *, start: int = 7) -> Result:
    """Run ``decide`` from day ``start`` to the end of the truth and score the episodes."""
    simulated = scenario.true_stock.shape[0]
    firing = np.zeros((simulated, scenario.lines), dtype=bool)
    alert = np.full(scenario.lines, -1)
    next_alert = 0
    records = []
    began = time.perf_counter()
    previous = np.zeros(scenario.lines, dtype=bool)
    for day in range(start, simulated):
        fire = decide(scenario, day, previous)
        opened = fire & ~previous
        alert[opened] = np.arange(next_alert, next_alert + int(opened.sum()))
        next_alert += int(opened.sum())
        lines = np.flatnonzero(fire)
        records.append(pd.DataFrame({"alert_id": alert[lines], "line": lines, "day": day}))
        firing[day] = fire
        previous = fire
    seconds = time.perf_counter() - began
    frame = pd.concat(records, ignore_index=True).assign(severity="warning")
    truth = SimpleNamespace(
        true_stock=scenario.true_stock,
        category=scenario.category,
        disrupted=scenario.disrupted,
        days=scenario.days,
        simulated_days=simulated,
        event_start=scenario.event_start,
    )
    replayed = Replay(
        firing=frame.astype({"alert_id": np.int64, "line": np.int64, "day": np.int64}),
        monitor_start=start,
        ingest_seconds=0.0,
        monitor_seconds=seconds,
        runs=simulated - start,
    )
    scored = score(truth, replayed)
    ordinary = range(start + 7, scenario.event_start)
    opened_days = [firing[d] & ~firing[d - 1] for d in ordinary]
    normal = 100.0 * float(np.sum(opened_days)) / (scenario.lines * max(len(ordinary), 1))
    episodes = scored.episodes
    one_day = int(((episodes["first_day"] == episodes["last_day"]) & episodes["window"]).sum())
    ordered = episodes.sort_values(["line", "first_day"])
    same_line = ordered["line"].to_numpy()[1:] == ordered["line"].to_numpy()[:-1]
    ended = ordered["last_day"].to_numpy()[:-1]
    reopened = ordered["first_day"].to_numpy()[1:]
    after = np.minimum(ended + 1, simulated - 1)
    shelf = np.nan_to_num(scenario.stock[after, ordered["line"].to_numpy()[:-1]], nan=1.0) > 0
    flaps = int((same_line & shelf & (reopened - ended <= 3)).sum())
    emergency = slice(scenario.event_start, scenario.days)
    stocked = np.nan_to_num(scenario.stock[emergency], nan=0.0) > 0
    firing_share = float(firing[emergency][stocked].mean()) if stocked.any() else float("nan")
    return Result(
        scored=scored,
        normal=normal,
        one_day=one_day,
        flaps=flaps,
        firing_share=firing_share,
        seconds=seconds,
    )


def describe(result: Result) -> str:
    """One line of figures."""
    q = result.scored.quality
    return (
        f"recall48={q.recall_48h:.3f} lead={q.median_lead_days:.1f} "
        f"fa={q.false_alarm_rate:.3f} episodes={q.episodes} counted={q.counted} "
        f"normal={result.normal:.2f} one_day={result.one_day} flaps={result.flaps} "
        f"firing={result.firing_share:.2f} load={q.alert_load:.2f} "
        f"quiet_fa={q.quiet_false_alarms} "
        f"seconds={result.seconds:.1f}"
    )


METHODS: dict[str, Callable[[], Decide]] = {
    "plain": lambda: plain_rule,
    "forecast": lambda: forecast_rule(ForecastSettings()),
    # The decision before 2026-12-05: a warning resolved when its shelf emptied.
    "resolving": lambda: forecast_rule(ForecastSettings(keep_through_stockout=False)),
    "everything": lambda: everything_rule,
}


def main() -> None:
    """Replay each method on each scenario and print one line of figures per pair."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS))
    parser.add_argument("--methods", default="plain,forecast")
    args = parser.parse_args()
    for name in args.scenarios.split(","):
        scenario = load(name)
        for method in args.methods.split(","):
            result = replay(scenario, METHODS[method]())
            print(f"{scenario.name:24} {method:10} {describe(result)}", flush=True)


if __name__ == "__main__":
    main()
