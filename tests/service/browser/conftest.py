"""A real server and a real browser for the end-to-end tests (SQLite only).

The server is the whole app under uvicorn in a thread, on a free port, over a SQLite
file holding the demo city with 8 days of reports (the monitor run for the last two)
and its dispatch day (compounds, trucks, open requests). The
browser is Debian's Chromium (``make test`` installs it when it is missing and we are
root); the tests skip, saying so, only when no browser can be had.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from service.settings import Settings
from tests.conftest import SUITE_CLOCK_MOVED
from tests.demo_city import load_demo_day, open_requests
from tests.servers import running_server

BROWSER_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
SCREENSHOTS_ENV = "SUPPLYWATCH_SCREENSHOTS"


def _browser_path() -> str | None:
    for candidate in BROWSER_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    return shutil.which("chromium")


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    path = tmp_path_factory.mktemp("browser") / "city.db"
    settings = Settings(
        database_url=f"sqlite:///{path}",
        log_json=False,
        log_level="WARNING",
        passes_signing_key_file=path.parent / "signing.pem",
    )
    load_demo_day(settings)

    with running_server(settings) as url:
        yield LiveServer(url, settings)


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
        yield SuiteClockBrowser(launched) if SUITE_CLOCK_MOVED else launched
        launched.close()


class SuiteClockBrowser:
    """A browser whose new contexts keep the test run's clock (moved back by the run's
    guard), so the pages' Date agrees with the server's about what time it is."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, **options: Any) -> Any:
        context = self._browser.new_context(**options)
        context.clock.install(time=datetime.now(UTC))
        return context

    def new_page(self, **options: Any) -> Any:
        return self.new_context(**options).new_page()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def open_page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """A function that opens a signed-in page for a demo login in a fresh context; with
    ``internet=False`` every request that leaves the service fails, as on a closed network."""
    contexts: list[Any] = []

    def open_as(
        username: str,
        viewport: dict[str, int] = DESKTOP,
        locale: str = "en-GB",
        *,
        internet: bool = True,
    ) -> Any:
        context = browser.new_context(viewport=viewport, locale=locale)
        context.set_default_timeout(60_000)  # a busy CI machine, not a slow page
        if not internet:
            context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(live_server.url)
                    else route.abort("internetdisconnected")
                ),
            )
        contexts.append(context)
        page = context.new_page()
        page.goto(live_server.url + "/login")
        # Keyboard only: the username field has focus, Tab moves on, Enter submits.
        # Wait for autofocus first, or keys typed on a busy machine go nowhere.
        page.locator("#username:focus").wait_for()
        page.keyboard.type(username)
        page.keyboard.press("Tab")
        page.keyboard.type(f"{username}-demo")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where a test saves its screenshots: ``$SUPPLYWATCH_SCREENSHOTS`` (e.g.
    docs/screenshots to refresh the committed set), else the test's temporary folder."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wait_until(page: Any, expression: str, arg: Any = None, timeout_s: float = 60.0) -> None:
    """Poll a JavaScript expression (a function of ``arg``) from the test until it holds:
    Playwright's own polling evaluates a string inside the page, which the pages'
    Content-Security-Policy (no eval) refuses."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout_s:g} s: {expression}")
        time.sleep(0.1)


def fill_sign_in(page: Any, url: str, username: str) -> None:
    """Sign a demo login in through the form at ``url``/login (password ``<username>-demo``)."""
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", f"{username}-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda address: "/login" not in address)


def plan_the_day(page: Any, live_server: LiveServer, *, seconds: int = 2) -> None:
    """As the dispatcher on the board: plan the demo day (open requests made sure of)
    with a short time limit, and wait for the job's page to open the draft."""
    open_requests(live_server.settings)
    page.fill("input[name=time_limit_s]", str(seconds))
    page.locator("form[action='/dispatch/plan-jobs'] button[type=submit]").click()
    page.wait_for_url("**/dispatch/plans/*", timeout=60_000)
