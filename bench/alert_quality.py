"""Does the monitor warn in time? Recall at 48 h, lead time and false alarms of the
store-level ``low_supply`` alerts over a simulated lockdown with a known ground truth.

For each seed, ``monitors.simulation`` builds the demo city's month played one week
further (37 reported days, a lockdown from day 23: panic buying, then supply cut in
Weidong and Ye), replays it day by day into a fresh database through the real ingest
(``store_report_lines``) and monitor (``run_monitor``), and scores the firing alerts
against the true stock-outs (definitions in ``monitors/simulation.py``). The current
monitor is compared side by side with candidate changes, measured by patching the
monitor inside this process only:

- ``current``: the monitor as it is (mean sales of the last 7 in-stock days);
- ``median``: expected daily sales = median of those days, so one to three panic-buying
  days do not inflate a week of expected sales;
- ``ewm``: trend-aware smoothing (weights halve every 2 in-stock days back);
- ``median+resupply``: ``median``, and no store ``low_supply`` while the store's
  deliveries of the last 2 days (from the stock identity received = stock − previous
  stock + sales, so ``received`` need not be reported) still cover 60 % of its
  expected sales: its shelves are being refilled.

Per seed, one row per variant: ``recall_48h`` (share of counted stock-outs warned at
least 2 days ahead), ``warned`` (warned at all), ``median_lead`` (days, misses as 0),
``episodes`` (alerts starting in the lockdown), ``false`` and ``fa_rate`` (episodes
with no stock-out within their horizon), ``fa_late`` (of those, lines that ran out
within twice the horizon: early rather than wrong), ``censored``, ``quiet_fa`` (false
alarms before the lockdown: everyday noise), then the same by product category.

Run: ``.venv/bin/python bench/alert_quality.py [--seed 42] [--variants current,median]
[--database-url postgresql+psycopg://…]`` (default: seeds 42 and 7, variants current,
median, median+resupply, SQLite files in a temporary directory; with a PostgreSQL URL
each replay creates and drops a database on that server). Ends with ``name=value``
lines: each candidate's figures, then ``recall_48h=``, ``median_lead_days=`` and
``false_alarm_rate=`` of the current monitor, the mean over the seeds.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import monitors.rules  # noqa: E402
import monitors.runs  # noqa: E402
import monitors.supply  # noqa: E402
from monitors._frames import day_number, day_numbers, rank_within_groups  # noqa: E402
from monitors.runs import MonitorConfig  # noqa: E402
from monitors.simulation import (  # noqa: E402
    Scenario,
    Scored,
    build_scenario,
    replay,
    score,
)
from monitors.supply import SupplySettings  # noqa: E402
from service.database import create_database_engine, create_session_factory  # noqa: E402
from service.migrate import upgrade_to_head  # noqa: E402

DEFAULT_SEEDS = (42, 7)
DEFAULT_VARIANTS = ("current", "median", "median+resupply")
RESUPPLY_DAYS = 2
"""Days of deliveries the resupply check looks at (today and yesterday)."""
RESUPPLY_SHARE = 0.6
"""Deliveries covering this share of expected sales mean the shelves are being refilled."""
EWM_HALF_LIFE = 2.0
"""In-stock days back at which a day's weight halves (``ewm`` variant)."""


# --- candidate estimators, written as they would sit in monitors/supply.py -----------------


