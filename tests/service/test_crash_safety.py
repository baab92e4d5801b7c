"""A server killed with SIGKILL in the middle of a chain's PUTs and bulk uploads loses
nothing it acknowledged and leaves nothing half-written: after the restart every store-day
is exactly one body or file that was sent, and the last acknowledged one unless a later
one was still unanswered when the server died."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path

import httpx
import pytest

from core.database import create_database_engine, create_session_factory, session_scope
from models import Role
from service.migrate import upgrade_to_head
from tests.factories import days_ago, make_enterprise, make_key, make_product, make_store

PRODUCTS = 40
PUT_THREADS = 4
STORES_PER_PUT_THREAD = 5
UPLOAD_THREADS = 2
STORES_PER_FILE = 25
ACKNOWLEDGED_BEFORE_KILL = (12, 2)  # PUTs, uploads
START_TIMEOUT_S = 60.0
Lines = dict[str, tuple[float, float, float]]
"""A store-day's lines as the API shows them: product → (stock, sales, price)."""


@dataclass(frozen=True)
class Chain:
    """A chain's key, its products and its stores: some post by PUT, some by file."""

    headers: dict[str, str]
    products: list[str]
    put_stores: list[list[str]]
    upload_stores: list[list[str]]


def seed_chain(url: str) -> Chain:
    """Migrate the database and commit a chain with its stores, products and key."""
    upgrade_to_head(url)
    engine = create_database_engine(url)
    with session_scope(create_session_factory(engine)) as session:
        chain = make_enterprise(session, name="Crash Test Chain")
        products = [make_product(session).code for _ in range(PRODUCTS)]

        def stores(groups: int, size: int) -> list[list[str]]:
            return [
                [make_store(session, enterprise=chain).code for _ in range(size)]
                for _ in range(groups)
            ]

        put_stores = stores(PUT_THREADS, STORES_PER_PUT_THREAD)
        upload_stores = stores(UPLOAD_THREADS, STORES_PER_FILE)
        headers = make_key(session, Role.store, enterprise=chain)
    engine.dispose()
    return Chain(headers, products, put_stores, upload_stores)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(url: str, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """``supplywatch serve`` on ``url`` until the block ends (or someone kills it)."""
    port = _free_port()
    environment = {
        **os.environ,
        "SUPPLYWATCH_DATABASE_URL": url,
        "SUPPLYWATCH_LOG_JSON": "false",
        "SUPPLYWATCH_LOG_LEVEL": "WARNING",
    }
    environment.pop("SUPPLYWATCH_ADMIN_TOKEN", None)
    command = [str(Path(sys.executable).parent / "supplywatch"), "serve", "--port", str(port)]
    with log.open("ab") as output:
        server = subprocess.Popen(command, env=environment, stdout=output, stderr=output)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert server.poll() is None, f"the server exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"no answer:\n{log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        yield server, base_url
    finally:
        if server.poll() is None:
            server.terminate()
        server.wait(timeout=30)


@dataclass
class Sent:
    """Per store-day: the last body acknowledged with a 2xx, and the bodies sent after it
    that got no answer at all (the server may or may not have stored them)."""

    acknowledged: dict[tuple[str, date], Lines] = field(default_factory=dict)
    unanswered: dict[tuple[str, date], list[Lines]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=lambda: {"put": 0, "upload": 0})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(
        self, kind: str, bodies: dict[tuple[str, date], Lines], post: Callable[[], httpx.Response]
    ) -> bool:
        """Post and record what the answer says was stored; False once the server is gone."""
        try:
            response = post()
        except httpx.TransportError:
            with self.lock:
                for key, lines in bodies.items():
                    self.unanswered.setdefault(key, []).append(lines)
            return False
        if response.is_success:
            with self.lock:
                self.counts[kind] += 1
                for key, lines in bodies.items():
                    self.acknowledged[key] = lines
                    self.unanswered.pop(key, None)
        return True

    def acknowledged_at_least(self, puts: int, uploads: int) -> bool:
        with self.lock:
            return self.counts["put"] >= puts and self.counts["upload"] >= uploads


def put_reports(base_url: str, chain: Chain, stores: list[str], day: date, sent: Sent) -> None:
    """A till per store group: PUT round after round, each with another product set."""
    with httpx.Client(base_url=base_url, headers=chain.headers, timeout=30) as client:
        for round_ in range(1, 10_000):
            for store in stores:
                lines = {
                    product: (float(round_), round_ + 0.5, 1.0 + round_)
                    for product in chain.products[: 5 + round_ % 20]
                }
                body = {
                    "lines": [
                        {"product": product, "stock": stock, "sales": sales, "price": price}
                        for product, (stock, sales, price) in lines.items()
                    ]
                }
                path = f"/api/v1/stores/{store}/reports/{day}"
                if not sent.send(
                    "put", {(store, day): lines}, partial(client.put, path, json=body)
                ):
                    return


def upload_files(base_url: str, chain: Chain, stores: list[str], day: date, sent: Sent) -> None:
    """A chain's IT: one file after another for the same stores, each a new generation."""
    with httpx.Client(base_url=base_url, headers=chain.headers, timeout=30) as client:
        for generation in range(1, 10_000):
            line = (float(generation), 1.0, 10.0 + generation)
            bodies = {(store, day): dict.fromkeys(chain.products, line) for store in stores}
            rows = [
                f"{store},{day},{product},{line[0]},{line[1]},{line[2]}"
                for store in stores
                for product in chain.products
            ]
            content = "\n".join(["store,date,product,stock,sales,price", *rows]).encode()
            files = {"file": ("day.csv", content, "text/csv")}
            if not sent.send(
                "upload", bodies, partial(client.post, "/api/v1/reports/bulk", files=files)
            ):
                return


def stored(base_url: str, chain: Chain, key: tuple[str, date]) -> Lines:
    """A store-day's report as the restarted server shows it (empty when there is none)."""
    store, day = key
    response = httpx.get(
        f"{base_url}/api/v1/stores/{store}/reports/{day}", headers=chain.headers, timeout=30
    )
    if response.status_code == 404:
        return {}
    assert response.status_code == 200, response.text
    return {
        line["product"]: (line["stock"], line["sales"], line["price"])
        for line in response.json()["lines"]
    }


@pytest.fixture
def database(backend: str, empty_database_url: Callable[[str], str]) -> str:
    """A fresh database of ``backend`` (a file for SQLite) that the server will own."""
    return empty_database_url(backend)


def test_a_server_killed_mid_upload_keeps_every_acknowledged_report_and_nothing_half_written(
    database: str, tmp_path: Path
) -> None:
    chain = seed_chain(database)
    put_day, upload_day = days_ago(1), days_ago(2)
    sent = Sent()
    log = tmp_path / "server.log"
    with serving(database, log) as (server, base_url):
        jobs = [
            threading.Thread(target=put_reports, args=(base_url, chain, stores, put_day, sent))
            for stores in chain.put_stores
        ] + [
            threading.Thread(target=upload_files, args=(base_url, chain, stores, upload_day, sent))
            for stores in chain.upload_stores
        ]
        for job in jobs:
            job.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not sent.acknowledged_at_least(*ACKNOWLEDGED_BEFORE_KILL):
            assert time.monotonic() < deadline, f"too slow: {sent.counts}\n{log.read_text()}"
            time.sleep(0.05)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        for job in jobs:
            job.join(timeout=60)
    assert sent.unanswered, "the kill came between requests: nothing was in flight"

    with serving(database, log) as (_, base_url):
        every_store_day = {(store, put_day) for group in chain.put_stores for store in group} | {
            (store, upload_day) for group in chain.upload_stores for store in group
        }
        after_restart = {key: stored(base_url, chain, key) for key in every_store_day}

    for key, found in after_restart.items():
        possible = [sent.acknowledged.get(key, {}), *sent.unanswered.get(key, [])]
        assert found in possible, f"{key}: stored {found} is none of the bodies that may be"
    for group in chain.upload_stores:
        generations = {after_restart[(store, upload_day)].get(chain.products[0]) for store in group}
        assert len(generations) == 1, f"a file was stored in part: {generations}"
