"""Reading an uploaded table (CSV in UTF-8 or GB18030, or XLSX) into text cells by row.

Registries arrive as spreadsheets exported from whatever the bureau or a county uses, so a
file is read as text (every cell a string, blanks empty) and each domain checks its own
columns and values. Row numbers are the ones a person sees in a spreadsheet: the header
is row 1, the first data line row 2.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from core.errors import InvalidInput, UnsupportedMediaType
from core.text import FieldProblem, Text, field_problem, phrase

FIRST_DATA_ROW = 2
XLSX_MAGIC = b"PK\x03\x04"
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def read_table(
    data: bytes,
    *,
    filename: str | None,
    required: Sequence[str],
    optional: Sequence[str] = (),
    max_rows: int,
) -> pd.DataFrame:
    """The file's cells as text, indexed by spreadsheet row, with every column of
    ``required`` and ``optional`` (missing optional ones empty); a 422 naming the header's
    problems, or a 415 when the file is neither CSV nor XLSX."""
    if not data.strip():
        raise InvalidInput(
            "the file is empty", errors=[field_problem(["file"], "the file has no header")]
        )
    name = (filename or "").lower()
    if data.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        frame = _read_xlsx(data)
    else:
        frame = _read_csv(data)
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    check_header(list(frame.columns), required=required, optional=optional)
    if frame.empty:
        raise InvalidInput(
            "the file has a header but no data rows",
            errors=[field_problem(["file"], "no data rows")],
        )
    if len(frame) > max_rows:
        raise InvalidInput(
            "the file has {rows} rows; at most {limit} are accepted in one upload",
            errors=[field_problem(["file"], "more than {limit} rows", limit=max_rows)],
            rows=len(frame),
            limit=max_rows,
        )
    for column in optional:
        if column not in frame.columns:
            frame[column] = ""
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    return frame[[*required, *optional]].apply(lambda column: column.str.strip())


def check_header(columns: list[str], *, required: Sequence[str], optional: Sequence[str]) -> None:
    """Refuse a header that lacks a required column, has an unknown one or repeats one."""
    known = {*required, *optional}
    errors = [
        field_problem(
            ["file", "header"], "missing column {column!r}", column=name, extra={"column": name}
        )
        for name in required
        if name not in columns
    ]
    errors += [
        field_problem(
            ["file", "header"], "unknown column {column!r}", column=name, extra={"column": name}
        )
        for name in columns
        if name not in known
    ]
    errors += [
        field_problem(
            ["file", "header"],
            "column {column!r} appears twice",
            column=name,
            extra={"column": name},
        )
        for name in sorted({name for name in columns if columns.count(name) > 1})
    ]
    if errors:
        raise InvalidInput(
            "the header does not match: expected columns {columns}",
            errors=errors,
            columns=",".join([*required, *(f"[{name}]" for name in optional)]),
        )


def _decode(data: bytes) -> str:
    """The text of a CSV file in UTF-8 (with or without BOM) or GB18030."""
    if b"\x00" in data:
        raise UnsupportedMediaType("the file is neither CSV nor XLSX (it looks binary)")
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedMediaType("the file is neither CSV (UTF-8 or GB18030 text) nor XLSX")


def _read_csv(data: bytes) -> pd.DataFrame:
    """The cells of a CSV file as text, or a 422 saying why it cannot be read."""
    try:
        return pd.read_csv(
            io.StringIO(_decode(data)),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as error:
        message = str(error).strip()
        raise InvalidInput(
            "the CSV could not be read: {reason}",
            errors=[field_problem(["file"], "{reason}", reason=message)],
            reason=message,
        ) from error
    except pd.errors.EmptyDataError as error:
        raise InvalidInput(
            "the file is empty", errors=[field_problem(["file"], "the file has no header")]
        ) from error


def _read_xlsx(data: bytes) -> pd.DataFrame:
    """The cells of the first sheet of a workbook as text, blank rows dropped."""
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnsupportedMediaType(
            "the file is neither CSV nor a readable XLSX workbook"
        ) from error
    frame = frame.dropna(how="all")

    def as_text(value: object) -> str:
        """A cell as people typed it: whole numbers without '.0', days as ISO dates."""
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return frame.apply(lambda column: column.map(as_text)).astype(str)


@dataclass(frozen=True)
class CellProblem:
    """A bad cell: its spreadsheet row, column and what is wrong."""

    row: int
    column: str
    text: Text

    def as_problem(self) -> FieldProblem:
        """The cell's problem as the problem+json ``errors`` item (row and column named)."""
        return field_problem(
            ["file", self.row, self.column],
            self.text,
            extra={"row": self.row, "column": self.column},
        )


def cells(rows: Iterable[int], column: str, text: Text) -> list[CellProblem]:
    """The same problem at the same column of several rows."""
    return [CellProblem(int(row), column, text) for row in rows]


def refusal_summary(problems: list[CellProblem]) -> Text:
    """The refusal's sentence: the first problem, and how many there are in how many rows."""
    first = problems[0]
    where = phrase(
        "row {position}, {column}: {inner}",
        position=first.row,
        column=first.column,
        inner=first.text,
    )
    rows = len({problem.row for problem in problems})
    if len(problems) == 1:
        return phrase("nothing was stored; {inner}", inner=where)
    return phrase(
        "nothing was stored; {count} problems in {rows} row(s), first at {inner}",
        count=len(problems),
        rows=rows,
        inner=where,
    )
