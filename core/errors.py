"""Domain errors that carry their HTTP meaning, rendered as RFC 9457 problem+json.

Domain code raises these without knowing about HTTP; one set of handlers in the app
turns them, FastAPI's validation errors and anything unexpected into the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from core.text import FieldProblem, Text, clipped

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://supplywatch.dev/problems/"
PROBLEMS_BYTES = 512 * 1024
"""The most the ``errors`` list of one answer may weigh (UTF-8 JSON): with the count cap and
the bounds on each message (``core.text``) a refusal stays well under a megabyte however
bad the upload."""


def listed_within_budget(items: Sequence[dict[str, Any]]) -> int:
    """How many of ``items`` (problem+json ``errors``) fit in ``PROBLEMS_BYTES``, first
    ones first."""
    weight = 0
    for count, item in enumerate(items):
        weight += len(json.dumps(item, ensure_ascii=False, default=str).encode()) + 1
        if weight > PROBLEMS_BYTES:
            return count
    return len(items)


class DomainError(Exception):
    """Base of every expected failure; ``status`` is the HTTP status it maps to.

    The message is a message id with its values (``core.text``): ``detail`` is its
    English rendering for the API, ``text`` what the pages translate. ``errors`` lists
    field problems (``field_problem(...)``); plain dicts are accepted but cannot be
    translated.
    """

    status: int = 400
    type_slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        message: str | Text,
        /,
        *,
        errors: Sequence[FieldProblem | dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **values: Any,
    ) -> None:
        self.text = message if isinstance(message, Text) else Text(message, values)
        self.detail = clipped(str(self.text))
        super().__init__(self.detail)
        self.problems: list[FieldProblem | dict[str, Any]] | None = (
            list(errors) if errors is not None else None
        )
        self.errors: list[dict[str, Any]] | None = (
            [item.as_json() if isinstance(item, FieldProblem) else item for item in errors]
            if errors is not None
            else None
        )
        self.extra = dict(extra or {})
        if self.errors is not None and self.problems is not None:
            listed = listed_within_budget(self.errors)
            if listed < len(self.errors):
                self.errors, self.problems = self.errors[:listed], self.problems[:listed]
                self.extra["errors_listed"] = listed
        self.headers = headers


class InvalidValue(ValueError):
    """A value a pydantic validator refuses, worded by message id: pydantic reports it as
    ``Value error, <English>`` and the pages translate its ``text``."""

    def __init__(self, message: str | Text, /, **values: Any) -> None:
        self.text = message if isinstance(message, Text) else Text(message, values)
        super().__init__(str(self.text))


class NotFound(DomainError):
    status = 404
    type_slug = "not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    type_slug = "conflict"
    title = "Conflict"


class InvalidInput(DomainError):
    """Input that parsed but breaks a rule; ``errors`` lists every offending field or row."""

    status = 422
    type_slug = "validation-error"
    title = "Invalid input"


class Unauthenticated(DomainError):
    status = 401
    type_slug = "unauthenticated"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    type_slug = "forbidden"
    title = "Forbidden"


class TooManyRequests(DomainError):
    status = 429
    type_slug = "too-many-requests"
    title = "Too many requests"


class ServiceBusy(DomainError):
    """Another writer held the database past the wait the settings allow: 503 with
    ``Retry-After``, so a client tries again instead of reading a failure into it."""

    status = 503
    type_slug = "service-busy"
    title = "Service busy"


class PayloadTooLarge(DomainError):
    status = 413
    type_slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(DomainError):
    status = 415
    type_slug = "unsupported-media-type"
    title = "Unsupported media type"


def problem(
    *,
    status: int,
    title: str,
    detail: str,
    type_slug: str,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The problem+json body for one failure."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return body
