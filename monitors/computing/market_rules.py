"""Market rules: ``price_spike`` and ``sales_surge`` (panic buying).

- ``price_spike``: on D's fresh prices, the worst of three checks: vs the median of the
  days before D (warning/critical), day over day (warning), and a high outlier among
  the district's outlets by modified z-score 0.6745·(x − median)/MAD (warning; skipped
  with fewer than ``price_outlier_min_outlets`` outlets or MAD = 0). Only *high*
  outliers fire: a price far below the others is a unit mistake, not a spike.
  ``value`` is the price, ``threshold`` the price level crossed.
- ``sales_surge``: sales on D ÷ the expected daily sales of the days *before* D (D's own
  sales would inflate the yardstick: six days of 10 and a day of 30 average 12.9, and a
  3× surge would read 2.3×); only when that yardstick is trusted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitors.computing.candidates import (
    TOLERANCE,
    candidate_frame,
    labels_of,
    rounded,
    severity_at_least,
    signed_percent,
    whole,
)
from monitors.computing.wording import nothing, worded

MAD_SCALE = 0.6745
"""Iglewicz–Hoaglin constant: makes the median absolute deviation comparable to σ."""


def price_spike(
    *, rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """Fresh prices vs their own history, the day before, and the district's outlets."""
    fresh = ~rows["stale"].to_numpy(dtype=bool) & rows["price"].notna().to_numpy()
    rows, th = rows.loc[fresh].reset_index(drop=True), th.loc[fresh].reset_index(drop=True)
    price = rows["price"].to_numpy(dtype=np.float64)

    baseline = rows["price_baseline"].to_numpy(dtype=np.float64)
    enough = (
        rows["price_baseline_observations"].to_numpy() >= th["price_baseline_min_days"].to_numpy()
    )
    usable = enough & (baseline > 0)
    rise = np.where(usable, price / np.where(usable, baseline, 1.0) - 1.0, np.nan)
    warn, crit = th["price_spike_warning"].to_numpy(), th["price_spike_critical"].to_numpy()
    baseline_severity = severity_at_least(rise, warn, crit)
    baseline_level = baseline * (1.0 + np.where(baseline_severity == 2, crit, warn))

    previous = rows["price_previous"].to_numpy(dtype=np.float64)
    has_previous = previous > 0
    day_rise = np.where(has_previous, price / np.where(has_previous, previous, 1.0) - 1.0, np.nan)
    day_warn = th["price_day_over_day_warning"].to_numpy()
    day_severity = np.where(day_rise >= day_warn - TOLERANCE, 1, 0)
    day_level = previous * (1.0 + day_warn)

    keys = [rows["district_id"].to_numpy(), rows["product_id"].to_numpy()]
    grouped = pd.Series(price).groupby(keys, sort=False)
    median = grouped.transform("median").to_numpy()
    outlets = grouped.transform("size").to_numpy()
    deviation = pd.Series(np.abs(price - median)).groupby(keys, sort=False)
    mad = deviation.transform("median").to_numpy()
    comparable = (outlets >= th["price_outlier_min_outlets"].to_numpy()) & (mad > 0)
    z = np.where(comparable, MAD_SCALE * (price - median) / np.where(comparable, mad, 1.0), np.nan)
    z_limit = th["price_outlier_z"].to_numpy()
    outlier_severity = np.where(z >= z_limit - TOLERANCE, 1, 0)
    outlier_level = median + z_limit * mad / MAD_SCALE

    severity = np.maximum(np.maximum(baseline_severity, day_severity), outlier_severity)
    level = np.fmin(
        np.fmin(
            np.where(baseline_severity == severity, baseline_level, np.inf),
            np.where(day_severity == severity, day_level, np.inf),
        ),
        np.where(outlier_severity == severity, outlier_level, np.inf),
    )
    fires = severity > 0
    hit = rows.loc[fires].reset_index(drop=True)
    size = len(hit)
    by_baseline = worded(
        "; {rise} on the median {median} of {days} earlier days",
        size,
        rise=signed_percent(rise[fires]),
        median=rounded(baseline[fires], 2),
        days=whole(hit["price_baseline_observations"]),
    ).where(baseline_severity[fires] > 0, nothing(size))
    by_day = worded(
        "; {rise} on the day before ({previous})",
        size,
        rise=signed_percent(day_rise[fires]),
        previous=rounded(previous[fires], 2),
    ).where(day_severity[fires] > 0, nothing(size))
    by_outlets = worded(
        "; robust z {z} against {outlets} outlets in the district (median {median})",
        size,
        z=rounded(z[fires]),
        outlets=whole(outlets[fires]),
        median=rounded(median[fires], 2),
    ).where(outlier_severity[fires] > 0, nothing(size))
    summary = (
        worded(
            "{store} {product}: price {price}",
            size,
            store=labels_of(stores, hit["store_id"], id_column="store_id", noun="store"),
            product=labels_of(products, hit["product_id"], id_column="product_id", noun="product"),
            price=rounded(price[fires], 2),
        )
        + by_baseline
        + by_day
        + by_outlets
    )
    return candidate_frame(
        rule="price_spike",
        severity=severity[fires],
        scope_level="store",
        scope_id=hit["store_id"],
        product_id=hit["product_id"],
        district_id=hit["district_id"],
        value=price[fires],
        threshold=level[fires],
        summary=summary,
    )


def sales_surge(
    *, rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """Today's sales against the trusted average of the days before (panic buying)."""
    usual = rows["prior_daily_sales"].to_numpy(dtype=np.float64)
    today = rows["sales_today"].to_numpy(dtype=np.float64)
    usable = rows["prior_trusted"].to_numpy(dtype=bool) & (usual > 0) & ~np.isnan(today)
    ratio = np.where(usable, today / np.where(usable, usual, 1.0), np.nan)
    warn, crit = th["sales_surge_warning"].to_numpy(), th["sales_surge_critical"].to_numpy()
    severity = severity_at_least(ratio, warn, crit)
    fires = severity > 0
    hit = rows.loc[fires].reset_index(drop=True)
    threshold = np.where(severity[fires] == 2, crit[fires], warn[fires])
    summary = worded(
        "{store} {product}: sold {today} today, {ratio}× the usual {usual}/day "
        "(threshold {level}×)",
        len(hit),
        store=labels_of(stores, hit["store_id"], id_column="store_id", noun="store"),
        product=labels_of(products, hit["product_id"], id_column="product_id", noun="product"),
        today=rounded(today[fires]),
        ratio=rounded(ratio[fires]),
        usual=rounded(usual[fires]),
        level=rounded(threshold, 2),
    )
    return candidate_frame(
        rule="sales_surge",
        severity=severity[fires],
        scope_level="store",
        scope_id=hit["store_id"],
        product_id=hit["product_id"],
        district_id=hit["district_id"],
        value=ratio[fires],
        threshold=threshold,
        summary=summary,
    )
