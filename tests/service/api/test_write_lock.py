"""A plan that takes minutes to solve holds no lock, and a write that waits too long for
another's lock is refused as busy (503 with Retry-After), never a 500: against a real
server on its own database, committed rows and a connection per request."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.database import create_database_engine, create_session_factory, session_scope
from dispatch import planning
from models import DailyReport, DispatchPlan, Role
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.dispatch.factories import make_city
from tests.factories import business_today, make_key, make_product, make_store
from tests.service.servers import running_server

LOCK_WAIT_S = 0.5
"""The settings' bound on a writer's wait for another's lock in these tests."""


@dataclass(frozen=True)
class City:
    """A database with a store that reports and a dispatcher's day to plan."""

    database_url: str
    store_headers: dict[str, str]
    dispatcher_headers: dict[str, str]


@pytest.fixture
def city(backend: str, empty_database_url: Callable[[str], str]) -> City:
    database_url = empty_database_url(backend)
    upgrade_to_head(database_url)
    engine = create_database_engine(database_url)
    with session_scope(create_session_factory(engine)) as session:
        make_product(session, code="pork", category="meat")
        shop = make_store(session, code="PDS-0001")
        make_city(session, day=business_today(), trucks=[2000], loads=[300, 300])
        store_headers = make_key(session, Role.store, store=shop)
        dispatcher_headers = make_key(session, Role.dispatcher)
    engine.dispose()
    return City(database_url, store_headers, dispatcher_headers)


@pytest.fixture
def server(city: City) -> Iterator[str]:
    settings = Settings(
        database_url=city.database_url,
        database_lock_wait_seconds=LOCK_WAIT_S,
        log_json=False,
        log_level="WARNING",
    )
    with running_server(settings) as url:
        yield url


def _report(stock: float) -> dict[str, Any]:
    return {"lines": [{"product": "pork", "stock": stock, "sales": 10, "price": 14.8}]}


def _report_url(server: str) -> str:
    return f"{server}/api/v1/stores/PDS-0001/reports/{business_today().isoformat()}"


def _count(database_url: str, model: type[Any]) -> int:
    engine = create_database_engine(database_url)
    with Session(engine) as session:
        found = int(session.scalar(select(func.count()).select_from(model)) or 0)
    engine.dispose()
    return found


def _open_transactions(database_url: str) -> int:
    """PostgreSQL connections to this database (other than ours) inside a transaction."""
    engine = create_database_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
            )
        ).scalar_one()
    engine.dispose()
    return int(found)


def test_a_store_reports_while_a_plan_is_being_solved(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solver is held mid-solve (as a 600 s plan would be) until the store's PUT has
    answered: the PUT is stored, and the plan is stored after."""
    solving, reported = threading.Event(), threading.Event()
    solve = planning.plan_routes
    open_while_solving: list[int] = []

    def held_mid_solve(**arguments: Any) -> Any:
        solving.set()
        if backend == "postgresql":
            open_while_solving.append(_open_transactions(city.database_url))
        reported.wait(timeout=120)
        return solve(**arguments)

    monkeypatch.setattr(planning, "plan_routes", held_mid_solve)
    planned: list[httpx.Response] = []

    def plan() -> None:
        with httpx.Client(timeout=180) as client:
            planned.append(
                client.post(
                    f"{server}/api/v1/dispatch/plans",
                    headers=city.dispatcher_headers,
                    json={"date": business_today().isoformat(), "time_limit_s": 1},
                )
            )

    planner = threading.Thread(target=plan)
    planner.start()
    try:
        assert solving.wait(timeout=60), "the plan never reached the solver"
        with httpx.Client(timeout=180) as client:
            put = client.put(_report_url(server), headers=city.store_headers, json=_report(40))
    finally:
        reported.set()
        planner.join(timeout=180)

    assert put.status_code == 201, put.text
    assert planned and planned[0].status_code == 201, planned and planned[0].text
    assert _count(city.database_url, DispatchPlan) == 1
    assert _count(city.database_url, DailyReport) == 1
    assert open_while_solving in ([], [0])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_write_blocked_past_the_bound_is_busy_and_writes_nothing(city: City, server: str) -> None:
    """Another process holds SQLite's write lock longer than the settings let a write
    wait: the store's PUT answers 503 with Retry-After, and nothing is stored."""
    path = make_url(city.database_url).database
    assert path
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with httpx.Client(timeout=180) as client:
            put = client.put(_report_url(server), headers=city.store_headers, json=_report(40))
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert put.status_code == 503, put.text
    assert put.headers["content-type"] == "application/problem+json"
    assert int(put.headers["retry-after"]) >= 1
    assert "busy" in put.json()["detail"]
    assert _count(city.database_url, DailyReport) == 0
