"""The JSON report API under load: one province day posted store by store over HTTP.

Measures ``PUT /api/v1/stores/{store}/reports/{day}`` end to end (uvicorn, middleware,
authentication, validation, the set-based upsert, the response echoing the stored
report) against PostgreSQL: every store of a generated province (10,000 stores × 60
products by default) posts its day once, with 32 requests in flight on 32 keep-alive
connections, as stores' tills would around closing time.

Set-up (not timed): a fresh database ``supplywatch_bench_<random>`` in the server at
``SUPPLYWATCH_TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
postgres``), migrated to head, the province's master data loaded (with ``--history-days``
also earlier days of reports, as in a running deployment), ``ANALYZE``, a bureau API key
(a bureau may post for every store), every request body serialised to bytes beforehand,
and uvicorn started in a subprocess on a free port of 127.0.0.1 (``--workers``).

Timed: a lean asyncio HTTP/1.1 client posting every report. Its first requests start ``--ramp-ms``
apart, so that their connections spread over uvicorn's workers (which share one
listening socket; a burst of 32 connects is accepted whole by one worker). The client
shares the machine with the server, so it is kept lean, and the CPU time of uvicorn's
processes, of the PostgreSQL backends serving the bench database, of the client and of
the rest of the machine is reported; a warning says when other processes already keep
the machine busy. Afterwards the server is stopped and the lines stored for the day are
compared with what the 2xx answers acknowledged. The database is dropped at the end
unless ``--keep-db``.

Target (2 cores): the whole day in at most 60 s (≥ 170 reports/s), p99 ≤ 500 ms, no
errors, and stored lines == acknowledged lines.

Run: ``.venv/bin/python bench/api.py [--stores 10000] [--products 60] [--concurrency 32]
[--workers 2] [--history-days 0] [--ramp-ms 20] [--port 0] [--keep-db]`` (``--stores 500`` for a
quick check). It ends with ``name=value`` lines for scripts: ``reports_per_s``,
``p50_ms``, ``p95_ms``, ``p99_ms``, ``errors``, ``stored_equals_acknowledged`` (1 or 0).
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
import asyncio  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Coroutine  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import date, datetime  # noqa: E402
from typing import IO, Any  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

import httpx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from accounts.authentication import create_api_key  # noqa: E402
from core.database import (  # noqa: E402
    create_database_engine,
    create_session_factory,
    session_scope,
)
from models import Role  # noqa: E402
from reports.upsert import store_report_lines  # noqa: E402
from service.demo import (  # noqa: E402
    canonical_rows,
    generate_history,
    generate_province_day,
    load_master_data,
)
from service.migrate import upgrade_to_head  # noqa: E402

POSTGRES_URL = os.environ.get(
    "SUPPLYWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TIMEZONE = "Asia/Shanghai"
READY_TIMEOUT_S = 300.0
"""How long the server's workers may take to come up: importing the app takes 20-50 s
per worker on a shared machine at load average 10-15."""
REQUEST_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 20.0
MAX_SHOWN_ERRORS = 5
BUSY_WARNING = 0.15  # share of the machine busy before the run that earns a warning
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Targets from the issue (2 cores, 10,000 stores × 60 lines).
TARGET_REPORTS_PER_S = 170.0
TARGET_P99_MS = 500.0


# --- database -------------------------------------------------------------------------


def create_bench_database() -> str:
    """A fresh, empty database in the PostgreSQL server; returns its URL."""
    name = f"supplywatch_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_bench_database(url: str) -> None:
    """Drop the bench database (closing whatever connections are left)."""
    name = make_url(url).database
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def count_stored_lines(url: str, day: date) -> int:
    """Lines stored for the bench day."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT count(*) FROM daily_reports WHERE report_date = :day"), {"day": day}
            ).scalar_one()
    finally:
        engine.dispose()
    return int(stored)


