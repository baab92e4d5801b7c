"""Vectorised validation of report lines, shared by JSON reports and bulk files.

Every bad cell is reported (row and column), not just the first, and nothing is
written unless every line is good.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from core.access import Principal
from core.catalog import Catalog
from core.text import N_, Text, echoed, phrase, row_list, verbatim

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
    message: Text


@dataclass(frozen=True)
class ReportRules:
    """The limits a line must respect (from settings) and the business day it is checked on."""

    today: date
    max_age_days: int
    max_quantity: float
    max_price: float


@dataclass(frozen=True)
class LimitRule:
    """A bound every converted number in ``columns`` must respect.

    ``broken`` is written once and works on a pandas column and a numpy array alike, so
    the vectorised and the per-line validator apply the very same rule.
    """

    columns: tuple[str, ...]
    broken: Callable[[Any, ReportRules], Any]
    message: Callable[[ReportRules], Text]


ROUNDING = {"stock": 3, "sales": 3, "received": 3, "price": 4}
"""The decimals each number is stored with; a rule on a stored value checks the rounded
number, or a price that rounds to 0 reaches the database's check constraint."""

LIMIT_RULES: tuple[LimitRule, ...] = (
    LimitRule(
        QUANTITY_COLUMNS, lambda value, _: value < 0, lambda _: phrase("must not be negative")
    ),
    LimitRule(
        QUANTITY_COLUMNS,
        lambda value, rules: value > rules.max_quantity,
        lambda rules: phrase("is larger than the limit of {limit:,.10g}", limit=rules.max_quantity),
    ),
    LimitRule(("price",), lambda value, _: value <= 0, lambda _: phrase("must be greater than 0")),
    LimitRule(
        ("price",),
        lambda value, _: (value > 0) & (np.round(value, ROUNDING["price"]) <= 0),
        lambda _: phrase("is too small: it rounds to 0"),
    ),
    LimitRule(
        ("price",),
        lambda value, rules: value > rules.max_price,
        lambda rules: phrase("is larger than the limit of {limit:,.10g}", limit=rules.max_price),
    ),
)


def to_canonical(name: str, value: Any, factor: Any) -> Any:
    """A number (or column) sent in some unit, in the product's canonical unit: quantities
    scale by the factor, a price per unit by its inverse."""
    return value / factor if name == "price" else value * factor


def day_problem(day: date, rules: ReportRules) -> Text | None:
    """Why a business day cannot be reported on, or None when it can."""
    oldest = rules.today - timedelta(days=rules.max_age_days)
    if day > rules.today:
        return phrase("is in the future (today is {today})", today=rules.today.isoformat())
    if day < oldest:
        return phrase(
            "is older than {days} days (before {oldest})",
            days=rules.max_age_days,
            oldest=oldest.isoformat(),
        )
    return None


def repeated(positions: Sequence[int]) -> Text:
    """The problem with a product listed more than once for the same store and day (the
    first rows of the group and how many more)."""
    return phrase("appears more than once ({positions})", positions=row_list(positions))


def unknown_code(kind: Text, code: str) -> Text:
    """The problem with a store or product code that resolves to nothing."""
    return (
        phrase("unknown {kind} {code!r}", kind=kind, code=echoed(code))
        if code
        else phrase("is required")
    )


def deactivated(kind: Text, code: str) -> Text:
    """The problem with a store or product that may no longer be reported."""
    return phrase("{kind} {code!r} is deactivated", kind=kind, code=code)


COLUMN_WORDS: dict[str, str] = {
    "store": N_("store"),
    "date": N_("date"),
    "product": N_("product"),
    "stock": N_("stock"),
    "sales": N_("sales"),
    "price": N_("price"),
    "received": N_("received"),
    "unit": N_("unit"),
}
"""A report's columns as people read them (files name them by these codes)."""


def column_word(column: str) -> Text:
    """A report column named for people in their language."""
    return phrase(COLUMN_WORDS[column]) if column in COLUMN_WORDS else verbatim(column)


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
                errors.append(LineError(int(position), name, phrase("is required")))
        elif text.lower() in _NON_FINITE_WORDS or np.isinf(values[position]):
            errors.append(LineError(int(position), name, phrase("must be a finite number")))
        else:
            errors.append(LineError(int(position), name, phrase("not a number")))
    return values.where(~np.isinf(values)), errors


