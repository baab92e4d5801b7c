"""A form's validation problems read the same in English as the API's pydantic ``msg``,
and in Chinese on the pages: every error type our request models can raise is worded by
message id from its ``type`` and ``ctx``."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal

import pytest
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from core.errors import InvalidValue
from service.http.validation import CHOICES, COUNTED, MESSAGES, validation_text
from service.translations import translations


class Unit(StrEnum):
    kg = "kg"
    piece = "piece"
    box = "box"


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product: str


class Checked(BaseModel):
    note: str

    @field_validator("note")
    @classmethod
    def _refuse(cls, value: str) -> str:
        if value == "nul":
            raise InvalidValue("must not contain a NUL character")
        assert value != "assert", "notes are words"
        return value


class Stored(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str


SAMPLES: list[tuple[str, Any, Any]] = [
    ("missing", Line, {}),
    ("extra_forbidden", Line, {"product": "pork", "colour": "red"}),
    ("string_type", str, 5),
    ("string_unicode", str, b"\xff"),
    ("string_pattern_mismatch", Annotated[str, Field(pattern=r"^[A-Z]+$")], "pork"),
    ("string_too_short", Annotated[str, Field(min_length=1)], ""),
    ("string_too_short", Annotated[str, Field(min_length=3)], "ab"),
    ("string_too_long", Annotated[str, Field(max_length=1)], "ab"),
    ("string_too_long", Annotated[str, Field(max_length=64)], "x" * 65),
    ("int_type", int, []),
    ("int_parsing", int, "lots"),
    ("int_parsing_size", int, "9" * 5000),
    ("int_from_float", int, 1.5),
    ("float_type", float, []),
    ("float_parsing", float, "lots"),
    ("finite_number", Annotated[float, Field(allow_inf_nan=False)], float("inf")),
    ("bool_type", bool, []),
    ("bool_parsing", bool, "maybe"),
    ("greater_than", Annotated[float, Field(gt=0)], 0),
    ("greater_than_equal", Annotated[float, Field(ge=1)], 0.5),
    ("less_than", Annotated[int, Field(lt=10)], 10),
    ("less_than_equal", Annotated[float, Field(le=1_000_000)], 2e6),
    ("less_than_equal", Annotated[float, Field(le=90)], 95),
    ("multiple_of", Annotated[int, Field(multiple_of=5)], 7),
    ("date_type", date, []),
    ("date_parsing", date, "0000-01-01"),
    ("date_from_datetime_parsing", date, "2026-13-01"),
    ("date_from_datetime_inexact", date, "2026-02-03T10:00"),
    ("datetime_type", datetime, []),
    ("datetime_parsing", datetime, "0000-01-01T00:00"),
    ("datetime_from_date_parsing", datetime, "2026-02-3x"),
    ("timezone_aware", AwareDatetime, "2026-02-03T10:00"),
    ("timezone_naive", NaiveDatetime, "2026-02-03T10:00+08:00"),
    ("time_type", time, []),
    ("time_parsing", time, "25:00"),
    ("list_type", list[int], 5),
    ("too_short", Annotated[list[int], Field(min_length=1)], []),
    ("too_long", Annotated[list[int], Field(max_length=2)], [1, 2, 3]),
    ("dict_type", dict[str, int], 5),
    ("model_type", Line, 5),
    ("model_attributes_type", Stored, 5),
    ("value_error", Checked, {"note": "nul"}),
    ("assertion_error", Checked, {"note": "assert"}),
    ("enum", Unit, "jin"),
    ("literal_error", Literal["city", "district"], "street"),
]
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def _errors(kind: Any, value: Any) -> list[Any]:
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    with pytest.raises(ValidationError) as raised:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            kind.model_validate(value, from_attributes=kind is Stored)
        else:
            adapter.validate_python(value)
    return list(raised.value.errors())


@pytest.mark.parametrize(("kind", "model", "value"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_a_problem_reads_as_pydantic_says_it_in_english_and_translates_to_chinese(
    kind: str, model: Any, value: Any
) -> None:
    error = next(e for e in _errors(model, value) if e["type"] == kind)
    text = validation_text(error)
    assert text.message != "{value}", f"{kind} is not worded: {error['msg']!r}"
    assert str(text) == error["msg"]
    chinese = text.render(translations("zh").gettext)
    assert chinese != error["msg"]
    ctx = [str(v) for v in (error.get("ctx") or {}).values()]
    data = {*ctx, *(q for v in ctx for q in re.findall(r"'[^']*'", v)), "YYYY-MM-DD"}
    words = LATIN_WORD.findall(
        re.sub("|".join(re.escape(d) for d in sorted(data, key=len, reverse=True)), "", chinese)
    )
    assert not words, (error["msg"], chinese)


def test_every_worded_type_has_a_sample() -> None:
    assert {kind for kind, _, _ in SAMPLES} == set(MESSAGES) | set(COUNTED) | set(CHOICES)


def test_an_error_it_cannot_word_stays_pydantics_english() -> None:
    odd = {"type": "url_parsing", "msg": "Input should be a valid URL", "ctx": {"error": "x"}}
    assert str(validation_text(odd)) == "Input should be a valid URL"
    unlike = {"type": "greater_than", "msg": "Input should be greater than zero", "ctx": {"gt": 0}}
    assert str(validation_text(unlike)) == "Input should be greater than zero"
