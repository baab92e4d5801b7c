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
    """The column as floats, with an error for every non-number, non-finite or missing cell.

    Parsing is vectorised; only cells that failed to parse are looked at one by one.
    """
    errors: list[LineError] = []
    values = pd.to_numeric(column, errors="coerce").astype("float64")
    failed = values.isna() | np.isinf(values)
    for position in column.index[failed]:
        raw = column[position]
        text = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw)
        text = text.strip()
        if not text:
            if required:
                errors.append(LineError(int(position), name, "is required"))
        elif text.lower() in _NON_FINITE_WORDS or np.isinf(values[position]):
            errors.append(LineError(int(position), name, "must be a finite number"))
        else:
            errors.append(LineError(int(position), name, "not a number"))
    return values.where(~np.isinf(values)), errors


def _factorize_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Positions into the column's distinct stripped values (-1 for blanks), and those
    values: codes repeat a lot, so each distinct one is cleaned and looked up once."""
    positions, uniques = pd.factorize(column, use_na_sentinel=True)
    cleaned = pd.Index([str(value).strip() for value in uniques], dtype=object)
    blank = np.array([value == "" for value in cleaned], dtype=bool)
    if blank.any():
        positions = np.where(blank[positions] & (positions >= 0), -1, positions)
    return positions, cleaned


def _take(values: np.ndarray, positions: np.ndarray, missing: object) -> np.ndarray:
    """``values[positions]`` with ``missing`` where a position is -1."""
    extended = np.concatenate([values.astype(object), np.array([missing], dtype=object)])
    return extended[positions]


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

    # Business day: few distinct values, each parsed once.
    date_positions, date_texts = _factorize_codes(lines["date"].astype(object))
    parsed_dates = pd.to_datetime(
        pd.Series([text[:10] if len(text) >= 10 else text for text in date_texts], dtype=object),
        format="%Y-%m-%d",
        errors="coerce",
    )
    oldest = rules.today - timedelta(days=rules.max_age_days)
    date_problem = np.array(
        [
            "not a date (YYYY-MM-DD)"
            if pd.isna(moment) or (len(text) > 10 and text[10:] not in (" 00:00:00", "T00:00:00"))
            else f"is in the future (today is {rules.today.isoformat()})"
            if moment.date() > rules.today
            else f"is older than {rules.max_age_days} days (before {oldest.isoformat()})"
            if moment.date() < oldest
            else ""
            for text, moment in zip(date_texts, parsed_dates, strict=True)
        ]
        + ["not a date (YYYY-MM-DD)"],
        dtype=object,
    )
    day_values = np.array(
        [None if pd.isna(moment) else moment.date() for moment in parsed_dates] + [None],
        dtype=object,
    )
    row_date_problem = date_problem[date_positions]
    errors += [
        LineError(int(position), "date", str(problem))
        for position, problem in zip(index, row_date_problem, strict=True)
        if problem
    ]
    day = pd.Series(day_values[date_positions], index=index)
    bad_date = pd.Series(row_date_problem != "", index=index)

    # Store: known, active, and one the caller may write.
    store_positions, store_texts = _factorize_codes(lines["store"].astype(object))
    store_rows = catalog.stores.reindex(store_texts)
    store_id = pd.Series(_take(store_rows["id"].to_numpy(), store_positions, np.nan), index=index)
    store_id = store_id.astype("float64")
    store_code = pd.Series(_take(store_texts.to_numpy(), store_positions, ""), index=index)
    unknown_store = store_id.isna()
    errors += [
        LineError(int(i), "store", f"unknown store {store_code[i]!r}")
        if store_code[i]
        else LineError(int(i), "store", "is required")
        for i in index[unknown_store]
    ]
    store_active = _take(store_rows["active"].fillna(True).to_numpy(), store_positions, True)
    inactive_store = ~unknown_store & ~pd.Series(store_active.astype(bool), index=index)
    errors += [
        LineError(int(i), "store", f"store {store_code[i]!r} is deactivated")
        for i in index[inactive_store]
    ]
    if principal.is_store_bound:
        if principal.store_id is not None:
            allowed = store_id == principal.store_id
        else:
            enterprise = _take(store_rows["enterprise_id"].to_numpy(), store_positions, np.nan)
            allowed = pd.Series(enterprise, index=index) == principal.enterprise_id
        not_allowed = ~unknown_store & ~allowed
        forbidden += [
            LineError(int(i), "store", f"not allowed to post for store {store_code[i]!r}")
            for i in index[not_allowed]
        ]

    # Product and unit: each distinct (product, unit) pair is resolved once.
    product_positions, product_texts = _factorize_codes(lines["product"].astype(object))
    product_rows = catalog.products.reindex(product_texts)
    product_id = pd.Series(
        _take(product_rows["id"].to_numpy(), product_positions, np.nan), index=index
    ).astype("float64")
    product_code = pd.Series(_take(product_texts.to_numpy(), product_positions, ""), index=index)
    unknown_product = product_id.isna()
    errors += [
        LineError(int(i), "product", f"unknown product {product_code[i]!r}")
        if product_code[i]
        else LineError(int(i), "product", "is required")
        for i in index[unknown_product]
    ]
    product_active = _take(product_rows["active"].fillna(True).to_numpy(), product_positions, True)
    inactive_product = ~unknown_product & ~pd.Series(product_active.astype(bool), index=index)
    errors += [
        LineError(int(i), "product", f"product {product_code[i]!r} is deactivated")
        for i in index[inactive_product]
    ]
    unit_positions, unit_texts = _factorize_codes(lines["unit"].astype(object))
    pair = pd.DataFrame({"product": product_positions, "unit": unit_positions}, index=index)
    pair_positions, pair_uniques = pd.factorize(pd.MultiIndex.from_frame(pair))
    resolutions: list[float | str | None] = []
    for product_at, unit_at in pair_uniques:
        if product_at < 0 or pd.isna(product_rows["id"].iloc[product_at]):
            resolutions.append(None)  # already reported as an unknown product
            continue
        canonical_unit = str(product_rows["unit"].iloc[product_at])
        unit = canonical_unit if unit_at < 0 else str(unit_texts[unit_at])
        resolutions.append(
            catalog.conversion_factor(
                int(product_rows["id"].iloc[product_at]), canonical_unit, unit
            )
        )
    resolved = np.array(resolutions, dtype=object)[pair_positions]
    unit_problem = np.array([isinstance(value, str) for value in resolved], dtype=bool)
    errors += [
        LineError(int(position), "unit", str(value))
        for position, value, problem in zip(index, resolved, unit_problem, strict=True)
        if problem
    ]
    factor = pd.Series(
        np.where(unit_problem | pd.isna(resolved), 1.0, resolved).astype("float64"), index=index
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
    complete = ~(unknown_store | unknown_product | bad_date)
    key = pd.DataFrame(
        {"s": store_positions, "d": date_positions, "p": product_positions}, index=index
    )
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
