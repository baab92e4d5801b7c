"""A product's price over one region's published bulletins: the region-wide average with the lowest
and highest outlet each day, read from each day's latest published revision (its frozen
tables), so the chart shows what the bureau published and never a later recomputation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bulletin.publishing import published_in_region
from core.errors import NotFound
from models import Product, ProductCategory

DEFAULT_HISTORY_DAYS = 90
MAX_HISTORY_DAYS = 400
"""The most published days one chart reads (a bulletin's tables are a few kilobytes)."""


@dataclass(frozen=True)
class PricePoint:
    """One published day of a product's price: average, lowest and highest outlet."""

    business_date: date
    revision: int
    average_price: float | None
    min_price: float | None
    max_price: float | None
    outlets_priced: int | None
    change_vs_previous_day_percent: float | None
    band: str | None


@dataclass(frozen=True)
class PriceHistory:
    """A product with its published prices, oldest day first."""

    product: str
    name: str
    name_zh: str | None
    unit: str
    category: str
    points: list[PricePoint]


def _number(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    return float(value) if isinstance(value, (int, float)) else None


def price_history(
    *, session: Session, product: str, days: int = DEFAULT_HISTORY_DAYS, region: str | None = None
) -> PriceHistory:
    """``product``'s prices over the last ``days`` published bulletins of ``region`` (by
    default the single root city's; a day without a price for it is a point with no
    numbers, a gap in the chart), or 404."""
    found = session.execute(
        select(Product.code, Product.name, Product.name_zh, Product.unit, ProductCategory.code)
        .join(ProductCategory, ProductCategory.id == Product.category_id)
        .where(Product.code == product)
    ).first()
    if found is None:
        raise NotFound("unknown product {code!r}", code=product)
    code, name, name_zh, unit, category = found
    bulletins, _ = published_in_region(
        session=session, limit=min(max(days, 1), MAX_HISTORY_DAYS), offset=0, region=region
    )
    points = []
    for bulletin in reversed(bulletins):
        rows = bulletin.figures.get("prices") or []
        row: dict[str, Any] = next((item for item in rows if item.get("product") == code), {})
        outlets = row.get("outlets_priced")
        points.append(
            PricePoint(
                business_date=bulletin.business_date,
                revision=bulletin.revision,
                average_price=_number(row, "average_price"),
                min_price=_number(row, "min_price"),
                max_price=_number(row, "max_price"),
                outlets_priced=int(outlets) if isinstance(outlets, (int, float)) else None,
                change_vs_previous_day_percent=_number(row, "change_vs_previous_day_percent"),
                band=row.get("band") if isinstance(row.get("band"), str) else None,
            )
        )
    return PriceHistory(
        product=code, name=name, name_zh=name_zh, unit=unit, category=category, points=points
    )
