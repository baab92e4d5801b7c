"""A plan that takes minutes to solve, a re-plan after a breakdown, a big upload or
registry file being checked and the matcher's solve hold no lock; what they read is
checked again before they write (409 and nothing written when it changed); and a write
that waits too long for another's lock is refused as busy (503 with Retry-After), never
a 500: against a real server on its own database, committed rows and a connection per
request."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.database import create_database_engine, create_session_factory, session_scope
from dispatch import commitment, planning
from models import (
    DailyReport,
    Delivery,
    DeliveryStatus,
    DispatchPlan,
    MatchRun,
    Producer,
    Product,
    Proposal,
    Region,
    Role,
    Truck,
    TruckStatus,
)
from reports import submissions
from service.migrate import upgrade_to_head
from service.settings import Settings
from supply_network import registry_import, runs
from tests.dispatch.factories import make_city
from tests.factories import business_today, make_key, make_product, make_store
from tests.servers import running_server
from tests.service.web.helpers import CSRF_FIELD, make_person
from tests.supply_network.factories import make_district, make_need, make_offer, make_producer

LOCK_WAIT_S = 0.5
"""The settings' bound on a writer's wait for another's lock in these tests."""


@dataclass(frozen=True)
class City:
    """A database with a store that reports and a dispatcher's day to plan."""

    database_url: str
    store_headers: dict[str, str]
    dispatcher_headers: dict[str, str]
    bureau_headers: dict[str, str]


@pytest.fixture
def city(backend: str, empty_database_url: Callable[[str], str]) -> City:
    database_url = empty_database_url(backend)
    upgrade_to_head(database_url)
    engine = create_database_engine(database_url)
    with session_scope(create_session_factory(engine)) as session:
        make_product(session, code="pork", category="meat")
        shop = make_store(session, code="PDS-0001")
        make_city(session, day=business_today(), trucks=[2000, 2000], loads=[300, 300])
        store_headers = make_key(session, Role.store, store=shop)
        dispatcher_headers = make_key(session, Role.dispatcher)
        bureau_headers = make_key(session, Role.admin)
    engine.dispose()
    return City(database_url, store_headers, dispatcher_headers, bureau_headers)


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
    """The service's PostgreSQL connections to this database inside a transaction (not
    ours, not autovacuum's)."""
    engine = create_database_engine(database_url)
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND backend_type = 'client backend' AND pid <> pg_backend_pid() "
                "AND xact_start IS NOT NULL"
            )
        ).scalar_one()
    engine.dispose()
    return int(found)


@dataclass
class HeldWork:
    """What happened while a long piece of work was held mid-way: the store's PUT, the
    transactions PostgreSQL had open, and the long request's own answer."""

    put: httpx.Response
    open_transactions: list[int]
    answer: httpx.Response | None


def _put_while_held(
    city: City,
    server: str,
    backend: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    module: Any,
    name: str,
    long_request: Callable[[httpx.Client], httpx.Response],
    meanwhile: Callable[[], None] = lambda: None,
) -> HeldWork:
    """Send ``long_request``, hold it inside ``module.name`` (as minutes of solving or of
    checking a million rows would) until the store's PUT has answered and ``meanwhile``
    (another user's change) is done, then let it go."""
    reached, released = threading.Event(), threading.Event()
    original = getattr(module, name)
    open_transactions: list[int] = []

    def held(*arguments: Any, **keywords: Any) -> Any:
        reached.set()
        if backend == "postgresql":
            # The fewest over a second: a transaction held through the work shows in every
            # sample, the app's own background ticks (webhook deliveries, schedules) in few.
            samples = []
            for _ in range(5):
                samples.append(_open_transactions(city.database_url))
                time.sleep(0.2)
            open_transactions.append(min(samples))
        released.wait(timeout=120)
        return original(*arguments, **keywords)

    monkeypatch.setattr(module, name, held)
    answers: list[httpx.Response] = []

    def send() -> None:
        with httpx.Client(timeout=180) as client:
            answers.append(long_request(client))

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert reached.wait(timeout=60), f"the request never reached {name}"
        with httpx.Client(timeout=180) as client:
            put = client.put(_report_url(server), headers=city.store_headers, json=_report(40))
        meanwhile()
    finally:
        released.set()
        sender.join(timeout=180)
    return HeldWork(put, open_transactions, answers[0] if answers else None)


