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
- ``cover``: the days-of-supply rule as it shipped before the forecast: the median, and no
  store ``low_supply`` while the line has been refilled every day it was low
  (``peak_days_of_supply``);
- ``default``: the monitor as shipped: each line's stock-out forecast decides the store
  ``low_supply`` warning (docs/forecast.md).

Per seed, one row per method: ``recall_48h`` (share of counted stock-outs warned at
least 2 days ahead), ``warned`` (warned at all), ``median_lead`` (days, misses as 0),
``episodes`` (alerts starting in the lockdown), ``false`` and ``fa_rate`` (episodes
with no stock-out within their horizon), ``fa_late`` (of those, lines that ran out
within twice the horizon: early rather than wrong), ``censored``, ``quiet_fa`` (false
alarms before the lockdown: everyday noise), then the same by product category.

The scenario families of ``bench/families`` (``bench.family_replay.FAMILIES``; a new
family is one entry there) are replayed and scored the same way, through
``bench.family_replay.FamilyCity``: their reported lines only (received where not
NaN), follow-up days included. For each family, seed and method the bench also
measures a *normal-times* figure: new store ``low_supply`` alerts per 100 lines per
day whose first firing day D has 7 ≤ D ≤ the last reported day, in the same city
replayed with ``emergency=False`` (no follow-up days); for the demo, 7 ≤ D < the
lockdown's first day (days 7-22) of the lockdown replay itself.

Run: ``.venv/bin/python bench/alert_quality.py [--all-families] [--families
demo,order_up_to,continuous_review] [--seeds 1,2] [--seed 42] [--methods simple,default]
[--workers 2] [--no-follow-up] [--database-url postgresql+psycopg://…]`` (default: the
demo only, seeds 42 and 7; ``--all-families``: the demo with seeds 42 and 7 and each
family with seeds 1 and 2; ``--seeds`` sets the seeds of every chosen family; methods
simple and default (default is always run); one replay at a time, ``--workers N``
runs N in parallel processes; SQLite files in a temporary directory, and with a
PostgreSQL URL each replay creates and drops a database on that server;
``--no-follow-up`` stops the monitor at the last replayed day, judging the alerts
still open then as if they ended there, as the first version of this bench did).
For the demo alone it first prints the per-seed detail above; then one row per
family × seed × method (recall_48h, median lead, false-alarm rate, normal alerts per
100 lines, episodes, counted stock-outs), per family whether the default method meets
issue 11's targets (recall at 48 h ≥ 0.9, false-alarm rate ≤ 0.3, both better than
``simple``, normal-times alerts ≤ 2), and ``name=value`` lines: per family and method
the means over seeds (``order_up_to_simple_recall_48h=``, ``…_false_alarm_rate=``,
``…_median_lead_days=``, ``…_normal_alerts_per_100_lines=``), per method the means over
families (``simple_recall_48h=`` …), then ``recall_48h=``, ``false_alarm_rate=``,
``median_lead_days=``, ``normal_alerts_per_100_lines=`` and ``alert_load=`` of the
default method. ``alert_load`` is the share of the emergency's line-days with stock on the
shelf on which a warning was firing (``service.demo.scoring.alert_load``): neither recall
nor the false-alarm rate charges for alerts kept up everywhere, so it stands beside them.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.family_replay import FAMILIES, FamilyCity, generate_family  # noqa: E402
from core.database import create_database_engine, create_session_factory  # noqa: E402
from monitors.computing.supply import SupplySettings  # noqa: E402
from monitors.running.runs import MonitorConfig  # noqa: E402
from service.demo.scenario import Scenario, build_scenario  # noqa: E402
from service.demo.scoring import (  # noqa: E402
    NORMAL_FROM_DAY,
    Replay,
    ReplayCity,
    Scored,
    new_alerts_per_100_lines,
    replay,
    score,
)
from service.migrate import upgrade_to_head  # noqa: E402

