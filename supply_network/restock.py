"""Restock suggestions: how much a store or a district should order of a product, and
from whom, computed on whole frames.

The quantity follows the requisition systems (OpenLMIS: maximum stock = average
consumption x max periods, order = maximum - stock on hand; OpenBoxes: demand over the
replenishment period - quantity on hand):

    suggested = max(0, target_days x expected_daily_sales - stock - in_transit)

``target_days`` is the category's (or product's) low-supply warning level plus its
``restock_extra_days`` (a threshold tuned like the others, 3 days by default);
``expected_daily_sales`` and ``stock`` are the monitor's snapshot of the day;
``in_transit`` is what supply orders have shipped to the scope and it has not received
yet. No demand gives no suggestion (0), an unknown stock an unknown one (NaN).

Candidate sources are the registry's producers of the product outside locked-down
regions, with their free capacity of the day (daily capacity minus what orders committed
that day); those that can fill the suggestion alone come first, then the nearest by
estimated road km.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from supply_network.geography import DEFAULT_ROAD_FACTOR, road_distance_km

SUGGESTION_COLUMNS = (
    "target_days",
    "target_stock",
    "in_transit",
    "suggested",
    "cover_days",
)
"""Columns ``suggest`` adds to the positions frame."""


def suggest(
    positions: pd.DataFrame, *, target_days: pd.Series, in_transit: pd.Series
) -> pd.DataFrame:
    """The positions (``scope_id``, ``product_id``, ``stock``, ``expected_daily_sales``,
    ...) with ``SUGGESTION_COLUMNS`` added: ``target_days`` is indexed by product id,
    ``in_transit`` by (scope id, product id). ``cover_days`` is the cover counting what is
    on the road, the order in which suggestions are worst first."""
    frame = positions.copy()
    frame["target_days"] = frame["product_id"].map(target_days).astype("float64")
    key = pd.MultiIndex.from_arrays([frame["scope_id"], frame["product_id"]])
    frame["in_transit"] = in_transit.reindex(key).fillna(0.0).to_numpy(dtype=np.float64)
    demand = frame["expected_daily_sales"].to_numpy(dtype=np.float64)
    stock = frame["stock"].to_numpy(dtype=np.float64)
    has_demand = np.nan_to_num(demand, nan=0.0) > 0
    frame["target_stock"] = np.where(has_demand, frame["target_days"] * demand, 0.0)
    wanted = frame["target_stock"].to_numpy() - stock - frame["in_transit"].to_numpy()
    frame["suggested"] = np.where(
        np.isnan(stock), np.nan, np.where(has_demand, np.round(np.maximum(wanted, 0.0), 3), 0.0)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["cover_days"] = np.where(
            has_demand, (stock + frame["in_transit"].to_numpy()) / demand, np.nan
        )
    return frame


def worst_first(suggestions: pd.DataFrame) -> pd.DataFrame:
    """Suggestions with something to order, the least cover (counting what is on the
    road) first, then the largest quantity."""
    wanted = suggestions[suggestions["suggested"].fillna(0.0) > 0]
    return wanted.sort_values(
        ["cover_days", "suggested", "scope_id", "product_id"],
        ascending=[True, False, True, True],
        na_position="last",
        kind="stable",
    )


def rank_sources(
    producers: pd.DataFrame,
    *,
    latitude: float | None,
    longitude: float | None,
    suggested: float,
    road_factor: float = DEFAULT_ROAD_FACTOR,
) -> pd.DataFrame:
    """Producers (``latitude``, ``longitude``, ``daily_capacity``, ``committed``) with
    ``free_capacity``, ``distance_km`` and ``covers`` added, those with no free capacity
    left out, ranked: able to fill the suggestion alone first, then nearest, then most
    capacity."""
    frame = producers.copy()
    frame["free_capacity"] = np.round(frame["daily_capacity"] - frame["committed"], 3)
    frame = frame[frame["free_capacity"] > 0]
    if latitude is None or longitude is None or frame.empty:
        frame = frame.assign(distance_km=np.nan)
    else:
        frame = frame.assign(
            distance_km=np.round(
                road_distance_km(
                    from_latitude=frame["latitude"].to_numpy(),
                    from_longitude=frame["longitude"].to_numpy(),
                    to_latitude=[latitude],
                    to_longitude=[longitude],
                    road_factor=road_factor,
                )[:, 0],
                2,
            )
        )
    frame["covers"] = frame["free_capacity"] >= suggested
    return frame.sort_values(
        ["covers", "distance_km", "free_capacity"],
        ascending=[False, True, False],
        na_position="last",
        kind="stable",
    )
