"""Alert rules: turn supply numbers and report coverage into alert candidates.

One candidate per scope × product whose condition holds now, in the layout of
:mod:`monitors.computing.candidates` (with a stable fingerprint). The rules, in modules
of related rules (DESIGN.md "Alerts"; boundaries are inclusive, "≥ 2×" fires at exactly
2×):

- :mod:`monitors.computing.shortage_rules`: ``low_supply`` and ``stockout``;
- :mod:`monitors.computing.market_rules`: ``price_spike`` and ``sales_surge``;
- :mod:`monitors.computing.reporting_rules`: ``missing_report``.

Thresholds come from :mod:`monitors.alerting.thresholds` and reporting from
:mod:`monitors.computing.reporting`.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from monitors.computing.aggregates import AGGREGATE_COLUMNS
from monitors.computing.candidates import ALERT_COLUMNS, fingerprints, thresholds_for
from monitors.computing.frames import require_columns
from monitors.computing.market_rules import price_spike, sales_surge
from monitors.computing.reporting import STORE_REPORTING_COLUMNS, ReportingSettings
from monitors.computing.reporting_rules import missing_report
from monitors.computing.shortage_rules import low_supply_at_scopes, low_supply_at_stores, stockout
from monitors.computing.supply import STORE_SUPPLY_COLUMNS


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
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every alert condition that holds on ``business_day``, one row per fingerprint.

    ``store_rows``: :func:`monitors.computing.supply.store_supply` output; ``aggregates``: any
    concatenation of :func:`monitors.computing.supply.aggregate_supply` outputs (district and city
    rows by product are used); ``stores``/``products`` as for those (an optional
    ``code`` column labels the summaries); ``thresholds``:
    :func:`monitors.alerting.thresholds.resolve_thresholds` output; ``reporting``:
    :func:`monitors.computing.reporting.store_reporting` output for D; ``regions``
    (optional: ``region_id, name, code``) names district and city scopes in their
    summaries ("District Weidong (410403) pork: …"; "district 12 pork: …" without it).

    Columns (:data:`ALERT_COLUMNS`): ``rule``, ``severity`` (warning|critical),
    ``scope_level`` (store|district|city), ``scope_id``, ``product_id`` (<NA> for
    missing_report), ``category``, ``district_id`` (<NA> at city scope), ``value``,
    ``threshold`` (the level of the severity reached), ``summary``, ``fingerprint``;
    critical first, then by rule, scope and product.
    """
    store_candidates = store_rule_candidates(
        store_rows=store_rows,
        stores=stores,
        products=products,
        thresholds=thresholds,
        regions=regions,
    )
    return day_candidates(
        store_candidates=[store_candidates],
        aggregates=aggregates,
        stores=stores,
        products=products,
        thresholds=thresholds,
        reporting=reporting,
        business_day=business_day,
        reporting_settings=reporting_settings,
        regions=regions,
    )


def store_rule_candidates(
    *,
    store_rows: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    thresholds: pd.DataFrame,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The store-scope candidates of ``store_rows`` (low supply, stock-outs, prices and
    sales), unsorted and without category or fingerprint; ``regions`` names the district a
    stock-out compares the store with. Stock-outs and prices compare a
    store with its district, so ``store_rows`` must hold whole districts: a fanned-out
    run hands each part whole districts and adds the parts' candidates up."""
    require_columns(store_rows, STORE_SUPPLY_COLUMNS, name="store_rows")
    require_columns(products, ("product_id", "category"), name="products")
    rows = store_rows.reset_index(drop=True)
    th = thresholds_for(thresholds, rows["product_id"])
    return pd.concat(
        [
            low_supply_at_stores(rows=rows, th=th, stores=stores, products=products),
            stockout(rows=rows, th=th, stores=stores, products=products, regions=regions),
            price_spike(rows=rows, th=th, stores=stores, products=products),
            sales_surge(rows=rows, th=th, stores=stores, products=products),
        ],
        ignore_index=True,
    )


def day_candidates(
    *,
    store_candidates: list[pd.DataFrame],
    aggregates: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    thresholds: pd.DataFrame,
    reporting: pd.DataFrame,
    business_day: date,
    reporting_settings: ReportingSettings | None = None,
    regions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """:func:`evaluate_rules`' result from the store candidates of every part of the
    stores, the district and city aggregates and the reporting of D."""
    require_columns(aggregates, AGGREGATE_COLUMNS, name="aggregates")
    require_columns(reporting, STORE_REPORTING_COLUMNS, name="reporting")
    require_columns(products, ("product_id", "category"), name="products")
    settings = reporting_settings or ReportingSettings()
    parts = [
        *store_candidates,
        *low_supply_at_scopes(
            aggregates=aggregates, thresholds=thresholds, products=products, regions=regions
        ),
        missing_report(
            reporting=reporting, stores=stores, business_day=business_day, settings=settings
        ),
    ]
    candidates = pd.concat([part for part in parts if len(part)] or parts[:1], ignore_index=True)
    categories = products.drop_duplicates("product_id").set_index("product_id")["category"]
    candidates.insert(
        5,
        "category",
        pd.Series(categories.reindex(candidates["product_id"].to_numpy()).to_numpy(), dtype="str"),
    )
    candidates["summary"] = candidates["summary"].astype("str")
    candidates["summary_text"] = candidates["summary_text"].astype("str")
    candidates["fingerprint"] = fingerprints(candidates=candidates)
    candidates["_rank"] = candidates["severity"].map({"critical": 0, "warning": 1})
    candidates = candidates.sort_values(
        ["_rank", "rule", "scope_level", "scope_id", "product_id"],
        na_position="first",
        kind="stable",
    )
    return candidates.reset_index(drop=True).loc[:, list(ALERT_COLUMNS)]
