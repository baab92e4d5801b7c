"""Text people type into a field that other people read: a note, a reason, who received
a delivery, what a caller reported.

Each is shown in a table, a manifest, a driver's page, a ticket or an export, so a
terminal escape or a mark that reverses what follows it (U+202E) would break or disguise
what the next reader sees, and a one-line field must stay one line; the column's length
is checked here too, so the pages and the API refuse alike and PostgreSQL never sees an
oversized value.
"""

from __future__ import annotations

from core.errors import InvalidInput
from core.text import N_, control_character_problem, field_problem, is_blank

BLANK_HINT = N_("must not be blank")


def checked_text(
    value: str | None,
    field: str,
    *,
    limit: int,
    multiline: bool = False,
    required: bool = False,
    blank_hint: str = BLANK_HINT,
) -> str | None:
    """The text as typed (None or "" when not given), or a 422 naming ``field`` when it is
    longer than ``limit``, holds a control character (line breaks and tabs too, unless
    ``multiline``), or is only spaces and invisible marks (a zero-width space passes a
    "required" check and shows nothing), or is empty when ``required``; ``blank_hint``
    says what to write instead."""
    if value is None:
        return None
    if len(value) > limit:
        raise InvalidInput(
            "{field} is longer than {limit} characters",
            errors=[field_problem(["body", field], "at most {limit} characters", limit=limit)],
            field=field,
            limit=limit,
        )
    control = control_character_problem(value, ["body", field], multiline=multiline)
    if control is not None:
        raise InvalidInput("{field} holds a control character", errors=[control], field=field)
    if (value or required) and is_blank(value):
        raise InvalidInput(
            "{field} is empty", errors=[field_problem(["body", field], blank_hint)], field=field
        )
    return value


def checked_line(value: str | None, field: str, *, limit: int) -> str | None:
    """``checked_text`` for a field shown on one line of a table, manifest or export."""
    return checked_text(value, field, limit=limit)
