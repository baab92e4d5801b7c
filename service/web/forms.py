"""Values typed in a page's form fields, parsed or refused with a problem naming the field."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, time
from enum import StrEnum
from typing import TypeVar

from core.errors import DomainError, InvalidInput
from core.text import FieldProblem, Text, field_problem, phrase
from service.web.problems import field_word

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

_TYPED_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
"""A number as people type it: ASCII digits, one point, an exponent. Python's ``float``
also reads "1_000" as 1000, "١٢" (other scripts' digits), "nan" and "inf", none of which
a person means as the number the page would store."""


def typed_number(text: str) -> float:
    """The number ``text`` spells (spaces around it ignored); ValueError when it is not
    one as people type it (``_TYPED_NUMBER``) or is too large to be finite."""
    value = text.strip()
    if _TYPED_NUMBER.fullmatch(value) is None:
        raise ValueError(f"not a number: {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"not a finite number: {value!r}")
    return number


def form_number(
    name: str, text: str, *, default: float | None = None, label: Text | None = None
) -> float:
    """A number typed in a form field (``default`` when left empty, if given), or a 422
    naming the field (by ``label`` as the form's people read it, else by its name)."""
    if not text.strip():
        if default is not None:
            return default
        raise InvalidInput(
            "{field} is required",
            errors=[field_problem(["body", name], "is required")],
            field=label or name,
        )
    try:
        return typed_number(text)
    except ValueError:
        raise InvalidInput(
            "{field} is not a number",
            errors=[field_problem(["body", name], "not a number")],
            field=label or name,
        ) from None


def optional_form_number(name: str, text: str) -> float | None:
    """A number typed in an optional form field: None when left empty."""
    return form_number(name, text) if text.strip() else None


def form_day(name: str, text: str) -> date:
    """A day typed in a form field, or a 422 naming it."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "{field} is not a date",
            errors=[field_problem(["body", name], "not a date (YYYY-MM-DD)")],
            field=name,
        ) from None


def form_time(name: str, text: str) -> time:
    """A clock time typed in a form field (HH:MM), or a 422 naming it."""
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "{field} is not a time",
            errors=[field_problem(["body", name], "not a time (HH:MM)")],
            field=name,
        ) from None


class TypedFields:
    """A form's fields read one by one, each unreadable one kept as a problem (and a
    stand-in value handed on), so the domain still checks the others and the page names
    every bad field at once instead of the first."""

    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def number(self, name: str, text: str, *, stand_in: float = 1.0) -> float:
        """The number typed in ``name``, or ``stand_in`` with the problem noted."""
        if not text.strip():
            self.problems.append(field_problem(["body", name], phrase("Fill this in")))
            return stand_in
        try:
            value = typed_number(text)
        except ValueError:
            self.problems.append(field_problem(["body", name], phrase("Enter a number")))
            return stand_in
        return value

    def optional_number(self, name: str, text: str) -> float | None:
        """The number typed in an optional field: None when left empty or unreadable."""
        if not text.strip():
            return None
        before = len(self.problems)
        value = self.number(name, text)
        return None if len(self.problems) > before else value

    def day(self, name: str, text: str, *, stand_in: date) -> date:
        """The day typed in ``name`` (YYYY-MM-DD), or ``stand_in`` with the problem noted."""
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            self.problems.append(
                field_problem(["body", name], phrase("Enter a date, such as 2026-12-31"))
            )
            return stand_in

    def choice(self, kind: type[E], name: str, text: str) -> E:
        """The value of a select list chosen in ``name``, or the list's first with the
        problem noted (a page's select posts only its own values, or nothing)."""
        if text in {member.value for member in kind}:
            return kind(text)
        self.problems.append(field_problem(["body", name], phrase("Choose one from the list")))
        return next(iter(kind))

    def check(self, action: Callable[[], T]) -> T:
        """Run the domain's ``action`` on what was read; refuse with the fields that could
        not be read and the domain's problems with the rest, all together."""
        try:
            result = action()
        except InvalidInput as error:
            if not self.problems:
                raise
            unread = {problem.loc for problem in self.problems}
            raise self._refusal(
                [problem for problem in field_problems_of(error) if problem.loc not in unread]
            ) from None
        if self.problems:
            raise self._refusal([])
        return result

    def _refusal(self, more: list[FieldProblem]) -> InvalidInput:
        problems = [*self.problems, *more]
        return InvalidInput(
            "{where}: {problem}",
            errors=problems,
            where=field_word(problems[0].loc[-1]),
            problem=problems[0].text,
        )


def field_problems_of(error: DomainError) -> list[FieldProblem]:
    """A domain error's worded field problems (plain dicts, nobody's wording, left out)."""
    return [item for item in error.problems or [] if isinstance(item, FieldProblem)]
