"""Alert summaries as columns of words for people, built a column at a time.

Each candidate's summary is kept twice: the English every API answer and notification
carries (``summary``), and the same words as a message id with its values (the JSON of
``core.text.text_json``) that a page renders in the reader's language (``summary_text``).
Both come from the same messages, so they cannot drift apart; the message ids are
extracted into the catalogue like every ``phrase(...)``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from string import Formatter

import numpy as np
from numpy.dtypes import StringDType

_TEXT = StringDType()
_NOTHING = '{"message":"","values":{}}'
"""The JSON of no words (``Text("")``)."""


def _strings(values: object) -> list[str]:
    """A column of text as Python strings (what %-formatting row by row reads)."""
    if isinstance(values, np.ndarray) and values.dtype == _TEXT:
        return values.tolist()
    return [str(value) for value in np.asarray(values, dtype=object).tolist()]


def _json_strings(values: object) -> list[str]:
    """Each value as a JSON string literal: quoted as it is, unless it holds a quote, a
    backslash or a control character (then escaped; codes and numbers never do)."""
    text = np.asarray(values, dtype=object).astype(_TEXT)
    if not len(text):
        return []
    lengths = np.strings.str_len(text)
    wide = text.astype(f"U{max(int(lengths.max()), 1)}")
    points = wide.view(np.uint32).reshape(len(text), -1)
    inside = np.arange(points.shape[1])[None, :] < lengths[:, None]
    special = (points < 0x20) | (points == ord('"')) | (points == ord("\\"))
    escaped = (special & inside).any(axis=1)
    quoted: list[str] = ('"' + text + '"').tolist()
    for index in np.flatnonzero(escaped).tolist():
        quoted[index] = json.dumps(str(text[index]), ensure_ascii=False)
    return quoted


def _rows(template: str, columns: Sequence[list[str]], size: int) -> np.ndarray:
    """``template`` %-formatted with each row of ``columns`` (a Python loop: one
    formatting per row beats a numpy concatenation per piece)."""
    if not columns:
        return np.full(size, template % (), dtype=object)
    rows = np.empty(size, dtype=object)
    rows[:] = [template % row for row in zip(*columns, strict=True)]
    return rows


@dataclass(frozen=True)
class NameColumn:
    """A column of names as each language writes them (``core.text.Names`` per row)."""

    english: np.ndarray
    chinese: np.ndarray


def names(english: np.ndarray, chinese: np.ndarray) -> NameColumn:
    """Names in English and Chinese (the English where a row has no Chinese name)."""
    return NameColumn(np.asarray(english, dtype=object), np.asarray(chinese, dtype=object))


@dataclass(frozen=True)
class Words:
    """One text per row: ``english``, and ``parts``, texts read one after another, each
    row's part as ``text_json`` gives it, written out (no words: ``Text("")``). The parts
    are joined once, by :meth:`json`: adding words does not copy what came before."""

    english: np.ndarray
    parts: tuple[np.ndarray, ...]

    def __add__(self, other: Words) -> Words:
        return Words(self.english + other.english, self.parts + other.parts)

    def __len__(self) -> int:
        return len(self.english)

    def where(self, condition: np.ndarray, other: Words) -> Words:
        """These words where ``condition`` holds, ``other`` elsewhere."""
        count = max(len(self.parts), len(other.parts))
        nothing = np.full(len(self), _NOTHING, dtype=object)
        ours = self.parts + (nothing,) * (count - len(self.parts))
        theirs = other.parts + (nothing,) * (count - len(other.parts))
        return Words(
            np.where(condition, self.english, other.english),
            tuple(np.where(condition, a, b) for a, b in zip(ours, theirs, strict=True)),
        )

    def json(self) -> np.ndarray:
        """Each row's words as the JSON of one Text: the only part, or the parts in turn
        (``{p0}{p1}…``, not a message id: each part is translated itself)."""
        if len(self.parts) == 1:
            return self.parts[0]
        names = [f"p{index}" for index in range(len(self.parts))]
        message = "".join("{" + name + "}" for name in names)
        values = ",".join(f'"{name}":{{"text":%s}}' for name in names)
        template = '{"message":"' + message + '","values":{' + values + "}}"
        return _rows(template, [part.tolist() for part in self.parts], len(self))


def nothing(size: int) -> Words:
    """No words, for the rows a clause does not apply to."""
    return Words(np.full(size, "", dtype=object), ())


def _json_names(value: NameColumn) -> list[str]:
    return [
        '{"names":{"en":' + english + ',"zh":' + chinese + "}}"
        for english, chinese in zip(
            _json_strings(value.english), _json_strings(value.chinese), strict=True
        )
    ]


def worded(message: str, /, size: int, **values: np.ndarray | Words | NameColumn) -> Words:
    """``message`` (an English ``str.format`` template and the message id) for ``size``
    rows, each placeholder filled from its column: data already written as text (numbers
    rounded, codes, dates), names spelt per language, or Words to be translated too."""
    english_template = ""
    english_columns: list[list[str]] = []
    for literal, name, spec, conversion in Formatter().parse(message):
        english_template += literal.replace("%", "%%")
        if name is None:
            continue
        if spec or conversion:
            raise ValueError(f"{message!r}: values are formatted before they are worded")
        value = values[name]
        english_template += "%s"
        english_columns.append(
            _strings(value.english) if isinstance(value, Words | NameColumn) else _strings(value)
        )
    json_columns = [
        value.json().tolist()
        if isinstance(value, Words)
        else _json_names(value)
        if isinstance(value, NameColumn)
        else _json_strings(value)
        for value in values.values()
    ]
    encoded = ",".join(
        f'"{name}":{{"text":%s}}' if isinstance(value, Words) else f'"{name}":%s'
        for name, value in values.items()
    )
    json_template = (
        '{"message":' + json.dumps(message, ensure_ascii=False).replace("%", "%%")
        + ',"values":{' + encoded + "}}"
    )  # fmt: skip
    return Words(
        _rows(english_template, english_columns, size),
        (_rows(json_template, json_columns, size),),
    )


def words_of(messages: np.ndarray) -> Words:
    """Words without values chosen row by row (a weekday's name): each a message id."""
    english = np.asarray(messages, dtype=object)
    template = '{"message":%s,"values":{}}'
    return Words(english, (_rows(template, [_json_strings(english)], len(english)),))
