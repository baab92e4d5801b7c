"""The hotline in a real browser (Chromium through Playwright, SQLite, the demo city): a
resident files from the public form on a phone in Chinese and follows the private link;
the demo operator signs in to the queue, where the demo week's overdue tickets come first.
Screenshots of the pages are saved on the way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer


def test_a_resident_files_on_a_phone_and_the_operator_sees_the_queue(
    browser: Any, live_server: LiveServer, screenshots: Path
) -> None:
    resident = browser.new_context(viewport=PHONE, locale="zh-CN")
    resident.set_default_timeout(60_000)
    page = resident.new_page()
    page.goto(live_server.url + "/hotline/report")
    assert page.locator("h1").inner_text() == "供应热线"
    page.select_option("#category", "cannot_buy")
    page.fill("#text", "小区门口的超市三天没有鸡蛋了 <b>急</b>")
    page.fill("#region", "410403")
    page.screenshot(path=str(screenshots / "hotline-report-zh.png"), full_page=True)
    page.get_by_role("button", name="提交").click()
    number = page.locator("#ticket-number").inner_text()
    assert number.startswith("HL")
    page.locator("#follow-link").click()
    page.wait_for_url(lambda url: "/hotline/follow/" in url)
    assert page.locator("h1").inner_text() == f"工单 {number}"
    page.screenshot(path=str(screenshots / "hotline-follow-zh.png"), full_page=True)
    resident.close()

    desk = browser.new_context(viewport=DESKTOP, locale="en-GB")
    desk.set_default_timeout(60_000)
    page = desk.new_page()
    page.goto(live_server.url + "/login")
    page.fill("#username", "operator")
    page.fill("#password", "operator-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: url.endswith("/hotline/queue"))
    rows = page.locator("#queue tbody tr")
    assert rows.count() > 5
    assert "sla-breached" in (rows.first.locator("td").nth(6).get_attribute("class") or "")
    assert page.locator(f"#ticket-{number}").count() == 1
    assert "<b>急</b>" in page.locator(f"#ticket-{number} td").last.inner_text()
    page.screenshot(path=str(screenshots / "hotline-queue.png"), full_page=True)
    desk.close()


def test_the_operator_works_a_call_on_a_phone_in_chinese_from_filing_to_resolving(
    open_page: Any, screenshots: Path
) -> None:
    """The desk's whole story on a phone: file the call, answer the caller, resolve; every
    page fits the screen's width and reads in Chinese."""
    page = open_page("operator", PHONE, "zh-CN")
    page.get_by_role("link", name="登记来电").click()
    page.select_option("#category", "delivery_late")
    page.fill("#text", "小区的蔬菜两天没送到")
    page.fill("#region", "410403")
    page.select_option("#priority", "urgent")
    page.fill("#caller_phone", "13800001111")
    page.get_by_role("button", name="登记工单").click()
    page.wait_for_url(lambda url: "done=filed" in url)
    assert page.locator("#done").inner_text() == "工单已登记：已分派，计时已开始。"
    assert page.locator("#ticket-priority").inner_text() == "紧急"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshots / "hotline-ticket-zh-phone.png"), full_page=True)
    page.fill("#comment-text", "已通知物流配送组，今天下午送达")
    page.get_by_role("button", name="添加").click()
    page.wait_for_url(lambda url: "done=replied" in url)
    assert page.locator("#clock-first-response").inner_text() == "已达标"
    page.fill("#resolution-text", "蔬菜已于下午三点送达")
    page.get_by_role("button", name="办结").last.click()
    page.wait_for_url(lambda url: "done=resolved" in url)
    assert page.locator("#ticket-status").inner_text() == "已办结"
    assert page.locator("#reopen-form").is_visible()
    assert page.locator("#trail tbody tr").count() == 4  # filed, routed, replied, resolved
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshots / "hotline-resolved-zh-phone.png"), full_page=True)


def test_the_bureau_reads_the_hotline_settings_on_a_phone_in_chinese(
    open_page: Any, live_server: LiveServer, screenshots: Path
) -> None:
    """Routing rules, SLA targets (each an editable row) and the working groups fit a
    phone's width in Chinese."""
    page = open_page("bureau", PHONE, "zh-CN")
    page.goto(live_server.url + "/hotline/settings")
    assert page.locator("h1").inner_text() == "热线分派规则与时限"
    assert page.locator("#rules tbody tr").count() >= 7  # the demo's default rules
    assert page.locator("#targets input.num").count() == 8  # two targets of four priorities
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshots / "hotline-settings-zh-phone.png"), full_page=True)
