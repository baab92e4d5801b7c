"""The limits every posting, registry line and order change is checked against.

The API's request models already refuse wrong types; these checks are the domain's own,
so the pages, the file import and the API refuse the same values with the same words.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Update
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.text import (
    N_,
    FieldProblem,
    Text,
    control_character_problem,
    field_problem,
    phrase,
    verbatim,
)

QUANTITY_DIGITS = 3
"""Quantities are kept to a thousandth of a unit (grams, millilitres)."""

PRICE_DIGITS = 2
"""Prices are shown to the fen (0.01 yuan): a lower price would be listed as ¥0.00."""

TOLERANCE = 1e-9
"""Float round-off allowed when a commitment meets an offer's quantity exactly."""


@dataclass(frozen=True)
class BoardLimits:
    """The largest quantity and price anyone may post, and how far ahead (days)."""

    max_quantity: float = 10_000_000.0
    max_price: float = 100_000.0
    max_days_ahead: int = 90


def quantity_problem(
    loc: Sequence[str | int],
    value: float | None,
    *,
    limit: float,
    required: bool = True,
    digits: int = QUANTITY_DIGITS,
) -> FieldProblem | None:
    """What is wrong with a quantity: missing, not a finite number, not above 0, so small
    it rounds to 0 at ``digits`` decimals (it would be listed as open with nothing left),
    absurd."""
    if value is None:
        return field_problem(loc, "is required") if required else None
    if not math.isfinite(value):
        return field_problem(loc, "must be a finite number")
    if value <= 0:
        return field_problem(loc, "must be greater than 0")
    if round(value, digits) <= 0:
        return field_problem(loc, "is too small: it rounds to 0")
    if value > limit:
        return field_problem(loc, "must be at most {limit:,.10g}", limit=limit)
    return None


def price_problem(loc: Sequence[str | int], value: float, *, limit: float) -> FieldProblem | None:
    """What is wrong with a price in CNY per unit (one below half a fen is refused)."""
    return quantity_problem(loc, value, limit=limit, digits=PRICE_DIGITS)


WINDOW_FIELD_WORDS = {"available_from": N_("the first day available"), "today": N_("today")}
"""A window's first field in words, as a message id: "is before the first day available"
(a page: "早于起始日期"), never "is before available_from"."""


def _field_word(name: str) -> Text:
    return phrase(WINDOW_FIELD_WORDS[name]) if name in WINDOW_FIELD_WORDS else verbatim(name)


def window_problems(
    *,
    first: date,
    last: date,
    today: date,
    limits: BoardLimits,
    first_field: str,
    last_field: str,
) -> list[FieldProblem]:
    """A pickup or delivery window that ends in the past, ends before it starts, starts or
    ends too far from today (a typing slip such as 1926 for 2026 would read as a posting
    available for a century)."""
    problems = []
    if last < today:
        problems.append(
            field_problem(
                ["body", last_field], "is in the past (today is {today})", today=today.isoformat()
            )
        )
    if last < first:
        problems.append(
            field_problem(["body", last_field], "is before {field}", field=_field_word(first_field))
        )
    if first_field != "today" and first < today - timedelta(days=limits.max_days_ahead):
        problems.append(
            field_problem(
                ["body", first_field],
                "is more than {days} days in the past",
                days=limits.max_days_ahead,
            )
        )
    horizon = today + timedelta(days=limits.max_days_ahead)
    if last > horizon:
        problems.append(
            field_problem(
                ["body", last_field],
                "is more than {days} days ahead",
                days=limits.max_days_ahead,
            )
        )
    return problems


def one_line_problems(
    values: Mapping[str, str | None], *, where: str = "body"
) -> list[FieldProblem | None]:
    """A problem per typed one-line text (an address, a contact) holding a line break or
    a control character: they reach other people's pages, boards and exports."""
    return [
        control_character_problem(value, [where, name])
        for name, value in values.items()
        if value is not None
    ]


def refuse(problems: Sequence[FieldProblem | None], *, what: Text) -> None:
    """Raise one 422 listing every problem found (``what``: the thing refused, a phrase),
    or nothing when there is none."""
    found = [problem for problem in problems if problem is not None]
    if found:
        raise InvalidInput(
            "the {what} is not valid: {first}", errors=found, what=what, first=found[0].text
        )


def floor_quantity(value: float) -> float:
    """A quantity rounded down to ``QUANTITY_DIGITS`` (never up: a proposal must never
    promise more than an offer has), forgiving float round-off just below a thousandth."""
    scale = 10**QUANTITY_DIGITS
    return math.floor(value * scale + 1e-6) / scale


def changed_rows(session: Session, statement: Update) -> int:
    """Rows a conditional UPDATE changed: how a commitment learns whether it won the race."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]
