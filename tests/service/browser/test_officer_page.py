"""A service officer on a phone, in Chinese: they land on their stores worst first, one
card each and no sideways scroll, log a visit from the worst store's card with a problem,
and come back to the page with the hotline ticket it opened (issue 16, part 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.browser.conftest import PHONE


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, "the page scrolls sideways on a phone"


def test_an_officer_logs_a_visit_with_a_problem_from_a_phone_in_chinese(
    open_page: Any, screenshots: Path
) -> None:
    page = open_page("officer", PHONE, "zh-CN")
    assert page.url.endswith("/officers/me")
    assert page.locator("h1").inner_text().strip() == "我的企业"
    cards = page.locator("li.officer-store")
    assert cards.count() > 3
    _no_sideways_scroll(page)
    page.screenshot(path=screenshots / "officer-phone-zh.png")
    worst = cards.first
    store_code = (worst.get_attribute("id") or "").removeprefix("store-")
    worst.get_by_role("link", name="记录走访").click()
    page.wait_for_url(lambda url: "/officers/visit" in url)
    assert page.locator("#target").input_value() == f"store:{store_code}"
    page.fill("#contact", "李娜 店长")
    page.fill("#notes", "鸡蛋连续三天缺货，门店请求协调运输。")
    page.select_option("#problem_category", "pass_or_checkpoint")
    page.select_option("#problem_priority", "high")
    page.fill("#problem_text", "运鸡蛋的货车在G310检查站被拦。")
    _no_sideways_scroll(page)
    page.screenshot(path=screenshots / "officer-visit-phone-zh.png", full_page=True)
    page.get_by_role("button", name="保存走访").click()
    page.wait_for_selector("#visit-logged")
    notice = page.locator("#visit-logged").inner_text()
    assert "走访已记录" in notice and "HL" in notice
    assert "运鸡蛋" not in notice
    assert "鸡蛋连续三天缺货" in page.locator("#officer-visits").inner_text()
    _no_sideways_scroll(page)


def test_the_bureau_finds_the_quiet_officer_on_the_coverage_page(
    open_page: Any, screenshots: Path
) -> None:
    page = open_page("bureau")
    page.get_by_role("link", name="Service officers").click()
    page.wait_for_url(lambda url: "/officers/coverage" in url)
    assert int(page.locator("#uncovered-enterprises").inner_text()) > 0
    page.fill("input[name=days]", "7")
    page.get_by_role("button", name="Show").click()
    quiet = page.locator("#quiet-officer-list")
    assert "officer2" in quiet.inner_text() and "days ago" in quiet.inner_text()
    page.screenshot(path=screenshots / "officer-coverage.png", full_page=True)
    quiet.get_by_role("link", name="Demo officer2").click()
    page.wait_for_url(lambda url: "/officers/people/officer2" in url)
    assert page.locator("li.officer-store").count() > 0
    assert page.locator("#log-visit").count() == 0  # the bureau reads; the officer logs
