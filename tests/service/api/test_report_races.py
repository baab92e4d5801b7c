"""Two writers of one store-day at the same moment (the store's own system and its chain's)
never mix their reports: against a real server on its own database, committed rows and a
connection per request, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.database import create_database_engine, create_session_factory, session_scope
from models import DailyReport, Product, ReportRevision, Role
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.factories import days_ago, make_key, make_product, make_store
from tests.servers import running_server

PAIRS = 15
"""Store-days raced per test: one lost race in a few is enough to show a missing lock."""

CORRECTED = ["pork", "rice", "flour", "eggs", "salt", "oil"]
"""The products raced corrections name, one each: the first two are stored beforehand."""


@dataclass(frozen=True)
class Server:
    """A server over one store, PDS-0001, with keys for the store and for the bureau."""

    url: str
    database_url: str
    store_headers: dict[str, str]
    bureau_headers: dict[str, str]


@pytest.fixture(scope="module")
def server(backend: str, empty_database_url: Callable[[str], str]) -> Iterator[Server]:
    database_url = empty_database_url(backend)
    upgrade_to_head(database_url)
    engine = create_database_engine(database_url)
    with session_scope(create_session_factory(engine)) as session:
        make_product(session, code="pork", category="meat")
        make_product(session, code="rice", category="grain")
        for code in CORRECTED[2:]:
            make_product(session, code=code, category="grain")
        shop = make_store(session, code="PDS-0001")
        store_headers = make_key(session, Role.store, store=shop)
        bureau_headers = make_key(session, Role.admin)
    engine.dispose()
    settings = Settings(database_url=database_url, log_json=False, log_level="WARNING")
    with running_server(settings) as url:
        yield Server(url, database_url, store_headers, bureau_headers)


Send = Callable[[httpx.Client], httpx.Response]


def _at_once(sends: list[Send], delays: list[float] | None = None) -> list[httpx.Response]:
    """Each request from its own thread and connection, released together by a barrier
    (each after its delay in seconds, when given)."""
    barrier = threading.Barrier(len(sends))
    waits = delays or [0.0] * len(sends)

    def send(numbered: tuple[int, Send]) -> httpx.Response:
        number, request = numbered
        with httpx.Client(timeout=120) as client:
            barrier.wait()
            time.sleep(waits[number])
            return request(client)

    with ThreadPoolExecutor(max_workers=len(sends)) as pool:
        return list(pool.map(send, enumerate(sends)))


def _put(server: Server, day: date, headers: dict[str, str], body: Any) -> Send:
    """A PUT of PDS-0001's report of ``day``."""
    url = f"{server.url}/api/v1/stores/PDS-0001/reports/{day.isoformat()}"
    return lambda client: client.put(url, headers=headers, json=body)


def _upload(server: Server, lines: str) -> Send:
    """The bureau's upload of a CSV file with these lines."""
    data = f"store,date,product,stock,sales,price\n{lines}".encode()
    return lambda client: client.post(
        f"{server.url}/api/v1/reports/bulk",
        headers=server.bureau_headers,
        files={"file": ("lines.csv", data, "text/csv")},
    )


def _put_at_once(
    server: Server, day: date, bodies: list[tuple[dict[str, str], Any]]
) -> list[httpx.Response]:
    """PUT each (headers, body) to PDS-0001's report of ``day``, all at once."""
    return _at_once([_put(server, day, headers, body) for headers, body in bodies])


def _line(product: str, stock: float) -> dict[str, Any]:
    return {"product": product, "stock": stock, "sales": 10, "price": 14.8, "received": 0}


