"""Loading a product catalogue file (the 53 goods the demo uses, or a bureau's own list)
into a database, so a fresh deployment gets its products without the demo.

Every row is checked first, each bad cell named by row and column, and nothing is written
unless the whole file is good. A load is idempotent: products already there and equal to
the file are left alone, so a second load changes nothing. A product that differs from
the file (an admin changed its name, price or category) is kept as it is unless the
caller asks for the file's values (``update``): the database, not the file, is what the
bureau maintains once the service runs. The canonical unit never changes, since the
product's reports are in it; deactivated products stay deactivated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role
from core.errors import InvalidInput
from core.tables import CellProblem, cells, read_table, refusal_summary
from core.text import echoed, phrase, row_list
from masterdata.products import ProductView, create_product, read_product, update_product
from models import Product, ProductCategory, Role, Unit

REQUIRED_COLUMNS = ("code", "name_en", "category", "unit", "kg_per_unit")
OPTIONAL_COLUMNS = (
    "name_zh",
    "typical_price_cny",
    "shelf_life_days",
    "typical_daily_sales_per_store",
)
"""``typical_daily_sales_per_store`` is the demo generator's and is not stored."""
MAX_CATALOGUE_ROWS = 10_000
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
NAME_CHARS = 200
COMPARED_FIELDS = (
    "name",
    "name_zh",
    "category",
    "kg_per_unit",
    "shelf_life_days",
    "typical_price",
)
"""The fields a load compares and, with ``update``, changes (never the canonical unit)."""


@dataclass(frozen=True)
class CatalogueEntry:
    """One product of a catalogue file: what ``create_product`` needs, and the file row it
    came from (for problems)."""

    code: str
    name: str
    category: str
    unit: str
    kg_per_unit: float
    name_zh: str | None = None
    shelf_life_days: int | None = None
    typical_price: float | None = None
    conversions: Mapping[str, float] = field(default_factory=dict)
    row: int | None = None


@dataclass(frozen=True)
class CatalogueLoad:
    """What a load did, product codes in file order: added, updated to the file's values,
    already equal to the file, and differing from the file but kept as they are."""

    added: list[str]
    updated: list[str]
    unchanged: list[str]
    kept: list[str]


def _numbers(
    frame: pd.DataFrame, column: str, *, required: bool
) -> tuple[pd.Series, list[CellProblem]]:
    """A column as floats (NaN where empty), and its cells that are not finite numbers."""
    text = frame[column]
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    problems = cells(frame.index[(text != "") & values.isna()], column, phrase("not a number"))
    if required:
        problems += cells(frame.index[text == ""], column, phrase("is required"))
    infinite = values.notna() & values.abs().eq(math.inf)
    problems += cells(frame.index[infinite], column, phrase("must be a finite number"))
    return values.where(~infinite), problems


def _unknown(frame: pd.DataFrame, column: str, known: set[str], kind: str) -> list[CellProblem]:
    """Cells of ``column`` naming a code the database does not have."""
    unknown = (frame[column] != "") & ~frame[column].isin(sorted(known))
    return [
        CellProblem(
            int(row),
            column,
            phrase(
                "unknown {kind} {code!r} (known: {known})",
                kind=phrase(kind),
                code=echoed(code),
                known=", ".join(sorted(known)),
            ),
        )
        for row, code in zip(
            frame.index[unknown].tolist(), frame.loc[unknown, column].tolist(), strict=True
        )
    ]


def check_catalogue_rows(
    frame: pd.DataFrame, *, categories: set[str], units: set[str]
) -> tuple[pd.DataFrame, list[CellProblem]]:
    """The rows with typed number columns, and every bad cell, by row then column."""
    problems: list[CellProblem] = []
    for column in ("code", "name_en", "category", "unit"):
        problems += cells(frame.index[frame[column] == ""], column, phrase("is required"))
    bad_code = (frame["code"] != "") & ~frame["code"].str.match(CODE.pattern)
    problems += cells(
        frame.index[bad_code], "code", phrase("must be letters, digits, '.', '_' or '-'")
    )
    keyed = frame[frame["code"] != ""]
    repeated = keyed[keyed.duplicated("code", keep=False)]
    for _, rows in repeated.groupby("code").groups.items():
        problems += cells(
            rows[1:],
            "code",
            phrase("appears more than once ({rows})", rows=row_list(rows.tolist())),
        )
    for column in ("name_en", "name_zh"):
        problems += cells(
            frame.index[frame[column].str.len() > NAME_CHARS],
            column,
            phrase("at most {limit} characters", limit=NAME_CHARS),
        )
    problems += _unknown(frame, "category", categories, "category")
    problems += _unknown(frame, "unit", units, "unit")
    typed = frame.copy()
    for column, required in (
        ("kg_per_unit", True),
        ("typical_price_cny", False),
        ("shelf_life_days", False),
    ):
        values, found = _numbers(frame, column, required=required)
        problems += found
        typed[column] = values
    problems += cells(
        frame.index[typed["kg_per_unit"] <= 0], "kg_per_unit", phrase("must be greater than 0")
    )
    problems += cells(
        frame.index[typed["typical_price_cny"] < 0],
        "typical_price_cny",
        phrase("must be at least {low:g}", low=0),
    )
    shelf_life = typed["shelf_life_days"]
    problems += cells(
        frame.index[shelf_life.notna() & ((shelf_life < 0) | (shelf_life != shelf_life.round()))],
        "shelf_life_days",
        phrase("must be a whole number of days"),
    )
    order = list(frame.columns)
    problems.sort(key=lambda problem: (problem.row, order.index(problem.column)))
    return typed, problems


