"""Bulk ingest of one province day (10,000 stores × 60 products = 600,000 lines).

Measures the bulk endpoint's own code path (``import_report_file``: CSV parsing,
validation, unit conversion, staging and the set-based upsert) against a raw baseline
on an identical table in the same run:

- PostgreSQL: COPY into a staging table + one ``INSERT … ON CONFLICT``;
- SQLite: one ``executemany`` upsert.

Each measured import runs in a child process so its peak memory (max RSS) is its own.
Run: ``.venv/bin/python bench/ingest.py [--stores 10000] [--products 60] [--only sqlite]``.
PostgreSQL comes from ``SUPPLYWATCH_TEST_POSTGRES_URL`` (a database is created and
dropped); it ends with ``name=value`` lines for scripts.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.access import Principal  # noqa: E402
from core.database import (  # noqa: E402
    create_database_engine,
    create_session_factory,
    session_scope,
)
from models import Role  # noqa: E402
from reports.submissions import import_report_file  # noqa: E402
from service.configuration import ingest_limits, report_rules  # noqa: E402
from service.demo import canonical_rows, generate_province_day, load_master_data  # noqa: E402
from service.migrate import upgrade_to_head  # noqa: E402
from service.settings import Settings  # noqa: E402

POSTGRES_URL = os.environ.get(
    "SUPPLYWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BENCH_PRINCIPAL = Principal("key", 0, "bench", Role.bureau)
PG_BASELINE_DDL = (
    "CREATE TABLE baseline_reports (LIKE daily_reports INCLUDING DEFAULTS INCLUDING "
    "CONSTRAINTS INCLUDING INDEXES)"
)


def create_baseline_table(connection: Connection) -> None:
    """An identical copy of daily_reports (columns, constraints, indexes), empty."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(PG_BASELINE_DDL)
        return
    statements = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'daily_reports' AND sql IS NOT NULL "
        "ORDER BY type DESC"  # the table before its indexes
    ).scalars()
    for statement in statements:
        renamed = statement.replace("daily_reports", "baseline_reports")
        renamed = renamed.replace("INDEX ix_", "INDEX baseline_ix_")
        connection.exec_driver_sql(renamed)


UPSERT_TAIL = (
    "ON CONFLICT (store_id, report_date, product_id) DO UPDATE SET stock = excluded.stock, "
    "sales = excluded.sales, price = excluded.price, received = excluded.received, "
    "submitted_by = excluded.submitted_by, updated_at = excluded.updated_at"
)


def create_database(backend: str, workdir: Path) -> str:
    """A fresh, empty database of ``backend``; returns its URL."""
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'ingest.db'}"
    name = f"supplywatch_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def prepare(url: str, *, stores: int, products: int, workdir: Path) -> tuple[Path, Path, int]:
    """Migrate, load the province's master data, and write the day as a bulk CSV plus the
    same lines with ids for the baseline. Returns (csv path, baseline path, rows)."""
    upgrade_to_head(url)
    day = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    province = generate_province_day(stores=stores, products=products, report_date=day)
    engine = create_database_engine(url)
    with session_scope(create_session_factory(engine)) as session:
        ids = load_master_data(session, province)
    engine.dispose()
    reports = province.reports.rename(columns={"store_code": "store", "product_code": "product"})
    reports = reports.assign(date=reports["report_date"].astype(str))
    csv_path = workdir / "province_day.csv"
    reports[["store", "date", "product", "stock", "sales", "price", "received"]].to_csv(
        csv_path, index=False
    )
    baseline_path = workdir / "province_day_ids.pkl"
    canonical_rows(province.reports, ids).to_pickle(baseline_path)
    return csv_path, baseline_path, len(reports)


def run_child(phase: str, url: str, path: Path) -> dict[str, float]:
    """Run one measured phase in a fresh process; returns its JSON result."""
    completed = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--url", url, "--path", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_import(url: str, path: Path) -> dict[str, float]:
    """The bulk endpoint's code path, from file bytes to a committed transaction."""
    settings = Settings(database_url=url, max_report_age_days=400)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    data = path.read_bytes()
    started = time.perf_counter()
    with session_scope(factory) as session:
        result = import_report_file(
            session,
            data=data,
            filename=path.name,
            principal=BENCH_PRINCIPAL,
            rules=report_rules(settings),
            limits=ingest_limits(settings),
        )
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "seconds": seconds,
        "rows": result.rows,
        "inserted": result.counts.inserted,
        "peak_mb": peak_mb(),
    }


