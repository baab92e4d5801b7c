"""The dispatcher reviews the demo day's plan in Chromium, on a desk and on a phone, in
English and Chinese: a summary first, one folded card per truck (no 15,000-pixel page),
plates on one line, and the trucks that could take a stop fetched when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.demo_city import open_requests
from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer, plan_the_day


@pytest.mark.parametrize(
    ("viewport", "locale", "words"),
    [
        (DESKTOP, "en-GB", {"used": "Trucks used", "ask": "Which trucks could take it?"}),
        (PHONE, "zh-CN", {"used": "使用车辆", "ask": "哪些车辆能承接？"}),
    ],
    ids=["desktop-en", "phone-zh"],
)
def test_the_dispatcher_reviews_the_plan_truck_by_truck_and_asks_who_could_take_a_stop(
    open_page: Any,
    live_server: LiveServer,
    screenshots: Path,
    viewport: dict[str, int],
    locale: str,
    words: dict[str, str],
) -> None:
    page = open_page("dispatcher", viewport, locale)
    plan_the_day(page, live_server)

    summary = page.locator("#plan-summary")
    assert words["used"] in summary.text_content()
    trucks_used = int(page.locator("#summary-trucks").text_content().split("/")[0])
    cards = page.locator("details.route")
    assert cards.count() == trucks_used > 1
    # Folded, the page is a few screens, not 15,700 pixels of tables.
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"plan page height {viewport['width']} px wide: {height} px")
    assert height < (6000 if viewport is DESKTOP else 9000), height
    # Every plate sits on one line, on the phone too.
    lines = page.locator("details.route .plate").evaluate_all(
        "plates => plates.map(p => p.getClientRects().length)"
    )
    assert set(lines) == {1}, lines
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    label = "desktop-en" if viewport is DESKTOP else "phone-zh"
    page.screenshot(path=screenshots / f"dispatch-plan-{label}.png")

    # Open the first truck and ask which trucks could take its last stop.
    card = cards.first
    card.locator("summary").click()
    stop = card.locator("table.stops tbody tr").last
    stop.get_by_role("button", name=words["ask"]).click()
    answer = stop.locator(".suggestions")
    answer.locator("p").first.wait_for()
    offered = answer.locator(".suggestion-list li")
    assert offered.count() >= 1, answer.text_content()
    target = offered.first.get_attribute("data-truck")
    stop_id = stop.get_attribute("id")
    page.screenshot(path=screenshots / f"dispatch-plan-suggestions-{label}.png")
    offered.first.locator("button[type=submit]").click()
    page.locator("#moved").wait_for()
    moved_to = page.locator(f"details.route[data-truck='{target}']")
    assert moved_to.get_attribute("open") is not None  # the card it went to is open
    assert moved_to.locator(f"#{stop_id}").count() == 1


PLACEHOLDER_FITS = """(input) => {
  const style = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return context.measureText(input.placeholder).width <= room;
}"""


@pytest.mark.parametrize(
    ("viewport", "locale", "words"),
    [
        (DESKTOP, "en-GB", {"move": "Move", "refused": "is not one of this plan's trucks"}),
        (PHONE, "zh-CN", {"move": "移动", "refused": "不属于此方案"}),
    ],
    ids=["desktop-en", "phone-zh"],
)
def test_a_refused_move_shows_its_reason_beside_the_truck_typed(
    open_page: Any, live_server: LiveServer, viewport: dict[str, int], locale: str, words: Any
) -> None:
    """A dispatcher typed a plate that is not on the plan: the page came back with the
    reason at the top and every truck folded, the typed plate gone, so which stop and why
    had to be found again; and the field's hint ("Truck (empty: off the plan)") was cut
    to "Truck (empty:". Now the stop's truck is open, the field keeps the plate, marked
    invalid, with the reason beside it, and the hint reads whole."""
    page = open_page("dispatcher", viewport, locale)
    plan_the_day(page, live_server)
    card = page.locator("details.route").first
    card.locator("summary").click()
    field = card.locator("input[name=to_truck]").first
    assert field.evaluate(PLACEHOLDER_FITS), field.get_attribute("placeholder")
    field.fill("XYZ-999")
    with page.expect_navigation():
        card.locator("form.inline").first.get_by_role("button", name=words["move"]).click()

    assert page.locator("details.route[open]").count() == 1
    field = page.locator("input[aria-invalid=true][name=to_truck]")
    assert field.input_value() == "XYZ-999"
    beside = field.locator("xpath=ancestor::td").locator("#move-problem")
    assert words["refused"] in beside.inner_text()
    assert field.get_attribute("aria-describedby") == "move-problem"
    box = beside.bounding_box()
    assert box is not None and box["x"] + box["width"] <= viewport["width"], box


def test_a_committed_trucks_stops_say_what_their_delivery_status_is_on_a_phone(
    open_page: Any, live_server: LiveServer
) -> None:
    """On a phone a committed truck's stops showed "已派" alone on a line under each
    stop, the column's name (配送) hidden with the table head; now it is above it."""
    page = open_page("dispatcher", PHONE, "zh-CN")
    plan_the_day(page, live_server)
    with page.expect_navigation():
        page.locator("#commit-button").click()
    card = page.locator("details.route").first
    card.locator("summary").click()
    status = card.locator("td.delivery-status").first
    assert status.inner_text() == "已派"
    shown = status.evaluate("(cell) => getComputedStyle(cell, '::before').content")
    assert shown == '"配送"', shown
    open_requests(live_server.settings)  # the other tests plan the same open day
