"""Alert rules: turn supply numbers and report coverage into alert candidates.

A candidate is a condition that holds now, on one scope × product, with a severity and
a stable ``fingerprint`` (sha256 of rule, scope level, scope id and product). The alert
lifecycle (open, escalate, resolve) matches candidates to open alerts by fingerprint,
the way Prometheus Alertmanager does, so the same condition on the next run must hash
the same and different scopes must not collide.

Rules (DESIGN.md "Alerts"; boundaries are inclusive, "≥ 2×" fires at exactly 2×):

- ``low_supply``: days of supply below the warning/critical level, on store (trusted
  expected sales only; a stocked-out store is left to ``stockout``), district and city
  scopes, per product. At store scope ``peak_days_of_supply`` must be below the
  warning level too: a line that is low only on days its shelves are being refilled
  is a store working just in time, not a shortage (:mod:`monitors.computing.supply`).
- ``stockout``: a store holds 0 of a product that has demand; critical when at least
  ``stockout_critical_share`` of the district's stores that carry the product are out.
  ``value`` is that share, ``threshold`` 0 for the warning, the share for critical.
- ``price_spike``: on D's fresh prices, the worst of three checks: vs the median of the
  days before D (warning/critical), day over day (warning), and a high outlier among
  the district's outlets by modified z-score 0.6745·(x − median)/MAD (warning; skipped
  with fewer than ``price_outlier_min_outlets`` outlets or MAD = 0). Only *high*
  outliers fire: a price far below the others is a unit mistake, not a spike.
  ``value`` is the price, ``threshold`` the price level crossed.
- ``sales_surge``: sales on D ÷ the expected daily sales of the days *before* D (D's own
  sales would inflate the yardstick: six days of 10 and a day of 30 average 12.9, and a
  3× surge would read 2.3×); only when that yardstick is trusted.
- ``missing_report``: an active store has no report for D; critical after
  ``missing_critical_days`` consecutive days. Product-less.

Thresholds come from :mod:`monitors.alerting.thresholds` and reporting from
:mod:`monitors.computing.reporting`; both are re-exported here.
"""

from __future__ import annotations

import hashlib
from datetime import date

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

from monitors.alerting.thresholds import (
    ANY_CATEGORY,
    THRESHOLD_FIELDS,
    InvalidThresholds,
    RuleThresholds,
    default_thresholds,
    fallback_thresholds,
    resolve_category_thresholds,
    resolve_thresholds,
    validate_thresholds,
)
from monitors.computing.frames import require_columns
from monitors.computing.reporting import (
    STORE_REPORTING_COLUMNS,
    ReportingSettings,
    report_cutoff,
    reporting_rates,
    store_reporting,
)
from monitors.computing.supply import AGGREGATE_COLUMNS, STORE_SUPPLY_COLUMNS

__all__ = [
    "ALERT_COLUMNS",
    "ANY_CATEGORY",
    "FINGERPRINT_LENGTH",
    "InvalidThresholds",
    "ReportingSettings",
    "RuleThresholds",
    "alert_fingerprint",
    "default_thresholds",
    "evaluate_rules",
    "fingerprints",
    "report_cutoff",
    "reporting_rates",
    "resolve_category_thresholds",
    "resolve_thresholds",
    "store_reporting",
    "validate_thresholds",
]

ALERT_COLUMNS: tuple[str, ...] = (
    "rule",
    "severity",
    "scope_level",
    "scope_id",
    "product_id",
    "category",
    "district_id",
    "value",
    "threshold",
    "summary",
    "fingerprint",
)

FINGERPRINT_LENGTH = 32
"""Hex characters of sha256 kept in a fingerprint (128 bits: collisions are not a concern)."""

TOLERANCE = 1e-9
"""Slack on inclusive comparisons, so 1.15 / 1.00 − 1 counts as reaching +15 %."""

MAD_SCALE = 0.6745
"""Iglewicz–Hoaglin constant: makes the median absolute deviation comparable to σ."""

_TEXT = StringDType()
_SEVERITY = np.array(["", "warning", "critical"], dtype=object)


def _fingerprint_key(rule: str, scope_level: str, scope_id: str, product_id: str) -> str:
    return f"{rule}|{scope_level}|{scope_id}|{product_id}"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:FINGERPRINT_LENGTH]


def alert_fingerprint(*, rule: str, scope_level: str, scope_id: int, product_id: int | None) -> str:
    """The fingerprint of one alert; equal to what :func:`fingerprints` gives its row."""
    product = "-" if product_id is None else str(int(product_id))
    return _digest(_fingerprint_key(rule, scope_level, str(int(scope_id)), product))


