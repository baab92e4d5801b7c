"""The receiver, a resident and a newcomer reading the API, in Chromium: the
receiver lands on its compound's page, orders a delivery on a phone in Chinese and sees
it waiting; the API docs render from the vendored Swagger UI inside the site's frame."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer


def test_a_receiver_orders_a_delivery_on_a_phone_in_chinese_without_internet(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = open_page("receiver", PHONE, "zh-CN", internet=False)
    assert page.url == live_server.url + "/receiver"
    assert page.locator("h1").inner_text().startswith("配送")
    page.select_option("#product-0", "rice")
    page.fill("#quantity-0", "25")
    page.select_option("#product-1", "pork")
    page.fill("#quantity-1", "4,5")  # a decimal comma is not a number here: refused in place
    page.get_by_role("button", name="发送需求").click()
    page.wait_for_selector("#quantity-1-error")
    assert page.locator("#problem").is_visible()
    page.fill("#quantity-1", "4.5")
    page.get_by_role("button", name="发送需求").click()
    page.wait_for_selector("#ordered")
    # The notice is in the DOM before the stylesheet that lays the table out as cards has
    # loaded on a busy machine: measure the page once it has.
    page.wait_for_load_state("load")
    newest = page.locator("#requests tbody tr").first.inner_text()
    assert "大米 25 千克, 猪肉 4.5 千克" in newest  # by name and unit, in the page language
    assert "尚未排入计划" in newest
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page scrolls sideways on a phone"
    # Each request is a card, each cell under its column's name: the table's five
    # columns used to squeeze "尚未排入计划" into one character a line.
    assert page.locator("#requests thead").is_hidden()
    cells = page.evaluate(
        """() => Array.from(document.querySelectorAll('#requests tbody tr:first-child td'))
          .map((cell) => [
            getComputedStyle(cell, '::before').content, cell.getBoundingClientRect().right,
          ])"""
    )
    assert [label for label, _ in cells] == ['"#"', '"配送日期"', '"状态"', '"物资"', '"配送"']
    assert all(right <= PHONE["width"] for _, right in cells), cells
    page.screenshot(path=screenshots / "receiver-phone-zh.png", full_page=True)


def test_the_api_docs_render_from_the_vendored_swagger_ui_without_internet(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    page = open_page("receiver", DESKTOP, internet=False)
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(live_server.url + "/docs")
    # Tags start collapsed (97 operations): every area of the API is listed, and opening
    # one shows its operations.
    page.locator(".opblock-tag").nth(9).wait_for()  # ten areas of the API listed
    page.locator(".opblock-tag", has_text="reports").first.click()
    page.locator(".opblock").nth(4).wait_for()
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert failed == []
    page.screenshot(path=screenshots / "api-docs.png")


def test_a_resident_reads_the_bulletin_on_a_phone_in_chinese_without_signing_in(
    browser: Any, live_server: LiveServer, screenshots: Path
) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(live_server.url + "/bulletin")
        assert page.locator("h1").inner_text().startswith("每日保供公告")
        assert page.locator("#prices tbody tr").count() > 40
        assert page.locator("#archive li").count() == 3
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, "the page scrolls sideways on a phone"
        page.screenshot(path=screenshots / "bulletin-phone-zh.png")
    finally:
        context.close()
