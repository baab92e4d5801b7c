"""The admin's pages in Chromium: each threshold input under its own column heading, and
an existing store edited with its region chosen from a list (issue 13, point 11)."""

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
    with page.expect_navigation():
        save.click()  # back to the rule's default, for the other tests on this city
    assert page.input_value("#low_supply_critical_days-vegetables") == ""


def test_an_admin_edits_a_store_choosing_its_region_from_the_list(open_page: Any) -> None:
    page = open_page("admin")
    store = page.locator("#admin-rows tbody tr").nth(1).locator("a").first
    code = store.inner_text()
    store.click()
    page.wait_for_url(f"**/admin/stores/{code}/edit")
    region = page.locator("#f-region")
    was = region.input_value()
    other = region.locator(f'option:not([value="{was}"]):not([value=""])').first
    moved_to = other.get_attribute("value")
    assert "(" in other.inner_text()  # a name with its code, not a code to type
    for chosen in (moved_to, was):  # move it, then back, for the other tests on this city
        region.select_option(chosen)
        with page.expect_navigation():
            page.get_by_role("button", name="Save", exact=True).click()
        page.locator("#saved").wait_for()
        assert page.locator("#f-region").input_value() == chosen
