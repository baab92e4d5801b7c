"""Test databases: SQLite always, PostgreSQL when reachable; both built by the real
migrations, each test inside an outer transaction that is rolled back."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.database import create_database_engine
from service.app import create_app
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.scrape import METRICS_TOKEN

CITY_ZONE = ZoneInfo("Asia/Shanghai")
RUN_ROOM = timedelta(hours=4)
"""A whole run fits in this (about 30 minutes on two processes on a quiet machine, 70 in one)."""


def keep_the_run_in_one_business_day(now: datetime) -> time_machine.travel | None:
    """Moves this process's clock back when the run could cross midnight in the city, since
    modules compute "today" when collected and the service when called; None when there is
    room."""
    midnight = datetime.combine(now.date() + timedelta(days=1), time(), CITY_ZONE)
    if midnight - now >= RUN_ROOM:
        return None
    traveller = time_machine.travel(midnight - RUN_ROOM, tick=True)
    traveller.start()
    return traveller


SUITE_CLOCK_MOVED = keep_the_run_in_one_business_day(datetime.now(CITY_ZONE)) is not None
"""Whether this run's clock was moved back; browsers are then moved with it (their clock is
their own process's, which time-machine does not reach)."""

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_URL = os.environ.get("SUPPLYWATCH_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _postgres_reason() -> str | None:
    """None when PostgreSQL answers, else why its tests are skipped."""
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # any failure means: not reachable here
        return f"PostgreSQL not reachable at {make_url(POSTGRES_URL).render_as_string()}: {error}"
    return None


POSTGRES_SKIP_REASON = _postgres_reason()
BACKENDS = ["sqlite", "postgresql"]


def pytest_report_header() -> list[str]:
    if POSTGRES_SKIP_REASON:
        return [f"SKIPPING PostgreSQL tests: {POSTGRES_SKIP_REASON}"]
    return [f"PostgreSQL tests run against {make_url(POSTGRES_URL).render_as_string()}"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if POSTGRES_SKIP_REASON:
        terminalreporter.write_line(
            f"NOTE: PostgreSQL tests were SKIPPED ({POSTGRES_SKIP_REASON})", yellow=True
        )


class PostgresDatabases:
    """Creates throw-away databases in the test server and drops them at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self.base = make_url(admin_url)
        self.created: list[str] = []

    def create(self, label: str) -> str:
        name = f"supplywatch_test_{label}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.base.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    if POSTGRES_SKIP_REASON:
        pytest.skip(POSTGRES_SKIP_REASON)
    databases = PostgresDatabases(POSTGRES_URL)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def empty_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], str]:
    """A factory of fresh, empty databases of a backend (for migration tests)."""

    def make(backend: str) -> str:
        if backend == "sqlite":
            path = tmp_path_factory.mktemp("db") / f"{uuid.uuid4().hex}.db"
            return f"sqlite:///{path}"
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        return databases.create("empty")

    return make


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql" and POSTGRES_SKIP_REASON:
        pytest.skip(POSTGRES_SKIP_REASON)
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """A database of ``backend`` migrated to head once per run."""
    if backend == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "supplywatch.db"
        url = f"sqlite:///{path}"
    else:
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        url = databases.create("suite")
    upgrade_to_head(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pass_signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pass signing key of this test run (created on the first app start)."""
    return tmp_path_factory.mktemp("passes") / "signing.pem"


@pytest.fixture
def settings(database_url: str, pass_signing_key_file: Path) -> Settings:
    return Settings(
        database_url=database_url,
        log_json=False,
        log_level="WARNING",
        metrics_token=SecretStr(METRICS_TOKEN),
        passes_signing_key_file=pass_signing_key_file,
    )


@pytest.fixture
def session_factory(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that all work inside one outer transaction, rolled back after the test."""
    connection = engine.connect()
    transaction = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield factory
    transaction.rollback()
    connection.close()


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def client(settings: Settings, session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    app = create_app(settings, session_factory=session_factory)
    with TestClient(app) as test_client:
        yield test_client
