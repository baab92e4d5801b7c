"""A bureau in an emergency: the city's internet is down and the service is reachable only
on the local network. Every demo login signs in and opens every page its navigation offers
(and the page it lands on), in English and in Chinese and, once, on a phone: each page
answers 200, asks no host but the service for anything, has no request fail, logs no
JavaScript error and draws every chart and map it has."""

from __future__ import annotations

import time
from typing import Any

import pytest

from service.demo.load import DEMO_LOGINS
from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer, wait_until

USERNAMES = [login.username for login in DEMO_LOGINS]
LOCALES = {"en": "en-GB", "zh": "zh-CN"}
HTML_LANG = {"en": "en", "zh": "zh-CN"}

NAV_LINKS = """
() => Array.from(document.querySelectorAll("header.top nav a[href]"), (link) => link.href)
"""

# Every ECharts container on the pages is a div.chart (charts.js, maps.js, supply.js,
# price-chart.js, pass-scans.js): drawn once ECharts holds an option with a series for it
# and its canvas (or svg) takes room on the page.
UNDRAWN_CHARTS = """
() => Array.from(document.querySelectorAll("div.chart")).filter((node) => {
  const drawing = node.querySelector("canvas, svg");
  const box = drawing ? drawing.getBoundingClientRect() : null;
  const chart = window.echarts ? window.echarts.getInstanceByDom(node) : null;
  const option = chart ? chart.getOption() : null;
  return !(box && box.width > 0 && box.height > 0 && option && (option.series || []).length);
}).map((node) => node.id || node.className)
"""
ALL_CHARTS_DRAWN = f"() => ({UNDRAWN_CHARTS.strip()})().length === 0"

CHART_TIMEOUT_S = 20.0
SETTLE_TIMEOUT_S = 10.0


class PageWatch:
    """What the browser did for the page now open (requests of the page and of its service
    worker, answers, console), so each page's faults are told apart from the last one's."""

    def __init__(self, page: Any, service_url: str) -> None:
        self.service_url = service_url
        self.pending: set[Any] = set()
        self.faults: list[str] = []
        context = page.context
        context.on("request", self._requested)
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._failed)
        context.on("response", self._answered)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.faults.append(f"page error: {error}"))

    def _requested(self, request: Any) -> None:
        self.pending.add(request)
        url: str = request.url
        if url.startswith(("http:", "https:", "ws:", "wss:")) and not url.startswith(
            self.service_url + "/"
        ):
            self.faults.append(f"request to another host: {url}")

    def _finished(self, request: Any) -> None:
        self.pending.discard(request)

    def _failed(self, request: Any) -> None:
        self.pending.discard(request)
        self.faults.append(f"request failed: {request.url} ({request.failure})")

    def _answered(self, response: Any) -> None:
        if response.status >= 400:
            self.faults.append(f"answered {response.status}: {response.url}")

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.faults.append(f"console error: {message.text} at {message.location}")

    def settle(self, page: Any) -> None:
        """Wait for the page's own requests (htmx loads, fetched map points) to end, so
        none is cut off, and counted as failed, by going on to the next page."""
        deadline = time.monotonic() + SETTLE_TIMEOUT_S
        while self.pending and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        self.faults.extend(f"still loading: {request.url}" for request in self.pending)


def _faults_of_every_page(
    open_page: Any, live_server: LiveServer, username: str, viewport: dict[str, int], lang: str
) -> tuple[list[str], list[str]]:
    """Sign ``username`` in with the internet cut off and open its landing page and every
    page of its navigation in one tab; the paths opened and each page's faults."""
    page = open_page(username, viewport, LOCALES[lang], internet=False)
    # The landing page, opened by signing in, is still fetching (map points, htmx parts):
    # opening it again at once would cut those off, a fault of the test, not of the page.
    page.wait_for_load_state("networkidle")
    watch = PageWatch(page, live_server.url)
    links: list[str] = [page.url, *page.evaluate(NAV_LINKS)]
    urls = list(dict.fromkeys(links))  # the landing page is often in the navigation too
    assert len(urls) > 1, f"{username} has no navigation: {urls}"
    opened: list[str] = []
    faults: list[str] = []
    for url in urls:
        path = url.removeprefix(live_server.url)
        opened.append(path)
        assert url.startswith(live_server.url + "/"), f"{username}'s navigation leaves: {url}"
        watch.faults.clear()
        response = page.goto(url)
        if response is None or response.status != 200:
            faults.append(f"{path}: answered {response and response.status}")
        if "/login" in page.url:
            faults.append(f"{path}: sent to sign in again ({page.url})")
        html_lang = page.evaluate("document.documentElement.lang")
        if html_lang != HTML_LANG[lang]:
            faults.append(f"{path}: in {html_lang!r}, not {HTML_LANG[lang]!r}")
        try:
            wait_until(page, ALL_CHARTS_DRAWN, timeout_s=CHART_TIMEOUT_S)
        except AssertionError:
            faults.append(f"{path}: charts not drawn: {page.evaluate(UNDRAWN_CHARTS)}")
        watch.settle(page)
        faults.extend(f"{path}: {fault}" for fault in watch.faults)
    return opened, faults


@pytest.mark.parametrize("lang", list(LOCALES))
@pytest.mark.parametrize("username", USERNAMES)
def test_every_page_of_a_role_works_with_the_network_off(
    open_page: Any, live_server: LiveServer, username: str, lang: str
) -> None:
    opened, faults = _faults_of_every_page(open_page, live_server, username, DESKTOP, lang)
    assert not faults, f"{username} ({lang}) opened {opened}:\n" + "\n".join(faults)


@pytest.mark.parametrize("username", USERNAMES)
def test_every_page_of_a_role_works_on_a_phone_with_the_network_off(
    open_page: Any, live_server: LiveServer, username: str
) -> None:
    opened, faults = _faults_of_every_page(open_page, live_server, username, PHONE, "zh")
    assert not faults, f"{username} (zh, phone) opened {opened}:\n" + "\n".join(faults)
