"""Values typed in a page's form fields, parsed or refused with a problem naming the field."""

from __future__ import annotations

from datetime import date, time

from core.errors import InvalidInput
from core.text import Text, field_problem


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
        return float(text)
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
