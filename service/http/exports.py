"""A table downloaded as CSV or XLSX: what the API and the pages hand out when someone
exports the view they are looking at.

Text cells that a spreadsheet would read as a formula (starting with = + - @, a tab or a
carriage return) get a leading single quote, so an exported store name cannot run code
in the reader's spreadsheet (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from fastapi.responses import Response

from core.cells import safe_cell

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


def table_response(
    header: Sequence[str], rows: Sequence[Sequence[Any]], *, format: ExportFormat, name: str
) -> Response:
    """The table as a file to download, named ``name.csv`` or ``name.xlsx``."""
    cells = [[safe_cell(cell) for cell in row] for row in rows]
    titles = [safe_cell(title) for title in header]
    if format is ExportFormat.csv:
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(titles)
        writer.writerows(cells)
        content = ("\ufeff" + text.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8
        media_type = "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        sheet.append(titles)
        for row in cells:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
        media_type = XLSX_MEDIA_TYPE
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}.{format.value}"'},
    )
