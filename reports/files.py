"""Reading bulk report files (CSV or XLSX) into raw lines, with file row numbers.

Row numbers are the ones a person sees in a spreadsheet: the header is row 1, the
first data line row 2.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd

from core.errors import InvalidInput, UnsupportedMediaType
from core.text import field_problem, verbatim

REQUIRED_COLUMNS = ("store", "date", "product", "stock", "sales", "price")
OPTIONAL_COLUMNS = ("received", "unit")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
FIRST_DATA_ROW = 2
_XLSX_MAGIC = b"PK\x03\x04"
_TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def read_report_file(data: bytes, *, filename: str | None, max_rows: int) -> pd.DataFrame:
    """Raw lines (all strings) indexed by file row number, or a problem naming what is wrong."""
    if not data.strip():
        raise InvalidInput(
            "the file is empty",
            errors=[field_problem(["file"], "the file has no header and no rows")],
        )
    name = (filename or "").lower()
    if data.startswith(_XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        frame = _read_xlsx(data)
    else:
        frame = _read_csv(data)
    frame.columns = [str(column).strip().lower() for column in frame.columns]
    _check_columns(list(frame.columns))
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
    for column in OPTIONAL_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    return frame[list(ALL_COLUMNS)]


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise UnsupportedMediaType("the file is neither CSV nor XLSX (it looks binary)")
    for encoding in _TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnsupportedMediaType("the file is neither CSV (UTF-8 or GB18030 text) nor XLSX")


def _read_csv(data: bytes) -> pd.DataFrame:
    text = _decode(data)
    try:
        return pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            quoting=csv.QUOTE_MINIMAL,
        )
    except pd.errors.ParserError as error:
        message = str(error).strip()
        raise InvalidInput(
            "the CSV could not be read: {reason}",
            errors=[field_problem(["file"], verbatim(message))],
            reason=message,
        ) from error
    except pd.errors.EmptyDataError as error:
        raise InvalidInput(
            "the file is empty", errors=[field_problem(["file"], "no header and no rows")]
        ) from error


def _read_xlsx(data: bytes) -> pd.DataFrame:
    try:
        frame = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise UnsupportedMediaType(
            "the file is neither CSV nor a readable XLSX workbook"
        ) from error
    frame = frame.dropna(how="all")

    def as_text(value: object) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        if isinstance(value, pd.Timestamp):
            return value.date().isoformat()
        if hasattr(value, "isoformat") and hasattr(value, "year"):
            return str(value.isoformat())[:10]
        return str(value)

    return frame.apply(lambda column: column.map(as_text)).astype(str)


def _check_columns(columns: list[str]) -> None:
    errors = [
        field_problem(
            ["file", "header"], "missing column {name!r}", extra={"column": name}, name=name
        )
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    errors += [
        field_problem(
            ["file", "header"], "unknown column {name!r}", extra={"column": name}, name=name
        )
        for name in columns
        if name not in ALL_COLUMNS
    ]
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    errors += [
        field_problem(
            ["file", "header"], "column {name!r} appears twice", extra={"column": name}, name=name
        )
        for name in duplicated
    ]
    if errors:
        raise InvalidInput(
            "the header does not match: expected columns {columns}",
            errors=errors,
            columns=",".join(REQUIRED_COLUMNS) + "[,received][,unit]",
        )