DEMO = "demo"
"""The demo city's lockdown (``service.demo.scenario``), replayed as one more family."""
DEFAULT_SEEDS = (42, 7)
"""The demo's seeds."""
FAMILY_SEEDS = (1, 2)
"""Each scenario family's seeds."""
METHODS: dict[str, SupplySettings] = {
    "simple": SupplySettings(expected_sales="mean", resupply_days=0, warning_method="cover"),
    "median": SupplySettings(expected_sales="median", resupply_days=0, warning_method="cover"),
    "mean+refill": SupplySettings(expected_sales="mean", warning_method="cover"),
    "cover": SupplySettings(warning_method="cover"),
    "default": SupplySettings(),
}
"""Each method's settings; everything not named is the default."""
DEFAULT_METHODS = ("simple", "default")


# --- databases ------------------------------------------------------------------------------


@contextmanager
def fresh_database(server_url: str | None, workdir: Path) -> Iterator[str]:
    """A migrated, empty database: a SQLite file in ``workdir`` (deleted afterwards, so
    many replays do not fill the disk), or a throw-away database on the PostgreSQL
    server of ``server_url`` (dropped afterwards)."""
    if server_url is None:
        path = workdir / f"{uuid.uuid4().hex}.db"
        url = f"sqlite:///{path}"
        try:
            upgrade_to_head(url)
            yield url
        finally:
            for leftover in (path, *path.parent.glob(f"{path.name}-*")):
                leftover.unlink(missing_ok=True)
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


# --- running -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One replay to run: a family's city of one seed with one method (picklable, so a
    worker process can run it)."""

    family: str
    seed: int
    method: str
    server_url: str | None
    workdir: Path
    follow_up: bool


@dataclass(frozen=True)
class Outcome:
    """One replay of one family and seed with one method, scored, and its normal-times
    figure."""

    family: str
    seed: int
    method: str
    scored: Scored
    normal_alerts_per_100_lines: float
    seconds: float
    monitor_seconds: float


@cache
def demo_scenario(seed: int) -> Scenario:
    """The demo lockdown of ``seed`` (built once per process)."""
    return build_scenario(seed=seed)


def replay_city(city: ReplayCity, job: Job, *, follow_up: bool) -> Replay:
    """Replay ``city`` with the job's method into a fresh database."""
    with fresh_database(job.server_url, job.workdir) as url:
        engine = create_database_engine(url)
        try:
            return replay(
                city,
                factory=create_session_factory(engine),
                config=MonitorConfig(supply=METHODS[job.method]),
                follow_up=follow_up,
            )
        finally:
            engine.dispose()


def run_job(job: Job) -> Outcome:
    """Replay and score the job's city; the normal-times figure comes from the demo's
    days before the lockdown, or from a family's replay with ``emergency=False`` (its
    reported days only: the figure needs no follow-up)."""
    began = time.perf_counter()
    settings = METHODS[job.method]
    city: ReplayCity
    if job.family == DEMO:
        scenario = demo_scenario(job.seed)
        replayed = replay_city(scenario, job, follow_up=job.follow_up)
        normal = new_alerts_per_100_lines(
            replayed, lines=scenario.lines, first_day=NORMAL_FROM_DAY, end_day=scenario.event_start
        )
        city = scenario
        monitor_seconds = replayed.monitor_seconds
    else:
        city = FamilyCity.of(generate_family(job.family, job.seed))
        replayed = replay_city(city, job, follow_up=job.follow_up)
        ordinary = FamilyCity.of(generate_family(job.family, job.seed, emergency=False))
        quiet = replay_city(ordinary, job, follow_up=False)
        normal = new_alerts_per_100_lines(
            quiet, lines=ordinary.lines, first_day=NORMAL_FROM_DAY, end_day=ordinary.days
        )
        monitor_seconds = replayed.monitor_seconds + quiet.monitor_seconds
    return Outcome(
        family=job.family,
        seed=job.seed,
        method=job.method,
        scored=score(city, replayed, settings=settings),
        normal_alerts_per_100_lines=normal,
        seconds=time.perf_counter() - began,
        monitor_seconds=monitor_seconds,
    )


