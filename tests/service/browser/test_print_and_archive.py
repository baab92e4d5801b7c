"""Printing a pass and reading the bulletin's archive, in Chromium: a resident on a phone
(Chinese) and at a desk (English) opens the archive, and a product's price chart draws its
published days; the bureau opens a pass's print view, and in print media only the pass is
on the page."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.database import create_database_engine
from models import PassKind, PassStatus, TransportPass
from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer, wait_until

CHART_POINTS = (
    "() => { const node = document.getElementById('price-chart');"
    " const chart = node && window.echarts && echarts.getInstanceByDom(node);"
    " return chart ? chart.getOption().series[2].data.length : 0; }"
)


@pytest.mark.parametrize(
    ("viewport", "locale", "archive", "chart", "name"),
    [
        (PHONE, "zh-CN", "公告归档", "价格走势", "phone-zh"),
        (DESKTOP, "en-GB", "Bulletin archive", "Price over time", "desktop-en"),
    ],
)
def test_a_resident_opens_the_archive_and_a_price_chart(
    browser: Any,
    live_server: LiveServer,
    screenshots: Path,
    viewport: dict[str, int],
    locale: str,
    archive: str,
    chart: str,
    name: str,
) -> None:
    context = browser.new_context(viewport=viewport, locale=locale)
    try:
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda message: refused.append(message.text) if message.type == "error" else None,
        )
        page.goto(live_server.url + "/bulletin/archive")
        assert page.locator("h1").inner_text() == archive
        assert page.locator("#archive-days tbody tr").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
        page.screenshot(path=screenshots / f"bulletin-archive-{name}.png", full_page=True)
        page.locator("#price-charts a").first.click()
        page.wait_for_url(lambda url: "/bulletin/products/" in url)
        assert page.locator("h1").inner_text().startswith(chart)
        wait_until(page, CHART_POINTS)
        assert page.evaluate(CHART_POINTS) == 3
        assert page.locator("#price-history tbody tr").count() == 3
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
        page.screenshot(path=screenshots / f"bulletin-price-chart-{name}.png", full_page=True)
        assert refused == []
    finally:
        context.close()


def test_the_bureau_prints_a_pass_and_only_the_pass_is_on_paper(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    engine = create_database_engine(live_server.settings.database_url)
    with engine.connect() as connection:
        code = connection.scalar(
            select(TransportPass.code)
            .where(
                TransportPass.kind == PassKind.vehicle,
                TransportPass.status == PassStatus.approved,
                TransportPass.valid_to > datetime.now(UTC),
            )
            .order_by(TransportPass.id)
        )
    engine.dispose()
    assert code is not None, "the demo city has issued passes"
    page = open_page("bureau", DESKTOP)
    page.goto(f"{live_server.url}/passes/{code}/print")
    assert page.locator("#pass-title").inner_text() == "Emergency transport vehicle pass"
    assert page.locator(".pass-qr svg").is_visible()
    assert page.get_by_role("button", name="Print").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.get_by_role("button", name="Print").is_visible()
    assert page.locator(".pass-qr svg").is_visible()
    qr_width = page.evaluate("document.querySelector('.pass-qr svg').getBoundingClientRect().width")
    assert qr_width >= 250, "75 mm at 96 dpi is about 283 px"
    boxes = page.evaluate(
        "[...document.querySelectorAll('#pass-subject, .pass-qr svg, #pass-fields')]"
        ".map(node => node.getBoundingClientRect().top)"
    )
    assert boxes == sorted(boxes), "plate, then QR code, then the fields, top to bottom"
    page.screenshot(path=screenshots / "pass-print-view.png", full_page=True)
