"""Input checks and small array helpers shared by the monitor modules.

The monitor's inputs come from another team's loaders; checking their shape at the
door turns a silent wrong number (a missing column read as all-NaN, a duplicated store
counted twice) into an error that names the problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

MISSING_DAY = np.iinfo(np.int64).min // 4
"""Day number standing for a missing date: far enough in the past to fall outside any window."""

DEFAULT_CITY_ID = 0
"""The city scope id used when ``stores`` has no ``city_id`` column (one city per deployment)."""


def require_columns(frame: pd.DataFrame, columns: Iterable[str], *, name: str) -> None:
    """Raise ``ValueError`` naming every column of ``columns`` that ``frame`` lacks."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {', '.join(missing)}")


def store_scopes(stores: pd.DataFrame) -> pd.DataFrame:
    """Stores as ``store_id, district_id, city_id, active`` with one row per store.

    ``active`` defaults to True and ``city_id`` to :data:`DEFAULT_CITY_ID` when absent,
    so a caller that watches a single city need not invent either column.
    """
    require_columns(stores, ("store_id", "district_id"), name="stores")
    if stores["store_id"].duplicated().any():
        duplicated = stores.loc[stores["store_id"].duplicated(), "store_id"].unique()[:5]
        raise ValueError(f"stores lists store_id more than once: {list(duplicated)}")
    active = (
        stores["active"].fillna(False).astype(bool)
        if "active" in stores.columns
        else pd.Series(True, index=stores.index)
    )
    city = stores["city_id"] if "city_id" in stores.columns else DEFAULT_CITY_ID
    return pd.DataFrame(
        {
            "store_id": stores["store_id"].to_numpy(),
            "district_id": stores["district_id"].to_numpy(),
            "city_id": np.broadcast_to(np.asarray(city), (len(stores),)).copy(),
            "active": active.to_numpy(),
        }
    )


_TICKS_PER_DAY = {"D": 1, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000}
_TICKS_PER_DAY["ns"] = _TICKS_PER_DAY["us"] * 1000


def day_numbers(values: pd.Series, *, name: str) -> np.ndarray:
    """Calendar days since 1970-01-01 as int64 (:data:`MISSING_DAY` for a missing date).

    Accepts ``datetime64`` of any unit or ``datetime.date`` objects; a time-zone-aware
    value is refused because a business day is already a local calendar day.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{name} must hold calendar days, not time-zone-aware instants")
    if not pd.api.types.is_datetime64_dtype(values.dtype):
        values = pd.to_datetime(values)
    raw = values.to_numpy()
    unit, _ = np.datetime_data(raw.dtype)
    if unit not in _TICKS_PER_DAY:
        raise ValueError(f"{name} has an unsupported datetime unit {unit!r}")
    days = raw.view(np.int64) // _TICKS_PER_DAY[unit]  # an integer floor: fast and exact
    days[np.isnat(raw)] = MISSING_DAY
    return days


def day_number(day: date) -> int:
    """One business day as days since 1970-01-01 (refusing datetimes, which carry a time)."""
    if isinstance(day, datetime):
        raise TypeError("business_day must be a date, not a datetime")
    return int(np.datetime64(day, "D").astype(np.int64))


def group_starts(sorted_ids: np.ndarray) -> np.ndarray:
    """Boolean mask of the first element of each run of equal values in a sorted array."""
    starts = np.empty(sorted_ids.size, dtype=bool)
    if sorted_ids.size:
        starts[0] = True
        np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=starts[1:])
    return starts


def rank_within_groups(sorted_ids: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal values (sorted input)."""
    index = np.arange(sorted_ids.size)
    first = np.maximum.accumulate(np.where(group_starts(sorted_ids), index, 0))
    return index - first


def frame_of_rows(result: Iterable[Any], columns: list[str]) -> pd.DataFrame:
    """A query's rows as a frame. Plain tuples: pandas probes each row for attributes,
    and every probe of a SQLAlchemy row that misses raises inside (90,000 rows took half a
    second that way)."""
    return pd.DataFrame([tuple(row) for row in result], columns=columns)
