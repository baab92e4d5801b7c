"""Builders of small report frames for the monitor tests (pure pandas, no database)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pandas as pd

D = date(2026, 5, 10)
"""The business day every monitor test computes."""


def history(
    store: int,
    product: int,
    *,
    sales: Sequence[float],
    stock: Sequence[float] | float,
    price: Sequence[float] | float = 10.0,
    end: date = D,
) -> list[dict[str, object]]:
    """Daily report lines of one store × product, oldest first, the last one on ``end``."""
    n = len(sales)
    stocks = [float(stock)] * n if isinstance(stock, int | float) else list(stock)
    prices = [float(price)] * n if isinstance(price, int | float) else list(price)
    assert len(stocks) == n and len(prices) == n
    return [
        {
            "store_id": store,
            "product_id": product,
            "report_date": pd.Timestamp(end - timedelta(days=n - 1 - i)),
            "stock": stocks[i],
            "sales": float(sales[i]),
            "price": prices[i],
            "received": 0.0,
        }
        for i in range(n)
    ]


def reports(*histories: list[dict[str, object]]) -> pd.DataFrame:
    """One reports frame from several histories."""
    lines = [line for one in histories for line in one]
    frame = pd.DataFrame(
        lines,
        columns=["store_id", "product_id", "report_date", "stock", "sales", "price", "received"],
    )
    frame["report_date"] = pd.to_datetime(frame["report_date"])
    return frame


def stores(*rows: tuple[int, int] | tuple[int, int, bool]) -> pd.DataFrame:
    """Stores from (store_id, district_id[, active]) tuples."""
    return pd.DataFrame(
        [(row[0], row[1], row[2] if len(row) > 2 else True) for row in rows],
        columns=["store_id", "district_id", "active"],
    )


def products(*rows: tuple[int, str] | tuple[int, str, float]) -> pd.DataFrame:
    """Products from (product_id, category[, kg_per_unit]) tuples."""
    return pd.DataFrame(
        [(row[0], row[1], row[2] if len(row) > 2 else 1.0) for row in rows],
        columns=["product_id", "category", "kg_per_unit"],
    )
