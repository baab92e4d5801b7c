"""A busy morning of mixed traffic against a real server on PostgreSQL: does it hold?

Set-up (not timed): a fresh database ``supplywatch_load_<random>`` in the server at
``SUPPLYWATCH_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
postgres``), the demo city loaded into it by the demo code (``--days`` of reports ending
today, its dispatch day, supply network, logins and keys), more stores added in the
demo's districts until there are ``--stores``, ``ANALYZE``, and ``supplywatch serve
--workers N`` started on a free port of 127.0.0.1.

Traffic, for ``--minutes`` (httpx, one client per thread):

- ``put_report``: every store posts today's report (``--lines`` lines) with
  ``PUT /api/v1/stores/{store}/reports/{today}``, ``--report-rate`` reports a second from
  ``--report-threads`` threads, then corrections in later rounds; a 503, 429 or a
  connection error is retried with exponential backoff, as a till would;
- ``bulk_upload``: a chain's IT uploads yesterday's lines of ``--bulk-stores`` stores as
  a CSV file to ``POST /api/v1/reports/bulk``, one file after another, same retries;
- ``dashboard_api`` and ``dashboard_page``: a bureau reads ``GET /api/v1/supply`` by
  district and the ``/dashboard`` page (signed in with the demo login), ``--readers``
  threads, a second apart;
- ``monitor_run``: ``POST /api/v1/monitor/runs`` for today at the start and every
  ``--monitor-every-s`` (5 minutes);
- ``dispatch_plan``: a dispatcher solves the demo's delivery day
  (``POST /api/v1/dispatch/plans``, ``--plan-seconds`` of solver time), one after another.

Afterwards the server is stopped and every store-day is read back from the database: a
PUT's report must be exactly the last body acknowledged with a 2xx (same products, same
numbers), a bulk upload's lines exactly as the last acknowledged file had them. The
server's resident memory (all its processes together) is sampled every half second.

Run: ``.venv/bin/python bench/load.py [--minutes 15] [--stores 2000] [--workers 2]
[--keep-db]``. It ends with ``name=value`` lines: ``requests``, ``errors_5xx`` (must be 0),
``requests_<kind>`` and ``p99_ms_<kind>`` per kind, ``stored_equals_acknowledged`` (must be
1), ``max_rss_mb``. A 503 or 429 (the server asking to come back later) is retried and
counted apart, not as an error; every other 5xx is.
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
import io  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from itertools import count  # noqa: E402
from typing import IO, Any  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import httpx  # noqa: E402
from sqlalchemy import bindparam, create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.api import (  # noqa: E402
    create_bench_database,
    drop_bench_database,
    free_port,
    percentile_ms,
    stop_server,
    wait_ready,
)
from core.database import create_database_engine, create_session_factory, session_scope  # noqa: E402
from models import Product, Role, Store, StoreKind  # noqa: E402
from service.demo import DEMO_LOGINS, load_demo_city  # noqa: E402
from service.http.dependencies import SESSION_COOKIE  # noqa: E402
from service.migrate import upgrade_to_head  # noqa: E402

TIMEZONE = "Asia/Shanghai"
KINDS = (
    "put_report",
    "bulk_upload",
    "dashboard_api",
    "dashboard_page",
    "monitor_run",
    "dispatch_plan",
)
RETRIED_STATUSES = frozenset({429, 503})
MAX_TRIES = 8
FIRST_BACKOFF_S = 0.25
MAX_BACKOFF_S = 8.0
REQUEST_TIMEOUT_S = 120.0
MAX_SHOWN_ERRORS = 8
RSS_SAMPLE_S = 0.5
Lines = dict[str, tuple[float, float, float]]
"""A store-day's lines: product code → (stock, sales, price)."""


# --- the city -------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    """What the traffic needs to know about the loaded city."""

    today: date
    yesterday: date
    stores: list[str]
    products: list[str]
    keys: dict[Role, str]
    bureau_login: tuple[str, str]


