"""How the pages read a number typed with a decimal comma ("12,5"), as many stores write it.

Only the forms accept it; the JSON API takes JSON numbers, which have no comma. The rule,
also in the form's help text: a single comma is the decimal separator when the value has no
"." and the comma is not followed by exactly three digits; "1,234" could mean 1234 or 1.234,
so it is refused with both readings named (a leading "0," is never a thousands group, so
"0,250" is 0.25).
"""

from __future__ import annotations

import re

_COMMA_NUMBER = re.compile(r"(?P<whole>[+-]?\d*),(?P<fraction>\d+)")


class AmbiguousComma(ValueError):
    """A value such as "1,234" that reads as a thousands group or as a decimal comma."""

    def __init__(self, value: str, *, whole: str, decimal: str) -> None:
        super().__init__(f"{value!r} could be {whole} or {decimal}")
        self.whole = whole
        self.decimal = decimal


def read_decimal_comma(text: str) -> str:
    """``text`` with a decimal comma turned into a point ("12,5" → "12.5"), else unchanged,
    so the domain's validation reads it like any number; raises ``AmbiguousComma``."""
    value = text.strip()
    found = _COMMA_NUMBER.fullmatch(value)
    if found is None:
        return value  # no comma, several, a "." as well, or not a number: the domain says
    whole, fraction = found["whole"], found["fraction"]
    digits = whole.lstrip("+-")
    if len(fraction) == 3 and digits.strip("0") != "":
        raise AmbiguousComma(value, whole=whole + fraction, decimal=f"{whole}.{fraction}")
    return f"{whole if digits else whole + '0'}.{fraction}"