def run_jobs(jobs: list[Job], *, workers: int) -> list[Outcome]:
    """Run the jobs one after the other, or in ``workers`` processes (each replay in its
    own database), printing each one's row as it ends (a run cut short still tells
    something), and return the outcomes in the jobs' order."""
    print_header()
    if workers <= 1:
        outcomes = []
        for job in jobs:
            outcomes.append(run_job(job))
            print_row(outcomes[-1])
        return outcomes
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run_job, job) for job in jobs]
        for future in as_completed(futures):
            print_row(future.result())
        return [future.result() for future in futures]


# --- printing ------------------------------------------------------------------------------


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


def print_demo_seed(outcomes: list[Outcome], scenario: Scenario) -> None:
    """The demo's per-seed detail: one row per method, then where the misses and false
    alarms fall (by category), so a figure can be traced to its cause."""
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


def print_header() -> None:
    """The header of the one-row-per-replay table."""
    print(
        f"\n{'family':<18} {'seed':>4} {'method':<12} {'recall_48h':>10} {'median_lead':>11} "
        f"{'fa_rate':>7} {'normal/100':>10} {'load':>5} {'episodes':>8} {'counted':>7} "
        f"{'seconds':>7}",
        flush=True,
    )


def print_row(outcome: Outcome) -> None:
    """One family × seed × method's row."""
    q = outcome.scored.quality
    print(
        f"{outcome.family:<18} {outcome.seed:>4} {outcome.method:<12} "
        f"{_fmt(q.recall_48h):>10} {_fmt(q.median_lead_days, 1):>11} "
        f"{_fmt(q.false_alarm_rate):>7} {_fmt(outcome.normal_alerts_per_100_lines, 2):>10} "
        f"{_fmt(q.alert_load, 2):>5} {q.episodes:>8} {q.counted:>7} {outcome.seconds:>7.1f}",
        flush=True,
    )


def print_table(outcomes: list[Outcome]) -> None:
    """One row per family × seed × method, in the jobs' order."""
    print_header()
    for outcome in outcomes:
        print_row(outcome)


FIGURES = (
    "recall_48h",
    "false_alarm_rate",
    "median_lead_days",
    "normal_alerts_per_100_lines",
    "alert_load",
)
"""The headline figures, in the order of the ``name=value`` lines."""


def mean_figures(outcomes: list[Outcome]) -> dict[str, float]:
    """The headline figures averaged over seeds (each seed weighs the same)."""
    rows = [
        {**asdict(o.scored.quality), "normal_alerts_per_100_lines": o.normal_alerts_per_100_lines}
        for o in outcomes
    ]
    return {name: float(np.mean([row[name] for row in rows])) for name in FIGURES}


def family_means(
    outcomes: list[Outcome], families: list[str], method: str
) -> dict[str, dict[str, float]]:
    """Per family, ``method``'s figures averaged over the family's seeds."""
    return {
        family: mean_figures([o for o in outcomes if o.family == family and o.method == method])
        for family in families
    }


def over_families(per_family: dict[str, dict[str, float]]) -> dict[str, float]:
    """The mean of per-family figures (each family weighs the same)."""
    return {
        name: float(np.mean([figures[name] for figures in per_family.values()])) for name in FIGURES
    }


def _value(name: str, value: float) -> str:
    return _fmt(value, 1) if name == "median_lead_days" else _fmt(value)


def target_misses(default: dict[str, float], plain: dict[str, float] | None) -> list[str]:
    """Which of issue 11's targets a family's default method misses (empty: all met)."""
    misses = []
    if not default["recall_48h"] >= 0.9:
        misses.append("recall_48h < 0.9")
    if not default["false_alarm_rate"] <= 0.3:
        misses.append("false_alarm_rate > 0.3")
    if not default["normal_alerts_per_100_lines"] <= 2:
        misses.append("normal alerts > 2 per 100 lines")
    if plain is not None and not (
        default["recall_48h"] > plain["recall_48h"]
        and default["false_alarm_rate"] < plain["false_alarm_rate"]
    ):
        misses.append("not better than simple on both recall and false alarms")
    return misses


