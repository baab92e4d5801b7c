"""Does the monitor warn in time? Recall at 48 h, lead time and false alarms of the
store-level ``low_supply`` alerts over a simulated lockdown with a known ground truth.

For each seed, ``service.demo.scenario`` builds the demo city's month played one week
further (37 reported days, a lockdown from day 23: panic buying, then supply cut in
Weidong and Ye, then 7 follow-up days), and ``service.demo.scoring`` replays it day by
day into a fresh database through the real ingest (``store_report_lines``) and monitor
(``run_monitor``) and scores the firing alerts against the true stock-outs (definitions
in its docstring). Each method is the real monitor with other
``SupplySettings``, side by side (docs/monitor.md explains them):

- ``simple``: DESIGN.md's first rule, stock ÷ the mean sales of the last 7 in-stock
  days, on its own (``expected_sales="mean"``, ``resupply_days=0``);
- ``median``: expected daily sales = the median of those days, on its own;
- ``mean+refill``: the mean, with the refill check;
- ``default``: the monitor as shipped: the median, and no store ``low_supply`` while
  the line has been refilled every day it was low (``peak_days_of_supply``).

Per seed, one row per method: ``recall_48h`` (share of counted stock-outs warned at
least 2 days ahead), ``warned`` (warned at all), ``median_lead`` (days, misses as 0),
``episodes`` (alerts starting in the lockdown), ``false`` and ``fa_rate`` (episodes
with no stock-out within their horizon), ``fa_late`` (of those, lines that ran out
within twice the horizon: early rather than wrong), ``censored``, ``quiet_fa`` (false
alarms before the lockdown: everyday noise), then the same by product category.

Run: ``.venv/bin/python bench/alert_quality.py [--seed 42] [--methods simple,default]
[--no-follow-up] [--database-url postgresql+psycopg://…]`` (default: seeds 42 and 7,
methods simple and default, SQLite files in a temporary directory; with a PostgreSQL
URL each replay creates and drops a database on that server; ``--no-follow-up`` stops
the monitor at the last replayed day, judging the alerts still open then as if they
ended there, as the first version of this bench did). Ends with ``name=value`` lines:
each other method's figures (``simple_recall_48h=`` …), then ``recall_48h=``,
``median_lead_days=`` and ``false_alarm_rate=`` of the default method, the mean over
the seeds.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.database import create_database_engine, create_session_factory  # noqa: E402
from monitors.computing.supply import SupplySettings  # noqa: E402
from monitors.running.runs import MonitorConfig  # noqa: E402
from service.demo.scenario import Scenario, build_scenario  # noqa: E402
from service.demo.scoring import Scored, replay, score  # noqa: E402
from service.migrate import upgrade_to_head  # noqa: E402

DEFAULT_SEEDS = (42, 7)
METHODS: dict[str, SupplySettings] = {
    "simple": SupplySettings(expected_sales="mean", resupply_days=0),
    "median": SupplySettings(expected_sales="median", resupply_days=0),
    "mean+refill": SupplySettings(expected_sales="mean"),
    "default": SupplySettings(),
}
"""Each method's settings; everything not named is the default."""
DEFAULT_METHODS = ("simple", "default")


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
    """One replay of one seed with one method."""

    seed: int
    method: str
    scored: Scored
    seconds: float
    monitor_seconds: float


def run_one(
    scenario: Scenario, name: str, *, server_url: str | None, workdir: Path, follow_up: bool
) -> Outcome:
    """Replay ``scenario`` with method ``name`` into a fresh database and score it."""
    began = time.perf_counter()
    settings = METHODS[name]
    with fresh_database(server_url, workdir) as url:
        engine = create_database_engine(url)
        try:
            replayed = replay(
                scenario,
                factory=create_session_factory(engine),
                config=MonitorConfig(supply=settings),
                follow_up=follow_up,
            )
        finally:
            engine.dispose()
    scored = score(scenario, replayed, settings=settings)
    return Outcome(
        seed=scenario.seed,
        method=name,
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
    """The per-seed table: one row per method, then where the misses and false alarms
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
        f"  {'method':<16} {'recall_48h':>10} {'warned':>7} {'median_lead':>11} "
        f"{'episodes':>8} {'false':>6} {'fa_rate':>7} {'fa_late':>7} {'censored':>8} "
        f"{'quiet_fa':>8} {'seconds':>7}"
    )
    print(header)
    for outcome in outcomes:
        q = outcome.scored.quality
        print(
            f"  {outcome.method:<16} {_fmt(q.recall_48h):>10} {q.warned:>7} "
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
        table.columns = pd.MultiIndex.from_product([[outcome.method], table.columns])
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
        "--methods",
        default=",".join(DEFAULT_METHODS),
        help=f"comma-separated, of: {', '.join(METHODS)} (default is always run)",
    )
    parser.add_argument(
        "--no-follow-up",
        action="store_true",
        help="stop the monitor at the last replayed day (alerts open then end there)",
    )
    parser.add_argument("--database-url", help="PostgreSQL server for throw-away databases")
    args = parser.parse_args()
    seeds = tuple(args.seed) if args.seed else DEFAULT_SEEDS
    names = [name.strip() for name in args.methods.split(",") if name.strip()]
    unknown = sorted(set(names) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; known: {', '.join(METHODS)}")
    names = [name for name in names if name != "default"] + ["default"]

    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="alert-quality-") as workdir:
        for seed in seeds:
            scenario = build_scenario(seed=seed)
            per_seed = [
                run_one(
                    scenario,
                    name,
                    server_url=args.database_url,
                    workdir=Path(workdir),
                    follow_up=not args.no_follow_up,
                )
                for name in names
            ]
            print_seed(per_seed, scenario)
            outcomes.extend(per_seed)

    backend = "postgresql" if args.database_url else "sqlite"
    judged = "alerts judged to their end" if not args.no_follow_up else "no follow-up runs"
    print(f"\nmean over seeds {', '.join(map(str, seeds))} ({backend}, {judged}):")
    for name in names:
        figures = mean_quality([o for o in outcomes if o.method == name])
        print(
            f"  {name:<16} recall_48h {_fmt(figures['recall_48h'])}  median_lead_days "
            f"{_fmt(figures['median_lead_days'], 1)}  false_alarm_rate "
            f"{_fmt(figures['false_alarm_rate'])}"
        )
    for name in names[:-1]:
        figures = mean_quality([o for o in outcomes if o.method == name])
        slug = name.replace("+", "_")
        for key, value in figures.items():
            print(f"{slug}_{key}={_fmt(value)}")
    default = mean_quality([o for o in outcomes if o.method == "default"])
    print(f"recall_48h={_fmt(default['recall_48h'])}")
    print(f"median_lead_days={_fmt(default['median_lead_days'], 1)}")
    print(f"false_alarm_rate={_fmt(default['false_alarm_rate'])}")


if __name__ == "__main__":
    main()
