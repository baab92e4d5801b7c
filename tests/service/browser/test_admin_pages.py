"""The admin's pages in Chromium: each threshold input under its own column heading, and
an existing store edited with its region chosen from a list (issue 13, point 11)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.browser.conftest import PHONE


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


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_the_thresholds_scroll_inside_their_card_on_a_phone(open_page: Any, locale: str) -> None:
    """On a phone the table scrolls inside its card, and only there: the inputs' hidden
    labels (placed where their cells are, past the right edge) made the whole page scroll
    sideways, header and tabs included."""
    page = open_page("admin", PHONE, locale=locale)
    page.goto(page.url.replace("/admin/stores", "/admin/thresholds"))
    card = page.locator("section.scroll", has=page.locator("#thresholds"))
    assert card.evaluate("(card) => card.scrollWidth > card.clientWidth")  # it does scroll
    sideways = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert page.evaluate(sideways) <= 0


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


@pytest.mark.parametrize("locale", ["en-GB", "zh-CN"])
def test_an_admin_creates_and_revokes_a_key_on_a_phone(open_page: Any, locale: str) -> None:
    """On a phone the new key (shown only once) ran off the right edge of the screen, and
    the keys table scrolled sideways with the Revoke buttons out of sight; the key now
    wraps inside the screen and each key is a card with its Revoke button on it."""
    page = open_page("admin", PHONE, locale=locale)
    page.goto(page.url.replace("/admin/stores", "/admin/keys"))
    name = f"till sync {locale}"
    page.fill("#f-name", name)
    page.select_option("#f-role", "store")
    page.fill("#f-store", "PDS-0001")
    with page.expect_navigation():
        page.locator("form[action='/admin/keys'] button[type=submit]").click()
    secret = page.locator("#secret").bounding_box()
    assert secret is not None and secret["x"] + secret["width"] <= PHONE["width"], secret
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    assert page.locator("#admin-rows thead").is_hidden()
    row = page.locator("#admin-rows tbody tr", has_text=name)
    labels = row.locator("td[data-label]").evaluate_all(
        "(cells) => cells.map((cell) => getComputedStyle(cell, '::before').content)"
    )
    assert len(labels) == 6 and all(label not in ("none", '""') for label in labels), labels
    revoke = row.locator("button")
    box = revoke.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    revoke.click()
    page.locator("dialog#confirm").wait_for(state="visible")
    with page.expect_navigation():
        page.locator("dialog#confirm [data-confirm-ok]").click()
    assert page.locator("#admin-rows tbody tr", has_text=name).locator("button").count() == 0
