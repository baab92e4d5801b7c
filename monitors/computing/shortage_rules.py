"""Shortage rules: ``low_supply`` (store, district and city scopes) and ``stockout``.

- ``low_supply``: at store scope, by default, the line's stock-out forecast
  (:mod:`monitors.computing.stockout_warning`: the rows carry ``low_supply_fires`` and
  ``low_supply_critical``; the value stays the days of supply, the threshold the level,
  and the summary says when the shelf is projected to run out and why). With the
  ``cover`` method (rows without those columns): days of supply below the warning/critical
  level (trusted expected sales only; a stocked-out store is left to ``stockout``), and
  ``peak_days_of_supply`` below the warning level too: a line that is low only on days its
  shelves are being refilled is a store working just in time, not a shortage
  (:mod:`monitors.computing.supply`). District and city scopes always compare days of
  supply (ratios of sums, DESIGN.md) with the levels.
- ``stockout``: a store holds 0 of a product that has demand; critical when at least
  ``stockout_critical_share`` of the district's stores that carry the product are out.
  ``value`` is that share, ``threshold`` 0 for the warning, the share for critical.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitors.computing.candidates import (
    TOLERANCE,
    as_text,
    candidate_frame,
    labels_of,
    region_labels,
    rounded,
    thresholds_for,
    whole,
)


def _line_label(hit: pd.DataFrame, *, stores: pd.DataFrame, products: pd.DataFrame) -> np.ndarray:
    """ "Store product: ", the start of every store-line summary."""
    return (
        labels_of(stores, hit["store_id"], id_column="store_id", noun="store")
        + " "
        + labels_of(products, hit["product_id"], id_column="product_id", noun="product")
        + ": "
    )


def _stock_and_sales(hit: pd.DataFrame) -> np.ndarray:
    """ "stock 6.0, selling 10.0/day", with the date of a stock carried from an older report."""
    carried = np.where(
        hit["stale"].to_numpy(dtype=bool),
        ", stock of " + as_text(hit["last_report_date"].dt.strftime("%Y-%m-%d")),
        "",
    )
    return (
        "stock "
        + rounded(hit["stock"])
        + ", selling "
        + rounded(hit["expected_daily_sales"])
        + "/day"
        + carried
    )


def low_supply_at_stores(
    *, rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """Store scope: the forecast's decision when the rows carry it, else the cover rule
    (trusted numbers only, stocked-out stores left to the stockout rule, lines whose
    shelves have been refilled every day while low left quiet)."""
    if "low_supply_fires" in rows.columns:
        return _forecast_low_supply(rows=rows, th=th, stores=stores, products=products)
    days = rows["days_of_supply"].to_numpy(dtype=np.float64)
    peak = rows["peak_days_of_supply"].to_numpy(dtype=np.float64)
    warning = th["low_supply_warning_days"].to_numpy()
    critical = th["low_supply_critical_days"].to_numpy()
    fires = (
        rows["trusted"].to_numpy(dtype=bool)
        & ~rows["stocked_out"].to_numpy(dtype=bool)
        & (days < warning)
        & (peak < warning)
    )
    hit = rows.loc[fires].reset_index(drop=True)
    severity = np.where(days[fires] < critical[fires], 2, 1)
    level = np.where(severity == 2, critical[fires], warning[fires])
    summary = (
        _line_label(hit, stores=stores, products=products)
        + rounded(days[fires])
        + " days of supply ("
        + _stock_and_sales(hit)
        + "), below "
        + rounded(level, 2)
    )
    return candidate_frame(
        rule="low_supply",
        severity=severity,
        scope_level="store",
        scope_id=hit["store_id"],
        product_id=hit["product_id"],
        district_id=hit["district_id"],
        value=days[fires],
        threshold=level,
        summary=summary,
    )


_WEEKDAYS = np.array(
    ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"], dtype=object
)


def _forecast_low_supply(
    *, rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """Store scope on the forecast: fire where it decided to, critical when the projected
    stock-out falls within the critical level or the warned shelf has emptied, and say why
    in the bureau's numbers."""
    fires = rows["low_supply_fires"].to_numpy(dtype=bool)
    hit = rows.loc[fires].reset_index(drop=True)
    warning = th["low_supply_warning_days"].to_numpy()[fires]
    critical = th["low_supply_critical_days"].to_numpy()[fires]
    severity = np.where(hit["low_supply_critical"].to_numpy(dtype=bool), 2, 1)
    level = np.where(severity == 2, critical, warning)
    days = hit["days_of_supply"].to_numpy(dtype=np.float64)
    business_day = hit["last_report_date"] + pd.to_timedelta(hit["report_age_days"], unit="D")
    projected = hit["projected_stockout_days"].to_numpy(dtype=np.float64)
    known = np.isfinite(projected)
    run_out_day = business_day + pd.to_timedelta(np.where(known, projected, 0), unit="D")
    when = np.where(
        known,
        "projected to run out on "
        + as_text(_WEEKDAYS[run_out_day.dt.day_of_week.to_numpy()])
        + " "
        + as_text(run_out_day.dt.strftime("%Y-%m-%d")),
        "may run out within " + rounded(warning, 1) + " days",
    )
    chance = np.round(np.nan_to_num(hit["stockout_chance"].to_numpy(dtype=np.float64)) * 100)
    fill = hit["delivery_fill"].to_numpy(dtype=np.float64)
    since = hit["days_since_delivery"].to_numpy(dtype=np.float64)
    gap = hit["typical_delivery_gap"].to_numpy(dtype=np.float64)
    deliveries = np.where(
        np.isfinite(since),
        "; last delivery "
        + whole(np.nan_to_num(since))
        + " day(s) ago"
        + np.where(np.isfinite(gap), ", usually every " + rounded(gap) + " day(s)", "")
        + np.where(
            np.isfinite(fill),
            "; the last deliveries filled "
            + whole(np.round(np.nan_to_num(fill) * 100))
            + " % of the usual refill",
            "",
        ),
        "; no delivery seen in 3 weeks",
    )
    stress = np.where(
        hit["supply_stress"].to_numpy(dtype=bool),
        "; many shelves empty in this store or district lately",
        "",
    )
    outlook = np.where(
        hit["stock"].to_numpy(dtype=np.float64) <= 0,
        # A warned shelf that has emptied: the warning stays until it is refilled and safe.
        "out of stock, as warned (" + _stock_and_sales(hit) + "); the warning stays until "
        "the shelf is refilled and safe",
        when
        + " ("
        + whole(chance)
        + " % chance within "
        + rounded(warning, 1)
        + " days): "
        + rounded(days)
        + " days of sales left ("
        + _stock_and_sales(hit)
        + ")",
    )
    summary = _line_label(hit, stores=stores, products=products) + outlook + deliveries + stress
    return candidate_frame(
        rule="low_supply",
        severity=severity,
        scope_level="store",
        scope_id=hit["store_id"],
        product_id=hit["product_id"],
        district_id=hit["district_id"],
        value=days,
        threshold=level,
        summary=summary,
    )


