"""Text people type into dispatch's one-line fields: a request's or a plan's note, who
received a delivery, why it failed.

Each is shown on one line of a table, a manifest, the driver's page or an export, so a
line break, a terminal escape or a mark that reverses what follows it (U+202E) would
break or disguise what the next reader sees; the column's length is checked here too,
so the pages and the API refuse alike and PostgreSQL never sees an oversized value.
"""

from __future__ import annotations

from core.errors import InvalidInput
from core.text import control_character_problem, field_problem, is_blank


def checked_line(value: str | None, field: str, *, limit: int) -> str | None:
    """The text as typed (None or "" when not given), or a 422 naming ``field`` when it is
    longer than ``limit``, is not one line without control characters, or is only spaces
    and invisible marks (a zero-width space passes a "required" check and shows nothing)."""
    if value is None:
        return None
    if len(value) > limit:
        raise InvalidInput(
            "{field} is longer than {limit} characters",
            errors=[field_problem(["body", field], "at most {limit} characters", limit=limit)],
            field=field,
            limit=limit,
        )
    control = control_character_problem(value, ["body", field])
    if control is not None:
        raise InvalidInput("{field} holds a control character", errors=[control], field=field)
    if value and is_blank(value):
        raise InvalidInput(
            "{field} is empty",
            errors=[field_problem(["body", field], "must not be blank")],
            field=field,
        )
    return value