def _text(values: object) -> np.ndarray:
    """Values as a numpy variable-width string array (fast vectorised concatenation)."""
    return np.asarray(values, dtype=object).astype(_TEXT)


def _num(values: object, digits: int = 1) -> np.ndarray:
    """Numbers rounded to ``digits`` decimals, as text ("2.4", "nan" when missing)."""
    return np.round(np.asarray(values, dtype=np.float64), digits).astype(_TEXT)


def _int(values: object) -> np.ndarray:
    """Whole numbers as text."""
    return np.asarray(values, dtype=np.int64).astype(_TEXT)


def _percent(fractions: np.ndarray) -> np.ndarray:
    """Signed whole percentages ("+21 %"); missing values read "?"."""
    known = ~np.isnan(fractions)
    whole = np.round(np.where(known, fractions, 0.0) * 100)
    sign = np.where(whole >= 0, "+", "")
    return np.where(known, sign + _int(whole) + " %", "?")


def fingerprints(*, candidates: pd.DataFrame) -> pd.Series:
    """Fingerprint of each row (``rule, scope_level, scope_id, product_id``), hashing each
    distinct key once."""
    require_columns(candidates, ("rule", "scope_level", "scope_id", "product_id"), name="rows")
    product = candidates["product_id"].astype("Int64")
    product_text = np.where(
        product.isna().to_numpy(), "-", _int(product.fillna(0).to_numpy(dtype=np.int64))
    )
    keys = (
        _text(candidates["rule"])
        + "|"
        + _text(candidates["scope_level"])
        + "|"
        + _int(candidates["scope_id"])
        + "|"
        + product_text
    )
    codes, uniques = pd.factorize(keys.astype(object))
    digests = np.array([_digest(key) for key in uniques.tolist()], dtype=object)
    return pd.Series(digests[codes], index=candidates.index, name="fingerprint", dtype="str")


def _thresholds_for(thresholds: pd.DataFrame, product_ids: pd.Series) -> pd.DataFrame:
    """Threshold rows aligned with ``product_ids`` (fallback values for unknown products)."""
    fallback = fallback_thresholds()
    matched = thresholds.reindex(product_ids.to_numpy()).reset_index(drop=True)
    return matched.fillna({name: getattr(fallback, name) for name in THRESHOLD_FIELDS})


def _labels(frame: pd.DataFrame, ids: pd.Series, *, id_column: str, noun: str) -> np.ndarray:
    """Human labels for ``ids``: the ``code`` column when there is one, else "noun id"."""
    generic = noun + " " + _int(ids)
    if "code" not in frame.columns:
        return generic
    codes = frame.drop_duplicates(id_column).set_index(id_column)["code"]
    found = codes.reindex(ids.to_numpy())
    return np.where(found.isna().to_numpy(), generic, _text(found.fillna("")))


def _at_least(value: np.ndarray, warning: np.ndarray, critical: np.ndarray) -> np.ndarray:
    """Severity 0/1/2 of a "value ≥ level" rule (inclusive, within :data:`TOLERANCE`)."""
    return np.where(value >= critical - TOLERANCE, 2, np.where(value >= warning - TOLERANCE, 1, 0))


def _candidates(
    *,
    rule: str,
    severity: np.ndarray,
    scope_level: str,
    scope_id: object,
    product_id: object,
    district_id: object,
    value: object,
    threshold: object,
    summary: np.ndarray,
) -> pd.DataFrame:
    """One rule's candidates in the common layout (category and fingerprint come later)."""
    n = len(summary)
    return pd.DataFrame(
        {
            "rule": np.full(n, rule, dtype=object),
            "severity": _SEVERITY[np.asarray(severity, dtype=np.int64)],
            "scope_level": np.full(n, scope_level, dtype=object),
            "scope_id": np.asarray(scope_id, dtype=np.int64).reshape(n),
            "product_id": pd.array(np.asarray(product_id, dtype=object).reshape(n), "Int64"),
            "district_id": pd.array(np.asarray(district_id, dtype=object).reshape(n), "Int64"),
            "value": np.asarray(value, dtype=np.float64).reshape(n),
            "threshold": np.asarray(threshold, dtype=np.float64).reshape(n),
            "summary": summary.astype(object),
        }
    )


