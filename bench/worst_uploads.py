"""The worst uploads one can build within the upload cap, shared by the tests that keep
problem documents small (``tests/service/api/test_upload_problems.py``) and the bench that
measures them (``bench/upload_problems.py``)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

from openpyxl import Workbook

REPORT_HEADER = "store,date,product,stock,sales,price,received,unit"
PLACEHOLDER = "CELL-TO-INFLATE"
_CHUNK = 1024 * 1024


def identical_rows_csv(*, store: str, day: date, product: str, rows: int = 20_000) -> bytes:
    """``rows`` copies of one valid report line: every row repeats every other."""
    line = f"{store},{day.isoformat()},{product},1,1,1,,\n"
    return (REPORT_HEADER + "\n" + line * rows).encode()


def wide_header_csv(*, store: str, day: date, product: str, columns: int = 200_000) -> bytes:
    """A report file whose header adds ``columns`` made-up columns to the real ones: under
    two megabytes, and a check that counted each name's repeats took minutes over it."""
    extra = ",".join(f"c{index}" for index in range(columns))
    line = f"{store},{day.isoformat()},{product},1,1,1,,{',' * columns}"
    return f"{REPORT_HEADER},{extra}\n{line}\n".encode()


def distinct_bad_cells_csv(*, day: date, rows: int = 20_000, width: int = 900) -> bytes:
    """``rows`` lines whose every cell is wrong in its own way, each code ``width``
    characters long (unknown stores and products, words for numbers, a bad unit)."""
    lines = [REPORT_HEADER]
    for row in range(rows):
        tail = f"{row:07d}"
        code = "S" * (width - len(tail)) + tail
        product = "P" * (width - len(tail)) + tail
        word = "x" * (width - len(tail)) + tail
        lines.append(f"{code},{day.isoformat()},{product},{word},{word},{word},{word},{word}")
    return ("\n".join(lines) + "\n").encode()


def inflated_cell_xlsx(
    *, store: str, day: date, cell_bytes: int = 200 * 1024 * 1024, column: str = "product"
) -> bytes:
    """A report workbook of one line whose ``column`` cell is ``cell_bytes`` of 'A': a few
    hundred kilobytes on the wire (deflate), hundreds of megabytes unpacked."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    header = REPORT_HEADER.split(",")
    values = {"store": store, "date": day.isoformat(), "product": "pork", "stock": 1}
    values |= {"sales": 1, "price": 1, column: PLACEHOLDER}
    sheet.append(header)
    sheet.append([values.get(name) for name in header])
    small = io.BytesIO()
    book.save(small)
    return _inflate(small.getvalue(), cell_bytes)


def _inflate(workbook: bytes, cell_bytes: int) -> bytes:
    """``workbook`` with its placeholder string replaced by ``cell_bytes`` of 'A', written
    in chunks so the big cell never sits in memory."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            marker = PLACEHOLDER.encode()
            if marker not in content:
                target.writestr(item.filename, content)
                continue
            before, after = content.split(marker, 1)
            with target.open(item.filename, "w", force_zip64=True) as entry:
                entry.write(before)
                chunk = b"A" * _CHUNK
                left = cell_bytes
                while left > 0:
                    entry.write(chunk[: min(left, _CHUNK)])
                    left -= _CHUNK
                entry.write(after)
    return out.getvalue()
