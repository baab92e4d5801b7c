"""A Chinese reader sees each column heading of the dispatch board as one word, not a
character a line, and a date in a page's heading is never split at its hyphen on a phone
(Chromium, desktop and 390 px)."""

from __future__ import annotations

from typing import Any

from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer

HEADING_LINES = """(table) => Array.from(document.querySelectorAll(table + ' thead th'))
  .filter((cell) => cell.textContent.trim())
  .map((cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    const lines = new Set(Array.from(range.getClientRects()).map((box) => Math.round(box.top)));
    return {text: cell.textContent.trim(), lines: lines.size};
  })"""
"""Each non-empty heading of ``table`` with the number of lines its text takes."""

DATE_LINES = """() => Array.from(document.querySelectorAll('h1 .nowrap')).map((date) => {
    const lines = new Set(Array.from(date.getClientRects()).map((box) => Math.round(box.top)));
    return {text: date.textContent, lines: lines.size};
  })"""


def test_the_dispatch_boards_chinese_headings_are_each_one_line(
    open_page: Any, live_server: LiveServer
) -> None:
    page = open_page("dispatcher", DESKTOP, "zh-CN")
    page.goto(live_server.url + "/dispatch")
    for table in ("#trucks", "#open-requests"):
        headings = page.evaluate(HEADING_LINES, table)
        assert headings, table
        assert [cell for cell in headings if cell["lines"] > 1] == [], (table, headings)


def test_a_date_in_a_heading_stays_whole_on_a_phone(
    open_page: Any, live_server: LiveServer
) -> None:
    for username, path in (("bureau", "/dashboard"), ("driver", "/driver")):
        page = open_page(username, PHONE, "zh-CN")
        page.goto(live_server.url + path)
        dates = page.evaluate(DATE_LINES)
        assert dates, path
        assert all(date["lines"] == 1 for date in dates), (path, dates)
