"""On a 1280 × 800 laptop (Chromium, English and Chinese) the city bureau reads the
dashboard's worst situations whole: the table used to keep "Meat, poultry and fish" on one
line and so pushed its last column, Since, out of its card ("2026-1" and a scroll bar)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.browser.conftest import PHONE, LiveServer

LAPTOP = {"width": 1280, "height": 800}


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_bureau_reads_every_column_of_the_worst_situations_on_a_laptop(
    open_page: Any, live_server: LiveServer, locale: str
) -> None:
    page = open_page("bureau", LAPTOP, locale)
    page.goto(live_server.url + "/dashboard")
    page.locator("#situations tbody tr").first.wait_for()
    box = page.evaluate(
        """() => {
          const table = document.getElementById('situations');
          const frame = table.parentElement;
          return {hidden: frame.scrollWidth - frame.clientWidth,
                  rows: table.tBodies[0].rows.length};
        }"""
    )
    assert box["rows"] > 0
    assert box["hidden"] <= 0, f"{box['hidden']} px of the situations table out of sight"


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_a_district_reads_its_worst_situations_as_cards_on_a_phone(
    open_page: Any, live_server: LiveServer, locale: str
) -> None:
    """On a phone the table squeezed "Open alerts" to a letter a line and hid Stores
    affected and Since behind a scroll bar; each situation is now a card, every value
    under its column's name."""
    page = open_page("district", PHONE, locale)
    page.goto(live_server.url + "/dashboard")
    page.locator("#situations tbody tr").first.wait_for()
    seen = page.evaluate(
        """() => {
          const table = document.getElementById('situations');
          const frame = table.parentElement;
          const cells = Array.from(table.querySelectorAll('tbody td'));
          return {
            hidden: frame.scrollWidth - frame.clientWidth,
            sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            unlabelled: cells.filter((cell) =>
              getComputedStyle(cell, '::before').content in {'none': 1, 'normal': 1, '""': 1}
            ).length,
            cells: cells.length,
          };
        }"""
    )
    assert seen["cells"] > 0
    assert seen["hidden"] <= 0 and seen["sideways"] <= 0
    assert seen["unlabelled"] == 0, f"{seen['unlabelled']} cells without their column's name"
