"""The bureau's pages for the demo city: server time and bytes on the wire.

Set-up (not timed): the demo city exactly as ``make demo`` builds it (30 days of
reports, the monitor played over the last 8 days, the dispatch day) in a SQLite file
in a temporary folder, served by uvicorn in a subprocess on 127.0.0.1 (``--port``,
default 18402), and each page's demo login signed in through the sign-in form.

Timed: ``--requests`` sequential GETs of each page after ``--warmup`` ones, one
keep-alive connection, on the same machine, so the time is the server's (loopback
adds well under a millisecond). Pages: the dashboard and its worst situations (fetched
after it), the alerts grouped into situations
(by district × category, and by product across the city), the list of every alert, and the
dispatcher board and a plan of the day (planned once, 5 s, before timing) when the
service has them, the store's report form and a chain's store list, each as the role
that opens it, and the dashboard and alert list again as the bureau of one district
(every query then filtered to the district's regions). Bytes: each page's HTML and every script
and stylesheet it links, as transferred with ``Accept-Encoding: gzip`` (what a
browser with an empty cache downloads).

Target (2 cores): p95 ≤ 300 ms per page; the dashboard ≤ 1.5 MB transferred in all.

``--province`` times the bureau's pages on a province instead: 10,000 stores × 60
products × 14 days (8.4 M report lines, the last 5 days a lockdown that disrupts a tenth
of the districts, as ``bench/monitor.py`` generates them) on PostgreSQL
(``SUPPLYWATCH_TEST_POSTGRES_URL``; a database is created and dropped), the monitor run
once over the last day, and a bureau login; figures are prefixed ``province_``.

Run: ``.venv/bin/python bench/pages.py [--province] [--stores 10000] [--requests 50]
[--warmup 5] [--port 18402]``. It ends with ``name=value`` lines for scripts.
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
import os  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import httpx  # noqa: E402

PAGES = {
    "dashboard": ("/dashboard", "bureau"),
    "dashboard situations": ("/dashboard/situations", "bureau"),
    "alert groups": ("/alerts", "bureau"),
    "alert groups by product": ("/alerts?group_by=product", "bureau"),
    "alert list": ("/alerts/list", "bureau"),
    "dispatcher board": ("/dispatch", "dispatcher"),
    "dispatch plan": ("/dispatch/plans/{plan}", "dispatcher"),
    "store form": ("/store/PDS-0001", "store"),
    "chain stores": ("/store", "chain"),
    "district dashboard": ("/dashboard", "district"),
    "district alert list": ("/alerts/list", "district"),
}
PROVINCE_PAGES = {
    name: PAGES[name]
    for name in (
        "dashboard",
        "dashboard situations",
        "alert groups",
        "alert groups by product",
        "alert list",
    )
}
PLAN_URL = re.compile(r"/dispatch/plans/(\d+)")
ASSET = re.compile(r'<(?:script[^>]*\bsrc|link[^>]*rel="stylesheet"[^>]*\bhref)="(/[^"]+)"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _build_demo(database_url: str) -> None:
    """The demo city exactly as ``make demo`` builds it."""
    print("building the demo city (as `make demo` does) ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "service.cli", "demo", "--no-serve"],
        cwd=ROOT,
        env={**os.environ, "SUPPLYWATCH_DATABASE_URL": database_url},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _build_province(database_url: str, *, stores: int, products: int, days: int) -> None:
    """A province with a lockdown at its end, the monitor run over its last day, and the
    bureau's demo login."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from accounts.authentication import create_user
    from core.bulk import insert_frame
    from core.database import create_database_engine, create_session_factory, session_scope
    from models import DailyReport
    from models.base import utc_now
    from models.user import Role
    from monitors.running.runs import MonitorConfig, run_monitor
    from service.demo import canonical_rows, generate_history, load_master_data
    from service.migrate import upgrade_to_head

    started = time.perf_counter()
    upgrade_to_head(database_url)
    last_day = datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)
    province = generate_history(
        stores=stores, products=products, end_date=last_day, days=days, seed=11, lockdown_days=5
    )
    engine = create_database_engine(database_url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        ids = load_master_data(session, province)
        create_user(session, username="bureau", password="bureau-demo", role=Role.bureau)
    stamp = utc_now()
    for start in range(0, len(province.reports), 1_000_000):
        chunk = canonical_rows(province.reports.iloc[start : start + 1_000_000], ids)
        chunk = chunk.assign(submitted_by="bench", created_at=stamp, updated_at=stamp)
        # Straight into a new database, so no change marks (reports.changes): with no
        # monitor state yet, the first run reads every store in full.
        with session_scope(factory) as session:
            insert_frame(session.connection(), DailyReport.__tablename__, chunk)
    lines = len(province.reports)
    del province
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE daily_reports"
            )
    run = run_monitor(
        factory=factory, business_date=last_day, config=MonitorConfig(), trigger="bench"
    )
    engine.dispose()
    print(
        f"province: {lines} lines loaded and monitored in {time.perf_counter() - started:.0f} s"
        f" ({run.counts.get('alerts_opened', 0)} alerts opened)",
        flush=True,
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _start(database_url: str, port: int) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "SUPPLYWATCH_DATABASE_URL": database_url,
        "SUPPLYWATCH_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=environment,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def _sign_in(client: httpx.Client, username: str) -> None:
    token = CSRF.search(client.get("/login").text)
    assert token, "no CSRF token on the sign-in page"
    response = client.post(
        "/login",
        data={"username": username, "password": f"{username}-demo", "csrf_token": token.group(1)},
    )
    assert response.status_code == 303, response.text


def _plan_the_day(client: httpx.Client) -> str | None:
    """Plan the demo day once (5 s), as a dispatcher would before reviewing the board;
    None when the service has no dispatch board."""
    board = client.get("/dispatch")
    token = CSRF.search(board.text)
    day = re.search(r'name="day" value="([0-9-]+)"', board.text)
    if board.status_code != 200 or token is None or day is None:
        return None
    response = client.post(
        "/dispatch/plans",
        data={"csrf_token": token.group(1), "day": day.group(1), "time_limit_s": "5"},
    )
    found = PLAN_URL.search(response.headers.get("location", ""))
    return found.group(1) if found else None


def _wire_bytes(client: httpx.Client, path: str) -> tuple[int, int, int]:
    """(HTML bytes, asset bytes, assets) as transferred with gzip."""
    page = client.get(path)
    html = page.num_bytes_downloaded
    assets = sorted(set(ASSET.findall(page.text)))
    asset_bytes = 0
    for asset in assets:
        response = client.get(asset)
        response.raise_for_status()
        asset_bytes += response.num_bytes_downloaded
    return html, asset_bytes, len(assets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--port", type=int, default=18402)
    parser.add_argument("--province", action="store_true")
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--products", type=int, default=60)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument(
        "--database-url", help="with --province: a province already built by this script"
    )
    options = parser.parse_args()

    pages = PROVINCE_PAGES if options.province else PAGES
    prefix = "province_" if options.province else ""
    with tempfile.TemporaryDirectory(prefix="supplywatch-pages-") as folder:
        if options.province:
            sys.path.insert(0, str(ROOT / "bench"))
            from ingest import create_database, drop_database

            if options.database_url:
                database_url = options.database_url
                drop_database = None
            else:
                database_url = create_database("postgresql", Path(folder))
                _build_province(
                    database_url,
                    stores=options.stores,
                    products=options.products,
                    days=options.days,
                )
        else:
            database_url = f"sqlite:///{folder}/demo.db"
            _build_demo(database_url)
        server = _start(database_url, options.port)
        try:
            base = f"http://127.0.0.1:{options.port}"
            clients = {
                username: httpx.Client(
                    base_url=base, headers={"Accept-Encoding": "gzip"}, timeout=120
                )
                for username in sorted({username for _, username in pages.values()})
            }
            for username, client in clients.items():
                _sign_in(client, username)
            plan = None if options.province else _plan_the_day(clients["dispatcher"])
            results = {}
            for name, (template, username) in pages.items():
                client = clients[username]
                if "{plan}" in template and plan is None:
                    print(f"{name}: not present in this service (no plan)")
                    continue
                path = template.format(plan=plan)
                if client.get(path).status_code == 404:
                    print(f"{name}: not present in this service ({path} answers 404)")
                    continue
                for _ in range(options.warmup):
                    client.get(path).raise_for_status()
                times = []
                for _ in range(options.requests):
                    started = time.perf_counter()
                    client.get(path).raise_for_status()
                    times.append((time.perf_counter() - started) * 1000)
                html, assets, count = _wire_bytes(client, path)
                results[name] = (times, html, assets)
                print(
                    f"{name:<17} p50 {statistics.median(times):6.1f} ms  "
                    f"p95 {_percentile(times, 0.95):6.1f} ms  "
                    f"HTML {html / 1024:6.1f} KiB + {count} assets {assets / 1024:6.1f} KiB"
                    f" = {(html + assets) / 1024 / 1024:.2f} MiB transferred (gzip)"
                )
            for client in clients.values():
                client.close()
        finally:
            server.terminate()
            server.wait(timeout=20)
            if options.province and drop_database is not None:
                drop_database(database_url)
    for name, (times, html, assets) in results.items():
        key = prefix + name.replace(" ", "_")
        print(f"{key}_p50_ms={statistics.median(times):.1f}")
        print(f"{key}_p95_ms={_percentile(times, 0.95):.1f}")
        print(f"{key}_bytes={html + assets}")


if __name__ == "__main__":
    main()
