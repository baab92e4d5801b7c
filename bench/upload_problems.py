"""The worst bulk uploads one can build within the upload cap, and what refusing them costs.

Each case (``bench/worst_uploads.py`` builds them) is posted to ``/api/v1/reports/bulk`` as
a bureau through the whole app (in-process, ``TestClient``) on a fresh SQLite database
built by the migrations: 20,000 identical rows (640 KB CSV); 20,000 rows whose every cell
is wrong in its own way, codes and words of 900 characters (126 MB, just under the 128 MB
upload cap); a 209 KB workbook whose cell unpacks to 200 MB of 'A'; a header of 200,000
made-up columns (1.7 MB); and 1,000,000 identical rows (32 MB; ``--million-rows 0`` skips
it).

Target: every answer ≤ 1 MB (``worst_problem_bytes``), nothing stored. Prints one line per
case, then ``name=value`` lines: ``stored_rows``, ``worst_problem_bytes``,
``worst_upload_seconds`` (wall clock), ``worst_upload_cpu_seconds`` (this process's CPU, less
sensitive to a busy machine) and ``peak_rss_mb`` (the process's peak resident memory,
which includes building the inputs).

Run: ``.venv/bin/python bench/upload_problems.py [--million-rows 1000000] [--bad-rows 20000]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/dispatch.py
# would shadow the dispatch package: put the repository root first instead.
_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from accounts.authentication import create_api_key  # noqa: E402
from bench.worst_uploads import (  # noqa: E402
    distinct_bad_cells_csv,
    identical_rows_csv,
    inflated_cell_xlsx,
    wide_header_csv,
)
from core.database import create_database_engine, create_session_factory, session_scope  # noqa: E402
from models import (  # noqa: E402
    DailyReport,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Role,
    Store,
    StoreKind,  # noqa: E402
)
from service.app import create_app  # noqa: E402
from service.configuration import business_today  # noqa: E402
from service.migrate import upgrade_to_head  # noqa: E402
from service.settings import Settings  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _city(database_url: str) -> str:
    """A store A-1, the product pork and a bureau key; returns the key's secret."""
    engine = create_database_engine(database_url)
    with session_scope(create_session_factory(engine)) as session:
        region = Region(code="R-1", name="District", level=RegionLevel.district)
        session.add(region)
        session.flush()
        session.add(
            Store(
                code="A-1",
                name="Store",
                kind=StoreKind.supermarket,
                region_id=region.id,
                latitude=33.7,
                longitude=113.3,
            )
        )
        meat = session.scalar(select(ProductCategory.id).where(ProductCategory.code == "meat"))
        session.add(Product(code="pork", name="Pork", category_id=meat, unit="kg", kg_per_unit=1))
        _, secret = create_api_key(session, name="bench", role=Role.bureau)
    engine.dispose()
    return secret


def main() -> None:
    """Post every worst case and print what each answer weighed and took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--million-rows", type=int, default=1_000_000)
    parser.add_argument("--bad-rows", type=int, default=20_000)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = f"sqlite:///{folder}/bench.db"
        upgrade_to_head(database_url)
        headers = {"Authorization": f"Bearer {_city(database_url)}"}
        settings = Settings(database_url=database_url, log_level="WARNING")
        day = business_today(settings)
        cases: list[tuple[str, Callable[[], tuple[str, bytes, str]]]] = [
            (
                "identical_rows_20000",
                lambda: (
                    "same.csv",
                    identical_rows_csv(store="A-1", day=day, product="pork"),
                    "text/csv",
                ),
            ),
            (
                "distinct_bad_cells",
                lambda: (
                    "bad.csv",
                    distinct_bad_cells_csv(day=day, rows=arguments.bad_rows),
                    "text/csv",
                ),
            ),
            (
                "inflated_cell_xlsx_200mb",
                lambda: ("bomb.xlsx", inflated_cell_xlsx(store="A-1", day=day), XLSX),
            ),
            (
                "wide_header_200000_columns",
                lambda: (
                    "wide.csv",
                    wide_header_csv(store="A-1", day=day, product="pork"),
                    "text/csv",
                ),
            ),
        ]
        if arguments.million_rows:
            cases.append(
                (
                    f"identical_rows_{arguments.million_rows}",
                    lambda: (
                        "million.csv",
                        identical_rows_csv(
                            store="A-1", day=day, product="pork", rows=arguments.million_rows
                        ),
                        "text/csv",
                    ),
                )
            )
        worst_bytes, worst_seconds, worst_cpu_seconds = 0, 0.0, 0.0
        with TestClient(create_app(settings)) as client:
            for name, build in cases:
                filename, data, media_type = build()
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.post(
                    "/api/v1/reports/bulk",
                    files={"file": (filename, data, media_type)},
                    headers=headers,
                )
                seconds = time.perf_counter() - started
                cpu_seconds = time.process_time() - cpu_started
                del data
                worst_bytes = max(worst_bytes, len(response.content))
                worst_seconds = max(worst_seconds, seconds)
                worst_cpu_seconds = max(worst_cpu_seconds, cpu_seconds)
                print(
                    f"{name}: status {response.status_code}, {len(response.content):,} bytes, "
                    f"{seconds:.2f} s ({cpu_seconds:.2f} s CPU)"
                )
        engine = create_database_engine(database_url)
        with session_scope(create_session_factory(engine)) as session:
            stored = session.scalar(select(func.count()).select_from(DailyReport))
        engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"stored_rows={stored}")
    print(f"worst_problem_bytes={worst_bytes}")
    print(f"worst_upload_seconds={worst_seconds:.2f}")
    print(f"worst_upload_cpu_seconds={worst_cpu_seconds:.2f}")
    print(f"peak_rss_mb={peak_mb:.0f}")


if __name__ == "__main__":
    main()
