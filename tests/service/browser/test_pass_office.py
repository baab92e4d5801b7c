"""The pass office in a real browser (Chromium, SQLite, the demo city): the demo chain
applies for a vehicle pass on its page, the bureau approves it in the pass office, sees
its QR code, and revokes it after confirming, on a desktop in English and on a phone in
Chinese; no page is wider than the phone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core.database import create_database_engine, create_session_factory
from models import PassStatus, TransportPass
from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer, wait_until

CODE = re.compile(r"VP-\d{4}-\d{6}")


def _status(live_server: LiveServer, code: str) -> PassStatus:
    engine = create_database_engine(live_server.settings.database_url)
    with create_session_factory(engine)() as session:
        status = session.scalars(
            select(TransportPass.status).where(TransportPass.code == code)
        ).one()
    engine.dispose()
    return status


WIDER_THAN = (
    "(w) => Array.from(document.querySelectorAll('body *'))"
    ".filter(e => e.getBoundingClientRect().right > w + 1 && !e.closest('.scroll'))"
    ".slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className)"
)
"""What sticks out past the window, outside the boxes that scroll (to name the culprit)."""


def _fits(page: Any) -> None:
    """The page is no wider than its window (tables scroll inside their box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    window = page.viewport_size["width"]
    assert width <= window, (width, page.evaluate(WIDER_THAN, window))


@pytest.mark.parametrize(
    ("viewport", "locale", "plate", "revoked_word", "name"),
    [
        (DESKTOP, "en-GB", "豫D·61001", "revoked", "desktop-en"),
        (PHONE, "zh-CN", "豫D·61002", "已吊销", "phone-zh"),
    ],
)
def test_the_bureau_approves_an_application_and_revokes_the_pass(
    open_page: Any,
    live_server: LiveServer,
    screenshots: Path,
    viewport: dict[str, int],
    locale: str,
    plate: str,
    revoked_word: str,
    name: str,
) -> None:
    chain = open_page("chain", viewport, locale)
    chain.goto(live_server.url + "/passes/applications")
    _fits(chain)
    assert chain.locator("#f-person_name").is_hidden()  # a vehicle's form by default
    chain.locator("input[name=kind][value=staff]").check()
    assert chain.locator("#f-person_name").is_visible() and chain.locator("#f-plate").is_hidden()
    chain.locator("input[name=kind][value=vehicle]").check()
    chain.fill("#f-plate", plate)
    chain.fill("#f-driver_name", "Zhao Lei")
    chain.fill("#f-purpose", "restock supermarkets in the sealed district")
    chain.locator("input[name=regions]").nth(1).check()
    chain.locator("#pass-form button[type=submit]").click()
    chain.wait_for_url(re.compile(r"/passes/applications/VP-"))
    found = CODE.search(chain.url)
    assert found is not None
    code = found.group(0)
    assert _status(live_server, code) is PassStatus.applied
    _fits(chain)

    bureau = open_page("bureau", viewport, locale)
    bureau.goto(live_server.url + "/pass-office")
    row = bureau.locator(f"#application-{code}")
    assert plate in row.inner_text()
    _fits(bureau)
    bureau.screenshot(path=str(screenshots / f"pass-office-{name}.png"))
    row.locator("button[name=approve]").click()
    bureau.wait_for_url(re.compile(rf"/pass-office/passes/{code}\?done=approved"))
    assert bureau.locator("#qr svg").is_visible()
    assert _status(live_server, code) is PassStatus.approved
    _fits(bureau)
    bureau.screenshot(path=str(screenshots / f"pass-detail-{name}.png"), full_page=True)

    bureau.fill("#revoke-reason", "driver's licence withdrawn")
    bureau.locator("#revoke-reason ~ button.danger").click()
    bureau.wait_for_selector("#revoke-summary")
    assert code in bureau.inner_text("#revoke-summary")
    assert _status(live_server, code) is PassStatus.approved  # not before confirming
    bureau.locator("form:not([method=dialog]) button.danger").click()
    bureau.wait_for_url(re.compile(rf"/pass-office/passes/{code}\?done=revoked"))
    assert bureau.inner_text("#state") == revoked_word
    assert "driver's licence withdrawn" in bureau.inner_text("#revocation")
    assert _status(live_server, code) is PassStatus.revoked

    chain.reload()
    assert chain.inner_text("#state") == revoked_word


def test_the_scan_map_draws_the_checkpoints_on_the_district_outlines(
    open_page: Any, live_server: LiveServer
) -> None:
    page = open_page("bureau", DESKTOP)
    page.goto(live_server.url + "/pass-office/scans")
    wait_until(
        page,
        "() => Number(document.getElementById('scan-map').getAttribute('data-districts')) > 0",
    )
    option = page.evaluate(
        "() => { const o = echarts.getInstanceByDom(document.getElementById('scan-map'))"
        ".getOption(); return {geo: o.geo.length, axes: (o.xAxis || []).length,"
        " systems: o.series.map((s) => s.coordinateSystem)}; }"
    )
    assert option == {"geo": 1, "axes": 0, "systems": ["geo", "geo"]}
