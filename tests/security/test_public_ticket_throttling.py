"""The hotline's public form (no sign-in) takes a few tickets per caller and hour, so a
script cannot bury residents' complaints in the operators' queue during an emergency:
a caller hopping between the addresses of its IPv6 network counts as one caller (as at
sign-in), and tickets sent all at once are counted exactly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core.database import create_database_engine, create_session_factory, session_scope
from hotline.routing import ensure_defaults
from models import RegionLevel, Ticket
from service.app import create_app
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.conftest import PostgresDatabases
from tests.factories import make_region
from tests.servers import running_server

PUBLIC = "/api/v1/public/tickets"
PER_HOUR = 2
NEIGHBOURS = [(f"2001:db8:7:1::{number:x}", 44000 + number) for number in range(1, 6)]
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def call(text: str = "No eggs at the Garden Road supermarket for three days.") -> dict[str, Any]:
    return {"category": "cannot_buy", "text": text, "region": "410403"}


@pytest.fixture
def hotline_app(settings: Settings, session_factory: sessionmaker[Session]) -> Any:
    with session_factory() as session:
        city = make_region(session, code="4104", level=RegionLevel.city)
        make_region(session, code="410403", name="Weidong", parent=city)
        session.commit()
    limits = {"hotline_public_tickets_per_hour": PER_HOUR}
    return create_app(settings.model_copy(update=limits), session_factory=session_factory)


def _clients(app: Any, addresses: list[tuple[str, int]]) -> Iterator[list[TestClient]]:
    clients = [TestClient(app, client=address) for address in addresses]
    for client in clients:
        client.__enter__()
    yield clients
    for client in clients:
        client.__exit__(None, None, None)


def _tickets(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)


def test_a_caller_hopping_across_its_ipv6_network_is_limited_as_one_caller(
    hotline_app: Any, session: Session
) -> None:
    for clients in _clients(hotline_app, NEIGHBOURS):
        answers = [client.post(PUBLIC, json=call()).status_code for client in clients]
    assert answers == [201] * PER_HOUR + [429] * (len(NEIGHBOURS) - PER_HOUR)
    assert _tickets(session) == PER_HOUR


def test_the_public_page_form_counts_an_ipv6_network_as_one_caller(
    hotline_app: Any, session: Session
) -> None:
    for clients in _clients(hotline_app, NEIGHBOURS):
        answers = []
        for client in clients:
            token = CSRF_FIELD.search(client.get("/hotline/report").text)
            assert token is not None
            form = {**call(), "csrf_token": token.group(1)}
            answers.append(client.post("/hotline/report", data=form).status_code)
    assert answers == [201] * PER_HOUR + [429] * (len(NEIGHBOURS) - PER_HOUR)
    assert _tickets(session) == PER_HOUR


@pytest.mark.postgres
def test_twenty_tickets_sent_at_once_from_one_address_stop_at_the_allowance(
    postgres_databases: PostgresDatabases,
) -> None:
    url = postgres_databases.create("hotline")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        city = make_region(session, code="4104", level=RegionLevel.city)
        make_region(session, code="410403", name="Weidong", parent=city)
        ensure_defaults(session=session)  # a running desk has its working groups already
    settings = Settings(
        database_url=url, log_json=False, log_level="WARNING", hotline_public_tickets_per_hour=3
    )
    with running_server(settings) as base_url:

        def file(number: int) -> int:
            with httpx.Client(timeout=60) as client:
                return client.post(f"{base_url}{PUBLIC}", json=call(f"Call {number}")).status_code

        with ThreadPoolExecutor(max_workers=20) as pool:
            answers = list(pool.map(file, range(20)))
    with session_scope(factory) as session:
        filed = _tickets(session)
    engine.dispose()
    assert sorted(set(answers)) == [201, 429], answers
    assert answers.count(201) == 3 == filed