def _low_supply_stores(
    rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """Store scope: trusted numbers only, stocked-out stores left to the stockout rule,
    lines whose shelves have been refilled every day while low left quiet."""
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
    carried = np.where(
        hit["stale"].to_numpy(dtype=bool),
        ", stock of " + _text(hit["last_report_date"].dt.strftime("%Y-%m-%d")),
        "",
    )
    summary = (
        _labels(stores, hit["store_id"], id_column="store_id", noun="store")
        + " "
        + _labels(products, hit["product_id"], id_column="product_id", noun="product")
        + ": "
        + _num(days[fires])
        + " days of supply (stock "
        + _num(hit["stock"])
        + ", selling "
        + _num(hit["expected_daily_sales"])
        + "/day"
        + carried
        + "), below "
        + _num(level, 2)
    )
    return _candidates(
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


def _low_supply_scopes(
    aggregates: pd.DataFrame, thresholds: pd.DataFrame, products: pd.DataFrame
) -> list[pd.DataFrame]:
    """District and city scopes, from the per-product aggregates."""
    found = []
    for level in ("district", "city"):
        rows = aggregates.loc[
            (aggregates["scope_level"] == level) & aggregates["product_id"].notna()
        ].reset_index(drop=True)
        th = _thresholds_for(thresholds, rows["product_id"])
        days = rows["days_of_supply"].to_numpy(dtype=np.float64)
        warning = th["low_supply_warning_days"].to_numpy()
        critical = th["low_supply_critical_days"].to_numpy()
        fires = days < warning
        hit = rows.loc[fires].reset_index(drop=True)
        severity = np.where(days[fires] < critical[fires], 2, 1)
        threshold = np.where(severity == 2, critical[fires], warning[fires])
        summary = (
            level
            + " "
            + _int(hit["scope_id"])
            + " "
            + _labels(products, hit["product_id"], id_column="product_id", noun="product")
            + ": "
            + _num(days[fires])
            + " days of supply (stock "
            + _num(hit["stock"])
            + " for "
            + _num(hit["expected_daily_sales"])
            + "/day over "
            + _int(hit["stores_counted"])
            + " stores; "
            + _int(hit["stores_reporting"])
            + " of "
            + _int(hit["stores_total"])
            + " reported today), below "
            + _num(threshold, 2)
        )
        district = hit["scope_id"] if level == "district" else np.full(len(hit), pd.NA)
        found.append(
            _candidates(
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


def _stockout(
    rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """Stores out of a product with demand; critical when enough of the district is out."""
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
        "usually sells " + _num(expected) + "/day",
    )
    summary = (
        _labels(stores, hit["store_id"], id_column="store_id", noun="store")
        + " "
        + _labels(products, hit["product_id"], id_column="product_id", noun="product")
        + ": out of stock ("
        + demand
        + "); "
        + _int(out_count)
        + " of "
        + _int(carrying)
        + " stores carrying it in district "
        + _int(hit["district_id"])
        + " are out ("
        + _int(np.round(share * 100))
        + " %)"
    )
    return _candidates(
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


def _price_spike(
    rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
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
    baseline_severity = _at_least(rise, warn, crit)
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
    by_baseline = np.where(
        baseline_severity[fires] > 0,
        "; "
        + _percent(rise[fires])
        + " on the median "
        + _num(baseline[fires], 2)
        + " of "
        + _int(hit["price_baseline_observations"])
        + " earlier days",
        "",
    )
    by_day = np.where(
        day_severity[fires] > 0,
        "; " + _percent(day_rise[fires]) + " on the day before (" + _num(previous[fires], 2) + ")",
        "",
    )
    by_outlets = np.where(
        outlier_severity[fires] > 0,
        "; robust z "
        + _num(z[fires])
        + " against "
        + _int(outlets[fires])
        + " outlets in the district (median "
        + _num(median[fires], 2)
        + ")",
        "",
    )
    summary = (
        _labels(stores, hit["store_id"], id_column="store_id", noun="store")
        + " "
        + _labels(products, hit["product_id"], id_column="product_id", noun="product")
        + ": price "
        + _num(price[fires], 2)
        + by_baseline
        + by_day
        + by_outlets
    )
    return _candidates(
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


def _sales_surge(
    rows: pd.DataFrame, th: pd.DataFrame, stores: pd.DataFrame, products: pd.DataFrame
) -> pd.DataFrame:
    """Today's sales against the trusted average of the days before (panic buying)."""
    usual = rows["prior_daily_sales"].to_numpy(dtype=np.float64)
    today = rows["sales_today"].to_numpy(dtype=np.float64)
    usable = rows["prior_trusted"].to_numpy(dtype=bool) & (usual > 0) & ~np.isnan(today)
    ratio = np.where(usable, today / np.where(usable, usual, 1.0), np.nan)
    warn, crit = th["sales_surge_warning"].to_numpy(), th["sales_surge_critical"].to_numpy()
    severity = _at_least(ratio, warn, crit)
    fires = severity > 0
    hit = rows.loc[fires].reset_index(drop=True)
    threshold = np.where(severity[fires] == 2, crit[fires], warn[fires])
    summary = (
        _labels(stores, hit["store_id"], id_column="store_id", noun="store")
        + " "
        + _labels(products, hit["product_id"], id_column="product_id", noun="product")
        + ": sold "
        + _num(today[fires])
        + " today, "
        + _num(ratio[fires])
        + "× the usual "
        + _num(usual[fires])
        + "/day (threshold "
        + _num(threshold, 2)
        + "×)"
    )
    return _candidates(
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


def _missing_report(
    reporting: pd.DataFrame,
    stores: pd.DataFrame,
    business_day: date,
    settings: ReportingSettings,
) -> pd.DataFrame:
    """Active stores without a report for D; critical after several days in a row."""
    hit = reporting.loc[~reporting["received"].to_numpy(dtype=bool)].reset_index(drop=True)
    days = hit["consecutive_missing_days"].to_numpy(dtype=np.int64)
    severity = np.where(days >= settings.missing_critical_days, 2, 1)
    threshold = np.where(severity == 2, settings.missing_critical_days, 1)
    capped = np.where(days >= settings.lookback_days, "at least ", "")
    summary = (
        _labels(stores, hit["store_id"], id_column="store_id", noun="store")
        + f" has not reported {business_day.isoformat()} ("
        + capped
        + _int(days)
        + " day(s) in a row)"
    )
    return _candidates(
        rule="missing_report",
        severity=severity,
        scope_level="store",
        scope_id=hit["store_id"],
        product_id=np.full(len(hit), pd.NA),
        district_id=hit["district_id"],
        value=days,
        threshold=threshold,
        summary=summary,
    )


def evaluate_rules(
    *,
    store_rows: pd.DataFrame,
    aggregates: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    thresholds: pd.DataFrame,
    reporting: pd.DataFrame,
    business_day: date,
    reporting_settings: ReportingSettings | None = None,
) -> pd.DataFrame:
    """Every alert condition that holds on ``business_day``, one row per fingerprint.

    ``store_rows``: :func:`monitors.computing.supply.store_supply` output; ``aggregates``: any
    concatenation of :func:`monitors.computing.supply.aggregate_supply` outputs (district and city
    rows by product are used); ``stores``/``products`` as for those (an optional
    ``code`` column labels the summaries); ``thresholds``:
    :func:`monitors.alerting.thresholds.resolve_thresholds` output; ``reporting``:
    :func:`monitors.computing.reporting.store_reporting` output for D.

    Columns (:data:`ALERT_COLUMNS`): ``rule``, ``severity`` (warning|critical),
    ``scope_level`` (store|district|city), ``scope_id``, ``product_id`` (<NA> for
    missing_report), ``category``, ``district_id`` (<NA> at city scope), ``value``,
    ``threshold`` (the level of the severity reached), ``summary``, ``fingerprint``;
    critical first, then by rule, scope and product.
    """
    require_columns(store_rows, STORE_SUPPLY_COLUMNS, name="store_rows")
    require_columns(aggregates, AGGREGATE_COLUMNS, name="aggregates")
    require_columns(reporting, STORE_REPORTING_COLUMNS, name="reporting")
    require_columns(products, ("product_id", "category"), name="products")
    settings = reporting_settings or ReportingSettings()
    rows = store_rows.reset_index(drop=True)
    th = _thresholds_for(thresholds, rows["product_id"])

    parts = [
        _low_supply_stores(rows, th, stores, products),
        *_low_supply_scopes(aggregates, thresholds, products),
        _stockout(rows, th, stores, products),
        _price_spike(rows, th, stores, products),
        _sales_surge(rows, th, stores, products),
        _missing_report(reporting, stores, business_day, settings),
    ]
    candidates = pd.concat(parts, ignore_index=True)
    categories = products.drop_duplicates("product_id").set_index("product_id")["category"]
    candidates.insert(
        5,
        "category",
        pd.Series(categories.reindex(candidates["product_id"].to_numpy()).to_numpy(), dtype="str"),
    )
    candidates["summary"] = candidates["summary"].astype("str")
    candidates["fingerprint"] = fingerprints(candidates=candidates)
    candidates["_rank"] = candidates["severity"].map({"critical": 0, "warning": 1})
    candidates = candidates.sort_values(
        ["_rank", "rule", "scope_level", "scope_id", "product_id"], na_position="first"
    )
    return candidates.reset_index(drop=True).loc[:, list(ALERT_COLUMNS)]