def test_a_store_reports_while_a_plan_is_being_solved(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The solver is held mid-solve (as a 600 s plan would be) until the store's PUT has
    answered: the PUT is stored, and the plan is stored after."""
    held = _put_while_held(
        city,
        server,
        backend,
        monkeypatch,
        module=planning,
        name="plan_routes",
        long_request=lambda client: client.post(
            f"{server}/api/v1/dispatch/plans",
            headers=city.dispatcher_headers,
            json={"date": business_today().isoformat(), "time_limit_s": 1},
        ),
    )

    assert held.put.status_code == 201, held.put.text
    assert held.answer is not None and held.answer.status_code == 201, held.answer
    assert _count(city.database_url, DispatchPlan) == 1
    assert _count(city.database_url, DailyReport) == 1
    assert held.open_transactions in ([], [0])


def test_a_store_reports_while_a_big_file_is_being_checked(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bureau's upload is held while its lines are checked (as a million-row file
    would be) until the store's PUT has answered: both are stored."""
    yesterday = business_today() - timedelta(days=1)
    upload = f"store,date,product,stock,sales,price\nPDS-0001,{yesterday},pork,5,1,14.8\n"
    held = _put_while_held(
        city,
        server,
        backend,
        monkeypatch,
        module=submissions,
        name="validate_lines",
        long_request=lambda client: client.post(
            f"{server}/api/v1/reports/bulk",
            headers=city.bureau_headers,
            files={"file": ("lines.csv", upload.encode(), "text/csv")},
        ),
    )

    assert held.put.status_code == 201, held.put.text
    assert held.answer is not None
    assert held.answer.status_code == 200, held.answer.text
    assert _count(city.database_url, DailyReport) == 2
    assert held.open_transactions in ([], [0])


def _change(database_url: str, change: Callable[[Session], None]) -> None:
    """Another user's change, committed on its own connection."""
    engine = create_database_engine(database_url)
    with session_scope(create_session_factory(engine)) as session:
        change(session)
    engine.dispose()


def _committed_plan(city: City, server: str) -> dict[str, Any]:
    """The day planned on both trucks and committed by the dispatcher."""
    with httpx.Client(base_url=server, timeout=180) as client:
        draft = client.post(
            "/api/v1/dispatch/plans",
            headers=city.dispatcher_headers,
            json={"date": business_today().isoformat(), "time_limit_s": 1},
        )
        assert draft.status_code == 201, draft.text
        committed = client.post(
            f"/api/v1/dispatch/plans/{draft.json()['id']}/commit",
            headers=city.dispatcher_headers,
            json={"expected_version": 1},
        )
    assert committed.status_code == 200, committed.text
    plan: dict[str, Any] = committed.json()
    return plan


def _deliveries(database_url: str) -> list[tuple[int, int, DeliveryStatus]]:
    engine = create_database_engine(database_url)
    with Session(engine) as session:
        found = [
            (row.id, row.truck_id, row.status)
            for row in session.execute(
                select(Delivery.id, Delivery.truck_id, Delivery.status).order_by(Delivery.id)
            )
        ]
    engine.dispose()
    return found


def _truck_status(database_url: str, plate: str) -> TruckStatus:
    engine = create_database_engine(database_url)
    with Session(engine) as session:
        found = session.scalars(select(Truck.status).where(Truck.plate == plate)).one()
    engine.dispose()
    return found


def _breakdown(server: str, city: City, plate: str) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post(
        f"{server}/api/v1/trucks/{plate}/breakdown",
        headers=city.dispatcher_headers,
        json={"time_limit_s": 1},
    )


def test_a_store_reports_while_a_breakdown_is_being_re_planned(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A truck of the committed day breaks down and its re-plan is held mid-solve until
    the store's PUT has answered: the PUT is stored, and the re-plan is committed after."""
    plan = _committed_plan(city, server)
    broken = plan["routes"][0]["truck"]
    held = _put_while_held(
        city,
        server,
        backend,
        monkeypatch,
        module=commitment,
        name="plan_routes",
        long_request=_breakdown(server, city, broken),
    )

    assert held.put.status_code == 201, held.put.text
    assert held.answer is not None
    assert held.answer.status_code == 200, held.answer.text
    (replan,) = held.answer.json()
    assert replan["replaces_plan_id"] == plan["id"] and replan["status"] == "committed"
    assert broken not in {route["truck"] for route in replan["routes"]}
    assert _truck_status(city.database_url, broken) is TruckStatus.out_of_service
    assert _count(city.database_url, DailyReport) == 1
    assert held.open_transactions in ([], [0])


def test_a_breakdown_whose_deliveries_moved_on_while_it_was_solved_writes_nothing(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the re-plan is solved, the driver delivers one of the broken truck's stops:
    the re-plan answers 409 and writes nothing (no new plan, the truck still available,
    no delivery cancelled), and the driver's delivery stands."""
    plan = _committed_plan(city, server)
    broken = plan["routes"][0]["truck"]
    before = _deliveries(city.database_url)
    delivered = before[0][0]

    def deliver(session: Session) -> None:
        session.execute(
            update(Delivery).where(Delivery.id == delivered).values(status=DeliveryStatus.delivered)
        )

    held = _put_while_held(
        city,
        server,
        backend,
        monkeypatch,
        module=commitment,
        name="plan_routes",
        long_request=_breakdown(server, city, broken),
        meanwhile=lambda: _change(city.database_url, deliver),
    )

    assert held.put.status_code == 201, held.put.text
    assert held.answer is not None
    assert held.answer.status_code == 409, held.answer.text
    assert held.answer.headers["content-type"] == "application/problem+json"
    assert broken in held.answer.json()["detail"]
    assert _count(city.database_url, DispatchPlan) == 1
    assert _truck_status(city.database_url, broken) is TruckStatus.available
    expected = [
        (ident, truck, DeliveryStatus.delivered if ident == delivered else status)
        for ident, truck, status in before
    ]
    assert _deliveries(city.database_url) == expected


def test_a_breakdown_reported_on_the_page_over_a_changed_day_says_so_and_writes_nothing(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dispatcher reading the board in Chinese reports a breakdown; while it is solved
    the driver delivers a stop: the page answers 409 saying in Chinese that nothing was
    saved and to report again, and the truck stays available."""
    plan = _committed_plan(city, server)
    broken = plan["routes"][0]["truck"]
    engine = create_database_engine(city.database_url)
    with session_scope(create_session_factory(engine)) as session:
        password = make_person(session, "ops", Role.dispatcher)
    engine.dispose()
    delivered = _deliveries(city.database_url)[0][0]

    def deliver(session: Session) -> None:
        session.execute(
            update(Delivery).where(Delivery.id == delivered).values(status=DeliveryStatus.delivered)
        )

    with httpx.Client(
        base_url=server, timeout=180, headers={"Accept-Language": "zh-CN"}
    ) as browser:
        token = _csrf_of(browser.get("/login").text)
        signed_in = browser.post(
            "/login", data={"username": "ops", "password": password, "csrf_token": token}
        )
        assert signed_in.status_code == 303, signed_in.text
        form = {"time_limit_s": "1", "csrf_token": _csrf_of(browser.get("/dispatch").text)}
        held = _put_while_held(
            city,
            server,
            backend,
            monkeypatch,
            module=commitment,
            name="plan_routes",
            long_request=lambda _client: browser.post(
                f"/dispatch/trucks/{broken}/breakdown", data=form
            ),
            meanwhile=lambda: _change(city.database_url, deliver),
        )

    assert held.answer is not None
    assert held.answer.status_code == 409, held.answer.text
    assert f"车辆 {broken} 的配送、车辆或方案已变更；未保存任何内容" in held.answer.text
    assert _count(city.database_url, DispatchPlan) == 1
    assert _truck_status(city.database_url, broken) is TruckStatus.available


def _region_code(database_url: str) -> str:
    engine = create_database_engine(database_url)
    with Session(engine) as session:
        code = session.scalars(select(Region.code).order_by(Region.id)).first()
    engine.dispose()
    assert code is not None
    return code


def _registry_import(server: str, city: City) -> Callable[[httpx.Client], httpx.Response]:
    registry = (
        "code,name,kind,region,latitude,longitude,product,daily_capacity\n"
        f"FARM-1,Green Valley,livestock_farm,{_region_code(city.database_url)},"
        "33.8,113.2,pork,500\n"
    )
    return lambda client: client.post(
        f"{server}/api/v1/producers/import",
        headers=city.bureau_headers,
        files={"file": ("registry.csv", registry.encode(), "text/csv")},
    )


def test_a_store_reports_while_a_registry_file_is_being_checked(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bureau's registry import is held while its rows are checked (as a county's
    registry would be) until the store's PUT has answered: both are stored."""
    held = _put_while_held(
        city,
        server,
        backend,
        monkeypatch,
        module=registry_import,
        name="check_registry_rows",
        long_request=_registry_import(server, city),
    )

    assert held.put.status_code == 201, held.put.text
    assert held.answer is not None
    assert held.answer.status_code == 200, held.answer.text
    assert held.answer.json()["inserted"] == 1
    assert _count(city.database_url, Producer) == 1
    assert _count(city.database_url, DailyReport) == 1
    assert held.open_transactions in ([], [0])


def test_a_registry_checked_against_products_that_changed_meanwhile_stores_nothing(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the registry file is checked an admin renames the product it names: the
    import answers 409 and stores no producer."""

    def rename(session: Session) -> None:
        session.execute(update(Product).where(Product.code == "pork").values(code="pork-belly"))

    held = _put_while_held(
        city,
        server,
        backend,
        monkeypatch,
        module=registry_import,
        name="check_registry_rows",
        long_request=_registry_import(server, city),
        meanwhile=lambda: _change(city.database_url, rename),
    )

    assert held.answer is not None
    assert held.answer.status_code == 409, held.answer.text
    assert held.answer.headers["content-type"] == "application/problem+json"
    assert "nothing was stored" in held.answer.json()["detail"]
    assert _count(city.database_url, Producer) == 0


def _open_board(database_url: str) -> None:
    """A farm's open offer of pork and a district's need of it."""

    def post(session: Session) -> None:
        pork = session.scalars(select(Product).where(Product.code == "pork")).one()
        farm = make_producer(session, code="FARM-1", capacities={"pork": 500})
        make_offer(session, producer=farm, product=pork, quantity=100)
        make_need(session, product=pork, district=make_district(session), quantity=40)

    _change(database_url, post)


def _match_run(server: str, city: City) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post(f"{server}/api/v1/match-runs", headers=city.bureau_headers)


def test_a_store_reports_while_the_matcher_solves(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bureau's match run is held inside the optimiser until the store's PUT has
    answered: the PUT is stored, and the run and its proposal after."""
    _open_board(city.database_url)
    held = _put_while_held(
        city,
        server,
        backend,
        monkeypatch,
        module=runs,
        name="match",
        long_request=_match_run(server, city),
    )

    assert held.put.status_code == 201, held.put.text
    assert held.answer is not None
    assert held.answer.status_code == 201, held.answer.text
    assert held.answer.json()["proposals"] == 1
    assert _count(city.database_url, MatchRun) == 1
    assert _count(city.database_url, Proposal) == 1
    assert _count(city.database_url, DailyReport) == 1
    assert held.open_transactions in ([], [0])


def test_a_match_run_over_a_board_that_changed_meanwhile_stores_nothing(
    city: City, server: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the matcher solves, another farm offers pork: the run answers 409 and
    stores no run and no proposal; running again matches the board as it now is."""
    _open_board(city.database_url)

    def offer(session: Session) -> None:
        pork = session.scalars(select(Product).where(Product.code == "pork")).one()
        make_offer(session, producer=make_producer(session, code="FARM-2"), product=pork)

    held = _put_while_held(
        city,
        server,
        backend,
        monkeypatch,
        module=runs,
        name="match",
        long_request=_match_run(server, city),
        meanwhile=lambda: _change(city.database_url, offer),
    )

    assert held.answer is not None
    assert held.answer.status_code == 409, held.answer.text
    assert held.answer.headers["content-type"] == "application/problem+json"
    assert _count(city.database_url, MatchRun) == 0
    assert _count(city.database_url, Proposal) == 0
    with httpx.Client(timeout=180) as client:
        again = _match_run(server, city)(client)
    assert again.status_code == 201, again.text
    assert again.json()["offers"] == 2


@contextmanager
def _write_lock_held_elsewhere(database_url: str) -> Iterator[None]:
    """Another process's write transaction on the SQLite file for the block's length."""
    path = make_url(database_url).database
    assert path
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) >= 1
    assert "busy" in response.json()["detail"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_write_blocked_past_the_bound_is_busy_and_writes_nothing(city: City, server: str) -> None:
    """Another process holds SQLite's write lock longer than the settings let a write
    wait: the store's PUT answers 503 with Retry-After, and nothing is stored."""
    with _write_lock_held_elsewhere(city.database_url), httpx.Client(timeout=180) as client:
        put = client.put(_report_url(server), headers=city.store_headers, json=_report(40))

    _assert_busy(put)
    assert _count(city.database_url, DailyReport) == 0


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_dispatcher_planning_in_the_page_while_the_lock_is_held_is_told_busy(
    city: City, server: str
) -> None:
    """The dispatcher signs in and plans the day on the board while another process holds
    the write lock past the bound: the form answers 503 with Retry-After, no plan is
    stored, and planning again once the lock is free works."""
    engine = create_database_engine(city.database_url)
    with session_scope(create_session_factory(engine)) as session:
        password = make_person(session, "ops", Role.dispatcher)
    engine.dispose()
    with httpx.Client(base_url=server, timeout=180) as browser:
        token = _csrf_of(browser.get("/login").text)
        signed_in = browser.post(
            "/login", data={"username": "ops", "password": password, "csrf_token": token}
        )
        assert signed_in.status_code == 303, signed_in.text
        form = {"day": business_today().isoformat(), "time_limit_s": "1"}
        form["csrf_token"] = _csrf_of(browser.get("/dispatch").text)
        with _write_lock_held_elsewhere(city.database_url):
            refused = browser.post("/dispatch/plans", data=form)
        _assert_busy(refused)
        assert _count(city.database_url, DispatchPlan) == 0

        planned = browser.post("/dispatch/plans", data=form)
    assert planned.status_code == 303, planned.text
    assert _count(city.database_url, DispatchPlan) == 1


def _csrf_of(page: str) -> str:
    found = CSRF_FIELD.search(page)
    assert found, "the page has no CSRF field"
    return found.group(1)
