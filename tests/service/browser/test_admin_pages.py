"""The admin's pages in Chromium: each threshold input under its own column heading
(issue 13, point 11)."""

from __future__ import annotations

from typing import Any


def test_each_threshold_input_sits_under_its_own_heading(open_page: Any) -> None:
    page = open_page("admin")
    page.goto(page.url.replace("/admin/stores", "/admin/thresholds"))
    headings = page.locator("#thresholds thead th")
    for column, field in ((1, "low_supply_warning_days"), (2, "low_supply_critical_days")):
        heading = headings.nth(column).bounding_box()
        field_box = page.locator(f"#{field}-vegetables").bounding_box()
        assert heading["x"] <= field_box["x"] < heading["x"] + heading["width"], field
    save = page.locator('form[action="/admin/thresholds/vegetables"] button')
    page.fill("#low_supply_critical_days-vegetables", "1.5")
    save.click()  # the inputs outside the form's cell are posted with it
    page.wait_for_url("**/admin/thresholds?saved=1")
    assert page.input_value("#low_supply_critical_days-vegetables") == "1.5"
    page.fill("#low_supply_critical_days-vegetables", "")
    save.click()  # back to the rule's default, for the other tests on this city
    page.wait_for_load_state()
    assert page.input_value("#low_supply_critical_days-vegetables") == ""