def _stored(
    server: Server, day: date
) -> tuple[dict[str, float], list[tuple[float | None, float | None]]]:
    """PDS-0001's stored report of ``day`` (stock by product) and the pork line's revisions
    (old stock → new stock, oldest first)."""
    engine = create_database_engine(server.database_url)
    with Session(engine) as session:
        lines = session.execute(
            select(Product.code, DailyReport.stock)
            .join(Product, Product.id == DailyReport.product_id)
            .where(DailyReport.report_date == day)
        ).all()
        revisions = session.execute(
            select(ReportRevision.old_stock, ReportRevision.new_stock)
            .join(Product, Product.id == ReportRevision.product_id)
            .where(ReportRevision.report_date == day, Product.code == "pork")
            .order_by(ReportRevision.id)
        ).all()
    engine.dispose()
    return dict(lines), [(old, new) for old, new in revisions]


def test_two_first_reports_of_one_store_day_at_once_keep_exactly_one(server: Server) -> None:
    """The store posts {pork} while the bureau posts {rice} for the same new day: one
    answers 201, the other 200, and the stored report is one of the two, never both."""
    mixed: dict[str, Any] = {}
    for offset in range(PAIRS):
        day = days_ago(offset)
        responses = _put_at_once(
            server,
            day,
            [
                (server.store_headers, {"lines": [_line("pork", 40)]}),
                (server.bureau_headers, {"lines": [_line("rice", 70)]}),
            ],
        )
        statuses = sorted(response.status_code for response in responses)
        stored, _ = _stored(server, day)
        if statuses != [200, 201] or stored not in ({"pork": 40}, {"rice": 70}):
            mixed[day.isoformat()] = (statuses, stored)
    assert mixed == {}


def test_racing_changes_of_one_line_leave_a_chain_of_revisions(server: Server) -> None:
    """Stock 50 is stored; the store sends 101 while the bureau sends 202: the revision log
    reads 50 → one → the other, each change starting where the last ended, and the stored
    stock is where the chain ends."""
    broken: dict[str, Any] = {}
    for offset in range(PAIRS):
        day = days_ago(PAIRS + offset)
        first = _put_at_once(server, day, [(server.store_headers, {"lines": [_line("pork", 50)]})])
        assert first[0].status_code == 201, first[0].text
        responses = _put_at_once(
            server,
            day,
            [
                (server.store_headers, {"lines": [_line("pork", 101)]}),
                (server.bureau_headers, {"lines": [_line("pork", 202)]}),
            ],
        )
        assert [response.status_code for response in responses] == [200, 200]
        broken.update(_unchained(server, day))
    assert broken == {}


def _unchained(server: Server, day: date) -> dict[str, Any]:
    """The day's pork revisions and stored report when the revisions are not a chain
    50 → one → the other ending at the stored stock (nothing when they are)."""
    stored, revisions = _stored(server, day)
    chained = all(
        earlier[1] == later[0] for earlier, later in zip(revisions, revisions[1:], strict=False)
    )
    if (
        len(revisions) == 2
        and revisions[0][0] == 50
        and chained
        and stored == {"pork": revisions[-1][1]}
    ):
        return {}
    return {day.isoformat(): (revisions, stored)}


def test_a_bulk_file_racing_a_put_of_the_same_line_leaves_a_chain(server: Server) -> None:
    """Stock 50 is stored; the store PUTs 101 while the bureau uploads a file with 303
    for the same line: the revision log is still one chain ending at the stored stock."""
    broken: dict[str, Any] = {}
    for offset in range(PAIRS):
        day = days_ago(2 * PAIRS + offset)
        first = _put_at_once(server, day, [(server.store_headers, {"lines": [_line("pork", 50)]})])
        assert first[0].status_code == 201, first[0].text
        responses = _at_once(
            [
                _put(server, day, server.store_headers, {"lines": [_line("pork", 101)]}),
                _upload(server, f"PDS-0001,{day},pork,303,10,14.8\n"),
            ]
        )
        assert [response.status_code for response in responses] == [200, 200]
        broken.update(_unchained(server, day))
    assert broken == {}


