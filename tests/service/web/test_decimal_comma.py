"""A store types numbers as it writes them: "12,5" is twelve and a half on the form."""

from __future__ import annotations

import pytest

from service.web.numbers import AmbiguousComma, read_decimal_comma


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12,5", "12.5"),
        (" 12,50 ", "12.50"),
        (",5", "0.5"),
        ("-3,25", "-3.25"),
        ("0,250", "0.250"),  # a leading zero is never a thousands group
        ("1234,5678", "1234.5678"),
        ("12.5", "12.5"),  # a point stays a point
        ("1.234,5", "1.234,5"),  # a point and a comma: left for the domain to refuse
        ("1,2,3", "1,2,3"),  # several commas: not a number
        ("lots", "lots"),
        ("", ""),
    ],
)
def test_a_single_comma_without_a_point_is_the_decimal_separator(typed: str, read: str) -> None:
    assert read_decimal_comma(typed) == read


@pytest.mark.parametrize(
    ("typed", "whole", "decimal"),
    [("1,234", "1234", "1.234"), ("-12,500", "-12500", "-12.500")],
)
def test_a_comma_before_three_digits_is_refused_as_ambiguous(
    typed: str, whole: str, decimal: str
) -> None:
    with pytest.raises(AmbiguousComma) as refused:
        read_decimal_comma(typed)
    assert (refused.value.whole, refused.value.decimal) == (whole, decimal)
