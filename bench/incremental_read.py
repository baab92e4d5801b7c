"""An incremental monitor run's read on an ordinary day: every store's kept state moved
on by one day and the day's new lines read from the stores' change marks.

``bench/monitor.py`` times its incremental run on the day it built the states from, with
no marks: the states are read and written back unchanged. On a real next day every
store posted (every store-day is marked), so each state is shifted and the day's lines
are read and put in. This times exactly that read (a run's ``load_run_inputs`` with
incremental reads) on a database that holds states: the states are set back one day and
every store's latest day marked, in a transaction rolled back after each repeat, so the
database is left as it was.

Run: ``.venv/bin/python bench/incremental_read.py --database-url URL [--repeat 3]`` on a
database ``bench/monitor.py --keep`` left (its incremental runs kept the states), or
``--stores N`` to load a small province into a temporary SQLite file first. Ends with
``name=value`` lines: ``read_cpu_seconds`` and ``read_wall_seconds`` (the best of the
repeats), ``lines``, ``stores``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/dispatch.py is no package

import numpy as np  # noqa: E402
from ingest import create_database  # noqa: E402
from monitor import prepare  # noqa: E402
from sqlalchemy import insert, literal, select, update  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from core.database import create_database_engine, create_session_factory  # noqa: E402
from models import MonitorLineState, ReportChange, Store  # noqa: E402
from models.base import utc_now  # noqa: E402
from monitors.computing import inputs as data  # noqa: E402
from monitors.running.day import STORE_PARTS  # noqa: E402
from monitors.running.runs import MonitorConfig, run_monitor  # noqa: E402


def build_states(url: str, day: date) -> None:
    """One incremental run of ``day``: every store's state is built."""
    engine = create_database_engine(url)
    run_monitor(
        factory=create_session_factory(engine),
        business_date=day,
        config=MonitorConfig(incremental=True),
        trigger="bench",
    )
    engine.dispose()


def time_next_day_read(url: str, repeat: int) -> dict[str, float]:
    """Best CPU and wall seconds of the incremental read of a next day (rolled back)."""
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    best_cpu = best_wall = float("inf")
    lines = stores = 0
    with factory() as session:
        day, days = _kept_states(session)
        store_ids = np.asarray(session.scalars(select(Store.id)).all(), dtype=np.int64)
        first_day = day - timedelta(days=days - 1)
        for _ in range(repeat):
            session.execute(update(MonitorLineState).values(through_date=day - timedelta(days=1)))
            session.execute(
                insert(ReportChange).from_select(
                    ["store_id", "report_date", "changed_at"],
                    select(
                        Store.id,
                        literal(day, ReportChange.report_date.type),
                        literal(utc_now(), ReportChange.changed_at.type),
                    ),
                )
            )
            cpu, wall = time.process_time(), time.perf_counter()
            read = data.load_run_inputs(
                session,
                store_ids=store_ids,
                report_days=(first_day, day),
                submission_days=None,
                parts=STORE_PARTS,
                incremental=True,
            )
            best_cpu = min(best_cpu, time.process_time() - cpu)
            best_wall = min(best_wall, time.perf_counter() - wall)
            lines, stores = read.report_lines, read.read_counts["states_used"]
            assert read.read_counts["stores_read_in_full"] == 0, "a store had no state to read"
            session.rollback()
    engine.dispose()
    return {
        "read_cpu_seconds": best_cpu,
        "read_wall_seconds": best_wall,
        "lines": float(lines),
        "stores": float(stores),
    }


def _kept_states(session: Session) -> tuple[date, int]:
    """The day and window length of the kept states (all of one day after a run)."""
    found = session.execute(
        select(MonitorLineState.through_date, MonitorLineState.days).distinct()
    ).all()
    if len(found) != 1:
        raise SystemExit(f"need the states of one day, found {len(found)} kinds: run a monitor")
    through, days = found[0]
    return through, days


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", help="a database bench/monitor.py --keep left")
    parser.add_argument("--stores", type=int, default=200, help="without --database-url")
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="supplywatch-bench-") as folder:
        url = args.database_url
        if url is None:
            url = create_database("sqlite", Path(folder))
            day_text, _ = prepare(url, stores=args.stores, products=args.products, days=14)
            build_states(url, date.fromisoformat(day_text))
        figures = time_next_day_read(url, args.repeat)
    for name, value in figures.items():
        print(f"{name}={value:.0f}" if name in ("lines", "stores") else f"{name}={value:.2f}")


if __name__ == "__main__":
    main()