def prepare(url: str, *, stores: int, days: int) -> City:
    """Migrate, load the demo city ending today, add stores up to ``stores``, ANALYZE."""
    upgrade_to_head(url)
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    yesterday = today - timedelta(days=1)
    engine = create_database_engine(url)
    try:
        factory = create_session_factory(engine)
        with session_scope(factory) as session:
            summary = load_demo_city(session, seed=42, end_date=today, days=days)
            existing = session.execute(
                select(Store.region_id, Store.enterprise_id, Store.latitude, Store.longitude)
            ).all()
            extra = max(0, stores - len(existing))
            rng = random.Random(7)
            rows = []
            for number in range(1, extra + 1):
                region_id, enterprise_id, latitude, longitude = rng.choice(existing)
                rows.append(
                    {
                        "code": f"LD-{number:05d}",
                        "name": f"Load Store {number}",
                        "kind": StoreKind.supermarket,
                        "region_id": region_id,
                        "enterprise_id": enterprise_id,
                        "latitude": latitude,
                        "longitude": longitude,
                    }
                )
            if rows:
                session.execute(insert(Store), rows)
            codes = list(session.scalars(select(Store.code).order_by(Store.code)))
            products = list(session.scalars(select(Product.code).order_by(Product.code)))
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    bureau = next(login for login in DEMO_LOGINS if login.username == "bureau")
    return City(
        today=today,
        yesterday=yesterday,
        stores=codes,
        products=products,
        keys={key.role: key.secret for key in summary.api_keys if key.name != "demo district"},
        bureau_login=(bureau.username, bureau.password),
    )


def stored_lines(url: str, days: list[date]) -> dict[tuple[str, date], Lines]:
    """Every stored report line of ``days``, by store and day."""
    engine = create_engine(url)
    found: dict[tuple[str, date], Lines] = {}
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT s.code, r.report_date, p.code, r.stock, r.sales, r.price "
                    "FROM daily_reports r JOIN stores s ON s.id = r.store_id "
                    "JOIN products p ON p.id = r.product_id WHERE r.report_date IN :days"
                ).bindparams(bindparam("days", expanding=True)),
                {"days": days},
            )
            for store, day, product, stock, sales, price in rows:
                found.setdefault((store, day), {})[product] = (stock, sales, price)
    finally:
        engine.dispose()
    return found


# --- what the client saw --------------------------------------------------------------


@dataclass
class Ledger:
    """Every answer by kind, the 5xx seen, and what each store-day was acknowledged as."""

    latencies_s: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    requests: int = 0
    errors_5xx: int = 0
    other_errors: int = 0
    busy: int = 0
    samples: list[str] = field(default_factory=list)
    whole: dict[tuple[str, date], Lines] = field(default_factory=dict)
    merged: dict[tuple[str, date], Lines] = field(default_factory=dict)
    uncertain: dict[tuple[str, date], Lines] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, kind: str, status: int, seconds: float, detail: str) -> None:
        """Count one request (``status`` 0 when no answer came) and keep a few errors; a 503
        or 429 is the server asking to retry later (counted as ``busy``), not an error."""
        with self.lock:
            self.requests += 1
            self.latencies_s[kind].append(seconds)
            if status in RETRIED_STATUSES:
                self.busy += 1
                return
            if status >= 500:
                self.errors_5xx += 1
            elif not status or status >= 400:
                self.other_errors += 1
            else:
                return
            if len(self.samples) < MAX_SHOWN_ERRORS:
                self.samples.append(f"{kind}: {status or 'no answer'} {detail[:300]}")

    def note(self, name: str, amount: int = 1) -> None:
        with self.lock:
            self.notes[name] = self.notes.get(name, 0) + amount


def call(
    client: httpx.Client,
    ledger: Ledger,
    kind: str,
    method: str,
    path: str,
    *,
    retry: bool,
    **options: Any,
) -> httpx.Response | None:
    """One request, or with ``retry`` up to ``MAX_TRIES`` with exponential backoff on
    503/429 and connection errors (honouring ``Retry-After``); the last answer or None."""
    delay = FIRST_BACKOFF_S
    for attempt in range(MAX_TRIES):
        if attempt:
            ledger.note("retries")
        started = time.perf_counter()
        response: httpx.Response | None = None
        try:
            answer = client.request(method, path, **options)
        except httpx.TransportError as failure:
            ledger.answer(kind, 0, time.perf_counter() - started, repr(failure))
        else:
            ledger.answer(kind, answer.status_code, time.perf_counter() - started, answer.text)
            if answer.status_code not in RETRIED_STATUSES:
                return answer
            response = answer
        if not retry:
            return response
        wait = delay
        if response is not None and response.headers.get("Retry-After", "").isdigit():
            wait = max(wait, float(response.headers["Retry-After"]))
        time.sleep(wait * random.uniform(0.8, 1.2))
        delay = min(MAX_BACKOFF_S, delay * 2)
    return None


