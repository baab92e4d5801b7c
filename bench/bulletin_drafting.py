"""The daily bulletin drafted through the service's own domain function, from a database.

``bench/bulletin_numbers.py`` times the figures on a frame already in memory; this one
times what the bureau waits for when it presses "draft": reading the report lines of the
baseline window from the database, computing the figures and summaries, and storing the
draft (rolled back, so every repeat drafts the same first revision).

- ``--city`` (default): the demo city exactly as ``make demo`` builds it, on SQLite;
- ``--province``: 10,000 stores × 60 products × 14 days with a lockdown at its end and the
  monitor run over its last day, on PostgreSQL (built as ``bench/pages.py --province``
  builds it), or an already built database given with ``--database-url``.

Target (issue 16): at most 5 s for a province day. Prints

    bulletin_city_seconds= / bulletin_province_seconds=   the fastest draft of the repeats
    report_lines=                                        lines in the window read

Usage: ``.venv/bin/python bench/bulletin_drafting.py [--city | --province] [--database-url URL]
[--repeat R]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "bench"))  # after the packages: bench/dispatch.py is no package

from bulletin.publishing import BaselinePeriod, draft_bulletin  # noqa: E402
from core.access import Principal  # noqa: E402
from core.database import create_database_engine, create_session_factory  # noqa: E402
from models import DailyReport, Role  # noqa: E402

BENCH_PRINCIPAL = Principal(kind="key", id=0, name="bench", role=Role.bureau)


def _build_city(database_url: str) -> None:
    """The demo city as ``make demo`` builds it."""
    print("building the demo city (as `make demo` does) ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "service.cli", "demo", "--no-serve"],
        cwd=ROOT,
        env={**os.environ, "SUPPLYWATCH_DATABASE_URL": database_url},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _time_drafts(database_url: str, repeat: int) -> tuple[float, int]:
    """The fastest of ``repeat`` drafts of the latest reported day, and the lines read."""
    engine = create_database_engine(database_url)
    factory = create_session_factory(engine)
    timings = []
    with factory() as session:
        day = session.scalar(select(func.max(DailyReport.report_date)))
        if day is None:
            raise SystemExit("the database has no reports")
        first_day = min(BaselinePeriod().bounds(day)[0], day - timedelta(days=7))
        lines = (
            session.scalar(
                select(func.count()).where(DailyReport.report_date.between(first_day, day))
            )
            or 0
        )
    for attempt in range(repeat):
        with factory() as session:
            started = time.perf_counter()
            bulletin = draft_bulletin(
                session=session,
                principal=BENCH_PRINCIPAL,
                day=day,
                today=max(day, date.today()),
                correction_note="bench: drafted again",  # the demo's last days are published
            )
            elapsed = time.perf_counter() - started
            session.rollback()
        timings.append(elapsed)
        print(
            f"draft {attempt + 1}: {elapsed:.2f} s ({len(bulletin.figures['prices'])} products)",
            flush=True,
        )
    engine.dispose()
    return min(timings), lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--city", action="store_true")
    where.add_argument("--province", action="store_true")
    parser.add_argument("--database-url", help="an already built database to draft from")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    name = "province" if options.province else "city"
    with tempfile.TemporaryDirectory(prefix="supplywatch-bulletin-") as folder:
        database_url = options.database_url
        drop = None
        if database_url is None and options.province:
            from ingest import create_database, drop_database
            from pages import _build_province

            database_url = create_database("postgresql", Path(folder))
            drop = drop_database
            _build_province(database_url, stores=10_000, products=60, days=14)
        elif database_url is None:
            database_url = f"sqlite:///{folder}/demo.db"
            _build_city(database_url)
        try:
            seconds, lines = _time_drafts(database_url, options.repeat)
        finally:
            if drop is not None:
                drop(database_url)
    print(f"bulletin_{name}_seconds={seconds:.2f}")
    print(f"report_lines={lines}")


if __name__ == "__main__":
    main()
