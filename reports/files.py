"""Reading bulk report files (CSV or XLSX) into raw lines, with file row numbers.

Row numbers are the ones a person sees in a spreadsheet: the header is row 1, the
first data line row 2.
"""

from __future__ import annotations

import pandas as pd

from core.errors import InvalidInput
from core.tables import (
    XLSX_MAGIC,
    check_cell_lengths,
    read_csv_cells,
    read_workbook,
    refuse_wide_header,
    repeated_columns,
)
from core.text import echoed, field_problem

REQUIRED_COLUMNS = ("store", "date", "product", "stock", "sales", "price")
OPTIONAL_COLUMNS = ("received", "unit")
ALL_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


def read_report_file(data: bytes, *, filename: str | None, max_rows: int) -> pd.DataFrame:
    """Raw lines (all strings) indexed by file row number, or a problem naming what is wrong."""
    if not data.strip():
        raise InvalidInput(
            "the file is empty",
            errors=[field_problem(["file"], "the file has no header and no rows")],
        )
    name = (filename or "").lower()
    if data.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        frame = read_workbook(data)
    else:
        frame = read_csv_cells(data)
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
    check_cell_lengths(frame)
    return frame[list(ALL_COLUMNS)]


def _check_columns(columns: list[str]) -> None:
    refuse_wide_header(columns)
    errors = [
        field_problem(
            ["file", "header"], "missing column {name!r}", extra={"column": name}, name=name
        )
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    errors += [
        field_problem(
            ["file", "header"],
            "unknown column {name!r}",
            extra={"column": echoed(name)},
            name=echoed(name),
        )
        for name in columns
        if name not in ALL_COLUMNS
    ]
    duplicated = repeated_columns(columns)
    errors += [
        field_problem(
            ["file", "header"],
            "column {name!r} appears twice",
            extra={"column": echoed(name)},
            name=echoed(name),
        )
        for name in duplicated
    ]
    if errors:
        raise InvalidInput(
            "the header does not match: expected columns {columns}",
            errors=errors,
            columns=",".join(REQUIRED_COLUMNS) + "[,received][,unit]",
        )
