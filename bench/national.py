"""The national daily run (issue 17, "Measured"): 100,000 stores × 60 products, 14 days
loaded, then day 15 posted and run fanned out over 1 and 2 workers, against a COPY of
the same day's lines into an identical table and a single-process full recompute.

Sequence: load 14 days (``bench/monitor.py``'s loader) → an untimed single-process run of
day 14 (with incremental monitoring, this builds the per-store state) → post day 15
(``post_day``) → ``copy_day_seconds`` → ``full_recompute_seconds`` (one process,
incremental off; its day-15 snapshots and the alerts saved) → the floor (``phase_floor``:
the day's lines read out, its snapshots written server-side) → the state tables reset to
what they were after posting → day 15 fanned out over 1 worker → reset again → 2 workers.
Each timed run's CPU is accounted (``cpu_accounting``): the machine's, PostgreSQL's, the
broker's and the run's own process's; ``speedup_bound_2_cores`` is what two cores allow
the one-worker run's CPU seconds (they cannot be done in less than half of them).
Every timed run is a child process (the coordinator) plus ``supplywatch worker`` processes,
so each peak RSS is its own; a worker's is its pool process's VmHWM, read before it stops.
The fanned-out runs replace the full recompute's day-15 snapshots (deleted first) and move
the same alerts again, so ``results_identical=1`` says both fanned-out runs left exactly
the snapshots and alerts of the full recompute (SQL EXCEPT both ways, floats exact).

Needs PostgreSQL (``SUPPLYWATCH_TEST_POSTGRES_URL``; a database is created and dropped
unless ``--keep``) and RabbitMQ (``SUPPLYWATCH_BROKER_URL``, default the local guest).
Run: ``PYTHONPATH=. .venv/bin/python bench/national.py [--stores 100000] [--products 60]
[--days 14] [--part-stores 2000] [--keep] [--database-url URL]``; ``--database-url`` times
a database ``--keep`` left again (day 15, held in ``bench_national_day``, is taken out of
``daily_reports`` and posted anew). At full size the loader holds the 15 generated days in
memory (about 2 GB) and the database about 90 M lines; try ``--stores 2000`` first.
Ends with ``name=value`` lines.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/dispatch.py is no package

import pandas as pd  # noqa: E402
from ingest import create_baseline_table, create_database, drop_database  # noqa: E402
from monitor import load_province  # noqa: E402
from sqlalchemy import Connection, column, create_engine, inspect, select, table, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from core.bulk import insert_frame, read_frame  # noqa: E402
from core.database import (  # noqa: E402
    SessionFactory,
    create_database_engine,
    create_session_factory,
    session_scope,
)
from models import Alert, DailyReport, SupplySnapshot  # noqa: E402
from models.base import utc_now  # noqa: E402
from monitors.running.runs import MonitorConfig, run_monitor  # noqa: E402
from service.demo import canonical_rows, generate_history  # noqa: E402
from service.migrate import upgrade_to_head  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.worker import part_queue  # noqa: E402

BROKER_URL = os.environ.get("SUPPLYWATCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
INCREMENTAL_AVAILABLE = "incremental" in MonitorConfig.__dataclass_fields__
STATE_TABLES = ("monitor_line_states", "report_changes")
"""What incremental monitoring keeps between runs (state per store, marks of changed
store-days), as its branch names them; saved after day 15 is posted and put back before
each fanned-out run, so both start from the state day 14 left plus day 15's marks. Tables
that do not exist are skipped."""
HELD_DAY = "bench_national_day"
"""Day 15's lines, generated with the 14 days before it and held here until posted."""
LINE_COLUMNS = ["store_id", "report_date", "product_id", "stock", "sales", "price", "received"]
SNAPSHOT_COLUMNS = [c.name for c in SupplySnapshot.__table__.c if c.name != "run_id"]
ALERT_COLUMNS = [
    "fingerprint", "rule", "severity", "status", "scope_level", "scope_id", "store_id",
    "district_id", "product_id", "category_id", "value", "threshold", "summary",
    "first_date", "last_date",
]  # fmt: skip
WORKER_READY_SECONDS = 60.0
FLAGS = ("incremental_available", "post_marks_changes", "results_identical")


# --- posting day 15 ------------------------------------------------------------------


