"""The bureau acknowledges an alert from the alert list on a phone (Chromium, 390 px,
English and Chinese): each alert is a card whose acknowledge form is on screen, not in a
column past the card's right edge, and the page never scrolls sideways, nor does the
dashboard with its worst situations. Screenshots are saved on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service.browser.conftest import PHONE

ON_SCREEN = """() => {
  const button = document.querySelector('table.alerts tbody tr button');
  const box = button.getBoundingClientRect();
  const page = document.documentElement;
  return {
    left: box.left, right: box.right, width: window.innerWidth,
    sideways: page.scrollWidth - page.clientWidth,
  };
}"""


@pytest.mark.parametrize(("locale", "acknowledge"), [("en-GB", "Acknowledge"), ("zh-CN", "确认")])
def test_the_bureau_acknowledges_from_the_alert_list_on_a_phone(
    open_page: Any, screenshots: Path, locale: str, acknowledge: str
) -> None:
    page = open_page("bureau", PHONE, locale=locale)
    base = page.url.rsplit("/", 1)[0]
    page.goto(base + "/dashboard")
    page.locator("#situations").wait_for()
    sideways = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    assert sideways <= 1, sideways
    page.goto(base + "/alerts/list")
    assert page.locator("table.alerts thead").is_hidden()  # cards, each cell labelled
    placed = page.evaluate(ON_SCREEN)
    assert placed["sideways"] <= 1, placed
    assert 0 <= placed["left"] and placed["right"] <= placed["width"], placed
    first = page.locator("table.alerts tbody tr").first
    assert first.get_by_role("button", name=acknowledge).is_visible()
    page.screenshot(path=screenshots / f"alerts-list-phone-{locale}.png", full_page=False)
    page.goto(base + "/alerts/list")
    first = page.locator("table.alerts tbody tr").first
    first.locator("input[name=note]").fill("Truck sent")
    first.get_by_role("button", name=acknowledge).click()
    page.locator("table.alerts p.notice").first.wait_for()
