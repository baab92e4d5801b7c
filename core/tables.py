"""Reading an uploaded table (CSV in UTF-8 or GB18030, or XLSX) into text cells by row.

Registries arrive as spreadsheets exported from whatever the bureau or a county uses, so a
file is read as text (every cell a string, blanks empty) and each domain checks its own
columns and values. Row numbers are the ones a person sees in a spreadsheet: the header
is row 1, the first data line row 2.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from core.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from core.text import FieldProblem, Text, echoed, field_problem, phrase

FIRST_DATA_ROW = 2
XLSX_MAGIC = b"PK\x03\x04"
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
MAX_UNPACKED_BYTES = 512 * 1024 * 1024
"""The most a workbook may unpack to: a sheet of a million report rows is about 250 MB."""
MAX_PACKING_RATIO = 100
"""How many times its packed size a big part may unpack to (sheets pack 5-20 times)."""
RATIO_CHECKED_FROM = 8 * 1024 * 1024
"""Parts smaller than this unpacked are not held to the ratio (tiny parts pack oddly)."""
MAX_CELL_CHARS = 1000
"""The longest cell an uploaded table may hold (codes, numbers, names of a few hundred)."""
MAX_CELL_PROBLEMS = 100
"""How many overlong cells a refusal lists."""
CSV_FIELD_LIMIT = 256 * 1024 * 1024
"""The longest field Python's csv module reads (131,072 characters by default): above any
upload, so a header of one huge name is read, and echoed short, rather than refused by
the parser. The limit is the process's; nothing else here reads CSV with that module."""
csv.field_size_limit(CSV_FIELD_LIMIT)
BLANK_LINE = re.compile(r"(?:\A|\n)[ \t]*\r?\n|(?:\A|\r)[ \t]*\r(?!\n)")
"""A line holding nothing but spaces (LF, CRLF or CR line ends), or, rarely, a line break
inside a quoted cell: only a file that has one needs its rows counted one by one."""
MAX_HEADER_COLUMNS = 64
"""The widest header a file may have: every table the service takes has a dozen columns at
most, and a header of 200,000 made each upload's checks run for minutes."""


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
        frame = read_workbook(data)
    else:
        frame = read_csv_cells(data)
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
    check_cell_lengths(frame)
    return frame[[*required, *optional]].apply(lambda column: column.str.strip())


def refuse_wide_header(columns: Sequence[str]) -> None:
    """Refuse a header wider than any table the service takes, before any per-column check."""
    if len(columns) > MAX_HEADER_COLUMNS:
        raise InvalidInput(
            "the header has {count} columns; at most {limit} are accepted",
            errors=[
                field_problem(
                    ["file", "header"], "more than {limit} columns", limit=MAX_HEADER_COLUMNS
                )
            ],
            count=len(columns),
            limit=MAX_HEADER_COLUMNS,
        )


def repeated_columns(columns: Sequence[str]) -> list[str]:
    """The names a header gives more than once, sorted (counted once each, not per column)."""
    return sorted(name for name, count in Counter(columns).items() if count > 1)


def check_header(columns: list[str], *, required: Sequence[str], optional: Sequence[str]) -> None:
    """Refuse a header that lacks a required column, has an unknown one or repeats one."""
    refuse_wide_header(columns)
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
            ["file", "header"],
            "unknown column {column!r}",
            column=echoed(name),
            extra={"column": echoed(name)},
        )
        for name in columns
        if name not in known
    ]
    errors += [
        field_problem(
            ["file", "header"],
            "column {column!r} appears twice",
            column=echoed(name),
            extra={"column": echoed(name)},
        )
        for name in repeated_columns(columns)
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


def read_csv_cells(data: bytes) -> pd.DataFrame:
    """The cells of a CSV file as text, indexed by spreadsheet row, or a 422 saying why it
    cannot be read.

    The header is read first on its own and refused when wider than any table the service
    takes: pandas spends seconds building a frame of 200,000 columns from a 2 MB file. The
    columns keep the header's own names, so a repeated name is reported as repeated, not
    as pandas' renamed copy (``name.1``)."""
    text = _decode(data)
    header = _first_record(text)
    refuse_wide_header(header)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as error:
        _refuse_long_rows(text, len(header))
        _refuse_open_quote(text)
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
    if not isinstance(frame.index, pd.RangeIndex):
        _refuse_long_rows(text, len(header))
    if len(header) == len(frame.columns):
        frame.columns = pd.Index(header, dtype=object)
    frame.index = _csv_row_numbers(text, len(frame))
    return frame


def _csv_row_numbers(text: str, rows: int) -> pd.Index:
    """The spreadsheet row of each of the ``rows`` data rows pandas read: blank lines,
    which pandas skips, still take a row (as a spreadsheet shows the file), and a quoted
    cell spanning lines keeps its row one row. Counted by the csv module only when the
    file has a blank line; should the two readers ever disagree on how many rows there
    are, the rows are numbered one after the other as before."""
    consecutive = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + rows)
    if not BLANK_LINE.search(text):
        return consecutive
    try:
        numbers = [
            number
            for number, record in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
            if not _blank(record)
        ]
    except csv.Error:
        return consecutive
    data = numbers[1:]  # after the header, the first row that is not blank
    return pd.Index(data, dtype="int64") if len(data) == rows else consecutive


