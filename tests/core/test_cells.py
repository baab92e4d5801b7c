"""Which cells a spreadsheet would run as formulas, and which are plain numbers or text."""

from __future__ import annotations

import pandas as pd
import pytest

from core.cells import csv_text, safe_cell


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("+86 139 1234 5678", "'+86 139 1234 5678"),
        ("-2.5", "-2.5"),
        ("+7", "+7"),
        ("1e3", "1e3"),
        ("Wang Min", "Wang Min"),
        ("", ""),
    ],
)
def test_text_that_would_start_a_formula_is_quoted_and_numbers_are_not(
    typed: str, written: str
) -> None:
    assert safe_cell(typed) == written


def test_numbers_and_missing_values_pass_untouched() -> None:
    assert safe_cell(-3.5) == -3.5
    assert safe_cell(None) is None


def test_a_csv_cell_holding_a_carriage_return_stays_in_its_row() -> None:
    text = csv_text(pd.DataFrame({"name": ["\r=1", "ok"], "load": [-2.0, 3.0]}))
    assert text == 'name,load\r\n"\'\r=1",-2.0\r\nok,3.0\r\n'


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("seen;=1+1;@SUM(1+1)*cmd|x", "seen;'=1+1;'@SUM(1+1)*cmd|x"),
        ('gate 3;"=HYPERLINK(1)', "gate 3;\"'=HYPERLINK(1)"),
        ("=1;=2", "'=1;'=2"),
        ("2 boxes;-5 kg;-5", "2 boxes;'-5 kg;-5"),
        ("a;b; =c", "a;b; '=c"),
        ('a; " +c', "a; \" '+c"),
        ("no separator here", "no separator here"),
    ],
)
def test_a_piece_after_a_semicolon_that_would_start_a_formula_is_quoted_too(
    typed: str, written: str
) -> None:
    assert safe_cell(typed) == written


def test_a_semicolon_spreadsheet_reading_an_export_finds_no_formula() -> None:
    """Excel with ``;`` as its list separator splits each line at every ``;``."""
    note = "seen;=1+1;@SUM(1+1)*cmd|x"
    line = csv_text(pd.DataFrame({"district": ["demo district"], "note": [note]})).split("\r\n")[1]
    cells = [cell.strip('"') for cell in line.split(";")]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))], cells