def _median_recent_mean(
    *,
    group: np.ndarray,
    age: np.ndarray,
    stock: np.ndarray,
    sales: np.ndarray,
    n_groups: int,
    first_age: int,
    settings: SupplySettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Median sales and day count over each group's last ``window_days`` in-stock report
    days: a drop-in for ``monitors.supply._recent_mean`` (the proposed change)."""
    usable = (
        (stock > 0)
        & (age >= first_age)
        & (age < first_age + settings.lookback_days)
        & ~np.isnan(sales)
    )
    ids = group[usable]
    rank = rank_within_groups(ids)
    within = rank < settings.window_days
    return monitors.supply._grouped_median(
        group=ids[within],
        slot=rank[within],
        values=sales[usable][within],
        n_groups=n_groups,
        n_slots=settings.window_days,
    )


def _ewm_recent_mean(
    *,
    group: np.ndarray,
    age: np.ndarray,
    stock: np.ndarray,
    sales: np.ndarray,
    n_groups: int,
    first_age: int,
    settings: SupplySettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Exponentially weighted mean of the same days (newest weighs most): the
    trend-aware smoothing the issue suggests, measured for comparison."""
    usable = (
        (stock > 0)
        & (age >= first_age)
        & (age < first_age + settings.lookback_days)
        & ~np.isnan(sales)
    )
    ids = group[usable]
    rank = rank_within_groups(ids)
    within = rank < settings.window_days
    ids, rank, values = ids[within], rank[within], sales[usable][within]
    weight = 0.5 ** (rank / EWM_HALF_LIFE)
    count = np.bincount(ids, minlength=n_groups)
    total = np.bincount(ids, weights=weight * values, minlength=n_groups)
    weights = np.bincount(ids, weights=weight, minlength=n_groups)
    mean = np.full(n_groups, np.nan)
    np.divide(total, weights, out=mean, where=count > 0)
    return mean, count


def _recent_receipts(
    *,
    group: np.ndarray,
    age: np.ndarray,
    stock: np.ndarray,
    sales: np.ndarray,
    n_groups: int,
    days: int,
) -> np.ndarray:
    """Deliveries of each group over its last ``days`` days up to D, from the stock
    identity received = stock − previous day's stock + sales (so stores need not report
    ``received``); NaN unless every one of those days and the day before is reported.

    Rows sorted by (group, age), as in ``store_supply``.
    """
    previous = np.zeros(group.size, dtype=bool)
    previous[:-1] = (group[1:] == group[:-1]) & (age[1:] == age[:-1] + 1)
    previous_stock = np.full(group.size, np.nan)
    previous_stock[:-1] = stock[1:]
    inflow = stock - previous_stock + sales
    use = previous & (age < days) & ~np.isnan(inflow)
    total = np.bincount(group[use], weights=inflow[use], minlength=n_groups)
    count = np.bincount(group[use], minlength=n_groups)
    return np.where(count == days, total, np.nan)


# --- patches: each variant changes the monitor inside this process only -----------------


@contextmanager
def _patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _with_receipts(store_supply: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """``store_supply`` plus a ``resupplied`` column (what the proposed diff computes
    inside it), from the same sorted arrays."""

    def wrapped(*, reports: pd.DataFrame, business_day: Any, **kwargs: Any) -> pd.DataFrame:
        rows = store_supply(reports=reports, business_day=business_day, **kwargs)
        age = day_number(business_day) - day_numbers(reports["report_date"], name="report_date")
        recent = reports.loc[(age >= 0) & (age <= RESUPPLY_DAYS)].assign(
            age=age[(age >= 0) & (age <= RESUPPLY_DAYS)]
        )
        recent = recent.sort_values(["store_id", "product_id", "age"], kind="stable")
        keys, group = np.unique(
            recent[["store_id", "product_id"]].to_numpy(np.int64), axis=0, return_inverse=True
        )
        receipts = _recent_receipts(
            group=group.reshape(-1),
            age=recent["age"].to_numpy(np.int64),
            stock=recent["stock"].to_numpy(np.float64),
            sales=recent["sales"].to_numpy(np.float64),
            n_groups=len(keys),
            days=RESUPPLY_DAYS,
        )
        found = pd.Series(
            receipts, index=pd.MultiIndex.from_arrays([keys[:, 0], keys[:, 1]])
        ).reindex(pd.MultiIndex.from_arrays([rows["store_id"], rows["product_id"]]))
        expected = rows["expected_daily_sales"].to_numpy(np.float64)
        rows["resupplied"] = found.to_numpy() >= RESUPPLY_SHARE * RESUPPLY_DAYS * expected
        return rows

    return wrapped


def _gated(low_supply_stores: Callable[..., pd.DataFrame]) -> Callable[..., pd.DataFrame]:
    """The store ``low_supply`` rule, skipping rows whose shelves are being refilled."""

    def wrapped(
        rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
    ) -> pd.DataFrame:
        keep = ~rows["resupplied"].to_numpy(dtype=bool)
        return low_supply_stores(
            rows[keep].reset_index(drop=True), th[keep].reset_index(drop=True), stores, products
        )

    return wrapped


@contextmanager
def variant(name: str) -> Iterator[None]:
    """Patch the monitor into candidate ``name`` for the duration of the block."""
    with ExitStack() as stack:
        if name in ("median", "median+resupply"):
            stack.enter_context(_patched(monitors.supply, "_recent_mean", _median_recent_mean))
        if name == "ewm":
            stack.enter_context(_patched(monitors.supply, "_recent_mean", _ewm_recent_mean))
        if name == "median+resupply":
            stack.enter_context(
                _patched(monitors.runs, "store_supply", _with_receipts(monitors.runs.store_supply))
            )
            stack.enter_context(
                _patched(
                    monitors.rules, "_low_supply_stores", _gated(monitors.rules._low_supply_stores)
                )
            )
        elif name not in ("current", "median", "ewm"):
            raise ValueError(f"unknown variant {name!r}")
        yield


# --- databases ------------------------------------------------------------------------------


@contextmanager
def fresh_database(server_url: str | None, workdir: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in ``workdir``, or a throw-away database
    on the PostgreSQL server of ``server_url`` (dropped afterwards)."""
    if server_url is None:
        url = f"sqlite:///{workdir / f'{uuid.uuid4().hex}.db'}"
        upgrade_to_head(url)
        yield url
        return
    if make_url(server_url).get_backend_name() != "postgresql":
        raise SystemExit("--database-url must be a PostgreSQL URL (SQLite is the default)")
    name = f"supplywatch_alert_quality_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- running and printing -----------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One replay of one seed under one variant."""

    seed: int
    variant: str
    scored: Scored
    seconds: float
    monitor_seconds: float


def run_one(scenario: Scenario, name: str, *, server_url: str | None, workdir: Path) -> Outcome:
    """Replay ``scenario`` under variant ``name`` into a fresh database and score it."""
    began = time.perf_counter()
    with fresh_database(server_url, workdir) as url, variant(name):
        engine = create_database_engine(url)
        try:
            replayed = replay(
                scenario, factory=create_session_factory(engine), config=MonitorConfig()
            )
        finally:
            engine.dispose()
    scored = score(scenario, replayed)
    return Outcome(
        seed=scenario.seed,
        variant=name,
        scored=scored,
        seconds=time.perf_counter() - began,
        monitor_seconds=replayed.monitor_seconds,
    )


def late_false_alarms(scored: Scored) -> int:
    """False alarms whose line did run out, only later: within twice the horizon they
    claimed (early warnings of a slow shortage rather than noise)."""
    episodes = scored.episodes
    false = episodes[episodes["window"] & (episodes["verdict"] == "false")]
    pairs = false.merge(scored.events[["line", "day"]], on="line")
    late = (pairs["day"] > pairs["first_day"]) & (
        pairs["day"] <= pairs["first_day"] + 2 * pairs["horizon"]
    )
    return int(pairs.loc[late, "alert_id"].nunique())


def _fmt(value: float, digits: int = 3) -> str:
    return "nan" if math.isnan(value) else f"{value:.{digits}f}"


def print_seed(outcomes: list[Outcome], scenario: Scenario) -> None:
    """The per-seed table: one row per variant, then where the misses and false alarms
    fall (by category), so a figure can be traced to its cause."""
    first = outcomes[0].scored.quality
    print(
        f"\nseed {scenario.seed}: {scenario.lines} lines, days 0-{scenario.days - 1} "
        f"({scenario.first_date} to {scenario.date_of(scenario.days - 1)}), lockdown from "
        f"day {scenario.lockdown_start}, supply cut from day {scenario.disruption_start}, "
        f"truth to day {scenario.simulated_days - 1}"
    )
    print(
        f"  stock-outs on replayed days {first.stockouts}: counted {first.counted}, "
        f"excluded too early {first.excluded_too_early} (panic's first 2 days), untrusted "
        f"{first.excluded_untrusted}; follow-up stock-outs {first.follow_up_stockouts}"
    )
    header = (
        f"  {'variant':<16} {'recall_48h':>10} {'warned':>7} {'median_lead':>11} "
        f"{'episodes':>8} {'false':>6} {'fa_rate':>7} {'fa_late':>7} {'censored':>8} "
        f"{'quiet_fa':>8} {'seconds':>7}"
    )
    print(header)
    for outcome in outcomes:
        q = outcome.scored.quality
        print(
            f"  {outcome.variant:<16} {_fmt(q.recall_48h):>10} {q.warned:>7} "
            f"{_fmt(q.median_lead_days, 1):>11} {q.episodes:>8} {q.false_alarms:>6} "
            f"{_fmt(q.false_alarm_rate):>7} {late_false_alarms(outcome.scored):>7} "
            f"{q.censored:>8} {q.quiet_false_alarms:>8} {outcome.seconds:>7.1f}"
        )
    rows = []
    for outcome in outcomes:
        events = outcome.scored.events
        counted = events[events["reason"] == ""]
        episodes = outcome.scored.episodes
        judged = episodes[episodes["window"] & (episodes["verdict"] != "censored")]
        recall = counted.groupby("category")["lead"].agg(
            stockouts="size", recall=lambda lead: float(np.mean(lead >= 2))
        )
        alarms = judged.groupby("category")["verdict"].agg(
            alarms="size", fa_rate=lambda verdict: float(np.mean(verdict == "false"))
        )
        table = recall.join(alarms, how="outer")
        table.columns = pd.MultiIndex.from_product([[outcome.variant], table.columns])
        rows.append(table)
    by_category = pd.concat(rows, axis=1)
    print("  by category (recall at 48 h of counted stock-outs; false-alarm share of episodes):")
    print("\n".join("    " + line for line in by_category.round(3).to_string().splitlines()))


def mean_quality(outcomes: list[Outcome]) -> dict[str, float]:
    """The headline figures averaged over seeds (each seed weighs the same)."""
    fields = ("recall_48h", "median_lead_days", "false_alarm_rate")
    qualities = [asdict(outcome.scored.quality) for outcome in outcomes]
    return {name: float(np.mean([q[name] for q in qualities])) for name in fields}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, action="append", help="run this seed (repeatable)")
    parser.add_argument(
        "--variants",
        default=",".join(DEFAULT_VARIANTS),
        help="comma-separated: current, median, ewm, median+resupply",
    )
    parser.add_argument("--database-url", help="PostgreSQL server for throw-away databases")
    args = parser.parse_args()
    seeds = tuple(args.seed) if args.seed else DEFAULT_SEEDS
    names = [name.strip() for name in args.variants.split(",") if name.strip()]
    if "current" not in names:
        names.insert(0, "current")
    for name in names:
        with variant(name):
            pass  # fail fast on an unknown name

    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="alert-quality-") as workdir:
        for seed in seeds:
            scenario = build_scenario(seed=seed)
            per_seed = [
                run_one(scenario, name, server_url=args.database_url, workdir=Path(workdir))
                for name in names
            ]
            print_seed(per_seed, scenario)
            outcomes.extend(per_seed)

    backend = "postgresql" if args.database_url else "sqlite"
    print(f"\nmean over seeds {', '.join(map(str, seeds))} ({backend}):")
    for name in names:
        figures = mean_quality([o for o in outcomes if o.variant == name])
        print(
            f"  {name:<16} recall_48h {_fmt(figures['recall_48h'])}  median_lead_days "
            f"{_fmt(figures['median_lead_days'], 1)}  false_alarm_rate "
            f"{_fmt(figures['false_alarm_rate'])}"
        )
    for name in names[1:]:
        figures = mean_quality([o for o in outcomes if o.variant == name])
        slug = name.replace("+", "_")
        for key, value in figures.items():
            print(f"{slug}_{key}={_fmt(value)}")
    current = mean_quality([o for o in outcomes if o.variant == "current"])
    print(f"recall_48h={_fmt(current['recall_48h'])}")
    print(f"median_lead_days={_fmt(current['median_lead_days'], 1)}")
    print(f"false_alarm_rate={_fmt(current['false_alarm_rate'])}")


if __name__ == "__main__":
    main()
