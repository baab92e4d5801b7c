"""Sign-in throttling an attacker cannot turn against the account's owner: a burst from
one address is throttled at that address, failures are counted exactly even when they
arrive at once, an account locks only under failures from many addresses, and an admin
can let its owner back in."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from accounts.authentication import SIGN_IN_REFUSED, create_user
from core.database import create_database_engine, create_session_factory, session_scope
from models import Role, User
from models.base import utc_now
from service.app import create_app
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.conftest import PostgresDatabases
from tests.factories import make_key, make_store
from tests.servers import running_server
from tests.service.web.helpers import csrf, make_person, sign_in

PASSWORD = "correct horse battery"
ATTACKER = ("203.0.113.7", 40000)
OWNER = ("198.51.100.20", 40001)


def _login(client: TestClient, password: str, username: str = "admin.li") -> httpx.Response:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


@pytest.fixture
def throttled_app(settings: Settings, session_factory: sessionmaker[Session]) -> Any:
    """The service with a person, the admin Li, whom an attacker would like to keep out."""
    with session_factory() as session:
        create_user(session, username="admin.li", password=PASSWORD, role=Role.admin)
        session.commit()
    limits = {
        "login_address_attempts": 10,
        "login_max_failures": 6,
        "login_lock_addresses": 3,
        "login_lockout_seconds": 300,
    }
    return create_app(settings.model_copy(update=limits), session_factory=session_factory)


def _clients(app: Any, *addresses: tuple[str, int]) -> Iterator[list[TestClient]]:
    """One client per address, all running against ``app``."""
    clients = [TestClient(app, client=address) for address in addresses]
    for client in clients:
        client.__enter__()
    yield clients
    for client in clients:
        client.__exit__(None, None, None)


def test_a_burst_from_one_address_is_throttled_there_and_the_owner_still_signs_in(
    throttled_app: Any, session: Session
) -> None:
    for attacker, owner in _clients(throttled_app, ATTACKER, OWNER):
        answers = [_login(attacker, "guess") for _ in range(12)]
        assert [answer.status_code for answer in answers] == [401] * 10 + [429] * 2
        throttled = answers[-1]
        assert throttled.headers["content-type"] == "application/problem+json"
        assert 0 < int(throttled.headers["retry-after"]) <= 900
        assert "this address" in throttled.json()["detail"]
        assert _login(attacker, PASSWORD).status_code == 429  # the address waits, not Li

        signed_in = _login(owner, PASSWORD)
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["user"]["username"] == "admin.li"
    stored = session.scalars(select(User).where(User.username == "admin.li")).one()
    session.refresh(stored)
    assert stored.failed_logins == 0 and stored.locked_until is None


def test_the_sign_in_page_says_when_to_try_again_as_the_api_does(throttled_app: Any) -> None:
    """The page and the API share one window per address, and the page's 429 carries the
    same Retry-After a browser or a script waits for."""
    for [attacker] in _clients(throttled_app, ATTACKER):
        assert [_login(attacker, "guess").status_code for _ in range(10)] == [401] * 10
        page = attacker.post(
            "/login",
            data={"username": "admin.li", "password": "guess", "csrf_token": csrf(attacker)},
        )
        assert page.status_code == 429, page.text
        assert 0 < int(page.headers["retry-after"]) <= 900
        assert "this address" in page.text


def test_addresses_of_one_ipv6_network_share_one_window(throttled_app: Any) -> None:
    neighbours = [(f"2001:db8:7:1::{number:x}", 43000 + number) for number in range(1, 13)]
    for clients in _clients(throttled_app, *neighbours):
        answers = [_login(client, "guess").status_code for client in clients]
    assert answers == [401] * 10 + [429] * 2


def test_failures_from_many_addresses_lock_the_account_until_an_admin_unlocks_it(
    throttled_app: Any, session: Session
) -> None:
    admin = make_key(session, Role.admin)
    session.commit()
    addresses = [(f"192.0.2.{number}", 41000 + number) for number in range(1, 4)]
    for *attackers, owner in _clients(throttled_app, *addresses, OWNER):
        for attacker in attackers:
            assert [_login(attacker, "guess").status_code for _ in range(2)] == [401, 401]
        locked = _login(owner, PASSWORD)
        stranger = _login(owner, PASSWORD, username="nobody.here")
        assert locked.status_code == stranger.status_code == 401, locked.text
        assert locked.json()["detail"] == stranger.json()["detail"] == SIGN_IN_REFUSED
        assert "retry-after" not in locked.headers  # nothing tells a lock from a wrong name
        read = owner.get("/api/v1/users/admin.li", headers=admin)
        assert read.json()["locked_until"] is not None

        store_key = make_key(session, Role.store, store=make_store(session))
        session.commit()
        refused = owner.post("/api/v1/users/admin.li/unlock", headers=store_key)
        assert refused.status_code == 403
        unlocked = owner.post("/api/v1/users/admin.li/unlock", headers=admin)
        assert unlocked.status_code == 200, unlocked.text
        assert unlocked.json()["locked_until"] is None
        assert _login(owner, PASSWORD).status_code == 200


def test_each_lock_of_an_account_lasts_longer_than_the_one_before(
    throttled_app: Any, session: Session
) -> None:
    addresses = [(f"192.0.2.{number}", 42000 + number) for number in range(1, 7)]
    waits = []
    for clients in _clients(throttled_app, *addresses):
        for round_of_attackers in (clients[:3], clients[3:]):
            for attacker in round_of_attackers:
                for _ in range(2):
                    _login(attacker, "guess")
            refused = _login(round_of_attackers[0], "guess")
            assert refused.status_code == 401
            locked_until = session.scalar(
                select(User.locked_until).where(User.username == "admin.li")
            )
            assert locked_until is not None
            waits.append(int((locked_until.replace(tzinfo=UTC) - utc_now()).total_seconds()) + 1)
            # the first lock runs out (as five minutes passing would end it)
            session.execute(
                update(User).where(User.username == "admin.li").values(locked_until=None)
            )
            session.commit()
    assert waits[0] <= 301 and 301 < waits[1] <= 601


@pytest.mark.postgres
def test_thirty_parallel_wrong_passwords_are_counted_exactly_and_throttled(
    postgres_databases: PostgresDatabases,
) -> None:
    url = postgres_databases.create("login")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    factory = create_session_factory(engine)
    with session_scope(factory) as session:
        create_user(session, username="admin.li", password=PASSWORD, role=Role.admin)
    settings = Settings(database_url=url, log_json=False, log_level="WARNING")
    with running_server(settings) as base_url:

        def guess(_: int) -> int:
            with httpx.Client(timeout=60) as client:
                return client.post(
                    f"{base_url}/api/v1/auth/login",
                    json={"username": "admin.li", "password": "guess"},
                ).status_code

        with ThreadPoolExecutor(max_workers=30) as pool:
            answers = list(pool.map(guess, range(30)))
    with session_scope(factory) as session:
        failures = session.scalar(select(User.failed_logins).where(User.username == "admin.li"))
    engine.dispose()
    assert set(answers) == {401, 429}, answers
    assert answers.count(401) == settings.login_address_attempts
    assert failures == answers.count(401)


def test_an_admin_unlocks_a_locked_account_from_the_users_page(
    client: TestClient, session: Session
) -> None:
    password = make_person(session, "root.wu", Role.admin)
    make_person(session, "clerk.he", Role.bureau)
    session.execute(
        update(User)
        .where(User.username == "clerk.he")
        .values(failed_logins=40, locked_until=utc_now() + timedelta(minutes=20))
    )
    session.commit()
    assert sign_in(client, "root.wu", password).status_code == 303
    page = client.get("/admin/users")
    assert 'action="/admin/users/clerk.he/unlock"' in page.text
    assert 'action="/admin/users/root.wu/unlock"' not in page.text  # only locked ones

    unlocked = client.post(
        "/admin/users/clerk.he/unlock",
        data={"csrf_token": csrf(client, "/admin/users")},
        follow_redirects=False,
    )
    assert unlocked.status_code == 303
    clerk = session.scalars(select(User).where(User.username == "clerk.he")).one()
    session.refresh(clerk)
    assert (clerk.failed_logins, clerk.locked_until) == (0, None)
    assert sign_in(client, "clerk.he", "clerk.he-password").status_code == 303
