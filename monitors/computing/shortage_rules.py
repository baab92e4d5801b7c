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

from core.text import N_
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
from monitors.computing.wording import Words, nothing, worded, words_of


def _line_label(hit: pd.DataFrame, *, stores: pd.DataFrame, products: pd.DataFrame) -> Words:
    """ "Store product: ", the start of every store-line summary."""
    return worded(
        "{store} {product}: ",
        len(hit),
        store=labels_of(stores, hit["store_id"], id_column="store_id", noun="store"),
        product=labels_of(products, hit["product_id"], id_column="product_id", noun="product"),
    )


def _stock_and_sales(hit: pd.DataFrame) -> Words:
    """ "stock 6.0, selling 10.0/day", with the date of a stock carried from an older report."""
    size = len(hit)
    carried = worded(
        ", stock of {date}", size, date=as_text(hit["last_report_date"].dt.strftime("%Y-%m-%d"))
    ).where(hit["stale"].to_numpy(dtype=bool), nothing(size))
    return (
        worded(
            "stock {stock}, selling {sales}/day",
            size,
            stock=rounded(hit["stock"]),
            sales=rounded(hit["expected_daily_sales"]),
        )
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
    summary = _line_label(hit, stores=stores, products=products) + worded(
        "{days} days of supply ({stock_and_sales}), below {level}",
        len(hit),
        days=rounded(days[fires]),
        stock_and_sales=_stock_and_sales(hit),
        level=rounded(level, 2),
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
    [N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday")]
    + [N_("Saturday"), N_("Sunday")],
    dtype=object,
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
    size = len(hit)
    when = worded(
        "projected to run out on {weekday} {date}",
        size,
        weekday=words_of(_WEEKDAYS[run_out_day.dt.day_of_week.to_numpy()]),
        date=as_text(run_out_day.dt.strftime("%Y-%m-%d")),
    ).where(
        known,
        worded("may run out within {horizon} days", size, horizon=rounded(warning, 1)),
    )
    chance = np.round(np.nan_to_num(hit["stockout_chance"].to_numpy(dtype=np.float64)) * 100)
    fill = hit["delivery_fill"].to_numpy(dtype=np.float64)
    since = hit["days_since_delivery"].to_numpy(dtype=np.float64)
    gap = hit["typical_delivery_gap"].to_numpy(dtype=np.float64)
    last_delivery = worded(
        "; last delivery {days} day(s) ago", size, days=whole(np.nan_to_num(since))
    ).where(since != 0, worded("; delivered today", size))
    deliveries = (
        last_delivery
        + worded(", usually every {gap} day(s)", size, gap=rounded(gap)).where(
            np.isfinite(gap), nothing(size)
        )
        + worded(
            "; the last deliveries filled {percent} % of the usual refill",
            size,
            percent=whole(np.round(np.nan_to_num(fill) * 100)),
        ).where(np.isfinite(fill), nothing(size))
    ).where(np.isfinite(since), worded("; no delivery seen in 3 weeks", size))
    stress = worded("; many shelves empty in this store or district lately", size).where(
        hit["supply_stress"].to_numpy(dtype=bool), nothing(size)
    )
    outlook = worded(
        # A warned shelf that has emptied: the warning stays until it is refilled and safe.
        "out of stock, as warned ({stock_and_sales}); the warning stays until the shelf is "
        "refilled and safe",
        size,
        stock_and_sales=_stock_and_sales(hit),
    ).where(
        hit["stock"].to_numpy(dtype=np.float64) <= 0,
        worded(
            "{when} ({chance} % chance within {horizon} days): {days} days of sales left "
            "({stock_and_sales})",
            size,
            when=when,
            chance=whole(chance),
            horizon=rounded(warning, 1),
            days=rounded(days),
            stock_and_sales=_stock_and_sales(hit),
        ),
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
        summary = worded(
            "{region} {product}: {days} days of supply (stock {stock} for {sales}/day over "
            "{counted} stores; {reporting} of {total} reported today), below {level}",
            len(hit),
            region=region_labels(regions, hit["scope_id"], level=level),
            product=labels_of(products, hit["product_id"], id_column="product_id", noun="product"),
            days=rounded(days[fires]),
            stock=rounded(hit["stock"]),
            sales=rounded(hit["expected_daily_sales"]),
            counted=whole(hit["stores_counted"]),
            reporting=whole(hit["stores_reporting"]),
            total=whole(hit["stores_total"]),
            level=rounded(threshold, 2),
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
    size = len(hit)
    demand = worded("out on every report of the lookback", size).where(
        np.isnan(expected), worded("usually sells {sales}/day", size, sales=rounded(expected))
    )
    summary = worded(
        "{store} {product}: out of stock ({demand}); {out} of {carrying} stores carrying it "
        "in {district} are out ({percent} %)",
        size,
        store=labels_of(stores, hit["store_id"], id_column="store_id", noun="store"),
        product=labels_of(products, hit["product_id"], id_column="product_id", noun="product"),
        demand=demand,
        out=whole(out_count),
        carrying=whole(carrying),
        district=region_labels(regions, hit["district_id"], level="district"),
        percent=whole(np.round(share * 100)),
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
