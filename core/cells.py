"""Cells of the CSV and XLSX files the service writes, safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to Excel and LibreOffice (CSV/formula injection): a receiver name
``=HYPERLINK(...)`` would run when a dispatcher opens the manifest. OWASP's advice is to
prefix such a cell with a single quote; a cell that is a real number (``-2.5``) stays as
it is. Every writer passes its cells through here.

Where the list separator is ``;`` (much of Europe, and Excel set that way), a comma-
separated file is split at every ``;`` too, so ``seen;=1+1`` arrives as two cells, the
second a formula. So each ``;``-separated piece of a text is made safe the same way: a
piece that would start a formula gets the quote after its ``;``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""Control characters a worksheet cannot hold (openpyxl refuses the whole file): a name
holding one is written with U+FFFD in its place, so it still shows that something was
there and every other row is downloaded."""


PIECE_AFTER_SEMICOLON = re.compile(r';( *"? *)([^;]*)')
"""A piece after a ``;``, with the spaces and quote that may open it (a quoted field is
still read as a formula, and a spreadsheet set to trim spaces trims them first)."""


def _is_number(text: str) -> bool:
    """Whether a spreadsheet would read ``text`` as a plain number, not a formula."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet must receive it: a text that would start a formula gets
    a leading single quote, a control character a worksheet cannot hold becomes U+FFFD;
    numbers, dates and other texts are returned unchanged."""
    if not isinstance(value, str):
        return value
    value = UNWRITABLE.sub("\ufffd", value)
    if ";" in value:
        value = PIECE_AFTER_SEMICOLON.sub(_safe_piece, value)
    if value.startswith(FORMULA_STARTS) and not _is_number(value):
        return "'" + value
    return value


def _safe_piece(match: re.Match[str]) -> str:
    """One ``;``-separated piece as a ``;`` spreadsheet would read it, quoted if a formula."""
    opening, piece = match.groups()
    if piece.startswith(FORMULA_STARTS) and not _is_number(piece):
        return f";{opening}'{piece}"
    return match.group(0)


def safe_row(row: dict[str, Any]) -> dict[str, Any]:
    """Every cell of a row (a ``csv.DictWriter`` row) made safe."""
    return {name: safe_cell(value) for name, value in row.items()}


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are safe (before ``to_csv``/``to_excel``)."""
    return frame.apply(lambda column: column.map(safe_cell)) if len(frame) else frame.copy()


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text with safe cells; lines end in CRLF (RFC 4180), so a cell that
    holds a lone carriage return is quoted instead of breaking its row."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n")
