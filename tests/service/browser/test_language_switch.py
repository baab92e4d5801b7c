"""The header's language switch in a real browser (Chromium, the demo city): a reader on
the sign-in page and a signed-in bureau on a phone switch to Chinese and back, each time
landing on the page they were on, its query kept; the switch is a form with the page's
CSRF token (tests/security/test_language_switch.py)."""

from __future__ import annotations

from typing import Any

from tests.service.browser.conftest import PHONE, LiveServer


def _switch(page: Any, label: str, html_lang: str) -> None:
    """Press the header's switch and wait for the page in the other language."""
    page.locator("#language-switch").get_by_role("button", name=label).click()
    page.wait_for_function("(lang) => document.documentElement.lang === lang", arg=html_lang)


def test_a_reader_switches_language_before_signing_in(
    browser: Any, live_server: LiveServer
) -> None:
    context = browser.new_context(locale="en-GB")
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(live_server.url + "/login")
    _switch(page, "中文", "zh-CN")
    assert page.url == live_server.url + "/login"
    assert page.get_by_role("button", name="登录").is_visible()
    _switch(page, "English", "en")
    assert page.get_by_role("button", name="Sign in").is_visible()
    context.close()


def test_a_bureau_on_a_phone_switches_language_and_stays_on_the_page(
    open_page: Any, live_server: LiveServer
) -> None:
    page = open_page("bureau", PHONE)
    page.goto(live_server.url + "/bulletin/archive?page=1")
    switch = page.locator("#language-switch button")
    assert switch.is_visible() and switch.bounding_box()["width"] > 0
    _switch(page, "中文", "zh-CN")
    assert page.url == live_server.url + "/bulletin/archive?page=1"
    _switch(page, "English", "en")
    assert page.url == live_server.url + "/bulletin/archive?page=1"
