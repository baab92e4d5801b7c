"""The bureau works situations, not rows, in a real browser (Chromium, SQLite, the demo
city): the alerts page groups by district × category, a situation opens to its alerts
with units and ¥, is acknowledged and silenced (after a confirmation) as one, the
grouping changes to product across the city, and the page reads in Chinese on a phone
without sideways scrolling. Screenshots are saved on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service.web import alert_groups
from tests.service.browser.conftest import DESKTOP, PHONE


def test_the_bureau_works_a_situation_as_one(open_page: Any, screenshots: Path) -> None:
    page = open_page("bureau", DESKTOP)
    base = page.url.rsplit("/", 1)[0]
    page.goto(base + "/alerts")
    situations = page.locator("table.groups tbody.group")
    assert situations.count() > 1
    first = situations.first.locator("tr.situation").text_content()
    assert "PDS-" not in first  # names, not codes
    group = situations.last
    group.get_by_text("Show its alerts").click()
    alerts = group.locator("table.group-alerts tbody tr")
    alerts.first.wait_for()
    figures = group.locator("table.group-alerts").text_content()
    assert any(mark in figures for mark in ("days", "¥", "×", "%"))
    page.screenshot(path=screenshots / "alert-groups.png", full_page=False)

    group.get_by_text("Act on this situation").click()
    group.get_by_label("Note").fill("Depot truck sent at noon")
    group.get_by_role("button", name="Acknowledge all").click()
    page.get_by_text("Alerts acknowledged").wait_for()

    group = page.locator("table.groups tbody.group").last
    group.get_by_text("Act on this situation").click()
    group.get_by_label("Comment").fill("Known: restocking today")
    group.get_by_role("button", name="Silence…").click()
    page.get_by_role("heading", name="Silence this situation?").wait_for()
    assert "open alert" in page.locator("#silence-summary").text_content()
    page.get_by_role("button", name="Yes, silence it").click()
    page.get_by_text("Alerts silenced").wait_for()

    page.select_option("select[name=group_by]", "product")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**group_by=product**")
    assert page.locator("table.groups thead th").first.text_content() == "Product"


def test_the_grouped_alerts_read_in_chinese_on_a_phone(
    open_page: Any,
    screenshots: Path,
) -> None:
    page = open_page("bureau", PHONE, locale="zh-CN")
    page.goto(page.url.rsplit("/", 1)[0] + "/alerts")
    assert page.locator("h1").text_content().startswith("预警")
    first = page.locator("table.groups tr.situation").first
    assert page.locator("table.groups thead").is_hidden()  # cards, each cell labelled
    assert first.locator("td[data-label='受影响门店']").is_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1
    page.locator("table.groups tbody.group").first.get_by_text("显示其预警").click()
    page.locator("table.group-alerts tbody tr").first.wait_for()
    page.screenshot(path=screenshots / "alert-groups-phone-zh.png", full_page=False)


def test_a_situation_shows_its_next_alerts_on_a_button(
    open_page: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alert_groups, "GROUP_ROWS", 2)
    page = open_page("bureau", DESKTOP)
    page.goto(page.url.rsplit("/", 1)[0] + "/alerts")
    group = page.locator("table.groups tbody.group").first
    group.get_by_text("Show its alerts").click()
    rows = group.locator("table.group-alerts tbody tr[id^=group-alert-]")
    rows.first.wait_for()
    assert rows.count() == 2
    more = group.locator("tr.more-alerts")
    assert "2 of" in more.text_content()
    more.get_by_role("button", name="Show the next alerts").click()
    group.locator("table.group-alerts tbody tr[id^=group-alert-]").nth(2).wait_for()
    assert group.locator("table.group-alerts").count() == 1  # rows added, not a second table
