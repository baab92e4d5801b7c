"""Shapes every router shares: strict request models, pages, and documented problems."""

from __future__ import annotations

import types
import typing
from datetime import time
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Query, Request
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from core.errors import InvalidInput, InvalidValue
from core.text import breaks_a_line, field_problem, is_blank
from service.http.dependencies import SettingsDep

T = TypeVar("T")

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _local_clock(value: time) -> time:
    """Windows and shifts are clock times of the city's day; an offset would be misread."""
    if value.tzinfo is not None:
        raise InvalidValue("give a local clock time HH:MM[:SS] without a UTC offset")
    return value


ClockTime = Annotated[
    time,
    AfterValidator(_local_clock),
    PlainSerializer(lambda value: value.strftime("%H:%M:%S"), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CLOCK_PATTERN,
            "examples": ["08:00"],
            "description": "Local clock time in the city's time zone, HH:MM[:SS]",
        }
    ),
]
"""A time of day in the city's time zone (JSON: "08:00"), never with a UTC offset."""


def _one_line(value: str) -> str:
    """A name is printed on one line of pages, tables and PDFs: a control character would
    break the line, so refuse it where it is typed."""
    if any(breaks_a_line(character) for character in value):
        raise InvalidValue("must be one line without control characters")
    return value


def _shows_something(value: str) -> str:
    """A name of only spaces and invisible marks (zero-width spaces) shows as nothing on
    every page while passing a length check."""
    if is_blank(value):
        raise InvalidValue("must not be blank")
    return value


def _one_line_if_given(value: str | None) -> str | None:
    return None if value is None else _one_line(value)


Visible = AfterValidator(_shows_something)
"""For a required text (a reason, a note): it must show something, not only invisible
marks that pass a length check."""

OneLine = AfterValidator(_one_line_if_given)
"""For an optional one-line text (an address, a contact's name or phone, a crew): no line
breaks, control characters or marks that reorder the text, as for names."""

Name = Annotated[
    str,
    Field(min_length=1, max_length=200),
    AfterValidator(_one_line),
    AfterValidator(_shows_something),
]
"""The name people type for a region, store, compound, producer, enterprise or product."""
LocalName = Annotated[str, Field(max_length=200), AfterValidator(_one_line)]
"""A name's Chinese spelling: optional, and one line like the name itself."""


def _kinds(annotation: Any) -> set[Any]:
    """The plain types a field's annotation admits, through unions and ``Annotated``."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        return set().union(*(_kinds(argument) for argument in typing.get_args(annotation)))
    return {annotation}


def _reads_a_flag_as_a_number(annotation: Any) -> bool:
    """Whether pydantic would turn ``true`` or ``false`` sent for this field into 1 or 0:
    it takes a number and neither a flag nor any value."""
    kinds = _kinds(annotation)
    numbers = any(
        isinstance(kind, type) and issubclass(kind, (int, float)) and kind is not bool
        for kind in kinds
    )
    return numbers and bool not in kinds and Any not in kinds


def _carries_nul(value: Any) -> bool:
    """Whether ``value``, or any text in the lists and mappings it holds, has a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_carries_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_carries_nul(key) or _carries_nul(item) for key, item in value.items())
    return False


class StrictModel(BaseModel):
    """Request bodies: unknown fields are an error, never silently dropped, and no text
    may carry a NUL character (PostgreSQL cannot store one), nor any text in a list or
    mapping of them (a list of plates, a matrix's locations, a silence's matchers)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if _carries_nul(value):
            raise InvalidValue("must not contain a NUL character")
        return value

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_or_false_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        """Pydantic's lax mode reads ``true`` as 1 and ``false`` as 0: a client that sent a
        flag where a stock, a price or a coordinate belongs gets a 422, not a stored 1."""
        if not isinstance(value, bool):  # every other value of every body passes here
            return value
        field = cls.model_fields.get(info.field_name or "")
        if field and _reads_a_flag_as_a_number(field.annotation):
            raise InvalidValue("must be a number, not true or false")
        return value


def reject_nul_characters(request: Request) -> None:
    """Refuse path and query values with NUL characters before they reach the database."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput(
                "path parameter {name} contains a NUL character",
                errors=[field_problem(["path", name], "must not contain a NUL character")],
                name=name,
            )
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise InvalidInput(
                "query parameter {name} contains a NUL character",
                errors=[field_problem(["query", name], "must not contain a NUL character")],
                name=name,
            )


async def refuse_repeated_parts(request: Request) -> None:
    """Refuse an upload that sends a part twice (two ``file`` parts): the form keeps only
    the last, so the first file would be silently left out."""
    form = await request.form()  # parsed once: the endpoint's own parameters read it too
    repeated = sorted({name for name in form if len(form.getlist(name)) > 1})
    if repeated:
        raise InvalidInput(
            "send each part once: {names} came more than once",
            errors=[field_problem(["body", name], "sent more than once") for name in repeated],
            names=", ".join(repeated),
        )


MAX_DATABASE_ID = 2_147_483_647
"""The largest id a table holds (a 32-bit integer column): a larger number names nothing."""
DatabaseId = Annotated[int, Path(ge=1, le=MAX_DATABASE_ID, description="Numeric id")]
DatabaseIdQuery = Annotated[int, Query(ge=1, le=MAX_DATABASE_ID, description="Numeric id")]
"""An id in the query (``?run=12``), bounded like ``DatabaseId``."""


class ReadModel(BaseModel):
    """Response bodies, built from ORM rows or dicts."""

    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a listing, with the total count for the filter."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    settings: SettingsDep,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=1000,
            description="Page size: at most SUPPLYWATCH_MAX_PAGE_SIZE (500 unless set otherwise)",
        ),
    ] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> PageParams:
    """Paging from the query, refusing pages larger than the configured cap."""
    if limit > settings.max_page_size:
        raise InvalidInput(
            "limit may be at most {limit}",
            errors=[
                field_problem(["query", "limit"], "at most {limit}", limit=settings.max_page_size)
            ],
            limit=settings.max_page_size,
        )
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; errors lists every bad field or file row.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "row": {"type": "integer"},
                    "column": {"type": "string"},
                },
            },
        },
    },
}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    str(status): _problem(description)
    for status, description in [
        (400, "Malformed request"),
        (401, "Missing or invalid credentials"),
        (403, "The caller's role or binding does not allow this"),
        (404, "Not found"),
        (409, "Conflicts with the current state (a code already taken)"),
        (413, "Request body too large"),
        (415, "Unsupported media type"),
        (422, "Invalid input; errors lists every field or row"),
        (429, "Too many requests"),
    ]
}
