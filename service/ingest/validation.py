"""Vectorised validation of report lines, shared by JSON reports and bulk files.

Every bad cell is reported (row and column), not just the first, and nothing is
written unless every line is good.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Product, ProductUnitConversion, Store, Unit
from service.auth import Principal

QUANTITY_COLUMNS = ("stock", "sales", "received")
NUMBER_COLUMNS = ("stock", "sales", "price", "received")
REQUIRED_NUMBERS = ("stock", "sales", "price")
CANONICAL_COLUMNS = (
    "store_id",
    "report_date",
    "product_id",
    "stock",
    "sales",
    "price",
    "received",
)
_NON_FINITE_WORDS = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"}


@dataclass(frozen=True)
class LineError:
    """One bad cell: the line's position in the input, the column and what is wrong."""

    position: int
    column: str
    message: str


@dataclass(frozen=True)
class ReportRules:
    """The limits a line must respect (from settings) and the business day it is checked on."""

    today: date
    max_age_days: int
    max_quantity: float
    max_price: float


@dataclass
class Catalog:
    """Stores, products and units, loaded once per request to resolve codes set-based."""

    stores: pd.DataFrame  # index code → id, enterprise_id, active
    products: pd.DataFrame  # index code → id, unit, active
    unit_to_base: dict[str, tuple[str, float]]  # unit → (dimension, size in base unit)
    product_units: dict[tuple[int, str], float] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, *, store_codes: list[str] | None = None) -> Catalog:
        """Read what validation needs; ``store_codes`` narrows the store lookup."""
        store_query = select(Store.code, Store.id, Store.enterprise_id, Store.active)
        if store_codes is not None and len(store_codes) <= 500:
            store_query = store_query.where(Store.code.in_(store_codes))
        stores = pd.DataFrame(
            session.execute(store_query).all(), columns=["code", "id", "enterprise_id", "active"]
        ).set_index("code")
        products = pd.DataFrame(
            session.execute(select(Product.code, Product.id, Product.unit, Product.active)).all(),
            columns=["code", "id", "unit", "active"],
        ).set_index("code")
        units = {
            code: (str(dimension), float(size))
            for code, dimension, size in session.execute(
                select(Unit.code, Unit.dimension, Unit.to_base)
            )
        }
        product_units = {
            (product_id, unit): float(factor)
            for product_id, unit, factor in session.execute(
                select(
                    ProductUnitConversion.product_id,
                    ProductUnitConversion.unit,
                    ProductUnitConversion.factor,
                )
            )
        }
        return cls(
            stores=stores, products=products, unit_to_base=units, product_units=product_units
        )

    def conversion_factor(self, product_id: int, canonical_unit: str, unit: str) -> float | str:
        """How many canonical units one ``unit`` is for this product, or why it cannot be."""
        if unit == canonical_unit:
            return 1.0
        special = self.product_units.get((product_id, unit))
        if special is not None:
            return special
        if unit not in self.unit_to_base:
            known = ", ".join(sorted(self.unit_to_base))
            return f"unknown unit {unit!r} (known: {known})"
        dimension, size = self.unit_to_base[unit]
        canonical_dimension, canonical_size = self.unit_to_base[canonical_unit]
        if dimension != canonical_dimension or dimension == "count":
            return f"unit {unit!r} cannot be converted to this product's unit {canonical_unit!r}"
        return size / canonical_size


def _numbers(column: pd.Series, name: str, required: bool) -> tuple[pd.Series, list[LineError]]:
    """The column as floats, with an error for every non-number, non-finite or missing cell."""
    errors: list[LineError] = []
    if column.dtype == object or pd.api.types.is_string_dtype(column):
        text = column.astype("string").str.strip()
        blank = text.isna() | (text == "")
        words = text.str.lower().isin(_NON_FINITE_WORDS).fillna(False)
        values = pd.to_numeric(text.where(~blank & ~words), errors="coerce")
        not_number = ~blank & ~words & values.isna()
        errors += [LineError(int(i), name, "not a number") for i in column.index[not_number]]
        errors += [LineError(int(i), name, "must be a finite number") for i in column.index[words]]
    else:
        values = pd.to_numeric(column, errors="coerce")
        blank = column.isna() & ~np.isinf(values.fillna(0))
    values = values.astype("float64")
    infinite = np.isinf(values)
    errors += [LineError(int(i), name, "must be a finite number") for i in column.index[infinite]]
    values = values.where(~infinite)
    if required:
        errors += [LineError(int(i), name, "is required") for i in column.index[blank]]
    return values, errors