def _mark_changed() -> Callable[[Session, Any], int] | None:
    """``reports.changes.mark_changed`` where incremental monitoring has landed, else None."""
    try:
        module = importlib.import_module("reports.changes")
    except ImportError:
        return None
    marker: Callable[[Session, Any], int] | None = getattr(module, "mark_changed", None)
    return marker


def post_day(factory: SessionFactory, lines: pd.DataFrame) -> bool:
    """Post the day's lines as production marks them; True when changes were marked.

    ADAPT once incremental monitoring lands: the lines go in by COPY (no store posts
    100,000 reports through ``store_report_lines`` in a bench), and in the same
    transaction every (store, day) is marked through ``reports.changes.mark_changed``
    when it exists, which is what the real write path (``reports/upsert.py``) does.
    """
    stamp = utc_now()
    rows = lines[LINE_COLUMNS].assign(submitted_by="bench", created_at=stamp, updated_at=stamp)
    marker = _mark_changed()
    with session_scope(factory) as session:
        insert_frame(session.connection(), DailyReport.__tablename__, rows)
        if marker is not None:
            pairs = lines[["store_id", "report_date"]].drop_duplicates()
            marker(session, list(pairs.itertuples(index=False, name=None)))
    return marker is not None


# --- the database ----------------------------------------------------------------------


def prepare(url: str, *, stores: int, products: int, days: int) -> tuple[date, int]:
    """Migrate, load ``days`` of the province and hold the day after them in HELD_DAY;
    returns (the held day, lines loaded)."""
    upgrade_to_head(url)
    held = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    province = generate_history(
        stores=stores, products=products, end_date=held, days=days + 1, seed=11
    )
    ids, loaded = load_province(url, province, through=held - timedelta(days=1))
    day = province.reports[province.reports["report_date"] == held]
    engine = create_database_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE TABLE {HELD_DAY} AS SELECT {', '.join(LINE_COLUMNS)} "
            f"FROM {DailyReport.__tablename__} WITH NO DATA"
        )
        insert_frame(connection, HELD_DAY, canonical_rows(day, ids))
    engine.dispose()
    return held, loaded


def reset(url: str) -> tuple[date, int]:
    """A kept database back to before day 15 was posted, at the newest schema; returns
    (held day, lines)."""
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        held = connection.execute(text(f"SELECT MIN(report_date) FROM {HELD_DAY}")).scalar_one()
        connection.execute(text("DELETE FROM daily_reports WHERE report_date = :d"), {"d": held})
        connection.execute(
            text("DELETE FROM supply_snapshots WHERE business_date = :d"), {"d": held}
        )
        for name in present(connection, STATE_TABLES):
            connection.exec_driver_sql(f"TRUNCATE {name}")
        lines = connection.execute(text("SELECT COUNT(*) FROM daily_reports")).scalar_one()
    engine.dispose()
    return held, int(lines)


def held_lines(connection: Connection) -> pd.DataFrame:
    """Day 15's lines as ``canonical_rows`` gives them."""
    held = table(HELD_DAY, *(column(name) for name in LINE_COLUMNS))
    frame = read_frame(connection, select(*held.c).order_by(held.c.store_id), LINE_COLUMNS)
    return frame.assign(
        store_id=frame["store_id"].astype("int64"),
        product_id=frame["product_id"].astype("int64"),
        report_date=pd.to_datetime(frame["report_date"]).dt.date,
        **{name: pd.to_numeric(frame[name]).astype("float64") for name in LINE_COLUMNS[3:]},
    )


def present(connection: Connection, names: Sequence[str]) -> list[str]:
    existing = set(inspect(connection).get_table_names())
    return [name for name in names if name in existing]


def save_state(url: str) -> None:
    """Copy the state tables aside (``bench_saved_<table>``)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in present(connection, STATE_TABLES):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS bench_saved_{name}")
            connection.exec_driver_sql(f"CREATE TABLE bench_saved_{name} AS SELECT * FROM {name}")
    engine.dispose()


def restore_state(url: str, day: date) -> None:
    """The state tables as saved, and no snapshots of ``day``: a fanned-out run of the day
    starts where the full recompute started and must write every snapshot itself."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in present(connection, STATE_TABLES):
            connection.exec_driver_sql(f"TRUNCATE {name}")
            connection.exec_driver_sql(f"INSERT INTO {name} SELECT * FROM bench_saved_{name}")
        connection.execute(
            text("DELETE FROM supply_snapshots WHERE business_date = :d"), {"d": day}
        )
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    engine.dispose()