def random_lines(rng: random.Random, products: list[str], count_: int) -> Lines:
    """A store-day's lines as a till sends them: 3 decimals, prices to the fen."""
    return {
        product: (
            round(rng.uniform(0, 500), 3),
            round(rng.uniform(0, 80), 3),
            round(rng.uniform(1, 60), 2),
        )
        for product in rng.sample(products, count_)
    }


# --- the traffic ----------------------------------------------------------------------


@dataclass
class Traffic:
    """The run's shared state: where to send, until when, and what was seen."""

    base_url: str
    city: City
    ledger: Ledger
    deadline: float
    lines: int
    stop: threading.Event = field(default_factory=threading.Event)
    store_locks: dict[str, threading.Lock] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """One lock per store: a store's next PUT waits for its last one (a till does)."""
        self.store_locks = {store: threading.Lock() for store in self.city.stores}

    def client(self, role: Role) -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            timeout=REQUEST_TIMEOUT_S,
            headers={"Authorization": f"Bearer {self.city.keys[role]}"},
        )

    def running(self) -> bool:
        return not self.stop.is_set() and time.monotonic() < self.deadline

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` or until the run ends."""
        self.stop.wait(max(0.0, min(seconds, self.deadline - time.monotonic())))


def post_reports(traffic: Traffic, slots: Iterator[int], start: float, rate: float) -> None:
    """Take the next report slot, wait for its time, PUT that store's report for today
    (round 0 the report, later rounds corrections) until acknowledged or given up."""
    city, ledger = traffic.city, traffic.ledger
    rng = random.Random()
    with traffic.client(Role.bureau) as client:
        while traffic.running():
            slot = next(slots)
            traffic.pause(start + slot / rate - time.monotonic())
            if not traffic.running():
                return
            store = city.stores[slot % len(city.stores)]
            lines = random_lines(rng, city.products, traffic.lines)
            body = {
                "lines": [
                    {"product": product, "stock": stock, "sales": sales, "price": price}
                    for product, (stock, sales, price) in lines.items()
                ]
            }
            key = (store, city.today)
            path = f"/api/v1/stores/{store}/reports/{city.today.isoformat()}"
            with traffic.store_locks[store]:
                with ledger.lock:  # until acknowledged, the server may or may not have it
                    ledger.uncertain[key] = lines
                response = call(client, ledger, "put_report", "PUT", path, retry=True, json=body)
                if response is not None and response.is_success:
                    with ledger.lock:
                        ledger.whole[key] = lines
                        ledger.uncertain.pop(key, None)
                else:
                    ledger.note("reports_given_up")


def upload_files(traffic: Traffic, stores_per_file: int) -> None:
    """Upload yesterday's lines of the next ``stores_per_file`` stores as a CSV, again
    and again, with the same retries as a till."""
    city, ledger = traffic.city, traffic.ledger
    rng = random.Random(11)
    position = 0
    with traffic.client(Role.bureau) as client:
        while traffic.running():
            chosen = [
                city.stores[(position + offset) % len(city.stores)]
                for offset in range(stores_per_file)
            ]
            position += stores_per_file
            files = {store: random_lines(rng, city.products, traffic.lines) for store in chosen}
            csv = io.StringIO()
            csv.write("store,date,product,stock,sales,price\n")
            for store, lines in files.items():
                for product, (stock, sales, price) in lines.items():
                    csv.write(f"{store},{city.yesterday},{product},{stock},{sales},{price}\n")
            upload = {"file": ("lines.csv", csv.getvalue().encode(), "text/csv")}
            response = call(
                client, ledger, "bulk_upload", "POST", "/api/v1/reports/bulk", retry=True,
                files=upload,
            )  # fmt: skip
            if response is not None and response.is_success:
                with ledger.lock:
                    for store, lines in files.items():
                        ledger.merged.setdefault((store, city.yesterday), {}).update(lines)
            else:
                ledger.note("uploads_given_up")
                return  # the lines of a file not acknowledged are unknown: stop uploading


def read_dashboards(traffic: Traffic) -> None:
    """A bureau reads the district figures and the dashboard page, a second apart."""
    city, ledger = traffic.city, traffic.ledger
    with (
        traffic.client(Role.bureau) as client,
        httpx.Client(base_url=traffic.base_url, timeout=REQUEST_TIMEOUT_S) as browser,
    ):
        username, password = city.bureau_login
        signed_in = browser.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        signed_in.raise_for_status()
        browser.cookies.set(SESSION_COOKIE, signed_in.json()["token"])
        supply = f"/api/v1/supply?level=district&date={city.today.isoformat()}"
        while traffic.running():
            call(client, ledger, "dashboard_api", "GET", supply, retry=False)
            call(browser, ledger, "dashboard_page", "GET", "/dashboard", retry=False)
            traffic.pause(1.0)


def run_monitor(traffic: Traffic, every_s: float) -> None:
    """Run the monitor for today now and every ``every_s`` seconds."""
    ledger = traffic.ledger
    body = {"date": traffic.city.today.isoformat()}
    with traffic.client(Role.bureau) as client:
        while traffic.running():
            started = time.monotonic()
            response = call(client, ledger, "monitor_run", "POST", "/api/v1/monitor/runs",
                            retry=True, json=body)  # fmt: skip
            if response is not None and response.is_success:
                ledger.note(f"monitor_runs_{response.json()['status']}")
            traffic.pause(every_s - (time.monotonic() - started))


def solve_plans(traffic: Traffic, seconds: float) -> None:
    """A dispatcher plans today's deliveries, one draft after another."""
    ledger = traffic.ledger
    body = {"date": traffic.city.today.isoformat(), "time_limit_s": seconds}
    with traffic.client(Role.dispatcher) as client:
        while traffic.running():
            response = call(client, ledger, "dispatch_plan", "POST", "/api/v1/dispatch/plans",
                            retry=True, json=body)  # fmt: skip
            if response is not None and response.is_success:
                ledger.note("plans_solved")
            traffic.pause(5.0)


# --- the server -----------------------------------------------------------------------


def start_server(url: str, *, port: int, workers: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """``supplywatch serve`` against the load database, as an operator starts it."""
    environment = {
        **os.environ,
        "SUPPLYWATCH_DATABASE_URL": url,
        "SUPPLYWATCH_LOG_LEVEL": "WARNING",
        "SUPPLYWATCH_LOG_JSON": "false",
        "SUPPLYWATCH_TIMEZONE": TIMEZONE,
    }
    command = [
        str(Path(sys.executable).parent / "supplywatch"), "serve",
        "--port", str(port), "--workers", str(workers),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=log)


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except OSError:
                continue
    tree, frontier = {pid}, [pid]
    while frontier:
        current = frontier.pop()
        children = [child for child, parent in parents.items() if parent == current]
        tree.update(children)
        frontier += children
    total_kb = 0
    for member in tree:
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def sample_rss(traffic: Traffic, pid: int, peak: list[float]) -> None:
    """Keep the server's peak resident memory in ``peak[0]`` until the run ends."""
    while traffic.running():
        peak[0] = max(peak[0], tree_rss_mb(pid))
        traffic.pause(RSS_SAMPLE_S)


# --- the check ------------------------------------------------------------------------


def mismatches(ledger: Ledger, stored: dict[tuple[str, date], Lines]) -> list[str]:
    """Store-days whose stored lines differ from what their 2xx answers acknowledged."""
    wrong: list[str] = []
    for key, lines in ledger.whole.items():
        if key not in ledger.uncertain and stored.get(key, {}) != lines:
            wrong.append(f"{key[0]} {key[1]}: stored report differs from the acknowledged one")
    for key, lines in ledger.uncertain.items():
        acknowledged = ledger.whole.get(key)
        if stored.get(key, {}) not in (lines, acknowledged or {}):
            wrong.append(f"{key[0]} {key[1]}: stored report is neither sent body")
    for key, lines in ledger.merged.items():
        have = stored.get(key, {})
        if {product: have.get(product) for product in lines} != lines:
            wrong.append(f"{key[0]} {key[1]}: uploaded lines differ from the acknowledged file")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="how long the traffic runs")
    parser.add_argument("--stores", type=int, default=2000, help="stores that report")
    parser.add_argument("--lines", type=int, default=30, help="lines per store-day")
    parser.add_argument("--days", type=int, default=14, help="demo days of reports before today")
    parser.add_argument("--report-rate", type=float, default=20.0, help="PUTs started a second")
    parser.add_argument("--report-threads", type=int, default=12, help="tills posting at once")
    parser.add_argument("--bulk-stores", type=int, default=25, help="stores per uploaded file")
    parser.add_argument("--readers", type=int, default=2, help="bureau dashboard readers")
    parser.add_argument("--monitor-every-s", type=float, default=300.0, help="monitor interval")
    parser.add_argument("--plan-seconds", type=float, default=10.0, help="solver time a plan")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the database")
    args = parser.parse_args()

    url = create_bench_database()
    database = str(make_url(url).database)
    print(f"database {database}", flush=True)
    peak = [0.0]
    ledger = Ledger()
    try:
        started = time.perf_counter()
        city = prepare(url, stores=args.stores, days=args.days)
        print(
            f"prepared {len(city.stores):,} stores, {len(city.products)} products in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        with tempfile.NamedTemporaryFile(prefix="supplywatch-load-server-") as log:
            server = start_server(url, port=port, workers=args.workers, log=log)
            try:
                wait_ready(server, base_url, Path(log.name))
                print(f"serving on {base_url}; traffic for {args.minutes} min ...", flush=True)
                traffic = Traffic(
                    base_url=base_url,
                    city=city,
                    ledger=ledger,
                    deadline=time.monotonic() + args.minutes * 60,
                    lines=min(args.lines, len(city.products)),
                )
                slots = count()
                start = time.monotonic()
                jobs: list[tuple[Callable[..., None], tuple[Any, ...]]] = [
                    (sample_rss, (traffic, server.pid, peak)),
                    (run_monitor, (traffic, args.monitor_every_s)),
                    (solve_plans, (traffic, args.plan_seconds)),
                    (upload_files, (traffic, args.bulk_stores)),
                    *[(read_dashboards, (traffic,))] * args.readers,
                    *[(post_reports, (traffic, slots, start, args.report_rate))]
                    * args.report_threads,
                ]
                threads = [threading.Thread(target=job, args=job_args) for job, job_args in jobs]
                for thread in threads:
                    thread.start()
                try:
                    for thread in threads:
                        thread.join()
                finally:
                    traffic.stop.set()
            finally:
                stop_server(server)
            server_log = Path(log.name).read_text(errors="replace")
        stored = stored_lines(url, [city.yesterday, city.today])
    finally:
        if args.keep_db:
            print(f"kept database {database}")
        else:
            drop_bench_database(url)

    wrong = mismatches(ledger, stored)
    acknowledged = len(ledger.whole) + len(ledger.merged)
    print()
    print(f"  store-days acknowledged: {len(ledger.whole):,} by PUT, {len(ledger.merged):,} "
          f"by upload; not matching: {len(wrong)}")  # fmt: skip
    print(f"  busy answers (503/429, retried): {ledger.busy}; other errors (4xx, no answer): "
          f"{ledger.other_errors}; {ledger.notes}")  # fmt: skip
    for sample in ledger.samples:
        print(f"  error: {sample}")
    for problem in wrong[:MAX_SHOWN_ERRORS]:
        print(f"  mismatch: {problem}")
    if "Traceback" in server_log:
        print("  server log (from the first traceback):")
        for line in server_log[server_log.index("Traceback") :].splitlines()[:60]:
            print(f"    {line}")
    print()
    print(f"requests={ledger.requests}")
    print(f"errors_5xx={ledger.errors_5xx}")
    for kind in KINDS:
        print(f"requests_{kind}={len(ledger.latencies_s[kind])}")
    for kind in KINDS:
        print(f"p99_ms_{kind}={percentile_ms(ledger.latencies_s[kind], 99):.1f}")
    print(f"stored_equals_acknowledged={int(not wrong and acknowledged > 0)}")
    print(f"max_rss_mb={peak[0]:.1f}")


if __name__ == "__main__":
    main()