def _blank(record: list[str]) -> bool:
    """Whether a CSV record is a line pandas skips: empty or spaces, no separator."""
    return not record or (len(record) == 1 and not record[0].strip())


def _refuse_open_quote(text: str) -> None:
    """Refuse a quote that opens and never closes, by the row where it opens: pandas says
    only "EOF inside string", counting rows its own way."""
    reader = csv.reader(io.StringIO(text), strict=True)
    starts_at = 0  # rows counted as the other refusals count them: the header is row 1
    while True:
        starts_at += 1
        try:
            next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise InvalidInput(
                "nothing was stored; a quote opens in row {row} and never closes",
                errors=[
                    field_problem(
                        ["file", starts_at],
                        "a quote opens here and never closes: every row after it was read "
                        "into one cell",
                        extra={"row": starts_at},
                    )
                ],
                row=starts_at,
            ) from None


def _refuse_long_rows(text: str, width: int) -> None:
    """Refuse rows with more values than the header has columns, each by its row: pandas
    would take their first values as an index and shift every cell one column left, so a
    price would be read as a product."""
    rows = [
        number
        for number, record in enumerate(csv.reader(io.StringIO(text)), start=1)
        if len(record) > width
    ]
    if rows:
        raise InvalidInput(
            "nothing was stored; {count} row(s) have more values than the header's {width}",
            errors=[
                field_problem(
                    ["file", row],
                    "more values than the header's {width} columns",
                    extra={"row": row},
                    width=width,
                )
                for row in rows[:MAX_CELL_PROBLEMS]
            ],
            extra={"error_count": len(rows)},
            count=len(rows),
            width=width,
        )


def _first_record(text: str) -> list[str]:
    """The CSV's first non-blank record (its header), read alone whatever its length."""
    try:
        for record in csv.reader(io.StringIO(text)):
            if record:
                return record
    except csv.Error as error:
        raise InvalidInput(
            "the CSV could not be read: {reason}",
            errors=[field_problem(["file", "header"], "{reason}", reason=str(error))],
            reason=str(error),
        ) from error
    return []


