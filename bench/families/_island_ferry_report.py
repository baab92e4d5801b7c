"""What the island's stores post: their counts with the errors of hand counting, the days
they skip, optional receipts and shelf prices, turned into a ``CityHistory``.

All random numbers are drawn for the whole history up front, so the ordinary island posts
exactly what the typhoon island posts until the warning.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from bench.families._island_ferry_event import Typhoon
from bench.families._island_ferry_island import (
    KIND_MARKET,
    KIND_SUPERMARKET,
    KIND_VILLAGE_SHOP,
    Island,
)
from bench.families.model import CityHistory

SKIP_CONTINUES = 0.3
"""Chance a store that skipped yesterday skips again today."""


def _skipped(rng: np.random.Generator, island: Island, typhoon: Typhoon, days: int) -> np.ndarray:
    """(days, stores) days a store posts nothing: its usual gaps plus the storm's."""
    stores = len(island.stores)
    usual = rng.random((days, stores))
    storm = rng.random((days, stores))
    extra = typhoon.extra_skip[:, island.store_town]
    skipped = np.zeros((days, stores), dtype=bool)
    for day in range(days):
        rate = np.where(skipped[day - 1], SKIP_CONTINUES, 0.0) if day else 0.0
        chance = np.maximum(island.store_skip_rate, rate)
        skipped[day] = (usual[day] < chance) | (storm[day] < extra[day])
    return skipped


def _prices(rng: np.random.Generator, island: Island, typhoon: Typhoon, days: int) -> np.ndarray:
    """(days, lines) shelf prices: a slow walk per product, dearer where supply is short."""
    products, product_index = np.unique(island.lines["product"], return_inverse=True)
    walk = np.cumsum(rng.normal(0.0, 0.008, (days, len(products))), axis=0)
    price = island.price_base[None, :] * np.exp(walk[:, product_index])
    shortfall = 1.0 - typhoon.supply
    recent = np.vstack([np.zeros((2, shortfall.shape[1])), shortfall])
    scarce = (recent[:-2] + recent[1:-1] + recent[2:]) / 3.0
    fresh = island.shelf_life <= 30
    price *= 1.0 + np.where(fresh, 0.3, 0.1) * scarce
    if typhoon.event_start is not None:
        price[typhoon.event_start :] *= np.where(island.staple, 1.05, 1.0)
    return np.round(price, 2)


def report_history(
    seed: int,
    island: Island,
    typhoon: Typhoon,
    *,
    first_date: date,
    reported_days: int,
    follow_up_days: int,
    flows: tuple[np.ndarray, np.ndarray, np.ndarray],
    disrupted: np.ndarray,
) -> CityHistory:
    """The history as posted, with the truth beside it."""
    received, sales, true_stock = flows
    days, lines = true_stock.shape
    rng = np.random.default_rng([seed, 7])
    kind = island.line_kind
    stock_error = np.select(
        [kind == KIND_VILLAGE_SHOP, kind == KIND_MARKET],
        [
            np.where(rng.random((days, lines)) < 0.25, rng.normal(0.0, 0.05, (days, lines)), 0.0),
            rng.normal(0.0, 0.06, (days, lines)),
        ],
        0.0,
    )
    sales_error = np.select(
        [kind == KIND_VILLAGE_SHOP, kind == KIND_MARKET],
        [
            np.where(rng.random((days, lines)) < 0.2, rng.normal(0.0, 0.04, (days, lines)), 0.0),
            rng.normal(0.0, 0.05, (days, lines)),
        ],
        0.0,
    )
    price = _prices(rng, island, typhoon, days)
    skipped = _skipped(rng, island, typhoon, days)
    reported = ~skipped[:, island.line_store]
    stock = np.where(reported, np.round(true_stock * (1.0 + stock_error), 1), np.nan)
    posted_sales = np.where(reported, np.round(sales * (1.0 + sales_error), 1), np.nan)
    keeps_receipts = island.store_reports_received[island.line_store]
    posted_received = np.where(reported & keeps_receipts, np.round(received, 1), np.nan)
    assert (kind[keeps_receipts] != KIND_MARKET).all()
    assert (kind == KIND_SUPERMARKET).any()
    history = CityHistory(
        family="island_ferry",
        seed=seed,
        first_date=first_date,
        reported_days=reported_days,
        follow_up_days=follow_up_days,
        event_start=typhoon.event_start,
        stores=island.stores.reset_index(drop=True),
        lines=island.lines.reset_index(drop=True),
        stock=np.maximum(stock, 0.0),
        sales=np.maximum(posted_sales, 0.0),
        price=price,
        received=posted_received,
        reported=reported,
        true_stock=true_stock,
        disrupted=disrupted,
    )
    history.check()
    return history