def print_summary(outcomes: list[Outcome], families: list[str], methods: list[str]) -> None:
    """Per family and method the means over seeds, whether the default method meets the
    targets, then the ``name=value`` lines."""
    means = {method: family_means(outcomes, families, method) for method in methods}
    print("\nmean over seeds, per family:")
    for family in families:
        for method in methods:
            figures = means[method][family]
            print(
                f"  {family:<18} {method:<12} "
                + "  ".join(f"{name} {_value(name, figures[name])}" for name in FIGURES)
            )
        plain = means["simple"][family] if "simple" in methods else None
        misses = target_misses(means["default"][family], plain)
        print(f"  {family:<18} targets: {'met' if not misses else '; '.join(misses)}")
    for family in families:
        for method in methods:
            slug = method.replace("+", "_")
            for name, value in means[method][family].items():
                print(f"{family}_{slug}_{name}={_value(name, value)}")
    for method in methods:
        slug = method.replace("+", "_")
        for name, value in over_families(means[method]).items():
            print(f"{slug}_{name}={_value(name, value)}")
    for name, value in over_families(means["default"]).items():
        print(f"{name}={_value(name, value)}")


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--all-families",
        action="store_true",
        help=f"replay the demo and every family ({', '.join(FAMILIES)})",
    )
    parser.add_argument(
        "--families",
        help=f"comma-separated, of: {', '.join((DEMO, *FAMILIES))} (default: {DEMO}, or all)",
    )
    parser.add_argument(
        "--seeds",
        help=f"comma-separated seeds for every family (default: demo "
        f"{','.join(map(str, DEFAULT_SEEDS))}, families {','.join(map(str, FAMILY_SEEDS))})",
    )
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
    parser.add_argument(
        "--workers", type=int, default=1, help="replays run in this many processes at once"
    )
    args = parser.parse_args()
    names = _names(args.methods)
    unknown = sorted(set(names) - set(METHODS))
    if unknown:
        parser.error(f"unknown methods {unknown}; known: {', '.join(METHODS)}")
    methods = [name for name in dict.fromkeys(names) if name != "default"] + ["default"]
    if args.families:
        families = list(dict.fromkeys(_names(args.families)))
    else:
        families = [DEMO, *FAMILIES] if args.all_families else [DEMO]
    unknown = sorted(set(families) - {DEMO, *FAMILIES})
    if unknown:
        parser.error(f"unknown families {unknown}; known: {', '.join((DEMO, *FAMILIES))}")
    chosen: list[int] | None = None
    if args.seeds:
        try:
            chosen = [int(seed) for seed in _names(args.seeds)]
        except ValueError:
            parser.error("--seeds takes comma-separated integers")
    elif args.seed:
        chosen = list(args.seed)
    if args.workers < 1:
        parser.error("--workers must be at least 1")

    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="alert-quality-") as workdir:
        jobs = [
            Job(
                family=family,
                seed=seed,
                method=method,
                server_url=args.database_url,
                workdir=Path(workdir),
                follow_up=not args.no_follow_up,
            )
            for family in families
            for seed in (chosen or (DEFAULT_SEEDS if family == DEMO else FAMILY_SEEDS))
            for method in methods
        ]
        outcomes = run_jobs(jobs, workers=args.workers)
    elapsed = time.perf_counter() - began

    if families == [DEMO]:
        for seed in dict.fromkeys(o.seed for o in outcomes):
            print_demo_seed([o for o in outcomes if o.seed == seed], demo_scenario(seed))
    if args.workers > 1:
        print_table(outcomes)
    backend = "postgresql" if args.database_url else "sqlite"
    judged = "alerts judged to their end" if not args.no_follow_up else "no follow-up runs"
    print(
        f"\n{len(jobs)} replays in {elapsed:.1f} s with {args.workers} worker(s) "
        f"({backend}, {judged}); normal alerts counted from day {NORMAL_FROM_DAY}"
    )
    print_summary(outcomes, families, methods)


if __name__ == "__main__":
    main()
