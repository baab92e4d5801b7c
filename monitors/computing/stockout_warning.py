"""The store ``low_supply`` warning from each line's stock-out forecast.

:func:`forecast_warnings` runs :mod:`monitors.computing.forecast` over a day's store ×
product rows (:func:`monitors.computing.supply.store_supply_with_history` gives them with
their last 21 days of reports) and adds what the shortage rule and the alert's text need:
the chance of running out within the category's warning level, the projected day, whether
the warning fires and is critical (with the open alerts as the hysteresis' memory), and
the replenishment figures behind it. Days of supply stay as DESIGN.md defines them; the
forecast only decides the store warning.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

import numpy as np
import pandas as pd

from monitors.computing.forecast import ForecastSettings, LineHistory, forecast_stockouts
from monitors.computing.forecast.stockouts import low_supply_decision
from monitors.computing.supply import LineMatrices

FORECAST_COLUMNS: tuple[str, ...] = (
    "stockout_chance",
    "projected_stockout_days",
    "low_supply_fires",
    "low_supply_critical",
    "demand_level",
    "delivery_fill",
    "days_since_delivery",
    "typical_delivery_gap",
    "supply_short",
    "supply_stress",
)
"""Columns :func:`forecast_warnings` adds to the store rows."""


def _small_codes(values: pd.Series) -> np.ndarray:
    """Small integer codes of ``values``, missing values sharing one code of their own."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.where(codes < 0, len(uniques), codes).astype(np.int64)


CHUNK_LINES = 100_000
"""Lines in memory for the forecast at once: whole districts up to about this many, so the
run's memory does not grow with the region (a province's 600,000 lines made 2.7 GB in one
piece). With several threads each takes its share of them."""


def forecast_warnings(
    *,
    rows: pd.DataFrame,
    matrices: LineMatrices,
    warning_days: np.ndarray,
    critical_days: np.ndarray,
    previously_firing: np.ndarray,
    business_day: date,
    settings: ForecastSettings | None = None,
    chunk_lines: int = CHUNK_LINES,
    threads: int = 1,
) -> pd.DataFrame:
    """``rows`` with :data:`FORECAST_COLUMNS`. Supply stress and weekday patterns are judged
    over each store's and district's lines, so the rows must be the whole region's, not a
    part of it; they are forecast a few whole districts at a time (the same result as all
    at once: nothing is shared across districts), on ``threads`` threads (numpy lets go of
    the interpreter while it computes, so a second core does half the districts)."""
    settings = settings or ForecastSettings()
    if len(rows) != len(matrices.stock):
        raise ValueError("the matrices need one row per store row")
    district = _small_codes(rows["district_id"])
    store = _small_codes(rows["store_id"])
    columns = {
        name: np.zeros(len(rows), dtype=bool if name in _FLAGS else np.float64)
        for name in FORECAST_COLUMNS
    }

    def forecast(chosen: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        return chosen, _forecast_chunk(
            history=LineHistory(
                stock=matrices.stock[chosen],
                sales=matrices.sales[chosen],
                received=np.full(matrices.stock[chosen].shape, np.nan),
                store=_small_codes(pd.Series(store[chosen])),
                weekday=business_day.weekday(),
                district=_small_codes(pd.Series(district[chosen])),
            ),
            warning_days=np.asarray(warning_days)[chosen],
            critical_days=np.asarray(critical_days)[chosen],
            previously_firing=np.asarray(previously_firing, dtype=bool)[chosen],
            settings=settings,
        )

    chunks = _district_chunks(district, max(chunk_lines // max(threads, 1), 1))
    with ThreadPoolExecutor(max_workers=max(min(threads, len(chunks)), 1)) as pool:
        for chosen, part in pool.map(forecast, chunks):
            for name, values in part.items():
                columns[name][chosen] = values
    result = rows.copy(deep=False)  # new columns only: the rows stay as they are
    for name in FORECAST_COLUMNS:
        result[name] = columns[name]
    return result


_FLAGS = frozenset({"low_supply_fires", "low_supply_critical", "supply_short", "supply_stress"})


def _district_chunks(district: np.ndarray, chunk_lines: int) -> list[np.ndarray]:
    """Row positions of whole districts, grouped into chunks of about ``chunk_lines``."""
    order = np.argsort(district, kind="stable")
    counts = np.bincount(district)
    chunks: list[np.ndarray] = []
    start = taken = 0
    for count in counts:
        if taken and taken + count > chunk_lines:
            chunks.append(np.sort(order[start : start + taken]))
            start, taken = start + taken, 0
        taken += int(count)
    if taken:
        chunks.append(np.sort(order[start : start + taken]))
    return chunks


def _forecast_chunk(
    *,
    history: LineHistory,
    warning_days: np.ndarray,
    critical_days: np.ndarray,
    previously_firing: np.ndarray,
    settings: ForecastSettings,
) -> dict[str, np.ndarray]:
    """The forecast columns of one chunk of whole districts."""
    forecast = forecast_stockouts(history=history, settings=settings)
    fires, critical, projected = low_supply_decision(
        forecast=forecast,
        warning_days=warning_days,
        critical_days=critical_days,
        previously_firing=previously_firing,
        settings=settings,
    )
    return {
        "stockout_chance": forecast.within(warning_days),
        "projected_stockout_days": projected,
        "low_supply_fires": fires,
        "low_supply_critical": critical,
        "demand_level": forecast.level,
        "delivery_fill": forecast.fill,
        "days_since_delivery": forecast.days_since_delivery,
        "typical_delivery_gap": forecast.typical_gap,
        "supply_short": forecast.supply_short,
        "supply_stress": forecast.supply_stress,
    }
