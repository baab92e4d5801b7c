"""Texts for people render through a catalogue, and a translation that does not fit the
values a stored text carries falls back to the English instead of failing the page; typed
text that draws nothing is blank, and no field takes a Unicode line separator."""

from __future__ import annotations

import pytest

from core.text import (
    Names,
    control_character_problem,
    is_blank,
    phrase,
    stored_text,
    text_json,
)
from core.words import english
from models import TicketCategory
from service.translations import translations


def test_a_stored_text_renders_in_the_language_of_the_catalogue() -> None:
    kept = text_json(phrase("{store} is out", store=phrase("store {id}", id="7")))
    chinese = {"{store} is out": "{store}缺货", "store {id}": "门店 {id}"}
    assert stored_text(kept).render(lambda message: chinese.get(message, message)) == "门店 7缺货"


def test_a_translation_naming_a_value_the_text_lacks_gives_the_english() -> None:
    kept = text_json(phrase("District {name} ({code})", name="Weidong", code="410403"))
    chinese = {"District {name} ({code})": "{name_zh}（{code}）"}
    rendered = stored_text(kept).render(lambda message: chinese.get(message, message))
    assert rendered == "District Weidong (410403)"


def test_a_name_is_spelt_as_the_readers_language_writes_it() -> None:
    kept = text_json(
        phrase("District {name} ({code})", name=Names("Weidong", "卫东区"), code="410403")
    )
    chinese = {"District {name} ({code})": "{name}（{code}）"}
    words = stored_text(kept)
    assert words.render() == "District Weidong (410403)"
    assert words.render(lambda message: chinese.get(message, message), "zh") == "卫东区（410403）"
    assert (
        stored_text(text_json(phrase("{value}", value=Names("eggs")))).render(language="zh")
        == "eggs"
    )  # no Chinese name: the English one


def test_an_alert_summary_kept_with_a_category_code_reads_in_words_in_both_languages() -> None:
    # A complaint cluster stored before categories had words kept the code as the message.
    assert english(TicketCategory.cannot_buy) == "cannot buy goods"
    kept = text_json(phrase("category {category}", category=phrase("cannot_buy")))
    in_english = stored_text(kept).render(translations("en").gettext)
    chinese = stored_text(kept).render(translations("zh").gettext, language="zh")
    assert in_english == "category cannot buy goods"
    assert "cannot" not in chinese and "买不到" in chinese, chinese


@pytest.mark.parametrize(
    "value",
    [
        "\u3164",  # Hangul filler
        "\u2800\u2800",  # blank Braille pattern
        "\u115f\u1160",  # Hangul choseong and jungseong fillers
        "\uffa0 ",  # halfwidth Hangul filler and a space
        "\u200b\u3164\ufe0f",  # zero-width space, filler, variation selector
        " \t",
        "",
    ],
)
def test_text_that_draws_nothing_is_blank(value: str) -> None:
    assert is_blank(value)


@pytest.mark.parametrize("value", ["a", "\u3164가", "\u2800\u2801", "李"])
def test_text_with_something_to_see_is_not_blank(value: str) -> None:
    assert not is_blank(value)


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"])
@pytest.mark.parametrize("multiline", [False, True])
def test_a_unicode_line_or_paragraph_separator_is_refused_in_any_field(
    separator: str, multiline: bool
) -> None:
    assert control_character_problem(f"eggs{separator}late", ["body", "notes"], multiline=multiline)
    assert control_character_problem("eggs\r\n\tlate", ["body", "notes"], multiline=True) is None
