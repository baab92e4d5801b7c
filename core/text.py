"""Words for people, kept as a message id and its values until someone renders them.

The API renders every text in English (the message id *is* the English template); the
pages render it in the reader's language through the gettext catalogues
(``service/translations``). Domain code never formats a sentence itself: it hands over
``phrase("store {code!r} not found", code=code)``, so a reworded message cannot silently
lose its translation (``pybabel extract`` finds every ``phrase(...)``, ``field_problem(...)``
and domain error call, and a test checks the catalogue has them all).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ECHO_CHARS = 40
"""How much of a value from the input a problem quotes: enough to find the cell, never a
whole cell (a refusal must not grow with what it refuses)."""
LISTED_ROWS = 10
"""How many row numbers a problem lists (a group of 20,000 identical rows names ten and
counts the rest)."""
MESSAGE_CHARS = 500
"""The longest problem message an answer carries, the last bound if a value slipped by."""


def echoed(value: object, /) -> str:
    """A value from the input as a problem quotes it: its first ``ECHO_CHARS`` characters,
    and "…" when there is more."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= ECHO_CHARS else text[:ECHO_CHARS] + "…"


def clipped(text: str, /) -> str:
    """A rendered problem message cut to ``MESSAGE_CHARS`` characters."""
    return text if len(text) <= MESSAGE_CHARS else text[: MESSAGE_CHARS - 1] + "…"


def _same(message: str) -> str:
    return message


@dataclass(frozen=True)
class Names:
    """A name as each language writes it (a district, a product): data, not a message id,
    so the catalogue never holds it; the reader's language picks the spelling."""

    english: str
    chinese: str | None = None

    def in_language(self, language: str) -> str:
        """The name in ``language``, the English one where it has none."""
        return self.chinese if language == "zh" and self.chinese else self.english


@dataclass(frozen=True)
class Text:
    """A message id (an English ``str.format`` template) and the values it names.

    A value that is itself a Text (a word such as "store", or a nested problem) is
    rendered in the same language first. A text without values is not formatted, so
    a message that already carries a caller's input (braces and all) stays as it is.
    """

    message: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = _same, language: str = "en") -> str:
        """The text in the language ``translate`` gives (English by default); names are
        spelt as ``language`` writes them."""
        if not self.message:
            return ""  # gettext("") is the catalogue's header, never a text
        if not self.values:
            return translate(self.message)
        values = {
            name: value.render(translate, language)
            if isinstance(value, Text)
            else value.in_language(language)
            if isinstance(value, Names)
            else value
            for name, value in self.values.items()
        }
        try:
            return translate(self.message).format(**values)
        except (KeyError, IndexError, ValueError):
            # A translation naming a value this text does not carry (a stored alert's
            # words from before the catalogue changed): the English, not a broken page.
            return self.message.format(**values)

    def __str__(self) -> str:
        return self.render()


def phrase(message: str, /, **values: Any) -> Text:
    """A text for people: ``message`` is the English template and the message id."""
    return Text(message, values)


def verbatim(value: str, /) -> Text:
    """Data shown as it is in every language (a code, a parser's own message)."""
    return Text("{value}", {"value": value})


def _one(part: Text | str) -> Text:
    return part if isinstance(part, Text) else verbatim(part)


def in_turn(parts: Sequence[Text | str], /) -> Text:
    """Several problems read as one, separated by semicolons in the reader's language."""
    if not parts:
        return Text("")
    joined = _one(parts[0])
    for later in parts[1:]:
        joined = phrase("{earlier}; {later}", earlier=joined, later=later)
    return joined


def listing(parts: Sequence[Text | str], /) -> Text:
    """Several words or codes read as one list, separated by commas in the reader's
    language."""
    if not parts:
        return Text("")
    joined = _one(parts[0])
    for later in parts[1:]:
        joined = phrase("{earlier}, {later}", earlier=joined, later=later)
    return joined


