"""The dispatcher reviews the demo day's plan in Chromium, on a desk and on a phone, in
English and Chinese: a summary first, one folded card per truck (no 15,000-pixel page),
plates on one line, and the trucks that could take a stop fetched when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.demo_city import open_requests
from tests.service.browser.conftest import DESKTOP, PHONE, LiveServer


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
    open_requests(live_server.settings)
    page = open_page("dispatcher", viewport, locale)
    page.fill("input[name=time_limit_s]", "2")
    page.locator("form[action='/dispatch/plan-jobs'] button[type=submit]").click()
    # The form queues a job; its page polls the progress and opens the draft when ready.
    page.wait_for_url("**/dispatch/plans/*", timeout=60_000)

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