def _patch(server: Server, day: date, headers: dict[str, str], body: Any) -> Send:
    """A PATCH (a correction) of PDS-0001's report of ``day``."""
    url = f"{server.url}/api/v1/stores/PDS-0001/reports/{day.isoformat()}"
    return lambda client: client.patch(url, headers=headers, json=body)


def _day_revisions(server: Server, day: date) -> list[tuple[str, str]]:
    """The kinds and products of every revision of PDS-0001's ``day``."""
    engine = create_database_engine(server.database_url)
    with Session(engine) as session:
        rows = session.execute(
            select(ReportRevision.kind, Product.code)
            .join(Product, Product.id == ReportRevision.product_id)
            .where(ReportRevision.report_date == day)
        ).all()
    engine.dispose()
    return [(str(getattr(kind, "value", kind)), code) for kind, code in rows]


def test_corrections_of_different_products_at_once_keep_every_one(server: Server) -> None:
    """Pork and rice are stored (50 each); six corrections, each of one product (two
    stored, four new), arrive at once and each is answered 200 or 201: every corrected
    value is stored afterwards, nothing was deleted, and each answer's counts name only
    its own line as written. A correction read the day's other lines before taking the
    store-day lock and wrote that stale copy back, undoing acknowledged ones."""
    lost: dict[str, Any] = {}
    for offset in range(PAIRS):
        day = days_ago(3 * PAIRS + offset)
        first = _put_at_once(
            server, day, [(server.store_headers, {"lines": [_line("pork", 50), _line("rice", 50)]})]
        )
        assert first[0].status_code == 201, first[0].text
        sent = {code: 100.0 + index for index, code in enumerate(CORRECTED)}
        responses = _at_once(
            [
                _patch(
                    server,
                    day,
                    server.store_headers if index % 2 else server.bureau_headers,
                    {"lines": [_line(code, stock)]},
                )
                for index, (code, stock) in enumerate(sent.items())
            ]
        )
        assert all(response.status_code in (200, 201) for response in responses), [
            response.text for response in responses
        ]
        written = [
            (response.json()["counts"]["inserted"], response.json()["counts"]["updated"])
            for response in responses
        ]
        stored, _ = _stored(server, day)
        revisions = _day_revisions(server, day)
        if (
            stored != sent
            or any(response.json()["counts"]["deleted"] for response in responses)
            or sorted(revisions) != [("updated", "pork"), ("updated", "rice")]
            or written != [(0, 1), (0, 1)] + [(1, 0)] * (len(CORRECTED) - 2)
        ):
            lost[day.isoformat()] = (stored, revisions, written)
    assert lost == {}


def test_a_bulk_file_racing_a_correction_of_another_product_keeps_both(server: Server) -> None:
    """Pork and rice are stored (50 each); the store corrects rice to 101 while the bureau
    uploads a file with pork at 303: both values are stored afterwards and the revision
    log has exactly those two changes. The correction leaves a little later each round,
    so that some round lands inside the file's write."""
    lost: dict[str, Any] = {}
    for offset in range(PAIRS):
        day = days_ago(4 * PAIRS + offset)
        first = _put_at_once(
            server, day, [(server.store_headers, {"lines": [_line("pork", 50), _line("rice", 50)]})]
        )
        assert first[0].status_code == 201, first[0].text
        responses = _at_once(
            [
                _patch(server, day, server.store_headers, {"lines": [_line("rice", 101)]}),
                _upload(server, f"PDS-0001,{day},pork,303,10,14.8\n"),
            ],
            delays=[offset * 0.005, 0.0],
        )
        assert [response.status_code for response in responses] == [200, 200]
        stored, _ = _stored(server, day)
        revisions = _day_revisions(server, day)
        if stored != {"pork": 303, "rice": 101} or sorted(revisions) != [
            ("updated", "pork"),
            ("updated", "rice"),
        ]:
            lost[day.isoformat()] = (stored, revisions)
    assert lost == {}
