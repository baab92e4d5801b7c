"""Problems of an admin form in plain words: pydantic's refusal of a field
("String should match pattern '^[A-Za-z0-9]…$'") said as what to type instead
("Use letters, digits, - _ and . only…"). The API keeps pydantic's own English; an error
type not worded here falls back to it (``validation_text``), still translated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.text import N_, Text, phrase
from service.http.validation import validation_text

PLAIN: dict[str, str] = {
    "missing": N_("Fill this in"),
    "float_parsing": N_("Enter a number"),
    "float_type": N_("Enter a number"),
    "int_parsing": N_("Enter a whole number"),
    "int_from_float": N_("Enter a whole number"),
    "greater_than": N_("Enter more than {gt}"),
    "greater_than_equal": N_("Enter {ge} or more"),
    "less_than": N_("Enter less than {lt}"),
    "less_than_equal": N_("Enter {le} or less"),
    "string_too_short": N_("Use at least {min_length} characters"),
    "string_too_long": N_("Use at most {max_length} characters"),
    "enum": N_("Choose one from the list"),
    "literal_error": N_("Choose one from the list"),
    "datetime_from_date_parsing": N_("Enter a date and time, such as 2026-12-31T18:00+08:00"),
    "datetime_parsing": N_("Enter a date and time, such as 2026-12-31T18:00+08:00"),
    "timezone_aware": N_("Add the time zone, such as +08:00"),
}
"""What to type instead, by pydantic's error type."""

PATTERNS: dict[str, str] = {
    "username": N_(
        "Use 2 to 64 letters, digits or - _ . @, starting with a letter or a digit, no spaces"
    ),
}
"""What a field with a pattern accepts, by field name (else :data:`CODE_WORDING`)."""
CODE_WORDING = N_(
    "Use up to 64 letters, digits or - _ ., starting with a letter or a digit, no spaces"
)


def _bound(value: Any) -> Any:
    """A bound as people write it: 90, not 90.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def plain_problem(error: Mapping[str, Any]) -> Text:
    """One pydantic error of a form field as what the person should type instead."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    location = error.get("loc") or ()
    if kind == "string_pattern_mismatch":
        field = str(location[-1]) if location else ""
        return phrase(PATTERNS.get(field, CODE_WORDING))
    if kind in PLAIN:
        try:
            values = {
                name: _bound(context[name])
                for name in ("gt", "ge", "lt", "le", "min_length", "max_length")
                if "{" + name + "}" in PLAIN[kind]
            }
        except KeyError:
            return validation_text(error)
        return phrase(PLAIN[kind], **values)
    return validation_text(error)
