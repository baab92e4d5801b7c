"""The forecast over a region's store rows: whole districts at a time give exactly what one
forecast over every line gives, and the columns line up with the rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from monitors.computing.stockout_warning import FORECAST_COLUMNS, forecast_warnings
from monitors.computing.supply import LineMatrices


def region(seed: int, lines: int = 900) -> tuple[pd.DataFrame, LineMatrices]:
    """Stores in districts with random histories: refilled shelves, some running dry."""
    rng = np.random.default_rng(seed)
    store = rng.integers(0, 60, lines)
    rows = pd.DataFrame(
        {
            "store_id": store + 100,
            "product_id": rng.integers(1, 40, lines),
            "district_id": pd.Series(store % 7, dtype="Int64").mask(store % 13 == 0),
        }
    )
    sales = rng.poisson(rng.uniform(2, 30, (lines, 1)), (lines, 21)).astype(np.float64)
    stock = np.fmax(0, rng.normal(1.5, 1.2, (lines, 21))) * sales.mean(axis=1, keepdims=True)
    stock[rng.random((lines, 21)) < 0.05] = np.nan
    sales[np.isnan(stock)] = np.nan
    return rows, LineMatrices(stock=np.round(stock), sales=sales)


def forecast_region(seed: int, lines: int, *, chunk_lines: int, threads: int = 1) -> pd.DataFrame:
    """The forecast columns of a random region (:func:`region`), a tenth of its lines
    warned the day before, vegetables and grain levels alternating."""
    rows, matrices = region(seed=seed, lines=lines)
    levels = np.where(rows["product_id"] % 3 == 0, 7.0, 2.0)
    return forecast_warnings(
        rows=rows,
        matrices=matrices,
        warning_days=levels,
        critical_days=levels / 2,
        previously_firing=np.random.default_rng(seed + 1).random(len(rows)) < 0.1,
        business_day=date(2026, 12, 3),
        chunk_lines=chunk_lines,
        threads=threads,
    )


def test_forecasting_a_few_districts_at_a_time_equals_all_at_once() -> None:
    whole = forecast_region(3, 900, chunk_lines=10**9)
    chunked = forecast_region(3, 900, chunk_lines=50)  # one district at a time
    pd.testing.assert_frame_equal(whole, chunked)
    assert whole["low_supply_fires"].any() and not whole["low_supply_fires"].all()
    assert list(whole.columns[-len(FORECAST_COLUMNS) :]) == list(FORECAST_COLUMNS)


def test_forecasting_on_two_threads_gives_what_one_thread_gives() -> None:
    # Several chunks of whole districts for each thread.
    one = forecast_region(5, 1500, chunk_lines=400, threads=1)
    pd.testing.assert_frame_equal(one, forecast_region(5, 1500, chunk_lines=400, threads=2))
    assert one["low_supply_fires"].any() and not one["low_supply_fires"].all()


def test_no_rows_give_the_columns_and_nothing_else() -> None:
    rows = pd.DataFrame({"store_id": [], "product_id": [], "district_id": []})
    result = forecast_warnings(
        rows=rows,
        matrices=LineMatrices.empty(),
        warning_days=np.array([]),
        critical_days=np.array([]),
        previously_firing=np.array([], dtype=bool),
        business_day=date(2026, 12, 3),
    )
    assert result.empty and set(FORECAST_COLUMNS) <= set(result.columns)