def row_list(rows: Sequence[int], /) -> Text:
    """Row or line numbers as a problem lists them: the first ``LISTED_ROWS``, then how
    many more ("2, 3, 4 … and 19,997 more"), so a group's text does not grow with it."""
    shown = ", ".join(str(row) for row in rows[:LISTED_ROWS])
    if len(rows) <= LISTED_ROWS:
        return verbatim(shown)
    return phrase("{rows} … and {more:,} more", rows=shown, more=len(rows) - LISTED_ROWS)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue where it is written; it is translated where it is
    shown (a page title kept in a table, an enum value shown as a word)."""
    return message


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a request (or one cell of a file)."""

    loc: tuple[str | int, ...]
    text: Text
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The problem+json ``errors`` item: location, English message, extras."""
        extra = {
            name: clipped(value) if isinstance(value, str) else value
            for name, value in self.extra.items()
        }
        return {"loc": list(self.loc), "msg": clipped(str(self.text)), **extra}


def field_problem(
    loc: Sequence[str | int],
    message: str | Text,
    /,
    *,
    extra: Mapping[str, Any] | None = None,
    **values: Any,
) -> FieldProblem:
    """A problem at ``loc`` (e.g. ``["body", "store"]``) worded by ``message``."""
    worded = message if isinstance(message, Text) else Text(message, values)
    return FieldProblem(loc=tuple(loc), text=worded, extra=dict(extra or {}))


BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""The embedding, override and isolate marks that reorder how text is shown: a name with
U+202E reads backwards after it on every page, table and PDF ("Trojan Source"), so what
a bureau reads is not what was typed. Right-to-left scripts need none of them."""


def breaks_a_line(character: str, /) -> bool:
    """Whether ``character`` has no place in one line of typed text: a control character,
    a line or paragraph separator, or a mark that reorders what follows it."""
    return unicodedata.category(character) in ("Cc", "Zl", "Zp") or character in BIDI_CONTROLS


def control_character_problem(
    value: str, loc: Sequence[str | int], /, *, multiline: bool = False
) -> FieldProblem | None:
    """A problem at ``loc`` when typed text holds a control character, else None.

    A one-line field (a name, a contact, a short note shown in a table cell) refuses line
    breaks too, as ``service.http.schemas.Name`` does; a multi-line one (visit notes, a
    problem's text, a comment) keeps line breaks and tabs and refuses the rest, which
    break exports, feeds and the pages that show them, the Unicode line and paragraph
    separators (U+2028, U+2029) too: a line break is typed as one."""
    if multiline:
        if any(
            (unicodedata.category(ch) in ("Cc", "Zl", "Zp") and ch not in "\n\r\t")
            or ch in BIDI_CONTROLS
            for ch in value
        ):
            return field_problem(loc, "holds a control character")
    elif any(breaks_a_line(ch) for ch in value):
        return field_problem(loc, "must be one line without control characters")
    return None


BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")
"""Characters that draw nothing though Unicode files them as letters, symbols or marks:
the Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the blank Braille pattern (U+2800),
the combining grapheme joiner and the Khmer inherent vowels. A name of only these looks
empty on every page, yet neither ``str.strip`` nor ``str.isspace`` sees it so."""


def _draws_nothing(character: str, /) -> bool:
    return (
        character.isspace()
        or unicodedata.category(character) == "Cf"
        or character in BLANK_LETTERS
        or "\ufe00" <= character <= "\ufe0f"  # variation selectors
        or "\U000e0100" <= character <= "\U000e01ef"
    )


def is_blank(value: str, /) -> bool:
    """Whether text shows nothing: only white space, zero-width or other invisible format
    characters (U+200B, U+200D, U+FEFF, ...) and the fillers and blanks of
    ``BLANK_LETTERS``, which ``str.strip`` keeps."""
    return all(_draws_nothing(ch) for ch in value)


def text_json(text: Text) -> dict[str, Any]:
    """A text's message id and values as JSON, for a page to translate later (a failed
    job's problem, an alert's summary)."""
    return {
        "message": text.message,
        "values": {name: _value_json(value) for name, value in text.values.items()},
    }


def _value_json(value: Any) -> Any:
    if isinstance(value, Text):
        return {"text": text_json(value)}
    if isinstance(value, Names):
        return {"names": {"en": value.english, "zh": value.chinese}}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


RENAMED_MESSAGES: dict[str, str] = {}
"""Message ids kept in stored texts that now read under another id: a table value's code,
which was its own message id until it got words (``core.words`` fills this), so an alert
summary or a job's problem kept before reads in words in both languages."""


def stored_text(stored: Mapping[str, Any]) -> Text:
    """The Text ``text_json`` kept."""
    message = stored["message"]
    return Text(
        RENAMED_MESSAGES.get(message, message),
        {name: _stored_value(value) for name, value in stored.get("values", {}).items()},
    )


def _stored_value(value: Any) -> Any:
    if isinstance(value, dict) and "text" in value:
        return stored_text(value["text"])
    if isinstance(value, dict) and "names" in value:
        return Names(str(value["names"]["en"]), value["names"].get("zh"))
    return value
