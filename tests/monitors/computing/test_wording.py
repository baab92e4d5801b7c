"""Summaries worded a column at a time read back, in English and through a catalogue, as
the same words one at a time would."""

from __future__ import annotations

import json

import numpy as np

from core.text import phrase, stored_text, text_json
from monitors.computing.wording import nothing, worded, words_of

CHINESE = {
    "{store}: {days} days left": "{store}：剩余 {days} 天",
    "; last delivery {when}": "；上次到货 {when}",
    "Monday": "星期一",
    "store {id}": "门店 {id}",
}


def read(json_text: object, *, chinese: bool = False) -> str:
    text = stored_text(json.loads(str(json_text)))
    return text.render(lambda message: CHINESE.get(message, message)) if chinese else str(text)


def test_a_column_of_words_reads_back_row_by_row_in_english_and_chinese() -> None:
    stores = worded("store {id}", 3, id=np.array(["7", "8", "9"], dtype=object))
    days = np.array(["1.5", "0.2", "3.0"], dtype=object)
    delivered = np.array([True, False, True])
    words = worded("{store}: {days} days left", 3, store=stores, days=days) + worded(
        "; last delivery {when}", 3, when=words_of(np.array(["Monday"] * 3, dtype=object))
    ).where(delivered, nothing(3))
    assert words.english.tolist() == [
        "store 7: 1.5 days left; last delivery Monday",
        "store 8: 0.2 days left",
        "store 9: 3.0 days left; last delivery Monday",
    ]
    texts = words.json().tolist()
    assert [read(text) for text in texts] == words.english.tolist()
    assert read(texts[0], chinese=True) == "门店 7：剩余 1.5 天；上次到货 星期一"
    assert read(texts[1], chinese=True) == "门店 8：剩余 0.2 天"


def test_one_message_keeps_the_json_that_text_json_gives_one_text() -> None:
    words = worded("{store}: {days} days left", 1, store=np.array(["A"]), days=np.array(["2"]))
    one = text_json(phrase("{store}: {days} days left", store="A", days="2"))
    assert json.loads(words.json()[0]) == one


def test_codes_with_quotes_backslashes_control_characters_and_percent_signs_survive() -> None:
    odd = np.array(['say "hi"', "back\\slash", "tab\there", "nul\x00", "卫东区", "100 %"])
    words = worded("{value} at 5 %", len(odd), value=odd.astype(object))
    assert [read(text) for text in words.json()] == [f"{value} at 5 %" for value in odd]
    assert words.english.tolist() == [f"{value} at 5 %" for value in odd]


def test_no_rows_give_no_words() -> None:
    words = worded("{store}: {days} days left", 0, store=np.array([]), days=np.array([]))
    assert len(words) == 0 and len(words.json()) == 0
