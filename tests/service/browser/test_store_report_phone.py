"""A store clerk reports on a phone (390×844): a product far down the form, saved with the
Save bar that stays at the bottom of the screen, in English and in Chinese, and the page
never scrolls sideways (issue 13, point 9)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.service.browser.conftest import PHONE


def _save_bar_in_view_without_reaching_the_bottom(page: Any) -> None:
    """The Save button is on screen while the end of the page is still far below."""
    button = page.locator("#save-report").bounding_box()
    assert button is not None
    assert 0 <= button["y"] and button["y"] + button["height"] <= PHONE["height"]
    below = page.evaluate(
        "document.documentElement.scrollHeight - window.scrollY - window.innerHeight"
    )
    assert below > PHONE["height"], "the test should save from the middle of a long page"


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page scrolls sideways on a phone"


@pytest.mark.parametrize(
    ("locale", "typed", "read", "saved", "screenshot"),
    [
        ("en-GB", "12,5", "12.5", "Report saved", "store-report-phone.png"),
        ("zh-CN", "8,25", "8.25", "日报已保存", None),  # no CJK font on CI: no picture
    ],
)
def test_a_store_saves_a_product_far_down_the_form_with_the_sticky_button_on_a_phone(
    open_page: Any,
    screenshots: Path,
    locale: str,
    typed: str,
    read: str,
    saved: str,
    screenshot: str | None,
) -> None:
    page = open_page("store", PHONE, locale)
    page.goto(page.url.split("/store")[0] + "/store/PDS-0001")
    groups = page.locator("#report-form > .scroll tbody[data-category]")
    assert groups.count() >= 4, "the form groups its products by category"
    _no_sideways_scroll(page)
    lower = groups.nth(groups.count() // 2)  # a category in the middle of a long form
    field = lower.locator("input.num").first
    field.scroll_into_view_if_needed()
    field.fill(typed)  # a decimal comma, as the clerk writes it
    _save_bar_in_view_without_reaching_the_bottom(page)
    if screenshot is not None:
        page.screenshot(path=screenshots / screenshot)
    page.locator("#save-report").click()
    page.wait_for_selector("#saved")
    assert saved in page.locator("#saved").inner_text()
    name = field.get_attribute("name")
    assert page.locator(f'input[name="{name}"]').input_value() == read
    _no_sideways_scroll(page)


def test_a_store_finds_a_product_with_the_search_box_on_a_phone_in_chinese(
    open_page: Any,
) -> None:
    page = open_page("store", PHONE, "zh-CN")
    page.goto(page.url.split("/store")[0] + "/store/PDS-0001")
    rows = page.locator("#report-form tr[data-product]")
    every = rows.count()
    code = rows.nth(every - 1).get_attribute("data-product").split(" ")[0]
    page.locator("#product-search").fill(code)
    visible = page.locator("#report-form tr[data-product]:visible")
    assert 1 <= visible.count() < every
    assert visible.first.get_attribute("data-product").startswith(code)
    page.locator("#product-search").fill("")
    assert page.locator("#report-form tr[data-product]:visible").count() >= every - 1
    _no_sideways_scroll(page)


def test_a_store_uploading_a_file_with_the_wrong_header_reads_every_problem_on_a_phone(
    open_page: Any, tmp_path: Path
) -> None:
    page = open_page("store", PHONE)
    page.goto(page.url.split("/store")[0] + "/store/PDS-0001")
    wrong = tmp_path / "today.csv"
    wrong.write_text("hello,world\n1,2\n")
    page.set_input_files("input[type=file]", str(wrong))
    page.locator("form:has(input[type=file]) button[type=submit]").click()
    problem = page.locator("#upload-problem")
    problem.wait_for()
    assert "missing column 'store'" in problem.inner_text()
    _no_sideways_scroll(page)  # the expected header is one long word: it wraps
