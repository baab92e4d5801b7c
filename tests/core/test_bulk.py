"""The frame writer stores every value as the table would from row-by-row inserts: NULLs
for gaps, full float precision, text of any length and script, dates and instants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from core import bulk
from core.database import create_database_engine

PROBE_TABLE = """
CREATE TABLE bulk_probe (
    position integer NOT NULL,
    label varchar(32),
    amount double precision,
    count integer,
    flag boolean,
    day date,
    seen_at {instant}
)
"""


INSTANTS = [
    datetime(2026, 12, 1, 2, 30, 0, 123456, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    None,
    datetime(2000, 1, 1, tzinfo=UTC),
    datetime(2026, 2, 28, 16, 0, tzinfo=UTC),
    datetime(2026, 6, 30, 8, 15, tzinfo=UTC),
    None,
]


def _probe_frame() -> pd.DataFrame:
    """Rows whose gaps and text lengths differ from chunk to chunk (chunks of two rows):
    the first chunk has none, the others mix them."""
    return pd.DataFrame(
        {
            "position": [0, 1, 2, 3, 4, 5, 6],
            "label": ["abc", "xyz", None, "大白菜", "", "a much longer label here", None],
            "amount": [1.0 / 3.0, -2.5e-12, np.nan, 1e300, 0.0, 7.25, np.nan],
            "count": pd.array([10, 20, None, -2_000_000_000, 0, 5, None], dtype="Int64"),
            "flag": pd.array([True, False, None, True, False, None, True], dtype="boolean"),
            "day": [
                date(2026, 12, 1),
                date(1999, 12, 31),
                None,
                date(2000, 1, 1),
                date(2026, 2, 28),
                None,
                date(2031, 7, 4),
            ],
            "seen_at": INSTANTS,
        }
    )


def test_frames_are_stored_value_for_value_with_their_gaps(
    backend: str,
    empty_database_url: Callable[[str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bulk, "_BINARY_CHUNK_ROWS", 2)
    engine = create_database_engine(empty_database_url(backend))
    instant = "timestamptz" if backend == "postgresql" else "datetime"
    frame = _probe_frame()
    with engine.begin() as connection:
        connection.execute(text(PROBE_TABLE.format(instant=instant)))
        bulk.insert_frame(connection, "bulk_probe", frame)
        stored = connection.execute(
            text(
                "SELECT position, label, amount, count, flag, day, seen_at "
                "FROM bulk_probe ORDER BY position"
            )
        ).all()
    engine.dispose()

    assert [row.label for row in stored] == [
        None if pd.isna(value) else value for value in frame["label"]
    ]
    assert [row.amount for row in stored] == [1.0 / 3.0, -2.5e-12, None, 1e300, 0.0, 7.25, None]
    assert [row.count for row in stored] == [10, 20, None, -2_000_000_000, 0, 5, None]
    assert [None if row.flag is None else bool(row.flag) for row in stored] == [
        True,
        False,
        None,
        True,
        False,
        None,
        True,
    ]
    assert [None if row.day is None else str(row.day)[:10] for row in stored] == [
        "2026-12-01",
        "1999-12-31",
        None,
        "2000-01-01",
        "2026-02-28",
        None,
        "2031-07-04",
    ]
    if backend == "postgresql":
        assert [row.seen_at for row in stored] == INSTANTS
    else:  # SQLite keeps UTC wall time as text, as UTCDateTime stores it
        assert [None if row.seen_at is None else str(row.seen_at)[:26] for row in stored] == [
            None if value is None else value.strftime("%Y-%m-%d %H:%M:%S.%f") for value in INSTANTS
        ]


def test_binary_copy_keeps_the_rows_in_order_across_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Serial ids follow the frame's order (alerts are read back by fingerprint, but the
    order of their ids is the order they were decided in)."""
    monkeypatch.setattr(bulk, "_BINARY_CHUNK_ROWS", 3)
    frame = pd.DataFrame({"position": [5, 3, 9, 1, 7], "label": ["e", None, "iii", "a", "gg"]})
    stream = b"".join(bulk.binary_copy_chunks(frame, ["integer", "text"]))
    body = stream[len(bulk._BINARY_HEADER) : -len(bulk._BINARY_TRAILER)]
    positions, labels, at = [], [], 0
    while at < len(body):
        assert int.from_bytes(body[at : at + 2], "big") == 2
        at += 2
        assert int.from_bytes(body[at : at + 4], "big") == 4
        positions.append(int.from_bytes(body[at + 4 : at + 8], "big", signed=True))
        at += 8
        size = int.from_bytes(body[at : at + 4], "big", signed=True)
        at += 4
        labels.append(None if size < 0 else body[at : at + size].decode())
        at += max(size, 0)
    assert positions == [5, 3, 9, 1, 7]
    assert labels == ["e", None, "iii", "a", "gg"]