def _factorize_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Positions into the column's distinct stripped values (-1 for blanks), and those
    values: codes repeat a lot, so each distinct one is cleaned and looked up once."""
    positions, uniques = pd.factorize(column, use_na_sentinel=True)
    stripped = [str(value).strip() for value in uniques]
    # " pork" and "pork" are one code: number the stripped values, not the raw ones.
    cleaned_positions, cleaned_uniques = pd.factorize(pd.Index(stripped, dtype=object))
    cleaned = pd.Index(cleaned_uniques, dtype=object)
    positions = np.append(cleaned_positions, -1)[positions]  # -1 (a gap) stays -1
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
    not_a_date = phrase("not a date (YYYY-MM-DD)")
    date_problem = np.array(
        [
            not_a_date
            if pd.isna(moment) or (len(text) > 10 and text[10:] not in (" 00:00:00", "T00:00:00"))
            else day_problem(moment.date(), rules)
            for text, moment in zip(date_texts, parsed_dates, strict=True)
        ]
        + [not_a_date],
        dtype=object,
    )
    day_values = np.array(
        [None if pd.isna(moment) else moment.date() for moment in parsed_dates] + [None],
        dtype=object,
    )
    row_date_problem = date_problem[date_positions]
    errors += [
        LineError(int(position), "date", problem)
        for position, problem in zip(index, row_date_problem, strict=True)
        if problem is not None
    ]
    day = pd.Series(day_values[date_positions], index=index)
    bad_date = pd.Series([problem is not None for problem in row_date_problem], index=index)

    # Store: known, active, and one the caller may write.
    store_positions, store_texts = _factorize_codes(lines["store"].astype(object))
    store_rows = catalog.stores.reindex(store_texts)
    store_id = pd.Series(_take(store_rows["id"].to_numpy(), store_positions, np.nan), index=index)
    store_id = store_id.astype("float64")
    store_code = pd.Series(_take(store_texts.to_numpy(), store_positions, ""), index=index)
    unknown_store = store_id.isna()
    errors += [
        LineError(int(i), "store", unknown_code(phrase("store"), store_code[i]))
        for i in index[unknown_store]
    ]
    store_active = _take(store_rows["active"].fillna(True).to_numpy(), store_positions, True)
    inactive_store = ~unknown_store & ~pd.Series(store_active.astype(bool), index=index)
    errors += [
        LineError(int(i), "store", deactivated(phrase("store"), store_code[i]))
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
            LineError(
                int(i),
                "store",
                phrase("not allowed to post for store {store!r}", store=store_code[i]),
            )
            for i in index[not_allowed]
        ]

    # Product and unit: each distinct (product, unit) pair is resolved once.
    product_positions, product_texts = _factorize_codes(lines["product"].astype(object))
    product_rows = catalog.product_frame(product_texts)
    product_id = pd.Series(
        _take(product_rows["id"].to_numpy(), product_positions, np.nan), index=index
    ).astype("float64")
    product_code = pd.Series(_take(product_texts.to_numpy(), product_positions, ""), index=index)
    unknown_product = product_id.isna()
    errors += [
        LineError(int(i), "product", unknown_code(phrase("product"), product_code[i]))
        for i in index[unknown_product]
    ]
    product_active = _take(product_rows["active"].fillna(True).to_numpy(), product_positions, True)
    inactive_product = ~unknown_product & ~pd.Series(product_active.astype(bool), index=index)
    errors += [
        LineError(int(i), "product", deactivated(phrase("product"), product_code[i]))
        for i in index[inactive_product]
    ]
    unit_positions, unit_texts = _factorize_codes(lines["unit"].astype(object))
    pair = pd.DataFrame({"product": product_positions, "unit": unit_positions}, index=index)
    pair_positions, pair_uniques = pd.factorize(pd.MultiIndex.from_frame(pair))
    resolutions: list[float | Text | None] = []
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
    unit_problem = np.array([isinstance(value, Text) for value in resolved], dtype=bool)
    errors += [
        LineError(int(position), "unit", value)
        for position, value, problem in zip(index, resolved, unit_problem, strict=True)
        if problem
    ]
    factor = pd.Series(
        np.where(unit_problem | pd.isna(resolved), 1.0, resolved).astype("float64"), index=index
    )

    # Convert to canonical units, then check ranges.
    converted = {name: to_canonical(name, numbers[name], factor) for name in NUMBER_COLUMNS}
    for rule in LIMIT_RULES:
        message = rule.message(rules)
        for name in rule.columns:
            broken = rule.broken(converted[name], rules)
            errors += [LineError(int(i), name, message) for i in index[broken]]

    # The same store, day and product twice.
    complete = ~(unknown_store | unknown_product | bad_date)
    key = pd.DataFrame(
        {"s": store_positions, "d": date_positions, "p": product_positions}, index=index
    )
    duplicated = complete & key.duplicated(keep=False)
    if duplicated.any():
        groups = key[duplicated].groupby(["s", "d", "p"], sort=False).groups
        for positions in groups.values():
            message = repeated(positions.tolist())
            errors += [LineError(int(position), "product", message) for position in positions]

    canonical = pd.DataFrame(
        {
            "store_id": store_id,
            "report_date": day,
            "product_id": product_id,
            **{name: converted[name].round(ROUNDING[name]) for name in NUMBER_COLUMNS},
        },
        index=index,
    )
    errors.sort(key=lambda e: (e.position, e.column))
    forbidden.sort(key=lambda e: e.position)
    return canonical, errors, forbidden


@dataclass(frozen=True)
class CheckedReport:
    """One store's lines for one day that passed every rule, in canonical units."""

    product_ids: list[int]
    product_codes: list[str]
    units: list[str]
    numbers: dict[str, list[float | None]]  # stock, sales, price, received

    @classmethod
    def from_rows(cls, rows: pd.DataFrame, catalog: Catalog) -> CheckedReport:
        """The canonical rows ``validate_lines`` made of one store's report."""
        by_id = {product.id: (code, product.unit) for code, product in catalog.products.items()}
        product_ids = rows["product_id"].astype("int64").tolist()
        return cls(
            product_ids=product_ids,
            product_codes=[by_id[product_id][0] for product_id in product_ids],
            units=[by_id[product_id][1] for product_id in product_ids],
            numbers={
                name: [None if math.isnan(value) else value for value in rows[name].tolist()]
                for name in NUMBER_COLUMNS
            },
        )