def low_supply_at_scopes(
    *,
    aggregates: pd.DataFrame,
    thresholds: pd.DataFrame,
    products: pd.DataFrame,
    regions: pd.DataFrame | None,
) -> list[pd.DataFrame]:
    """District and city scopes, from the per-product aggregates, named as ``regions``
    names them."""
    found = []
    for level in ("district", "city"):
        rows = aggregates.loc[
            (aggregates["scope_level"] == level) & aggregates["product_id"].notna()
        ].reset_index(drop=True)
        th = thresholds_for(thresholds, rows["product_id"])
        days = rows["days_of_supply"].to_numpy(dtype=np.float64)
        warning = th["low_supply_warning_days"].to_numpy()
        critical = th["low_supply_critical_days"].to_numpy()
        fires = days < warning
        hit = rows.loc[fires].reset_index(drop=True)
        severity = np.where(days[fires] < critical[fires], 2, 1)
        threshold = np.where(severity == 2, critical[fires], warning[fires])
        summary = (
            region_labels(regions, hit["scope_id"], level=level)
            + " "
            + labels_of(products, hit["product_id"], id_column="product_id", noun="product")
            + ": "
            + rounded(days[fires])
            + " days of supply (stock "
            + rounded(hit["stock"])
            + " for "
            + rounded(hit["expected_daily_sales"])
            + "/day over "
            + whole(hit["stores_counted"])
            + " stores; "
            + whole(hit["stores_reporting"])
            + " of "
            + whole(hit["stores_total"])
            + " reported today), below "
            + rounded(threshold, 2)
        )
        district = hit["scope_id"] if level == "district" else np.full(len(hit), pd.NA)
        found.append(
            candidate_frame(
                rule="low_supply",
                severity=severity,
                scope_level=level,
                scope_id=hit["scope_id"],
                product_id=hit["product_id"],
                district_id=district,
                value=days[fires],
                threshold=threshold,
                summary=summary,
            )
        )
    return found


def stockout(
    *,
    rows: pd.DataFrame,
    th: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Stores out of a product with demand; critical when enough of the district is out
    (named as ``regions`` names it, "district 12" without them)."""
    out = rows["stocked_out"].to_numpy(dtype=bool)
    by_district = pd.Series(out).groupby(
        [rows["district_id"].to_numpy(), rows["product_id"].to_numpy()], sort=False
    )
    out_count = by_district.transform("sum").to_numpy()[out]
    carrying = by_district.transform("size").to_numpy()[out]
    share = out_count / carrying
    critical_share = th["stockout_critical_share"].to_numpy()[out]
    hit = rows.loc[out].reset_index(drop=True)
    severity = np.where(share >= critical_share - TOLERANCE, 2, 1)
    threshold = np.where(severity == 2, critical_share, 0.0)
    expected = hit["expected_daily_sales"].to_numpy(dtype=np.float64)
    demand = np.where(
        np.isnan(expected),
        "out on every report of the lookback",
        "usually sells " + rounded(expected) + "/day",
    )
    summary = (
        labels_of(stores, hit["store_id"], id_column="store_id", noun="store")
        + " "
        + labels_of(products, hit["product_id"], id_column="product_id", noun="product")
        + ": out of stock ("
        + demand
        + "); "
        + whole(out_count)
        + " of "
        + whole(carrying)
        + " stores carrying it in "
        + region_labels(regions, hit["district_id"], level="district")
        + " are out ("
        + whole(np.round(share * 100))
        + " %)"
    )
    return candidate_frame(
        rule="stockout",
        severity=severity,
        scope_level="store",
        scope_id=hit["store_id"],
        product_id=hit["product_id"],
        district_id=hit["district_id"],
        value=share,
        threshold=threshold,
        summary=summary,
    )
