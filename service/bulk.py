"""Writing a data frame into a table fast: PostgreSQL ``COPY``, SQLite ``executemany``.

Shared by report ingest (its staging table) and the monitor (snapshots), so both take
the fastest path each database offers, with the same conversions of dates and gaps.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection

_COPY_CHUNK = 8 * 1024 * 1024


def insert_frame(connection: Connection, table: str, frame: pd.DataFrame) -> None:
    """Append every row of ``frame`` to ``table`` (columns named as in the frame).

    Missing values become NULL; dates and datetimes are written as the database
    stores them through SQLAlchemy; floats keep their full precision.
    """
    if frame.empty:
        return
    columns = ", ".join(frame.columns)
    if connection.dialect.name == "postgresql":
        buffer = io.StringIO()
        frame.to_csv(buffer, header=False, index=False, na_rep="")
        dbapi = connection.connection.driver_connection
        assert dbapi is not None
        with dbapi.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy:
                data = buffer.getvalue()
                for start in range(0, len(data), _COPY_CHUNK):
                    copy.write(data[start : start + _COPY_CHUNK])
        return
    placeholders = ", ".join("?" for _ in frame.columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", sqlite_records(frame)
    )


def sqlite_records(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as DB-API tuples for SQLite: ISO dates (as SQLAlchemy stores them), None for
    gaps, plain Python numbers and booleans as 0/1."""
    columns = [_sqlite_column(frame[name]) for name in frame.columns]
    return list(zip(*columns, strict=True))


def _sqlite_column(column: pd.Series) -> list[Any]:
    if pd.api.types.is_bool_dtype(column):
        return column.astype("int64").tolist()
    if pd.api.types.is_integer_dtype(column) and not column.isna().any():
        return column.astype("int64").tolist()
    if pd.api.types.is_float_dtype(column):
        values = column.astype("float64").to_numpy()
        return [None if np.isnan(value) else float(value) for value in values]
    positions, uniques = pd.factorize(column, use_na_sentinel=True)
    converted = [_sqlite_value(value) for value in uniques] + [None]
    return [converted[position] for position in positions]


def _sqlite_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return int(value)
    return value
