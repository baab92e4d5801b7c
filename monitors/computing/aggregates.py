"""District and city days of supply, per product or per category, as ratios of sums.

Aggregates divide Σ stock by Σ expected daily sales over the stores of the scope that
have both numbers (never a mean of ratios, which lets a tiny shop weigh as much as a
hypermarket), and say how many of the scope's stores stand behind the number.
Grouped reductions over the store rows, no per-row Python.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from monitors.computing.frames import require_columns, store_scopes
from monitors.computing.supply import STORE_SUPPLY_COLUMNS

AGGREGATE_COLUMNS: tuple[str, ...] = (
    "scope_level",
    "scope_id",
    "product_id",
    "category",
    "stock",
    "expected_daily_sales",
    "days_of_supply",
    "stocked_out",
    "stores_total",
    "stores_carrying",
    "stores_reporting",
    "stores_counted",
    "stores_stale",
    "stores_stocked_out",
    "coverage",
)


SUM_COLUMNS: tuple[str, ...] = (
    "stock",
    "expected",
    "stores_carrying",
    "stores_counted",
    "stores_reporting",
    "stores_stale",
    "stores_stocked_out",
)
"""What :func:`aggregate_sums` adds up per scope × item: sums and counts only, so the
sums of disjoint sets of whole stores add up to the sums of their union."""


def aggregate_supply(
    *,
    store_rows: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    level: Literal["district", "city"],
    by: Literal["product", "category"],
) -> pd.DataFrame:
    """District or city days of supply per product or category, as ratios of sums.

    ``store_rows`` is :func:`store_supply`'s output; ``stores`` as for it (the active
    stores of a scope are its ``stores_total``); ``products``: ``product_id, category``
    and optionally ``kg_per_unit``. By category, stock and sales are converted to kg
    with ``kg_per_unit`` when present (a category mixes kg, litres and packs; summing
    raw units would let a pack of noodles weigh as much as a kilo of rice).

    Columns (:data:`AGGREGATE_COLUMNS`): ``scope_level``, ``scope_id`` (district_id or
    city_id), ``product_id`` (<NA> by category), ``category``; ``stock`` and
    ``expected_daily_sales`` summed over the ``stores_counted`` stores that have both
    numbers; ``days_of_supply`` = their ratio; ``stocked_out`` (no stock left while there
    is demand); ``stores_total`` (active stores in scope), ``stores_carrying`` (stores with
    a row), ``stores_reporting`` (fresh report on D), ``stores_stale`` (stock carried
    forward), ``stores_stocked_out`` (by category: a store with no stock at all of the
    category while some of it has demand), ``coverage`` = reporting ÷ total.
    """
    sums = aggregate_sums(
        store_rows=store_rows, stores=stores, products=products, level=level, by=by
    )
    return finish_aggregate(sums=sums, stores=stores, products=products, level=level, by=by)


def aggregate_sums(
    *,
    store_rows: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    level: Literal["district", "city"],
    by: Literal["product", "category"],
) -> pd.DataFrame:
    """The sums and counts behind :func:`aggregate_supply` (``scope_id``, the item
    column, :data:`SUM_COLUMNS`), per scope × item, sorted: what one part of a fanned-out
    run hands on, to be added to the other parts' by :func:`combine_sums`."""
    _check_grouping(level, by)
    require_columns(store_rows, STORE_SUPPLY_COLUMNS, name="store_rows")
    require_columns(products, ("product_id", "category"), name="products")
    scope_column = f"{level}_id"
    catalogue = products.drop_duplicates("product_id").set_index("product_id")

    product_id = store_rows["product_id"]
    category = catalogue["category"].reindex(product_id.to_numpy()).to_numpy()
    weight = np.ones(len(store_rows))
    if by == "category" and "kg_per_unit" in catalogue.columns:
        weight = catalogue["kg_per_unit"].reindex(product_id.to_numpy()).fillna(1.0).to_numpy()
    stock = store_rows["stock"].to_numpy(dtype=np.float64) * weight
    expected = store_rows["expected_daily_sales"].to_numpy(dtype=np.float64) * weight
    counted = ~np.isnan(stock) & ~np.isnan(expected)
    key = _item_column(by)

    lines = pd.DataFrame(
        {
            "scope_id": store_rows[scope_column].to_numpy(),
            "store_id": store_rows["store_id"].to_numpy(),
            key: product_id.to_numpy() if by == "product" else category,
            "stock": np.where(counted, stock, 0.0),
            "expected": np.where(counted, expected, 0.0),
            "counted": counted,
            "known_stock": stock,
            "fresh": ~store_rows["stale"].to_numpy(dtype=bool),
            "stale": store_rows["stale"].to_numpy(dtype=bool) & ~np.isnan(stock),
            "stocked_out": store_rows["stocked_out"].to_numpy(dtype=bool),
        }
    )
    per_store = lines.groupby(["scope_id", key, "store_id"], sort=False, dropna=False).agg(
        stock=("stock", "sum"),
        expected=("expected", "sum"),
        counted=("counted", "any"),
        known_stock=("known_stock", "max"),
        fresh=("fresh", "any"),
        stale=("stale", "any"),
        stocked_out=("stocked_out", "any"),
    )
    per_store["stocked_out"] &= per_store["known_stock"].fillna(0.0) == 0.0
    summed = per_store.groupby(level=["scope_id", key], sort=True, dropna=False).agg(
        stock=("stock", "sum"),
        expected=("expected", "sum"),
        stores_carrying=("counted", "size"),
        stores_counted=("counted", "sum"),
        stores_reporting=("fresh", "sum"),
        stores_stale=("stale", "sum"),
        stores_stocked_out=("stocked_out", "sum"),
    )
    return summed.reset_index()