def save_results(url: str, day: date) -> None:
    """The day's snapshots and every alert as they are now, into scratch tables."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS bench_full_snapshots, bench_full_alerts")
        connection.execute(
            text(
                f"CREATE TABLE bench_full_snapshots AS SELECT {', '.join(SNAPSHOT_COLUMNS)} "
                "FROM supply_snapshots WHERE business_date = :d"
            ),
            {"d": day},
        )
        connection.exec_driver_sql(
            f"CREATE TABLE bench_full_alerts AS SELECT {', '.join(ALERT_COLUMNS)} FROM alerts"
        )
    engine.dispose()


def part_overlap(url: str, run_id: int) -> tuple[float, int, int]:
    """How many parts of the run computed at once on average (the sum of their
    durations over the span from the first start to the last finish; 2.0 is two workers
    always busy), and the fewest and most stores in a part."""
    engine = create_engine(url)
    with engine.connect() as connection:
        busy, span, fewest, most = connection.execute(
            text(
                "SELECT SUM(EXTRACT(EPOCH FROM finished_at - started_at)), "
                "EXTRACT(EPOCH FROM MAX(finished_at) - MIN(started_at)), MIN(stores), "
                "MAX(stores) FROM monitor_run_parts WHERE run_id = :run"
            ),
            {"run": run_id},
        ).one()
    engine.dispose()
    return float(busy) / max(float(span), 1e-9), int(fewest), int(most)


def differences(url: str, day: date) -> dict[str, int]:
    """Rows in one and not the other (both ways), and row counts that differ, between the
    saved full-recompute results and the database's now."""
    pairs = {
        "snapshots": (
            "bench_full_snapshots",
            f"(SELECT * FROM supply_snapshots WHERE business_date = '{day.isoformat()}') now",
            SNAPSHOT_COLUMNS,
        ),
        "alerts": ("bench_full_alerts", Alert.__tablename__, ALERT_COLUMNS),
    }
    found: dict[str, int] = {}
    engine = create_engine(url)
    with engine.connect() as connection:
        for name, (saved, current, columns) in pairs.items():
            listed = ", ".join(columns)
            one = f"SELECT {listed} FROM {saved}"
            other = f"SELECT {listed} FROM {current}"
            found[name] = connection.exec_driver_sql(
                f"SELECT (SELECT COUNT(*) FROM ({one} EXCEPT {other}) a) "
                f"+ (SELECT COUNT(*) FROM ({other} EXCEPT {one}) b) "
                f"+ ABS((SELECT COUNT(*) FROM {saved}) - (SELECT COUNT(*) FROM {current}))"
            ).scalar_one()
    engine.dispose()
    return found


# --- child processes ---------------------------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_run(
    url: str, day: date, *, incremental: bool, part_stores: int, queue: str | None
) -> dict[str, Any]:
    """One monitor run of ``day``: in this process, or coordinating workers on ``queue``."""
    config = MonitorConfig(part_stores=part_stores)
    if INCREMENTAL_AVAILABLE:
        config = dataclasses.replace(config, incremental=incremental)  # type: ignore[call-arg,unused-ignore]
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    parts = None
    if queue is not None:
        settings = Settings(database_url=url, broker_url=BROKER_URL, task_queue=queue)
        parts = part_queue(settings)
    started = time.perf_counter()
    run = run_monitor(
        factory=factory, business_date=day, config=config, trigger="bench", queue=parts
    )
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "run_id": run.id,
        "status_ok": run.status.value == "succeeded",
        "error": run.error,
        "counts": run.counts,
    }


def phase_copy(url: str) -> dict[str, Any]:
    """COPY day 15's lines into an identical, empty table (then dropped): the floor. In
    this process (its memory is not measured): a child's start-up would be most of a
    tiny run."""
    engine = create_database_engine(url)
    with engine.begin() as connection:
        lines = held_lines(connection)
        create_baseline_table(connection)
    stamp = utc_now()
    rows = lines.assign(submitted_by="bench", created_at=stamp, updated_at=stamp)
    started = time.perf_counter()
    with engine.begin() as connection:
        insert_frame(connection, "baseline_reports", rows)
    seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE baseline_reports")
    engine.dispose()
    return {"seconds": seconds, "lines": len(rows)}


