"""A real server and a real browser for the end-to-end tests (SQLite only).

The server is the whole app under uvicorn in a thread, on a free port, over a SQLite
file holding a small demo city (8 days of reports, the monitor run for today). The
browser is Debian's Chromium (``make test`` installs it when it is missing and we are
root); the tests skip, saying so, only when no browser can be had.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlalchemy.orm import Session

from dispatch.master_data import ItemInput, create_request
from models import RequestPriority
from monitors.runs import run_monitor
from service.app import create_app
from service.database import create_database_engine, create_session_factory, session_scope
from service.demo import load_demo_city
from service.ingest.reports import business_day_today
from service.migrate import upgrade_to_head
from service.monitoring import monitor_config
from service.settings import Settings
from tests.dispatch.factories import make_compound, make_depot, make_truck

BROWSER_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
SCREENSHOTS_ENV = "SUPPLYWATCH_SCREENSHOTS"


def _browser_path() -> str | None:
    for candidate in BROWSER_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


def add_deliveries_to_plan(session: Session, day: date) -> None:
    """A depot with three trucks and eight locked-down compounds that ordered rice and
    oil for ``day`` (two of them urgently)."""
    depot = make_depot(session, code="DEP-XINHUA", latitude=33.737, longitude=113.282)
    for plate in ("豫D-E0001", "豫D-E0002", "豫D-E0003"):
        make_truck(session, depot=depot, plate=plate, capacity_kg=1200)
    for index in range(8):
        compound = make_compound(
            session,
            code=f"CP-{index + 1:03d}",
            latitude=33.70 + 0.012 * (index % 4),
            longitude=113.24 + 0.02 * (index // 2),
        )
        create_request(
            session=session,
            compound=compound,
            delivery_date=day,
            priority=RequestPriority.urgent if index < 2 else RequestPriority.normal,
            window_start=clock_time(8, 0),
            window_end=clock_time(18, 0),
            items=[ItemInput("rice", 150 + 25 * index), ItemInput("soybean_oil", 40)],
            note=None,
            created_by="test",
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("browser") / "city.db"
    settings = Settings(database_url=f"sqlite:///{path}", log_json=False, log_level="WARNING")
    upgrade_to_head(settings.database_url)
    engine = create_database_engine(settings.database_url)
    factory = create_session_factory(engine)
    today = business_day_today(settings)
    with session_scope(factory) as session:
        load_demo_city(session, end_date=today, days=8)
        add_deliveries_to_plan(session, today)
    for offset in (1, 0):
        run_monitor(
            factory=factory,
            business_date=today - timedelta(days=offset),
            config=monitor_config(settings),
            trigger="test",
            requested_by="test",
        )
    engine.dispose()

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", settings)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _browser_path()
    if executable is None:
        pytest.skip("no Chromium here (install Debian's chromium); browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a test saves its screenshots: ``$SUPPLYWATCH_SCREENSHOTS`` (e.g.
    docs/screenshots to refresh the committed set), else the test's temporary folder."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
