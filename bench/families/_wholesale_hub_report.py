"""What the wholesale-hub city's stores post: skipped days, miscounts, optional receipts.

The physical simulation lives in ``wholesale_hub.py``; this turns its truth into the
reports the bench ingests (see README.md, section ``wholesale_hub``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from bench.families._wholesale_hub_city import KIND_SHOP, KIND_STALLS, KIND_SUPERMARKET, City
from bench.families._wholesale_hub_event import Event
from bench.families.model import CityHistory

SKIP_AGAIN = 0.3
"""Chance a store that skipped yesterday skips again today."""
LOCKDOWN_SKIP = 0.05
"""Extra chance of a skipped day in a locked-down district (staff kept at home)."""
MISCOUNT = {KIND_SUPERMARKET: 0.01, KIND_SHOP: 0.05}
"""Share of line-days a store's count slips by one unit (stalls estimate by eye)."""
EYE_ERROR = 0.08
"""Log-normal error of a wet market's stock estimate."""
PRICE_WALK = 0.004
"""Daily random walk of a line's retail price."""


def report(
    *,
    stream_for_day: Callable[[int], np.random.Generator],
    city: City,
    event: Event,
    family: str,
    seed: int,
    first_date: date,
    reported_days: int,
    follow_up_days: int,
    event_start: int | None,
    true_stock: np.ndarray,
    true_sales: np.ndarray,
    true_received: np.ndarray,
    price: np.ndarray,
) -> CityHistory:
    """Turn the true flows of the reported and follow-up days into a CityHistory."""
    days, lines = true_stock.shape
    stores = len(city.stores)
    offset = 0 if event.start is None or event_start is None else event.start - event_start
    locked = event.lockdown[city.store_district]
    reported_store = np.zeros((days, stores), dtype=bool)
    stock = np.zeros((days, lines))
    walk = np.zeros(lines)
    posted_price = np.zeros((days, lines))
    skipped = np.zeros(stores, dtype=bool)
    kind = city.line_kind
    for day in range(days):
        rng = stream_for_day(day)
        chance = np.where(skipped, SKIP_AGAIN, city.store_skip)
        if event.lockdown_start is not None and day + offset >= event.lockdown_start:
            chance = chance + np.where(locked, LOCKDOWN_SKIP, 0.0)
        skipped = rng.random(stores) < chance
        reported_store[day] = ~skipped
        slip = rng.choice([-1.0, 1.0], lines)
        chance_slip = np.select(
            [kind == KIND_SUPERMARKET, kind == KIND_SHOP], [MISCOUNT[0], MISCOUNT[1]], 0.0
        )
        counted = true_stock[day] + np.where(rng.random(lines) < chance_slip, slip, 0.0)
        eye = true_stock[day] * np.exp(rng.normal(0, EYE_ERROR, lines))
        stock[day] = np.maximum(np.round(np.where(kind == KIND_STALLS, eye, counted), 1), 0.0)
        walk = walk + rng.normal(0, PRICE_WALK, lines)
        posted_price[day] = np.round(price[day] * np.exp(walk), 2)
    reported = reported_store[:, city.line_store]
    keeps_receipts = city.store_reports_received[city.line_store]
    received = np.where(keeps_receipts[None, :], np.round(true_received, 1), np.nan)
    history = CityHistory(
        family=family,
        seed=seed,
        first_date=first_date,
        reported_days=reported_days,
        follow_up_days=follow_up_days,
        event_start=event_start,
        stores=city.stores.copy(),
        lines=city.lines.copy(),
        stock=np.where(reported, stock, np.nan),
        sales=np.where(reported, np.round(true_sales, 1), np.nan),
        price=np.where(reported, np.maximum(posted_price, 0.01), np.nan),
        received=np.where(reported, received, np.nan),
        reported=reported,
        true_stock=true_stock.copy(),
        disrupted=event.disrupted.copy(),
    )
    history.check()
    return history
