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


def forecast_warnings(
    *,
    rows: pd.DataFrame,
    matrices: LineMatrices,
    warning_days: np.ndarray,
    critical_days: np.ndarray,
    previously_firing: np.ndarray,
    business_day: date,
    settings: ForecastSettings | None = None,
) -> pd.DataFrame:
    """``rows`` with :data:`FORECAST_COLUMNS`: one forecast over every line at once (supply
    stress is judged over each store's and district's lines, so the rows must be the
    whole region's, not a part of it)."""
    settings = settings or ForecastSettings()
    if len(rows) != len(matrices.stock):
        raise ValueError("the matrices need one row per store row")
    result = rows.copy()
    if rows.empty:
        for column in FORECAST_COLUMNS:
            result[column] = pd.Series(dtype=bool if "fires" in column else float)
        return result
    history = LineHistory(
        stock=matrices.stock,
        sales=matrices.sales,
        received=np.full(matrices.stock.shape, np.nan),
        store=_small_codes(rows["store_id"]),
        weekday=business_day.weekday(),
        district=_small_codes(rows["district_id"]),
    )
    forecast = forecast_stockouts(history=history, settings=settings)
    fires, critical, projected = low_supply_decision(
        forecast=forecast,
        warning_days=warning_days,
        critical_days=critical_days,
        previously_firing=previously_firing,
        settings=settings,
    )
    result["stockout_chance"] = forecast.within(warning_days)
    result["projected_stockout_days"] = projected
    result["low_supply_fires"] = fires
    result["low_supply_critical"] = critical
    result["demand_level"] = forecast.level
    result["delivery_fill"] = forecast.fill
    result["days_since_delivery"] = forecast.days_since_delivery
    result["typical_delivery_gap"] = forecast.typical_gap
    result["supply_short"] = forecast.supply_short
    result["supply_stress"] = forecast.supply_stress
    return result
