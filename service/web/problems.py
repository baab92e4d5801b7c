"""How the pages word what went wrong: a domain error's field problems by field, and
FastAPI's validation errors of a page's form or query as one problem, every part a message
id the catalogue translates (never English matched after the fact)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import DomainError, InvalidInput
from core.text import N_, FieldProblem, Text, field_problem, in_turn, phrase, verbatim
from service.http.validation import validation_text

FORM_FIELD_WORDS: dict[str, str] = {
    "username": N_("username"),
    "password": N_("password"),
    "next": N_("next"),
    "note": N_("note"),
    "comment": N_("comment"),
    "hours": N_("hours"),
    "rule": N_("rule"),
    "region": N_("region"),
    "product": N_("product"),
    "category": N_("category"),
    "severity": N_("severity"),
    "status": N_("status"),
    "page": N_("page"),
    "day": N_("day"),
    "date": N_("date"),
    "time_limit_s": N_("time_limit_s"),
    "request_id": N_("request_id"),
    "version": N_("version"),
    "to_truck": N_("to_truck"),
    "part": N_("part"),
    "position": N_("position"),
    "receiver_name": N_("receiver_name"),
    "reason": N_("reason"),
    "truck": N_("truck"),
    "file": N_("file"),
    "alert_id": N_("alert_id"),
    "plan_id": N_("plan_id"),
    "delivery_id": N_("delivery_id"),
    "silence_id": N_("silence_id"),
}
"""The pages' form, query and path fields as people read them (forms name them by these)."""


def field_word(name: str | int) -> Text:
    """A page's field named for people in their language (an unknown one as it is)."""
    key = str(name)
    return phrase(FORM_FIELD_WORDS[key]) if key in FORM_FIELD_WORDS else verbatim(key)


def field_problems(error: DomainError) -> list[FieldProblem]:
    """A domain error's field problems (a plain ``{"loc", "msg"}`` item, which nobody worded
    as a message id, is shown as it is)."""
    return [
        item
        if isinstance(item, FieldProblem)
        else field_problem(
            list(item.get("loc", [])),
            verbatim(str(item.get("msg", ""))),
            extra={k: v for k, v in item.items() if k not in ("loc", "msg")},
        )
        for item in error.problems or []
    ]


def form_problem(errors: Sequence[Mapping[str, Any]]) -> InvalidInput:
    """FastAPI's validation errors of a page's form, query or path as one 422 for the error
    page: each field named for people, with pydantic's problem in their language."""
    problems = [field_problem(list(e.get("loc", [])), validation_text(e)) for e in errors]
    worded = [
        phrase("{where}: {problem}", where=field_word(p.loc[-1]), problem=p.text)
        if p.loc
        else p.text
        for p in problems
    ]
    return InvalidInput(in_turn(worded), errors=problems)


def labelled_problems(error: DomainError, labels: Mapping[str, str]) -> Text:
    """A refused form's message above it: each field problem after the field's label as the
    form shows it (``labels``: field name → the label's message id), so the reader never
    meets a code such as ``text``; a field the form has no label for by its word, and a
    refusal naming no field by its own text."""
    problems = [problem for problem in field_problems(error) if problem.loc]
    if not problems:
        return error.text
    return in_turn(
        [
            phrase("“{label}”: {problem}", label=phrase(labels[key]), problem=problem.text)
            if (key := ".".join(str(part) for part in problem.loc[1:])) in labels
            else phrase(
                "{where}: {problem}", where=field_word(problem.loc[-1]), problem=problem.text
            )
            for problem in problems
        ]
    )