def combine_sums(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The sums of several parts' :func:`aggregate_sums` (of disjoint stores) as if taken
    over all their stores at once; one part is returned as it is."""
    if len(parts) == 1:
        return parts[0]
    frame = pd.concat(parts, ignore_index=True)
    keys = [column for column in frame.columns if column not in SUM_COLUMNS]
    return frame.groupby(keys, sort=True, dropna=False)[list(SUM_COLUMNS)].sum().reset_index()


def finish_aggregate(
    *,
    sums: pd.DataFrame,
    stores: pd.DataFrame,
    products: pd.DataFrame,
    level: Literal["district", "city"],
    by: Literal["product", "category"],
) -> pd.DataFrame:
    """:func:`aggregate_supply`'s rows from the scope × item sums: the ratios, the
    scopes' store totals and the coverage."""
    _check_grouping(level, by)
    scope_column = f"{level}_id"
    scopes = store_scopes(stores)
    active_scopes = scopes.loc[scopes["active"], ["store_id", scope_column]]
    catalogue = products.drop_duplicates("product_id").set_index("product_id")
    summed = sums

    none_counted = summed["stores_counted"].to_numpy() == 0
    any_out = summed["stores_stocked_out"].to_numpy() > 0
    total_stock = np.where(none_counted, np.where(any_out, 0.0, np.nan), summed["stock"])
    total_expected = np.where(none_counted, np.nan, summed["expected"])
    days_of_supply = np.full(len(summed), np.nan)
    np.divide(total_stock, total_expected, out=days_of_supply, where=total_expected > 0)

    stores_total = active_scopes.groupby(scope_column).size()
    totals = stores_total.reindex(summed["scope_id"].to_numpy()).fillna(0).to_numpy(np.int64)
    reporting = summed["stores_reporting"].to_numpy(np.int64)
    coverage = np.full(len(summed), np.nan)
    np.divide(reporting, totals, out=coverage, where=totals > 0)

    if by == "product":
        products_out = pd.array(summed["product_id"].to_numpy(), dtype="Int64")
        categories = catalogue["category"].reindex(summed["product_id"].to_numpy()).to_numpy()
    else:
        products_out = pd.array([pd.NA] * len(summed), dtype="Int64")
        categories = summed["category"].to_numpy()
    return pd.DataFrame(
        {
            "scope_level": level,
            "scope_id": summed["scope_id"].to_numpy(),
            "product_id": products_out,
            "category": categories,
            "stock": total_stock,
            "expected_daily_sales": total_expected,
            "days_of_supply": days_of_supply,
            "stocked_out": (total_stock == 0) & ((total_expected > 0) | (none_counted & any_out)),
            "stores_total": totals,
            "stores_carrying": summed["stores_carrying"].to_numpy(np.int64),
            "stores_reporting": reporting,
            "stores_counted": summed["stores_counted"].to_numpy(np.int64),
            "stores_stale": summed["stores_stale"].to_numpy(np.int64),
            "stores_stocked_out": summed["stores_stocked_out"].to_numpy(np.int64),
            "coverage": coverage,
        }
    )


def _item_column(by: str) -> str:
    return "product_id" if by == "product" else "category"


def _check_grouping(level: str, by: str) -> None:
    if level not in ("district", "city"):
        raise ValueError(f"level must be 'district' or 'city', not {level!r}")
    if by not in ("product", "category"):
        raise ValueError(f"by must be 'product' or 'category', not {by!r}")
