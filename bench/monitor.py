"""One full monitor run over a province (10,000 stores × 60 products × 14 days =
8.4 M report lines), against a baseline measured in the same run: one SQL GROUP BY
computing stock ÷ 7-day mean sales per store × product.

The monitor run (days of supply, aggregates, status bands, alert rules, snapshots,
reporting rates, alert lifecycle and outbox, committed) reads the whole window
(incremental reads off: ``pg_seconds``, ``pg_ratio``). Then the same day is run twice with
incremental reads, as the service runs by default: the first reads the window in full and
keeps every store's state (``pg_state_build_seconds``), the second reads only the states
(``pg_from_states_seconds``; no store-day changed). Each run is a child process so its
peak memory (max RSS) is its own; the baseline runs in another.
Run: ``.venv/bin/python bench/monitor.py [--stores 10000] [--products 60] [--days 14]
[--only sqlite|postgresql] [--keep] [--database-url URL]``; ``--keep`` leaves the loaded
database in place and prints its URL, ``--database-url`` times the runs on such a
database again without loading it (the business day is its latest report date); both for
PostgreSQL only (a SQLite file lives in a temporary folder). PostgreSQL comes from
``SUPPLYWATCH_TEST_POSTGRES_URL`` (a database is created and dropped unless kept). Ends
with ``name=value`` lines.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/dispatch.py is no package

import pandas as pd  # noqa: E402
from ingest import create_database, drop_database  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from core.bulk import insert_frame  # noqa: E402
from core.database import (  # noqa: E402
    create_database_engine,
    create_session_factory,
    session_scope,
)
from models import DailyReport  # noqa: E402
from models.base import utc_now  # noqa: E402
from monitors.running.runs import MonitorConfig, run_monitor  # noqa: E402
from service.demo import (  # noqa: E402
    DemoCity,
    IdMaps,
    canonical_rows,
    generate_history,
    load_master_data,
)
from service.migrate import upgrade_to_head  # noqa: E402

CHUNK_ROWS = 1_000_000


def prepare(url: str, *, stores: int, products: int, days: int) -> tuple[str, int]:
    """Migrate and load ``days`` of reports for the province; returns (last day, lines)."""
    upgrade_to_head(url)
    last_day = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    province = generate_history(
        stores=stores, products=products, end_date=last_day, days=days, seed=11
    )
    _, total = load_province(url, province)
    return last_day.isoformat(), total


def load_province(
    url: str, province: DemoCity, *, through: date | None = None
) -> tuple[IdMaps, int]:
    """Load the province's master data and its reports (those up to ``through``, default
    all) into a migrated database, then analyse it; returns (ids, lines loaded)."""
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        ids = load_master_data(session, province)
    reports = province.reports
    if through is not None:
        reports = reports[reports["report_date"].isin([d for d in province.dates if d <= through])]
    stamp = utc_now()
    total = 0
    for start in range(0, len(reports), CHUNK_ROWS):
        chunk = canonical_rows(reports.iloc[start : start + CHUNK_ROWS], ids)
        chunk = chunk.assign(submitted_by="bench", created_at=stamp, updated_at=stamp)
        # Straight into a new database, so no change marks (reports.changes): with no
        # monitor state yet, the first run reads every store in full.
        with session_scope(factory) as session:
            insert_frame(session.connection(), DailyReport.__tablename__, chunk)
        total += len(chunk)
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE daily_reports"
            )
        else:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    engine.dispose()
    return ids, total


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_monitor(url: str, day: str, *, incremental: bool = False) -> dict[str, Any]:
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    started = time.perf_counter()
    run = run_monitor(
        factory=factory,
        business_date=datetime.fromisoformat(day).date(),
        config=MonitorConfig(incremental=incremental),
        trigger="bench",
    )
    seconds = time.perf_counter() - started
    engine.dispose()
    counts = run.counts
    return {
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "snapshots": float(counts.get("snapshots", 0)),
        "alerts": float(counts.get("alerts_opened", 0)),
        "status_ok": 1.0 if run.status.value == "succeeded" else 0.0,
        "phase_seconds": counts.get("phase_seconds", {}),
    }


def loaded(url: str) -> tuple[str, int]:
    """The latest report date and the number of report lines of a kept database."""
    engine = create_engine(url)
    with engine.connect() as connection:
        day, lines = connection.execute(
            text("SELECT MAX(report_date), COUNT(*) FROM daily_reports")
        ).one()
    engine.dispose()
    return str(day), int(lines)


def phase_baseline(url: str, day: str) -> dict[str, float]:
    """stock ÷ 7-day mean sales per store × product, one GROUP BY, fetched whole."""
    engine = create_engine(url)
    first = (datetime.fromisoformat(day).date() - timedelta(days=6)).isoformat()
    query = text(
        "SELECT store_id, product_id, "
        "SUM(CASE WHEN report_date = :day THEN stock END) / NULLIF(AVG(sales), 0) "
        "FROM daily_reports WHERE report_date BETWEEN :first AND :day "
        "GROUP BY store_id, product_id"
    )
    started = time.perf_counter()
    with engine.connect() as connection:
        rows = connection.execute(query, {"day": day, "first": first}).all()
    frame = pd.DataFrame(rows, columns=["store_id", "product_id", "days_of_supply"])
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rows": float(len(frame)), "peak_mb": peak_mb()}


def run_child(phase: str, url: str, day: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--url", url, "--day", day],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--keep", action="store_true", help="leave the loaded database")
    parser.add_argument("--database-url", help="a database --keep left: time it again")
    parser.add_argument(
        "--phase", choices=["monitor", "incremental", "baseline"], help=argparse.SUPPRESS
    )
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--day", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "baseline":
        print(json.dumps(phase_baseline(args.url, args.day)))
        return
    if args.phase:
        incremental = args.phase == "incremental"
        print(json.dumps(phase_monitor(args.url, args.day, incremental=incremental)))
        return

    figures: dict[str, float] = {}
    backends = [args.only] if args.only else ["postgresql", "sqlite"]
    if args.database_url:
        backends = ["sqlite" if args.database_url.startswith("sqlite") else "postgresql"]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="supplywatch-bench-") as folder:
            url = args.database_url or create_database(backend, Path(folder))
            try:
                if args.database_url:
                    day, lines = loaded(url)
                else:
                    started = time.perf_counter()
                    day, lines = prepare(
                        url, stores=args.stores, products=args.products, days=args.days
                    )
                    print(
                        f"{backend}: loaded {lines} lines in {time.perf_counter() - started:.0f} s",
                        flush=True,
                    )
                baseline = run_child("baseline", url, day)
                ours = run_child("monitor", url, day)
                # With incremental reads (the service's default): the first run reads the
                # window in full and keeps every store's state; the next reads the states.
                building = run_child("incremental", url, day)
                steady = run_child("incremental", url, day)
            finally:
                if args.keep or args.database_url:
                    print(f"{backend}: database kept at {url}", flush=True)
                else:
                    drop_database(url)
        assert ours["status_ok"] == 1.0, f"{backend}: the monitor run did not succeed"
        prefix = "pg" if backend == "postgresql" else "sqlite"
        figures[f"{prefix}_seconds"] = ours["seconds"]
        figures[f"{prefix}_baseline_seconds"] = baseline["seconds"]
        figures[f"{prefix}_ratio"] = ours["seconds"] / baseline["seconds"]
        figures[f"{prefix}_peak_mb"] = ours["peak_mb"]
        figures[f"{prefix}_state_build_seconds"] = building["seconds"]
        figures[f"{prefix}_state_build_peak_mb"] = building["peak_mb"]
        figures[f"{prefix}_from_states_seconds"] = steady["seconds"]
        print(
            f"{backend:<10} {lines} lines: monitor run {ours['seconds']:.2f} s "
            f"(peak {ours['peak_mb']:.0f} MB, {ours['snapshots']:.0f} snapshots, "
            f"{ours['alerts']:.0f} alerts); GROUP BY baseline {baseline['seconds']:.2f} s "
            f"({baseline['rows']:.0f} rows); ratio {ours['seconds'] / baseline['seconds']:.2f}",
            flush=True,
        )
        phases = ", ".join(
            f"{name} {seconds:.1f} s" for name, seconds in ours["phase_seconds"].items()
        )
        print(f"{backend:<10} phases: {phases}", flush=True)
        for name, run in (("building the states", building), ("from the states", steady)):
            phases = ", ".join(
                f"{phase} {seconds:.1f} s" for phase, seconds in run["phase_seconds"].items()
            )
            print(
                f"{backend:<10} incremental run, {name}: {run['seconds']:.2f} s "
                f"(peak {run['peak_mb']:.0f} MB); {phases}",
                flush=True,
            )
    for name, value in figures.items():
        print(f"{name}={value:.0f}" if name.endswith("_mb") else f"{name}={value:.2f}")


if __name__ == "__main__":
    main()
