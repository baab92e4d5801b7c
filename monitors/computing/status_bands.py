"""Status bands of supply numbers (stocked out, critical, low, adequate, overstocked, no
demand, unknown), from the low-supply and overstock thresholds of each product or
category."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitors.alerting.thresholds import fallback_thresholds
from monitors.computing.frames import require_columns

SUPPLY_STATUSES: tuple[str, ...] = (
    "stocked_out",
    "critical",
    "low",
    "adequate",
    "overstocked",
    "no_demand",
    "unknown",
)
"""Status bands of a supply number, from worst to no information."""


def supply_status(*, supply: pd.DataFrame, thresholds: pd.DataFrame) -> pd.Series:
    """Status band of every row of ``supply`` (store rows or aggregates), as a categorical.

    ``thresholds`` is :func:`monitors.alerting.thresholds.resolve_thresholds` output (index
    ``product_id``) or :func:`~monitors.alerting.thresholds.resolve_category_thresholds` output
    (index ``category``); rows are matched on that index's name. Bands, first match wins:
    ``unknown`` (no usable stock), ``stocked_out``, ``no_demand`` (expected sales 0 or
    unknown), ``critical``/``low`` (below the low-supply levels), ``overstocked`` (above
    ``overstock_factor × warning`` days), else ``adequate``. A row whose product or
    category has no thresholds gets the fallback
    (:data:`~monitors.alerting.thresholds.ANY_CATEGORY`) levels.
    """
    key = thresholds.index.name
    if key not in ("product_id", "category"):
        raise ValueError("thresholds must be indexed by product_id or category")
    require_columns(
        supply,
        (key, "stock", "expected_daily_sales", "days_of_supply", "stocked_out"),
        name="supply",
    )
    fallback = fallback_thresholds()
    matched = thresholds.reindex(supply[key].to_numpy())
    warning = matched["low_supply_warning_days"].fillna(fallback.low_supply_warning_days)
    critical = matched["low_supply_critical_days"].fillna(fallback.low_supply_critical_days)
    factor = matched["overstock_factor"].fillna(fallback.overstock_factor)

    stock = supply["stock"].to_numpy(dtype=np.float64)
    expected = supply["expected_daily_sales"].to_numpy(dtype=np.float64)
    days = supply["days_of_supply"].to_numpy(dtype=np.float64)
    conditions = [
        np.isnan(stock),
        supply["stocked_out"].to_numpy(dtype=bool),
        ~(expected > 0),
        days < critical.to_numpy(),
        days < warning.to_numpy(),
        days > (factor * warning).to_numpy(),
    ]
    choices = ["unknown", "stocked_out", "no_demand", "critical", "low", "overstocked"]
    status = np.select(conditions, choices, default="adequate")
    return pd.Series(
        pd.Categorical(status, categories=list(SUPPLY_STATUSES)),
        index=supply.index,
        name="status",
    )
