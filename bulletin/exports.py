"""A published bulletin's tables as rows for a CSV or XLSX file: the columns of the
stored table, with the name of each product, district or category beside its code in
the reader's language (the adapter neutralises formula cells as it writes them)."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulletin.publishing import names_for
from models import Bulletin, ProductCategory


class ExportTable(enum.StrEnum):
    """The tables of a bulletin one may download."""

    prices = "prices"
    category_prices = "category_prices"
    city_category_supply = "city_category_supply"
    district_category_supply = "district_category_supply"
    city_supply = "city_supply"
    district_coverage = "district_coverage"
    notable_moves = "notable_moves"


NAMED_COLUMNS = ("product", "district", "category")
"""Code columns that get a ``<column>_name`` column after them."""


def bulletin_table(
    *, session: Session, bulletin: Bulletin, table: ExportTable, language: str
) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of one of the bulletin's tables, names in ``language``."""
    names = names_for(session, language)
    categories = {
        code: (name_zh if language == "zh" and name_zh else name)
        for code, name, name_zh in session.execute(
            select(ProductCategory.code, ProductCategory.name, ProductCategory.name_zh)
        )
    }
    lookup = {"product": names.products, "district": names.regions, "category": categories}
    stored: list[dict[str, Any]] = bulletin.figures.get(table.value) or []
    columns: list[str] = []
    for row in stored:
        columns += [column for column in row if column not in columns]
    header = ["business_date", "revision"]
    for column in columns:
        header.append(column)
        if column in NAMED_COLUMNS:
            header.append(f"{column}_name")
    rows = []
    for row in stored:
        cells: list[Any] = [bulletin.business_date.isoformat(), bulletin.revision]
        for column in columns:
            value = row.get(column)
            cells.append(value)
            if column in NAMED_COLUMNS:
                cells.append(lookup[column].get(value, value) if value is not None else None)
        rows.append(cells)
    return header, rows