def read_catalogue_file(
    *,
    session: Session,
    data: bytes,
    filename: str | None,
    conversions: Mapping[str, Mapping[str, float]] | None = None,
) -> list[CatalogueEntry]:
    """The products of a catalogue file (CSV or XLSX), or one 422 naming every bad cell by
    row and column; ``conversions`` adds the units each product's packages come in."""
    frame = read_table(
        data,
        filename=filename,
        required=REQUIRED_COLUMNS,
        optional=OPTIONAL_COLUMNS,
        max_rows=MAX_CATALOGUE_ROWS,
    )
    typed, problems = check_catalogue_rows(
        frame,
        categories=set(session.scalars(select(ProductCategory.code))),
        units=set(session.scalars(select(Unit.code))),
    )
    if problems:
        raise InvalidInput(
            refusal_summary(problems),
            errors=[problem.as_problem() for problem in problems],
            extra={"error_count": len(problems)},
        )
    packages = conversions or {}
    return [
        _entry(int(row), record, packages)
        for row, record in zip(typed.index.tolist(), typed.to_dict("records"), strict=True)
    ]


def _entry(
    row: int, record: Mapping[Any, Any], packages: Mapping[str, Mapping[str, float]]
) -> CatalogueEntry:
    """A checked row as a catalogue entry (empty optional cells as None)."""

    def number(name: str) -> float | None:
        value = record[name]
        return None if pd.isna(value) else float(value)

    shelf_life = number("shelf_life_days")
    return CatalogueEntry(
        code=str(record["code"]),
        name=str(record["name_en"]),
        name_zh=str(record["name_zh"]) or None,
        category=str(record["category"]),
        unit=str(record["unit"]),
        kg_per_unit=float(record["kg_per_unit"]),
        shelf_life_days=None if shelf_life is None else int(shelf_life),
        typical_price=number("typical_price_cny"),
        conversions=dict(packages.get(str(record["code"]), {})),
        row=row,
    )


def _differences(product: ProductView, entry: CatalogueEntry) -> dict[str, Any]:
    """The compared fields whose file value differs from the product's."""
    changes: dict[str, Any] = {}
    for name in COMPARED_FIELDS:
        mine, theirs = getattr(product, name), getattr(entry, name)
        if isinstance(mine, float) and isinstance(theirs, float):
            if not math.isclose(mine, theirs, rel_tol=1e-9):
                changes[name] = theirs
        elif mine != theirs:
            changes[name] = theirs
    if entry.conversions and dict(entry.conversions) != product.conversions:
        changes["conversions"] = dict(entry.conversions)
    return changes


def load_catalogue(
    *,
    session: Session,
    principal: Principal,
    entries: Sequence[CatalogueEntry],
    update: bool = False,
) -> CatalogueLoad:
    """Add the file's products the database lacks and, with ``update``, give the ones that
    differ the file's values (without it they are kept as an admin left them); a product
    whose canonical unit differs is a 422 naming its row, before anything is written."""
    require_role(principal, Role.bureau)
    require_national(principal)
    existing = {product.code: product for product in session.scalars(select(Product))}
    moved_units = [
        CellProblem(
            entry.row or 0,
            "unit",
            phrase(
                "is {unit!r} in the database; a product's canonical unit cannot change",
                unit=existing[entry.code].unit,
            ),
        )
        for entry in entries
        if entry.code in existing and existing[entry.code].unit != entry.unit
    ]
    if moved_units:
        raise InvalidInput(
            refusal_summary(moved_units),
            errors=[problem.as_problem() for problem in moved_units],
            extra={"error_count": len(moved_units)},
        )
    done = CatalogueLoad(added=[], updated=[], unchanged=[], kept=[])
    for entry in entries:
        if entry.code not in existing:
            create_product(
                session=session,
                principal=principal,
                code=entry.code,
                name=entry.name,
                category=entry.category,
                unit=entry.unit,
                kg_per_unit=entry.kg_per_unit,
                name_zh=entry.name_zh,
                shelf_life_days=entry.shelf_life_days,
                typical_price=entry.typical_price,
                conversions=dict(entry.conversions),
            )
            done.added.append(entry.code)
            continue
        changes = _differences(read_product(session=session, code=entry.code), entry)
        if not changes:
            done.unchanged.append(entry.code)
        elif update:
            update_product(session=session, principal=principal, code=entry.code, changes=changes)
            done.updated.append(entry.code)
        else:
            done.kept.append(entry.code)
    return done