def server_setting(url: str, name: str) -> str:
    """A PostgreSQL setting as the server reports it (``SHOW``)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            value = connection.exec_driver_sql(f"SHOW {name}").scalar_one()
    finally:
        engine.dispose()
    return str(value)


@dataclass(frozen=True)
class Workload:
    """What the client sends: one (path, JSON body) per store, and the bench key."""

    day: date
    requests: list[tuple[str, bytes]]
    lines: int
    api_key: str


def prepare(url: str, *, stores: int, products: int, history_days: int) -> Workload:
    """Migrate, load the province's master data (and ``history_days`` earlier days of
    reports, through the service's own set-based upsert), create a bureau key, refresh
    the planner's statistics, and serialise one report body per store for today."""
    upgrade_to_head(url)
    day = datetime.now(ZoneInfo(TIMEZONE)).date()
    if history_days:
        province = generate_history(
            stores=stores, products=products, end_date=day, days=history_days + 1, seed=7
        )
    else:
        province = generate_province_day(stores=stores, products=products, report_date=day)
    reports = province.reports
    today = (reports["report_date"] == day).to_numpy()
    engine = create_database_engine(url)
    try:
        factory = create_session_factory(engine)
        with session_scope(factory) as session:
            ids = load_master_data(session, province)
            _, api_key = create_api_key(
                session, name="bench/api.py", role=Role.bureau, created_by="bench"
            )
        if history_days:
            history = canonical_rows(reports[~today], ids)
            for _, rows in history.groupby("report_date", sort=True):
                with session_scope(factory) as session:
                    store_report_lines(session, rows, submitted_by="bench history")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    requests = report_bodies(reports[today], day)
    return Workload(day=day, requests=requests, lines=int(today.sum()), api_key=api_key)


def report_bodies(reports: pd.DataFrame, day: date) -> list[tuple[str, bytes]]:
    """One ``(path, body)`` per store, in store order, from the generated day's lines.

    Numbers are rounded to what the service keeps (3 decimals, 4 for prices) so the
    bodies look like what a till sends rather than float32 noise; a missing
    ``received`` is left out of its line.
    """
    store = reports["store_code"].astype(str).to_numpy()
    product = reports["product_code"].astype(str).tolist()
    stock = np.round(reports["stock"].to_numpy(dtype="float64"), 3).tolist()
    sales = np.round(reports["sales"].to_numpy(dtype="float64"), 3).tolist()
    price = np.round(reports["price"].to_numpy(dtype="float64"), 4).tolist()
    received = np.round(reports["received"].to_numpy(dtype="float64"), 3).tolist()
    # Rows are ordered by date, store, product: each store's lines are one run.
    starts = np.flatnonzero(np.r_[True, store[1:] != store[:-1]])
    ends = np.r_[starts[1:], len(store)]
    bodies: list[tuple[str, bytes]] = []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        lines: list[dict[str, Any]] = []
        for i in range(start, end):
            line: dict[str, Any] = {
                "product": product[i],
                "stock": stock[i],
                "sales": sales[i],
                "price": price[i],
            }
            if not math.isnan(received[i]):
                line["received"] = received[i]
            lines.append(line)
        path = f"/api/v1/stores/{store[start]}/reports/{day.isoformat()}"
        body = json.dumps({"lines": lines}, separators=(",", ":")).encode()
        bodies.append((path, body))
    return bodies


