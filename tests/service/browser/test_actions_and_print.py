"""Long and destructive actions in Chromium (issue 13, point 8): what cannot be undone asks
first in a dialog, and Cancel (or Escape) does nothing; a long action disables its button
and says it is working until the answer comes. Point 12: the bureau's pages print without
their header, filters and actions, tables whole."""

from __future__ import annotations

import json
from typing import Any

from tests.service.browser.conftest import PHONE

KEY_NAME = "browser confirm test"


def _still_this_page(page: Any) -> bool:
    """Whether the document marked by :func:`_mark` is still the one shown (no reload)."""
    return bool(page.evaluate("window.__notReloaded === true"))


def _mark(page: Any) -> None:
    page.evaluate("window.__notReloaded = true")


def test_revoking_a_key_asks_first_and_cancel_keeps_it(open_page: Any) -> None:
    page = open_page("admin")
    page.goto(page.url.replace("/admin/stores", "/admin/keys"))
    page.fill("#f-name", KEY_NAME)
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()
    page.locator("#secret").wait_for()
    row = page.locator("#admin-rows tbody tr", has_text=KEY_NAME)
    key_id = row.locator("td").first.inner_text()
    dialog = page.locator("dialog#confirm")
    _mark(page)

    for cancel in ("click", "Escape"):
        row.get_by_role("button", name="Revoke").click()
        dialog.wait_for(state="visible")
        assert dialog.locator("#confirm-text").inner_text() == (
            f"Revoke key {key_id}? Programs using it are refused at once."
        )
        if cancel == "click":
            dialog.get_by_role("button", name="Cancel").click()
        else:
            page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")
        assert _still_this_page(page), "cancelling sent the form"
        assert row.locator("td").nth(5).inner_text() == "yes"

    row.get_by_role("button", name="Revoke").click()
    with page.expect_navigation():
        dialog.get_by_role("button", name="Yes, go ahead").click()
    revoked = page.locator("#admin-rows tbody tr", has_text=KEY_NAME)
    assert revoked.locator("td").nth(5).inner_text() == "no"
    assert revoked.get_by_role("button", name="Revoke").count() == 0


def test_a_chinese_admin_on_a_phone_is_asked_in_chinese_and_cancel_deactivates_nothing(
    open_page: Any,
) -> None:
    page = open_page("admin", PHONE, "zh-CN")
    row = page.locator("#admin-rows tbody tr").first
    code = row.locator("td").first.inner_text()
    _mark(page)
    row.get_by_role("button", name="停用").click()
    dialog = page.locator("dialog#confirm")
    dialog.wait_for(state="visible")
    assert (
        dialog.locator("#confirm-text").inner_text() == f"停用 {code}？记录会保留，但不能再使用。"
    )
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert dialog.get_by_role("button", name="确定，继续").is_visible()
    dialog.get_by_role("button", name="取消").click()
    dialog.wait_for(state="hidden")
    assert _still_this_page(page)
    assert row.locator("td").nth(5).inner_text() == "是"


RECORD_BUSY = """() => {
  const button = document.querySelector('#run-monitor');
  new MutationObserver(() => {
    const form = button.form;
    const status = form.querySelector('.busy-status');
    sessionStorage.setItem('seen', JSON.stringify({
      disabled: button.disabled,
      busy: form.getAttribute('aria-busy'),
      status: status ? status.textContent : null,
    }));
  }).observe(button.form, {attributes: true, childList: true, subtree: true});
}"""
"""What the form looked like once it changed while its request ran, kept in the tab's
sessionStorage (the page cannot be read while its form's navigation is on the way)."""


def test_running_the_monitor_disables_the_button_and_says_it_is_working(
    open_page: Any,
) -> None:
    page = open_page("bureau")
    page.evaluate(RECORD_BUSY)
    with page.expect_navigation(url="**/dashboard?ran=1", timeout=120_000):
        page.locator("#run-monitor").click()
    seen = json.loads(page.evaluate("sessionStorage.getItem('seen')"))
    assert seen == {"disabled": True, "busy": "true", "status": "Running the monitor…"}
    assert page.locator("#run-monitor").is_enabled()  # the answer's page is ready again
    assert page.locator(".busy-status").count() == 0


def test_the_dashboard_prints_without_header_filters_or_actions(open_page: Any) -> None:
    page = open_page("bureau")
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()
    assert not page.locator("#run-monitor").is_visible()
    assert not page.get_by_role("button", name="Print").is_visible()
    assert not page.locator(".exports").first.is_visible()
    assert page.locator("#not-reported").is_visible()
    whole = page.evaluate(
        "getComputedStyle(document.querySelector('#not-reported').parentElement).maxHeight"
    )
    assert whole == "none"  # every store on paper, not a scrolled box
    heatmap_table = page.locator("details[data-print-open]")
    assert heatmap_table.get_attribute("open") is None
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert heatmap_table.get_attribute("open") is not None  # its table prints too
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert heatmap_table.get_attribute("open") is None

    page.emulate_media(media="screen")
    page.goto(page.url.split("/dashboard")[0] + "/alerts/list")
    page.emulate_media(media="print")
    assert not page.locator('form[action="/alerts/list"]').is_visible()
    assert page.locator("table.alerts").is_visible()