def phase_baseline(url: str, path: Path) -> dict[str, float]:
    """The raw baseline: the same lines, already as ids, upserted with no checks."""
    import pandas as pd

    rows = pd.read_pickle(path)
    engine = create_engine(url)
    backend = engine.dialect.name
    with engine.begin() as connection:
        create_baseline_table(connection)
    now = datetime.now(ZoneInfo("UTC"))
    columns = "store_id, report_date, product_id, stock, sales, price, received"
    started = time.perf_counter()
    with engine.begin() as connection:
        if backend == "postgresql":
            buffer = io.StringIO()
            rows.to_csv(buffer, header=False, index=False, na_rep="")
            connection.exec_driver_sql(
                "CREATE TEMPORARY TABLE baseline_staging (store_id integer, report_date date, "
                "product_id integer, stock float8, sales float8, price float8, received float8)"
            )
            dbapi = connection.connection.driver_connection
            assert dbapi is not None
            with dbapi.cursor() as cursor:
                with cursor.copy(
                    f"COPY baseline_staging ({columns}) FROM STDIN WITH (FORMAT csv)"
                ) as copy:
                    copy.write(buffer.getvalue())
            connection.exec_driver_sql(
                f"INSERT INTO baseline_reports ({columns}, submitted_by, created_at, updated_at) "
                f"SELECT {columns}, 'bench', now(), now() FROM baseline_staging {UPSERT_TAIL}"
            )
        else:
            stamp = now.isoformat()
            received = rows["received"].astype(object).where(rows["received"].notna(), None)
            records = list(
                zip(
                    rows["store_id"].astype(int).tolist(),
                    [d.isoformat() for d in rows["report_date"]],
                    rows["product_id"].astype(int).tolist(),
                    rows["stock"].astype(float).tolist(),
                    rows["sales"].astype(float).tolist(),
                    rows["price"].astype(float).tolist(),
                    received.tolist(),
                    strict=True,
                )
            )
            connection.exec_driver_sql(
                f"INSERT INTO baseline_reports ({columns}, submitted_by, created_at, updated_at) "
                f"VALUES (?, ?, ?, ?, ?, ?, ?, 'bench', '{stamp}', '{stamp}') {UPSERT_TAIL}",
                records,
            )
    seconds = time.perf_counter() - started
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT count(*) FROM baseline_reports").scalar_one()
    engine.dispose()
    return {"seconds": seconds, "rows": float(stored), "peak_mb": peak_mb()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--phase", choices=["import", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        run = phase_import if args.phase == "import" else phase_baseline
        print(json.dumps(run(args.url, args.path)))
        return

    figures: dict[str, float] = {}
    backends = [args.only] if args.only else ["sqlite", "postgresql"]
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="supplywatch-bench-") as folder:
            url = create_database(backend, Path(folder))
            try:
                csv_path, ids_path, rows = prepare(
                    url, stores=args.stores, products=args.products, workdir=Path(folder)
                )
                ours = run_child("import", url, csv_path)
                baseline = run_child("baseline", url, ids_path)
            finally:
                drop_database(url)
        assert ours["inserted"] == rows, f"{backend}: stored {ours['inserted']} of {rows}"
        assert baseline["rows"] == rows
        prefix = "pg" if backend == "postgresql" else "sqlite"
        figures[f"{prefix}_rows_per_s"] = rows / ours["seconds"]
        figures[f"{prefix}_baseline_rows_per_s"] = rows / baseline["seconds"]
        figures[f"{prefix}_ratio"] = baseline["seconds"] / ours["seconds"]
        figures[f"{prefix}_peak_mb"] = ours["peak_mb"]
        print(
            f"{backend:<10} {rows} lines: bulk path {ours['seconds']:.2f} s "
            f"({rows / ours['seconds']:,.0f} rows/s, peak {ours['peak_mb']:.0f} MB); "
            f"raw baseline {baseline['seconds']:.2f} s ({rows / baseline['seconds']:,.0f} rows/s)"
            f"; ratio {baseline['seconds'] / ours['seconds']:.2f}",
            flush=True,
        )
    for name, value in figures.items():
        print(f"{name}={value:.2f}" if "ratio" in name else f"{name}={value:.0f}")


if __name__ == "__main__":
    main()