def phase_post(url: str) -> dict[str, Any]:
    """Post day 15 (``post_day``) and analyse the table, as the nightly load would."""
    engine = create_database_engine(url)
    with engine.connect() as connection:
        lines = held_lines(connection)
    started = time.perf_counter()
    marked = post_day(create_session_factory(engine), lines)
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
            "VACUUM ANALYZE daily_reports"
        )
    engine.dispose()
    return {"seconds": seconds, "lines": len(lines), "marked": marked}


def phase_floor(url: str, day: date) -> dict[str, float]:
    """What any run of ``day`` must at least do, timed apart: read the day's lines out of
    the database and write one snapshot per line back, each sparing what a run must also
    do, so their sum approximates a floor under any run, however it computes:

    - the read is a binary ``COPY TO`` of the day's lines whose bytes are counted and
      dropped (a run must also read each line's history or state, and parse);
    - the write is a server-side ``INSERT … SELECT`` of the full recompute's day of
      snapshots into an identical empty table with its indexes (a run must also encode
      and send them; whether this is cheaper than its binary COPY is not measured).
    """
    engine = create_database_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS bench_floor_snapshots")
        connection.exec_driver_sql(
            "CREATE TABLE bench_floor_snapshots (LIKE supply_snapshots INCLUDING DEFAULTS "
            "INCLUDING CONSTRAINTS INCLUDING INDEXES)"
        )
    statement = (
        "COPY (SELECT store_id, product_id, stock, sales, price, received FROM "
        f"{DailyReport.__tablename__} WHERE report_date = '{day.isoformat()}') "
        "TO STDOUT WITH (FORMAT binary)"
    )
    started = time.perf_counter()
    read_bytes = 0
    with engine.begin() as connection:
        dbapi = connection.connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
            for block in copy:
                read_bytes += len(block)
    read_seconds = time.perf_counter() - started
    listed = ", ".join(SNAPSHOT_COLUMNS)
    started = time.perf_counter()
    with engine.begin() as connection:
        written = connection.exec_driver_sql(
            f"INSERT INTO bench_floor_snapshots ({listed}) SELECT {listed} "
            "FROM bench_full_snapshots"
        ).rowcount
    write_seconds = time.perf_counter() - started
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE bench_floor_snapshots")
    engine.dispose()
    return {
        "read_seconds": read_seconds,
        "read_mb": read_bytes / 1e6,
        "write_seconds": write_seconds,
        "snapshots": float(written),
    }


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (``/proc/stat``: user,
    nice, system, irq, softirq and steal over every core)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def processes_cpu_seconds(names: Sequence[str]) -> float:
    """CPU seconds of this machine's processes whose name starts with one of ``names``,
    their ended children included (a PostgreSQL backend's time is in the postmaster's
    children's counts once it is reaped)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        if not name.startswith(tuple(names)):
            continue
        fields = stat.rsplit(")", 1)[1].split()
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


POSTGRES_PROCESSES = ("postgres",)
BROKER_PROCESSES = ("beam.smp", "erl_child_setup", "epmd", "inet_gethost")


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cpu_accounting(into: dict[str, Any]) -> Iterator[None]:
    """Adds the CPU seconds spent while the block ran to ``into``: the whole machine's
    (``busy_cpu_seconds``), PostgreSQL's, the broker's (RabbitMQ) and this process's
    children reaped in the block (``coordinator_cpu_seconds``: the run's own process)."""
    before = (
        machine_busy_seconds(),
        processes_cpu_seconds(POSTGRES_PROCESSES),
        processes_cpu_seconds(BROKER_PROCESSES),
        children_cpu_seconds(),
    )
    try:
        yield
    finally:
        into["busy_cpu_seconds"] = machine_busy_seconds() - before[0]
        into["postgres_cpu_seconds"] = processes_cpu_seconds(POSTGRES_PROCESSES) - before[1]
        into["broker_cpu_seconds"] = processes_cpu_seconds(BROKER_PROCESSES) - before[2]
        into["coordinator_cpu_seconds"] = children_cpu_seconds() - before[3]


def run_child(*arguments: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, *arguments], capture_output=True, text=True
    )
    if completed.returncode != 0:
        raise RuntimeError(f"child {arguments[:2]} failed:\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


# --- workers ------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def workers(url: str, count: int, logs: Path) -> Iterator[tuple[str, Callable[[], float]]]:
    """``count`` ``supplywatch worker --concurrency 1`` on a queue of their own, ready;
    yields (the queue, a function giving the largest pool process's peak MB so far)."""
    queue = f"supplywatch-bench-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SUPPLYWATCH_DATABASE_URL": url,
        "SUPPLYWATCH_BROKER_URL": BROKER_URL,
        "SUPPLYWATCH_TASK_QUEUE": queue,
        "SUPPLYWATCH_LOG_JSON": "false",
        "SUPPLYWATCH_MONITOR_INCREMENTAL": "true",  # the incremental branch's setting
        # One process per core already: a second forecast thread would only compete.
        "SUPPLYWATCH_MONITOR_FORECAST_THREADS": "1",
    }
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for number in range(count):
            log = logs / f"{queue}-{number}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "service.cli", "worker", "--concurrency", "1"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append((process, log))
        deadline = time.monotonic() + WORKER_READY_SECONDS
        for process, log in started:
            while " ready." not in log.read_text(errors="replace"):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"worker not ready:\n{log.read_text(errors='replace')}")
                time.sleep(0.2)

        def peak() -> float:
            return max(
                (_vm_hwm_mb(child) for process, _ in started for child in _children(process.pid)),
                default=0.0,
            )

        yield queue, peak
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=20)