def check_report_lines(
    lines: Sequence[Mapping[str, Any]],
    *,
    store_active: bool,
    day: date,
    catalog: Catalog,
    rules: ReportRules,
) -> CheckedReport | None:
    """The lines of one store's report converted to canonical units, or None when any
    line breaks a rule or is not plainly typed (then ``validate_lines`` lists every
    problem, so both paths answer with the same errors).

    A plain-Python pass over the same rules as ``validate_lines``: for a report of a few
    dozen lines pandas' fixed cost per operation would dominate the request.
    """
    if not store_active or day_problem(day, rules):
        return None
    seen: set[int] = set()
    product_ids: list[int] = []
    product_codes: list[str] = []
    units: list[str] = []
    converted: dict[str, list[float]] = {name: [] for name in NUMBER_COLUMNS}
    for line in lines:
        code, unit = line.get("product"), line.get("unit")
        if not isinstance(code, str) or not (unit is None or isinstance(unit, str)):
            return None
        product = catalog.products.get(code.strip())
        if product is None or not product.active or product.id in seen:
            return None
        seen.add(product.id)
        factor = catalog.conversion_factor(
            product.id, product.unit, (unit or "").strip() or product.unit
        )
        if isinstance(factor, Text):
            return None
        for name in NUMBER_COLUMNS:
            value = line.get(name)
            if value is None and name not in REQUIRED_NUMBERS:
                converted[name].append(math.nan)
                continue
            if not isinstance(value, int | float) or isinstance(value, bool):
                return None
            number = float(value)
            if not math.isfinite(number):
                return None
            converted[name].append(to_canonical(name, number, factor))
        product_ids.append(product.id)
        product_codes.append(code.strip())
        units.append(product.unit)
    columns = {name: np.array(values, dtype="float64") for name, values in converted.items()}
    for rule in LIMIT_RULES:
        for name in rule.columns:
            if rule.broken(columns[name], rules).any():
                return None
    numbers: dict[str, list[float | None]] = {}
    for name, column in columns.items():
        rounded = np.round(column, ROUNDING[name]).tolist()
        numbers[name] = [None if math.isnan(value) else value for value in rounded]
    return CheckedReport(
        product_ids=product_ids, product_codes=product_codes, units=units, numbers=numbers
    )
