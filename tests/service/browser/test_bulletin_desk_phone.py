"""The city bureau drafts today's bulletin on a phone and on a laptop (Chromium, English
and Chinese) and reads each summary in a box as wide as its card, its name above it: the
two boxes used to sit side by side, twenty characters wide, their names beside them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.service.browser.conftest import PHONE, LiveServer

LAPTOP = {"width": 1280, "height": 800}


@pytest.mark.parametrize(
    ("viewport", "locale"), [(PHONE, "zh-CN"), (PHONE, "en-GB"), (LAPTOP, "en-GB")]
)
def test_the_bureau_reads_a_drafts_summaries_in_boxes_as_wide_as_the_card(
    open_page: Any, live_server: LiveServer, viewport: dict[str, int], locale: str
) -> None:
    page = open_page("bureau", viewport, locale)
    page.goto(live_server.url + "/bulletins/editor?region=410422")
    drafts = page.locator("form[action='/bulletins/editor/drafts']")
    note = drafts.locator("input[name=correction_note]")
    if note.count():
        note.fill("recount")
    # A draft from an earlier case leaves its boxes on this page: wait for the page the
    # click loads, styles included, not for boxes that may still be the old page's.
    with page.expect_navigation(wait_until="load"):
        drafts.locator("button").click()
    page.locator("textarea[name=summary_zh]").first.wait_for()
    boxes = page.evaluate(
        """() => {
          const form = document.querySelector('form[action$="/summary"]');
          const card = form.getBoundingClientRect();
          return {
            sideways: document.documentElement.scrollWidth - document.documentElement.clientWidth,
            boxes: Array.from(form.querySelectorAll('textarea')).map((area) => {
              const box = area.getBoundingClientRect();
              const label = area.closest('label').getBoundingClientRect();
              return {share: box.width / card.width, below: box.top >= label.top + 10};
            }),
          };
        }"""
    )
    assert boxes["sideways"] <= 0
    assert len(boxes["boxes"]) == 2
    for box in boxes["boxes"]:
        assert box["share"] > 0.95, f"a summary box {box['share']:.0%} of its card's width"
        assert box["below"], "a summary box beside its name rather than under it"


def test_a_summary_of_one_endless_word_wraps_on_the_public_page_of_a_phone(
    open_page: Any, live_server: LiveServer
) -> None:
    """A pasted link or a run of characters without a space used to widen the public
    bulletin to 34,000 px; it wraps inside its card as the hotline's texts do. The word is
    put into the published summary's paragraph in the page itself: publishing one more
    bulletin would change the archive the other stories of this live server read."""
    page = open_page("bureau", PHONE, "en-GB")
    page.goto(live_server.url + "/bulletin")
    page.wait_for_load_state("load")
    summary = page.locator("p#summary")
    summary.evaluate("(paragraph, word) => { paragraph.textContent = word; }", "supply" * 500)
    sideways = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways <= 0, f"the page scrolls {sideways} px sideways"