def validate_lines(
    lines: pd.DataFrame,
    *,
    catalog: Catalog,
    rules: ReportRules,
    principal: Principal,
) -> tuple[pd.DataFrame, list[LineError], list[LineError]]:
    """Check and convert raw lines into canonical rows ready to store.

    ``lines`` has columns store, date, product, stock, sales, price, received and unit
    (codes and numbers as sent, strings allowed) and any index (positions in the input).
    Returns (canonical rows, invalid cells, cells the principal may not write); the rows
    are only meaningful when both lists are empty.
    """
    errors: list[LineError] = []
    forbidden: list[LineError] = []
    index = lines.index

    numbers: dict[str, pd.Series] = {}
    for name in NUMBER_COLUMNS:
        values, found = _numbers(lines[name], name, required=name in REQUIRED_NUMBERS)
        numbers[name] = values
        errors += found

    # Business day.
    raw_dates = lines["date"]
    if pd.api.types.is_datetime64_any_dtype(raw_dates):
        parsed = raw_dates
    else:
        parsed = pd.to_datetime(
            raw_dates.astype("string").str.strip(), format="%Y-%m-%d", errors="coerce"
        )
    bad_date = parsed.isna()
    errors += [LineError(int(i), "date", "not a date (YYYY-MM-DD)") for i in index[bad_date]]
    day = parsed.dt.date
    oldest = rules.today - timedelta(days=rules.max_age_days)
    future = ~bad_date & (parsed > pd.Timestamp(rules.today))
    too_old = ~bad_date & (parsed < pd.Timestamp(oldest))
    errors += [
        LineError(int(i), "date", f"is in the future (today is {rules.today.isoformat()})")
        for i in index[future]
    ]
    errors += [
        LineError(
            int(i), "date", f"is older than {rules.max_age_days} days (before {oldest.isoformat()})"
        )
        for i in index[too_old]
    ]

    # Store: known, active, and one the caller may write.
    store_codes = lines["store"].astype("string").str.strip()
    store_rows = catalog.stores.reindex(store_codes.fillna(""))
    store_id = pd.Series(store_rows["id"].to_numpy(), index=index)
    unknown_store = store_id.isna()
    errors += [
        LineError(int(i), "store", f"unknown store {store_codes[i]!r}")
        for i in index[unknown_store]
    ]
    inactive_store = ~unknown_store & ~pd.Series(
        store_rows["active"].fillna(True).astype(bool).to_numpy(), index=index
    )
    errors += [
        LineError(int(i), "store", f"store {store_codes[i]!r} is deactivated")
        for i in index[inactive_store]
    ]
    if principal.is_store_bound:
        if principal.store_id is not None:
            allowed = store_id == principal.store_id
        else:
            enterprise = pd.Series(store_rows["enterprise_id"].to_numpy(), index=index)
            allowed = enterprise == principal.enterprise_id
        not_allowed = ~unknown_store & ~allowed
        forbidden += [
            LineError(int(i), "store", f"not allowed to post for store {store_codes[i]!r}")
            for i in index[not_allowed]
        ]

    # Product and unit.
    product_codes = lines["product"].astype("string").str.strip()
    product_rows = catalog.products.reindex(product_codes.fillna(""))
    product_id = pd.Series(product_rows["id"].to_numpy(), index=index)
    canonical_unit = pd.Series(product_rows["unit"].to_numpy(), index=index)
    unknown_product = product_id.isna()
    errors += [
        LineError(int(i), "product", f"unknown product {product_codes[i]!r}")
        for i in index[unknown_product]
    ]
    inactive_product = ~unknown_product & ~pd.Series(
        product_rows["active"].fillna(True).astype(bool).to_numpy(), index=index
    )
    errors += [
        LineError(int(i), "product", f"product {product_codes[i]!r} is deactivated")
        for i in index[inactive_product]
    ]
    units = lines["unit"].astype("string").str.strip()
    units = units.where(units.notna() & (units != ""), canonical_unit)
    factor = pd.Series(1.0, index=index)
    known = ~unknown_product
    if known.any():
        pairs = pd.DataFrame(
            {
                "product_id": product_id[known].astype("int64"),
                "canonical": canonical_unit[known],
                "unit": units[known].astype(str),
            }
        )
        resolved = {
            key: catalog.conversion_factor(key[0], key[1], key[2])
            for key in pairs.drop_duplicates().itertuples(index=False, name=None)
        }
        looked_up = pd.Series(
            [resolved[key] for key in pairs.itertuples(index=False, name=None)], index=pairs.index
        )
        is_error = looked_up.map(lambda value: isinstance(value, str))
        errors += [LineError(int(i), "unit", str(looked_up[i])) for i in looked_up.index[is_error]]
        factor[known & ~is_error.reindex(index, fill_value=False)] = looked_up[~is_error].astype(
            "float64"
        )

    # Convert to canonical units, then check ranges.
    converted = {name: numbers[name] * factor for name in QUANTITY_COLUMNS}
    converted["price"] = numbers["price"] / factor
    for name in QUANTITY_COLUMNS:
        values = converted[name]
        errors += [LineError(int(i), name, "must not be negative") for i in index[values < 0]]
        errors += [
            LineError(int(i), name, f"is larger than the limit of {rules.max_quantity:g}")
            for i in index[values > rules.max_quantity]
        ]
    price = converted["price"]
    errors += [LineError(int(i), "price", "must be greater than 0") for i in index[price <= 0]]
    errors += [
        LineError(int(i), "price", f"is larger than the limit of {rules.max_price:g}")
        for i in index[price > rules.max_price]
    ]

    # The same store, day and product twice.
    key = pd.DataFrame({"s": store_codes, "d": day, "p": product_codes})
    complete = ~(unknown_store | unknown_product | bad_date)
    duplicated = complete & key.duplicated(keep=False)
    if duplicated.any():
        groups = key[duplicated].groupby(["s", "d", "p"], sort=False).groups
        for positions in groups.values():
            listed = ", ".join(str(p) for p in positions)
            for position in positions:
                errors.append(
                    LineError(int(position), "product", f"appears more than once ({listed})")
                )

    canonical = pd.DataFrame(
        {
            "store_id": store_id,
            "report_date": day,
            "product_id": product_id,
            "stock": converted["stock"].round(3),
            "sales": converted["sales"].round(3),
            "price": price.round(4),
            "received": converted["received"].round(3),
        },
        index=index,
    )
    errors.sort(key=lambda e: (e.position, e.column))
    forbidden.sort(key=lambda e: e.position)
    return canonical, errors, forbidden
