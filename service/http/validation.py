"""Pydantic's validation errors as message ids, so the pages can translate a form's problems.

The API answers with pydantic's own English ``msg``; ``validation_text`` words the same
error from its ``type`` and ``ctx`` with pydantic_core's template for that type, so the
English is identical (an error it cannot word exactly stays pydantic's English) and the
pages translate it through the catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.errors import InvalidValue
from core.text import N_, Text, listing, phrase, verbatim

MESSAGES: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_type": N_("Input should be a valid string"),
    "string_unicode": N_(
        "Input should be a valid string, unable to parse raw data as a unicode string"
    ),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_parsing_size": N_("Unable to parse input string as an integer, exceeded maximum size"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "finite_number": N_("Input should be a finite number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "multiple_of": N_("Input should be a multiple of {multiple_of}"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, {error}"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, {error}"),
    "date_from_datetime_inexact": N_(
        "Datetimes provided to dates should have zero time - e.g. be exact dates"
    ),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, {error}"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date, {error}"),
    "timezone_aware": N_("Input should have timezone info"),
    "timezone_naive": N_("Input should not have timezone info"),
    "time_type": N_("Input should be a valid time"),
    "time_parsing": N_("Input should be in a valid time format, {error}"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of {class_name}"),
    "model_attributes_type": N_(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "value_error": N_("Value error, {error}"),
    "assertion_error": N_("Assertion failed, {error}"),
}
"""The template of each error type our request models can raise, keyed by type."""

COUNTED: dict[str, tuple[str, str, str]] = {
    "string_too_short": (
        "min_length",
        N_("String should have at least {min_length} character"),
        N_("String should have at least {min_length} characters"),
    ),
    "string_too_long": (
        "max_length",
        N_("String should have at most {max_length} character"),
        N_("String should have at most {max_length} characters"),
    ),
    "too_short": (
        "min_length",
        N_(
            "{field_type} should have at least {min_length} item after validation, "
            "not {actual_length}"
        ),
        N_(
            "{field_type} should have at least {min_length} items after validation, "
            "not {actual_length}"
        ),
    ),
    "too_long": (
        "max_length",
        N_(
            "{field_type} should have at most {max_length} item after validation, "
            "not {actual_length}"
        ),
        N_(
            "{field_type} should have at most {max_length} items after validation, "
            "not {actual_length}"
        ),
    ),
}
"""Types whose template says "character(s)" or "item(s)": the count, then the singular and
the plural message id."""

CHOICES = ("enum", "literal_error")
"""Types whose ``expected`` lists the allowed values (``'a', 'b' or 'c'``)."""

WORDS: dict[str, str] = {
    "List": N_("List"),
    "Dictionary": N_("Dictionary"),
    "Set": N_("Set"),
    "Tuple": N_("Tuple"),
    "input is too short": N_("input is too short"),
    "input is too long": N_("input is too long"),
    "invalid character in year": N_("invalid character in year"),
    "invalid character in month": N_("invalid character in month"),
    "invalid character in day": N_("invalid character in day"),
    "invalid character in hour": N_("invalid character in hour"),
    "invalid character in minute": N_("invalid character in minute"),
    "invalid character in second": N_("invalid character in second"),
    "invalid date separator, expected `-`": N_("invalid date separator, expected `-`"),
    "invalid time separator, expected `:`": N_("invalid time separator, expected `:`"),
    "invalid timezone hour": N_("invalid timezone hour"),
    "invalid timezone minute": N_("invalid timezone minute"),
    "invalid timezone sign": N_("invalid timezone sign"),
    "month value is outside expected range of 1-12": N_(
        "month value is outside expected range of 1-12"
    ),
    "day value is outside expected range": N_("day value is outside expected range"),
    "hour value is outside expected range of 0-23": N_(
        "hour value is outside expected range of 0-23"
    ),
    "minute value is outside expected range of 0-59": N_(
        "minute value is outside expected range of 0-59"
    ),
    "second value is outside expected range of 0-59": N_(
        "second value is outside expected range of 0-59"
    ),
    "second fraction digits missing after `.`": N_("second fraction digits missing after `.`"),
    "second fraction value is more than 6 digits long": N_(
        "second fraction value is more than 6 digits long"
    ),
    "timezone minute value is outside expected range of 0-59": N_(
        "timezone minute value is outside expected range of 0-59"
    ),
    "timezone offset must be less than 24 hours": N_("timezone offset must be less than 24 hours"),
    "unexpected extra characters at the end of the input": N_(
        "unexpected extra characters at the end of the input"
    ),
    "year 0 is out of range": N_("year 0 is out of range"),
}
"""Words pydantic puts into its templates (a collection's kind, why a date or time did not
parse), so they are translated too."""

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")
LIMITS = ("gt", "ge", "lt", "le", "multiple_of")


def _limit(value: Any) -> Any:
    """A bound as pydantic_core prints it: a whole float without its ``.0``."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _word(value: Any) -> Text:
    text = str(value)
    return phrase(WORDS[text]) if text in WORDS else verbatim(text)


def _choices(expected: str) -> Text:
    """``'a', 'b' or 'c'`` (pydantic's list of allowed values) as a list in the reader's
    language; the values are data and stay as they are."""
    values = _QUOTED.findall(expected)
    if len(values) < 2:
        return verbatim(expected)
    return phrase("{earlier} or {later}", earlier=listing(values[:-1]), later=values[-1])


def _worded(kind: str, ctx: Mapping[str, Any]) -> Text | None:
    if kind in COUNTED:
        count, one, many = COUNTED[kind]
        values = {name: ctx[name] for name in ctx if name != "expected_plural"}
        if "field_type" in values:
            values["field_type"] = _word(values["field_type"])
        return phrase(one if ctx[count] == 1 else many, **values)
    if kind in CHOICES:
        return phrase("Input should be {expected}", expected=_choices(str(ctx["expected"])))
    if kind not in MESSAGES:
        return None
    values = {name: _limit(value) if name in LIMITS else value for name, value in ctx.items()}
    if kind in ("value_error", "assertion_error"):
        error = values["error"]
        values["error"] = error.text if isinstance(error, InvalidValue) else verbatim(str(error))
    elif "error" in values:
        values["error"] = _word(values["error"])
    return phrase(MESSAGES[kind], **values)


def validation_text(error: Mapping[str, Any]) -> Text:
    """One pydantic error (an item of ``errors()``) as a message id with its values; its
    English is pydantic's ``msg``, or the error is pydantic's English as it stands."""
    message = str(error.get("msg", ""))
    try:
        worded = _worded(str(error.get("type", "")), error.get("ctx") or {})
    except (KeyError, IndexError, ValueError):
        worded = None
    if worded is None or str(worded) != message:
        return verbatim(message)
    return worded