def fanned_out(url: str, day: date, *, count: int, part_stores: int, logs: Path) -> dict[str, Any]:
    """Day ``day`` run incrementally over ``count`` workers; the coordinator a child."""
    accounted: dict[str, Any] = {}
    with workers(url, count, logs) as (queue, peak), cpu_accounting(accounted):
        result = run_child(
            "--phase", "run", "--url", url, "--day", day.isoformat(), "--incremental", "1",
            "--part-stores", str(part_stores), "--queue", queue,
        )  # fmt: skip
        result["worker_peak_mb"] = peak()
    result.update(accounted)
    if not result["status_ok"]:
        raise RuntimeError(f"the run over {count} worker(s) failed: {result['error']}")
    return result


# --- main -----------------------------------------------------------------------------------


def measure(url: str, day: date, *, part_stores: int, logs: Path) -> dict[str, float]:
    before = (day - timedelta(days=1)).isoformat()
    common = ["--url", url, "--part-stores", str(part_stores)]
    started = time.perf_counter()
    run_child("--phase", "run", "--day", before, "--incremental", "1", *common)
    print(f"day 14 run (untimed, builds the state) {time.perf_counter() - started:.1f} s")
    posted = phase_post(url)
    print(f"day 15 posted: {posted['lines']} lines in {posted['seconds']:.2f} s, "
          + ("changes marked (reports.changes.mark_changed)" if posted["marked"]
             else "NOTE: by COPY without change marks (no reports.changes here)"))  # fmt: skip
    copy = phase_copy(url)
    save_state(url)
    accounted: dict[str, Any] = {}
    with cpu_accounting(accounted):
        full = run_child(
            "--phase", "run", "--day", day.isoformat(), "--incremental", "0", *common
        )  # fmt: skip
    full.update(accounted)
    if not full["status_ok"]:
        raise RuntimeError(f"the full recompute failed: {full['error']}")
    save_results(url, day)
    floor = phase_floor(url, day)
    print(f"floor: day read {floor['read_seconds']:.2f} s ({floor['read_mb']:.0f} MB), "
          f"{floor['snapshots']:.0f} snapshots written {floor['write_seconds']:.2f} s")  # fmt: skip
    restore_state(url, day)
    one = fanned_out(url, day, count=1, part_stores=part_stores, logs=logs)
    diff_one = differences(url, day)
    restore_state(url, day)
    two = fanned_out(url, day, count=2, part_stores=part_stores, logs=logs)
    diff_two = differences(url, day)
    overlap, fewest, most = part_overlap(url, two["run_id"])
    print(f"parts {two['counts'].get('parts')} of {fewest}-{most} stores, {overlap:.2f} "
          "computing at once over 2 workers; differences from the full recompute: "
          f"1 worker {diff_one}, 2 workers {diff_two}")  # fmt: skip
    for name, run in (("full", full), ("1 worker", one), ("2 workers", two)):
        phases = run["counts"].get("phase_seconds", {})
        print(f"{name}: {run['seconds']:.2f} s; CPU s: machine {run['busy_cpu_seconds']:.1f}, "
              f"PostgreSQL {run['postgres_cpu_seconds']:.1f}, broker "
              f"{run['broker_cpu_seconds']:.1f}, the run's process "
              f"{run['coordinator_cpu_seconds']:.1f}; phases {phases}")  # fmt: skip
    floor_seconds = floor["read_seconds"] + floor["write_seconds"]
    return {
        "incremental_available": float(INCREMENTAL_AVAILABLE),
        "post_marks_changes": float(posted["marked"]),
        "post_day_seconds": posted["seconds"],
        "daily_run_seconds_1_worker": one["seconds"],
        "daily_run_seconds_2_workers": two["seconds"],
        "speedup_2_workers": one["seconds"] / two["seconds"],
        "part_overlap_2_workers": overlap,
        "full_recompute_seconds": full["seconds"],
        "copy_day_seconds": copy["seconds"],
        "daily_run_ratio_vs_copy": two["seconds"] / copy["seconds"],
        "floor_read_day_seconds": floor["read_seconds"],
        "floor_write_snapshots_seconds": floor["write_seconds"],
        "floor_ratio_vs_copy": floor_seconds / copy["seconds"],
        "busy_cores_1_worker": one["busy_cpu_seconds"] / one["seconds"],
        "busy_cores_2_workers": two["busy_cpu_seconds"] / two["seconds"],
        "postgres_cpu_share_1_worker": one["postgres_cpu_seconds"] / one["busy_cpu_seconds"],
        # Two cores cannot finish the one-worker run's CPU work in less than half of it.
        "speedup_bound_2_cores": 2 * one["seconds"] / one["busy_cpu_seconds"],
        "results_identical": float(not any({**diff_one, **diff_two}.values())),
        "peak_mb_worker": max(one["worker_peak_mb"], two["worker_peak_mb"]),
        "peak_mb_coordinator": max(one["peak_mb"], two["peak_mb"]),
        "peak_mb_full_recompute": full["peak_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stores", type=int, default=100_000)
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--part-stores", type=int, default=MonitorConfig.part_stores)
    parser.add_argument("--keep", action="store_true", help="leave the loaded database")
    parser.add_argument("--database-url", help="a database --keep left: time it again")
    parser.add_argument(
        "--load-only", action="store_true", help="load and keep the database, time nothing"
    )
    parser.add_argument("--phase", choices=["run"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--day", help=argparse.SUPPRESS)
    parser.add_argument("--incremental", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--queue", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "run":
        day = date.fromisoformat(args.day)
        result = phase_run(
            args.url,
            day,
            incremental=bool(args.incremental),
            part_stores=args.part_stores,
            queue=args.queue,
        )
        print(json.dumps(result, default=str))
        return

    with tempfile.TemporaryDirectory(prefix="supplywatch-national-") as folder:
        url = args.database_url or create_database("postgresql", Path(folder))
        try:
            if args.database_url:
                day, lines = reset(url)
            else:
                started = time.perf_counter()
                day, lines = prepare(
                    url, stores=args.stores, products=args.products, days=args.days
                )
                print(f"loaded {lines} lines in {time.perf_counter() - started:.0f} s", flush=True)
                if args.load_only:
                    return
            engine = create_engine(url)
            with engine.connect() as connection:
                stores, products, per_day = connection.execute(
                    text(
                        "SELECT COUNT(DISTINCT store_id), COUNT(DISTINCT product_id), "
                        f"COUNT(*) FROM {HELD_DAY}"
                    )
                ).one()
                days = connection.execute(
                    text("SELECT COUNT(DISTINCT report_date) FROM daily_reports")
                ).scalar_one()
            engine.dispose()
            figures = measure(url, day, part_stores=args.part_stores, logs=Path(folder))
        finally:
            if args.keep or args.database_url or args.load_only:
                print(f"database kept at {url}", flush=True)
            else:
                drop_database(url)
    scale = {
        "stores": stores,
        "products": products,
        "days": days,
        "lines_per_day": per_day,
        "lines_loaded": lines,
        "part_stores": args.part_stores,
    }
    for name, value in scale.items():
        print(f"{name}={value}")
    for name, number in figures.items():
        whole = "_mb" in name or name in FLAGS
        print(f"{name}={number:.0f}" if whole else f"{name}={number:.2f}")


if __name__ == "__main__":
    main()
