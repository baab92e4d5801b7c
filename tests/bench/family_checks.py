"""Checks every scenario family's tests share: two histories are the same city."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd

from bench.families.model import CityHistory

ARRAYS = ("stock", "sales", "price", "received", "reported", "true_stock")
"""The day-by-line arrays of a history."""


def assert_same_history(first: CityHistory, second: CityHistory) -> None:
    """Fail unless two histories hold the same frames and arrays (NaN equal to NaN)."""
    assert_same_until(first, second, days=None)
    np.testing.assert_array_equal(first.disrupted, second.disrupted, err_msg="disrupted")
    assert first.event_start == second.event_start


def assert_same_until(first: CityHistory, second: CityHistory, *, days: int | None) -> None:
    """Fail unless two histories hold the same stores, lines and days before ``days``
    (all of them when None): a city with and without its emergency until it starts."""
    pd.testing.assert_frame_equal(first.stores, second.stores)
    pd.testing.assert_frame_equal(first.lines, second.lines)
    for name in ARRAYS:
        np.testing.assert_array_equal(
            getattr(first, name)[:days], getattr(second, name)[:days], err_msg=name
        )
    assert (first.first_date, first.reported_days) == (second.first_date, second.reported_days)


def weekdays(history: CityHistory) -> np.ndarray:
    """Monday-0 weekday of every simulated day."""
    return np.array([history.date_of(day).weekday() for day in range(history.simulated_days)])


def assert_city_from_the_catalogue(history: CityHistory) -> None:
    """Fail unless the stores cover every district of the demo's table and sell only
    products of its catalogue (the service knows no other codes)."""
    data = resources.files("service") / "data"
    with (data / "districts.csv").open(encoding="utf-8") as file:
        districts = set(pd.read_csv(file, dtype={"code": str})["code"])
    assert set(history.stores["district"]) == districts
    with (data / "products.csv").open(encoding="utf-8") as file:
        assert history.lines["product"].isin(pd.read_csv(file)["code"]).all()