# --- server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def start_server(url: str, *, port: int, workers: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """uvicorn serving the app factory against the bench database, in a subprocess."""
    env = {
        **os.environ,
        "SUPPLYWATCH_DATABASE_URL": url,
        "SUPPLYWATCH_LOG_LEVEL": "WARNING",
        "SUPPLYWATCH_TIMEZONE": TIMEZONE,
    }
    env.pop("SUPPLYWATCH_ADMIN_TOKEN", None)
    command = [
        sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_ready(server: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    """Poll /readyz until it answers 200 (every worker shares the port, so this only
    shows one is up; a few extra probes give the others time to come up too)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    ready_answers = 0
    with httpx.Client(base_url=base_url, timeout=5.0) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(
                    f"uvicorn exited with {server.returncode}:\n{log_path.read_text()[-4000:]}"
                )
            try:
                if client.get("/readyz").status_code == 200:
                    ready_answers += 1
                    if ready_answers >= 5:
                        return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    raise RuntimeError(
        f"uvicorn not ready after {READY_TIMEOUT_S:.0f} s:\n{log_path.read_text()[-4000:]}"
    )


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM uvicorn (it stops its workers) and wait; SIGKILL it if it hangs."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _stat_cpu(pid: int) -> float | None:
    """User + system CPU seconds of a live process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime


def _processes() -> dict[int, tuple[int, str]]:
    """Every live process: pid → (parent pid, command line)."""
    found: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[int(entry.name)] = (parent, command)
    return found


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds used so far by uvicorn's processes, by the PostgreSQL backends serving
    the bench database, and by the whole machine (busy and in all)."""

    server: dict[int, float]
    database: dict[int, float]
    machine_busy: float
    machine_total: float

    @classmethod
    def take(cls, server_pid: int, database: str) -> CpuSnapshot:
        processes = _processes()
        tree, frontier = {server_pid}, [server_pid]
        while frontier:
            current = frontier.pop()
            children = [pid for pid, (parent, _) in processes.items() if parent == current]
            tree.update(children)
            frontier += children
        # A backend's title names its database: "postgres: 15/main: user dbname host ...".
        backends = {pid for pid, (_, command) in processes.items() if f" {database} " in command}
        busy, total = _machine_cpu()
        return cls(
            server={pid: cpu for pid in tree if (cpu := _stat_cpu(pid)) is not None},
            database={pid: cpu for pid in backends if (cpu := _stat_cpu(pid)) is not None},
            machine_busy=busy,
            machine_total=total,
        )


def used_since(before: dict[int, float], after: dict[int, float]) -> dict[int, float]:
    """CPU seconds each process used between two snapshots (new processes from zero)."""
    return {pid: cpu - before.get(pid, 0.0) for pid, cpu in after.items()}


def _machine_cpu() -> tuple[float, float]:
    """(busy, all) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def machine_busy_share(seconds: float = 2.0) -> float:
    """How busy the machine is right now (0..1), measured over ``seconds``."""
    busy_before, total_before = _machine_cpu()
    time.sleep(seconds)
    busy_after, total_after = _machine_cpu()
    total = total_after - total_before
    return (busy_after - busy_before) / total if total else 0.0


# --- client ---------------------------------------------------------------------------


@dataclass
class Results:
    """What the client saw."""

    latencies_s: list[float] = field(default_factory=list)
    started_s: list[float] = field(default_factory=list)
    """When each request was sent, seconds into the run (in the order of latencies_s)."""
    acknowledged_lines: int = 0
    created: int = 0
    replaced: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    client_cpu_s: float = 0.0

    def error(self, message: str) -> None:
        self.errors += 1
        if len(self.error_samples) < MAX_SHOWN_ERRORS:
            self.error_samples.append(message)


class _ServerClosed(Exception):
    """The server closed the connection before answering."""


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes, bool]:
    """Send one HTTP/1.1 request on a kept-alive connection and read the answer: (status,
    body, whether the server keeps the connection open). uvicorn answers these requests
    with a Content-Length, which is all this reader understands."""
    writer.write(request)
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as closed:
        raise _ServerClosed("connection closed before an answer") from closed
    status = int(head[9:12])
    lowered = head.lower()
    at = lowered.find(b"\r\ncontent-length:")
    if at < 0:
        raise ValueError(f"answer without Content-Length: {head[:200]!r}")
    end = lowered.index(b"\r\n", at + 2)
    body = await reader.readexactly(int(lowered[at + 17 : end]))
    return status, body, b"\r\nconnection: close" not in lowered


async def post_all(
    base_url: str,
    api_key: str,
    requests: list[tuple[str, bytes]],
    concurrency: int,
    ramp_s: float = 0.0,
) -> Results:
    """PUT every report with ``concurrency`` kept-alive connections, one request in
    flight on each.

    The connections open ``ramp_s`` apart, as tills' would, rather than in one burst
    that a single uvicorn worker accepts whole (the workers share one listening socket).
    The client is a few lines of asyncio over pre-built request bytes (a general client
    such as httpx costs more CPU per request than the server's own parsing), so that on
    a shared machine it takes as little as possible from the server it measures.
    """
    results = Results()
    address = httpx.URL(base_url)
    host, port = str(address.host), int(address.port or 80)
    head = (
        "PUT {path} HTTP/1.1\r\nHost: " + f"{host}:{port}\r\nAuthorization: Bearer {api_key}"
        "\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    pending = iter(requests)

    async def post_from(connection_number: int) -> None:
        await asyncio.sleep(connection_number * ramp_s)
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for path, body in pending:
                request = head.format(path=path, length=len(body)).encode() + body
                started = time.perf_counter()
                results.started_s.append(started - run_started)
                try:
                    status, content, keep_alive = await asyncio.wait_for(
                        _exchange(reader, writer, request), REQUEST_TIMEOUT_S
                    )
                except (OSError, TimeoutError, ValueError, _ServerClosed) as failure:
                    results.latencies_s.append(time.perf_counter() - started)
                    results.error(f"PUT {path}: {type(failure).__name__}: {failure}")
                    keep_alive = False
                    status, content = 0, b""
                else:
                    results.latencies_s.append(time.perf_counter() - started)
                    _record(results, path, status, content)
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    cpu_started = time.process_time()
    started = run_started = time.perf_counter()
    await asyncio.gather(*(post_from(number) for number in range(concurrency)))
    results.wall_s = time.perf_counter() - started
    results.client_cpu_s = time.process_time() - cpu_started
    return results


def _record(results: Results, path: str, status: int, content: bytes) -> None:
    """Count one answer: its acknowledged lines, or an error."""
    if not 200 <= status < 300:
        results.error(f"PUT {path}: {status} {content[:300].decode(errors='replace')}")
        return
    try:
        counts = json.loads(content)["counts"]
        acknowledged = int(counts["inserted"] + counts["updated"] + counts["unchanged"])
    except (ValueError, KeyError, TypeError) as failure:
        results.error(f"PUT {path}: {status} without counts: {failure!r}")
        return
    results.acknowledged_lines += acknowledged
    if status == 201:
        results.created += 1
    else:
        results.replaced += 1


def run_client(coroutine: Coroutine[Any, Any, Results]) -> Results:
    """Run the client on uvloop when it is installed (uvicorn's own loop), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


# --- report ---------------------------------------------------------------------------


def slowest_by_tenth(results: Results) -> str:
    """How the slowest 1 % of the requests spread over the run: a start-up or a pause
    shows as a crowded tenth, a steady queue as an even spread."""
    if not results.latencies_s:
        return ""
    latencies = np.asarray(results.latencies_s)
    started = np.asarray(results.started_s)
    slow = latencies >= np.percentile(latencies, 99)
    tenth = np.minimum((started / max(results.wall_s, 1e-9) * 10).astype(int), 9)
    return " ".join(str(int(count)) for count in np.bincount(tenth[slow], minlength=10))


def percentile_ms(latencies_s: list[float], q: float) -> float:
    if not latencies_s:
        return float("nan")
    return float(np.percentile(np.asarray(latencies_s), q)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, default=10_000, help="stores (one report each)")
    parser.add_argument("--products", type=int, default=60, help="lines per report")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--history-days",
        type=int,
        default=0,
        help="earlier days of reports stored (and analysed) before the run: 0 is a fresh "
        "install's first day, 1 or more a day in a running deployment",
    )
    parser.add_argument(
        "--ramp-ms",
        type=float,
        default=20.0,
        help="delay between the first requests' starts, so connections spread over workers",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port for uvicorn on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument("--keep-db", action="store_true", help="do not drop the bench database")
    args = parser.parse_args()

    url = create_bench_database()
    database = str(make_url(url).database)
    print(f"database {database}", flush=True)
    try:
        started = time.perf_counter()
        workload = prepare(
            url, stores=args.stores, products=args.products, history_days=args.history_days
        )
        autovacuum = server_setting(url, "autovacuum")
        print(
            f"prepared {len(workload.requests):,} reports ({workload.lines:,} lines) for "
            f"{workload.day} in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        port = args.port or free_port()
        base_url = f"http://127.0.0.1:{port}"
        with tempfile.NamedTemporaryFile(prefix="supplywatch-bench-uvicorn-") as log:
            server = start_server(url, port=port, workers=args.workers, log=log)
            try:
                wait_ready(server, base_url, Path(log.name))
                busy_share = machine_busy_share()
                if busy_share > BUSY_WARNING:
                    print(
                        f"WARNING: other processes keep this machine {busy_share:.0%} busy "
                        "before the run; the figures will be lower than on a quiet machine",
                        flush=True,
                    )
                print(
                    f"uvicorn on {base_url} with {args.workers} worker(s); posting with "
                    f"concurrency {args.concurrency} ...",
                    flush=True,
                )
                cpu_before = CpuSnapshot.take(server.pid, database)
                results = run_client(
                    post_all(
                        base_url,
                        workload.api_key,
                        workload.requests,
                        args.concurrency,
                        ramp_s=args.ramp_ms / 1000,
                    )
                )
                cpu_after = CpuSnapshot.take(server.pid, database)
            finally:
                stop_server(server)
            server_log = Path(log.name).read_text(errors="replace").strip()
        stored = count_stored_lines(url, workload.day)
    finally:
        if args.keep_db:
            print(f"kept database {database}")
        else:
            drop_bench_database(url)

    sent = len(workload.requests)
    reports_per_s = sent / results.wall_s if results.wall_s else 0.0
    p50, p95, p99 = (percentile_ms(results.latencies_s, q) for q in (50, 95, 99))
    p_max = max(results.latencies_s, default=float("nan")) * 1000
    stored_ok = stored == results.acknowledged_lines and results.acknowledged_lines > 0
    server_cpu = used_since(cpu_before.server, cpu_after.server)
    server_cpu_s = sum(server_cpu.values())
    # uvicorn's supervisor does next to nothing: show its workers' shares.
    worker_cpu = sorted((cpu for pid, cpu in server_cpu.items() if pid != server.pid), reverse=True)
    database_cpu_s = sum(used_since(cpu_before.database, cpu_after.database).values())
    machine_s = cpu_after.machine_total - cpu_before.machine_total
    busy_s = cpu_after.machine_busy - cpu_before.machine_busy
    rest_s = max(0.0, busy_s - server_cpu_s - results.client_cpu_s - database_cpu_s)
    cores = os.cpu_count() or 1

    rows = [
        ("reports posted", f"{sent:,} × {args.products} lines"),
        ("workers / concurrency", f"{args.workers} / {args.concurrency}"),
        ("history days / autovacuum", f"{args.history_days} / {autovacuum}"),
        ("wall time", f"{results.wall_s:.1f} s"),
        ("reports/s", f"{reports_per_s:,.0f}  (target ≥ {TARGET_REPORTS_PER_S:.0f})"),
        ("lines/s", f"{results.acknowledged_lines / results.wall_s:,.0f}"),
        ("latency p50/p95/p99", f"{p50:.0f} / {p95:.0f} / {p99:.0f} ms"),
        ("latency max", f"{p_max:.0f} ms  (p99 target ≤ {TARGET_P99_MS:.0f} ms)"),
        ("slowest 1 % sent in each tenth of the run", slowest_by_tenth(results)),
        ("answers 201 / 200", f"{results.created:,} / {results.replaced:,}"),
        ("errors", f"{results.errors:,}"),
        ("lines acknowledged / stored", f"{results.acknowledged_lines:,} / {stored:,}"),
        ("machine busy before the run", f"{busy_share:.0%}"),
        (
            "CPU s: server/PostgreSQL/client/rest",
            f"{server_cpu_s:.1f} / {database_cpu_s:.1f} / {results.client_cpu_s:.1f} / "
            f"{rest_s:.1f}  (idle {machine_s - busy_s:.1f}; {cores} cores)",
        ),
        ("CPU s per worker", " / ".join(f"{cpu:.1f}" for cpu in worker_cpu or [server_cpu_s])),
        (
            "CPU ms per report: server/PostgreSQL/client",
            f"{server_cpu_s * 1000 / sent:.1f} / {database_cpu_s * 1000 / sent:.1f} / "
            f"{results.client_cpu_s * 1000 / sent:.1f}",
        ),
    ]
    width = max(len(name) for name, _ in rows)
    print()
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for sample in results.error_samples:
        print(f"  error: {sample}")
    if server_log:
        print("  server log (tail):")
        for line in server_log.splitlines()[-10:]:
            print(f"    {line}")
    print()
    print(f"reports_per_s={reports_per_s:.1f}")
    print(f"p50_ms={p50:.1f}")
    print(f"p95_ms={p95:.1f}")
    print(f"p99_ms={p99:.1f}")
    print(f"errors={results.errors}")
    print(f"stored_equals_acknowledged={int(stored_ok)}")


if __name__ == "__main__":
    main()