def check_workbook_size(data: bytes) -> None:
    """Refuse a workbook whose zip directory promises too much, before any part is unpacked:
    more than ``MAX_UNPACKED_BYTES`` in all, or a big part packed more than
    ``MAX_PACKING_RATIO`` times (a cell of 200 MB of 'A' deflates to 200 KB). A directory
    that understates a size gains nothing: ``zipfile`` stops reading a part at its
    stated size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise UnsupportedMediaType(
            "the file is neither CSV nor a readable XLSX workbook"
        ) from error
    unpacked = sum(part.file_size for part in parts)
    limits = {"limit_bytes": MAX_UNPACKED_BYTES, "limit_ratio": MAX_PACKING_RATIO}
    if unpacked > MAX_UNPACKED_BYTES:
        raise PayloadTooLarge(
            "the workbook unpacks to {size} bytes; at most {limit} are accepted",
            errors=[
                field_problem(
                    ["file"], "unpacks to more than {limit} bytes", limit=MAX_UNPACKED_BYTES
                )
            ],
            extra=limits,
            size=unpacked,
            limit=MAX_UNPACKED_BYTES,
        )
    for part in parts:
        packed = max(part.compress_size, 1)
        if part.file_size > RATIO_CHECKED_FROM and part.file_size > MAX_PACKING_RATIO * packed:
            raise PayloadTooLarge(
                "the workbook part {part} unpacks to {size} bytes from {packed}; "
                "a part may unpack to at most {ratio} times its packed size",
                errors=[
                    field_problem(
                        ["file"],
                        "part {part} unpacks to more than {ratio} times its packed size",
                        part=echoed(part.filename),
                        ratio=MAX_PACKING_RATIO,
                    )
                ],
                extra=limits,
                part=echoed(part.filename),
                size=part.file_size,
                packed=part.compress_size,
                ratio=MAX_PACKING_RATIO,
            )


def _whole_sheet(book: openpyxl.Workbook) -> Any:
    """The first sheet, read to its last row whatever size the workbook says it has: a
    read-only sheet stops at the ``<dimension>`` its writer stated, and a tool that states
    too few rows would have the rest dropped without a word."""
    sheet = book.worksheets[0]
    if hasattr(sheet, "reset_dimensions"):
        sheet.reset_dimensions()
    return sheet


def read_workbook(data: bytes) -> pd.DataFrame:
    """The cells of the first sheet of a workbook (header row as columns, blank rows
    dropped) as text, indexed by sheet row; the size is checked first, then the sheet is
    streamed row by row (openpyxl's read-only mode, which yields an empty row for each
    row the sheet's XML leaves out, so a row's place in the stream is its number)."""
    check_workbook_size(data)
    try:
        book = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, InvalidFileException) as error:
        raise UnsupportedMediaType(
            "the file is neither CSV nor a readable XLSX workbook"
        ) from error
    try:
        rows = [_trimmed(values) for values in _whole_sheet(book).iter_rows(values_only=True)]
    except (KeyError, ValueError, OSError, zipfile.BadZipFile) as error:
        raise UnsupportedMediaType(
            "the file is neither CSV nor a readable XLSX workbook"
        ) from error
    finally:
        book.close()
    if not rows:
        return pd.DataFrame()
    _refuse_formulas_without_values(data, rows)
    width = max(len(row) for row in rows)
    header = [*rows[0], *[None] * (width - len(rows[0]))]
    columns = [
        f"Unnamed: {position}" if name is None else _as_text(name)
        for position, name in enumerate(header)
    ]
    numbered = [(number, row) for number, row in enumerate(rows[1:], start=FIRST_DATA_ROW) if row]
    lines = [
        [_as_text(value) for value in [*row, *[None] * (width - len(row))]] for _, row in numbered
    ]
    return pd.DataFrame(
        lines,
        columns=columns,
        index=pd.Index([number for number, _ in numbered], dtype="int64"),
        dtype=object,
    )


def _refuse_formulas_without_values(data: bytes, rows: list[list[object]]) -> None:
    """Refuse formula cells the workbook holds no value for, by row and column: a file
    written by a script (not saved by a spreadsheet program) keeps only the formula, which
    read as an empty cell and was refused as "is required"."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        has_formulas = any(
            name.startswith("xl/worksheets/") and b"<f" in archive.read(name)
            for name in archive.namelist()
        )
    if not has_formulas:
        return
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, keep_links=False)
    try:
        formulas = [
            (position, column)
            for position, cells in enumerate(_whole_sheet(book).iter_rows())
            for column, cell in enumerate(cells)
            if getattr(cell, "data_type", None) == "f"
            and (column >= len(rows[position]) or rows[position][column] is None)
        ]
    finally:
        book.close()
    if formulas:
        header = rows[0]
        raise InvalidInput(
            "nothing was stored; {count} formula cell(s) have no saved value: open the file "
            "in a spreadsheet program and save it, or paste the values",
            errors=[
                field_problem(
                    ["file", position + 1, _column_name(header, column)],
                    "a formula with no saved value",
                    extra={"row": position + 1, "column": _column_name(header, column)},
                )
                for position, column in formulas
            ],
            count=len(formulas),
        )


def _column_name(header: list[object], position: int) -> str:
    """The header's name of a column, or its position when the header has none there."""
    if position < len(header) and header[position] is not None:
        return _as_text(header[position])
    return f"Unnamed: {position}"


def _trimmed(values: tuple[object, ...]) -> list[object]:
    """A sheet row without its empty trailing cells (an empty row becomes [])."""
    cells = list(values)
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def _as_text(value: object) -> str:
    """A cell as people typed it: whole numbers without '.0', days as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_cell_lengths(frame: pd.DataFrame) -> None:
    """Refuse cells longer than ``MAX_CELL_CHARS``, each named by row and column with a short
    prefix; no column of ours holds that much text, and a huge cell is an attack."""
    problems = []
    for column in frame.columns:
        cells = frame[column]
        for row in cells.index[cells.str.len() > MAX_CELL_CHARS]:
            problems.append(
                field_problem(
                    ["file", int(row), column],
                    "longer than {limit} characters ({start!r})",
                    extra={"row": int(row), "column": column},
                    limit=MAX_CELL_CHARS,
                    start=echoed(cells[row]),
                )
            )
    if problems:
        problems.sort(key=lambda problem: problem.loc[1])
        raise InvalidInput(
            "nothing was stored; {count} cell(s) longer than {limit} characters",
            errors=problems[:MAX_CELL_PROBLEMS],
            extra={"error_count": len(problems)},
            count=len(problems),
            limit=MAX_CELL_CHARS,
        )


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
