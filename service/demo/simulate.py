"""Day-by-day simulation of store × product lines: demand, restocking, stock and price.

Vectorised over lines (one numpy operation per day for every line at once) and exact
in integer quanta (0.1 of a unit, or whole units for counted goods), so that
``stock_today = stock_yesterday + received_today - sales_today`` holds to the last
digit and sales never exceed the stock on hand. The lockdown shock (panic buying,
then a supply disruption in some districts) is part of the simulation, so the data
carry a known ground truth of what the monitors should find.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from service.demo import reference as ref

BURN_IN_DAYS = 7


@dataclass(frozen=True)
class LinePlan:
    """Per-line parameters (one entry per store × product line)."""

    base: np.ndarray  # expected daily sales in canonical units
    quanta: np.ndarray  # quanta per unit: 10 (0.1 kg, 0.1 L) or 1 (counted goods)
    period: np.ndarray  # days between regular restocks
    phase: np.ndarray  # which day of the period the restock comes
    cover: np.ndarray  # days of sales kept beyond one period
    price: np.ndarray  # the store's usual price
    price_sigma: np.ndarray  # day-to-day price noise
    panic: np.ndarray  # bool: hoarded when a lockdown is announced
    disrupted: np.ndarray  # bool: the store is in a district that loses its supply
    supply_share: np.ndarray  # share of orders that still arrive there
    price_rise: np.ndarray  # price rise reached there


@dataclass(frozen=True)
class Lockdown:
    """A lockdown starting on reported day ``start`` (0-based): panic buying for
    ``len(PANIC_SURGE)`` days everywhere; from lockdown day ``disruption_day`` on, the
    disrupted lines get only a share of their usual deliveries."""

    start: int
    disruption_day: int = ref.DISRUPTION_START_DAY


@dataclass(frozen=True)
class Simulated:
    """Reported values, shape (days, lines), in canonical units and CNY."""

    stock: np.ndarray
    sales: np.ndarray
    price: np.ndarray
    received: np.ndarray


def restock_period(shelf_life_days: np.ndarray) -> np.ndarray:
    """Days between deliveries: perishables daily, eggs and fruit every few days, grain
    and oil weekly."""
    shelf = np.nan_to_num(np.asarray(shelf_life_days, dtype=float), nan=365.0)
    return np.select(
        [shelf <= 5, shelf <= 14, shelf <= 60, shelf <= 200], [1, 2, 3, 5], default=7
    ).astype(np.int64)


def plan_lines(
    *,
    products: pd.DataFrame,
    product_index: np.ndarray,
    store_size: np.ndarray,
    store_price_level: np.ndarray,
    disrupted: np.ndarray,
    rng: np.random.Generator,
) -> LinePlan:
    """Draw every line's parameters from its product and its store (arrays per line)."""
    count = len(product_index)
    category = products["category"].to_numpy()[product_index]
    code = products["code"].to_numpy()[product_index]
    unit = products["unit"].to_numpy()[product_index]
    low = np.array([ref.COVER_DAYS.get(c, (3.0, 4.0))[0] for c in products["category"]])
    high = np.array([ref.COVER_DAYS.get(c, (3.0, 4.0))[1] for c in products["category"]])
    base_code = pd.Series(code).str.replace(r"_v\d+$", "", regex=True).to_numpy()
    fresh = np.isin(category, list(ref.FRESH_CATEGORIES))
    period = restock_period(products["shelf_life_days"].to_numpy())[product_index]
    typical = products["typical_daily_sales"].to_numpy(dtype=float)[product_index]
    typical_price = products["typical_price"].to_numpy(dtype=float)[product_index]
    rise_low, rise_high = np.where(
        fresh[None, :],
        np.array(ref.DISRUPTED_PRICE_RISE_FRESH)[:, None],
        np.array(ref.DISRUPTED_PRICE_RISE_STAPLE)[:, None],
    )
    return LinePlan(
        base=typical * store_size * rng.lognormal(0.0, 0.25, count),
        quanta=np.where(np.isin(unit, list(ref.COUNT_UNITS)), 1, 10).astype(np.int64),
        period=period,
        phase=rng.integers(0, 7, count) % period,
        cover=rng.uniform(low[product_index], high[product_index]),
        price=typical_price * store_price_level * rng.lognormal(0.0, 0.04, count),
        price_sigma=np.where(fresh, 0.03, 0.012),
        panic=np.isin(category, list(ref.PANIC_CATEGORIES))
        | np.isin(base_code, list(ref.PANIC_PRODUCTS)),
        disrupted=np.asarray(disrupted, dtype=bool),
        supply_share=rng.uniform(*ref.DISRUPTED_SUPPLY_SHARE, count),
        price_rise=rng.uniform(rise_low, rise_high),
    )


def _surge(day: int, panic: np.ndarray) -> np.ndarray:
    """Sales multiplier on lockdown day ``day`` (≥ 0) for panic and other goods."""
    if day < len(ref.PANIC_SURGE):
        return np.where(panic, ref.PANIC_SURGE[day], ref.OTHER_SURGE[day])
    return np.where(panic, ref.PANIC_AFTER, ref.OTHER_AFTER)


def simulate(
    plan: LinePlan,
    *,
    first_date: date,
    days: int,
    lockdown: Lockdown | None,
    rng: np.random.Generator,
    dtype: type[np.floating] = np.float64,
) -> Simulated:
    """Run every line through ``days`` reported days (after a burn-in week that settles
    stock into its restock rhythm) and return stock, sales, price and received.

    Normal days: demand follows the weekly pattern with multiplicative noise; a line is
    restocked up to ``period + cover`` days of sales on its restock day. Lockdown:
    panic buying; stores restock daily, up to today's expected sales plus their usual
    cover (never below their usual level). From ``disruption_day`` on, disrupted lines
    keep their old rhythm but each delivery is capped at ``supply_share`` of a usual
    one, so perishables run out, and their prices climb by up to ``price_rise``.
    """
    count = len(plan.base)
    shape = (days, count)
    out = Simulated(
        stock=np.empty(shape, dtype),
        sales=np.empty(shape, dtype),
        price=np.empty(shape, dtype),
        received=np.empty(shape, dtype),
    )
    quanta = plan.quanta
    level = plan.base * (plan.period + plan.cover)  # order-up-to level, in units
    start_fill = plan.cover + plan.period * rng.random(count)
    stock = np.rint(plan.base * start_fill * quanta).astype(np.int64)
    first_weekday = (first_date - timedelta(days=BURN_IN_DAYS)).weekday()
    for step in range(-BURN_IN_DAYS, days):
        weekday = (first_weekday + step + BURN_IN_DAYS) % 7
        lockdown_day = step - lockdown.start if lockdown is not None else -1
        surge = _surge(lockdown_day, plan.panic) if lockdown_day >= 0 else 1.0
        noise = np.exp(rng.normal(0.0, ref.SALES_NOISE_SIGMA, count))
        demand = plan.base * ref.WEEKDAY_FACTORS[weekday] * surge * noise
        demand_q = np.rint(demand * quanta).astype(np.int64)

        scheduled = (step + BURN_IN_DAYS + plan.phase) % plan.period == 0
        if lockdown is None or lockdown_day < 0:
            restock = scheduled
            order_q = np.maximum(np.rint(level * quanta).astype(np.int64) - stock, 0)
        else:
            # The first day takes stores by surprise; then they order for the surge.
            expected = surge if lockdown_day > 0 else 1.0
            after = np.where(plan.panic, ref.PANIC_AFTER, ref.OTHER_AFTER)
            target = np.maximum(plan.base * (expected + plan.cover * after), level)
            order_q = np.maximum(np.rint(target * quanta).astype(np.int64) - stock, 0)
            restock = np.ones(count, dtype=bool)
            if lockdown_day >= lockdown.disruption_day:
                cut_off = plan.disrupted
                cap_q = np.floor(plan.base * plan.period * plan.supply_share * quanta)
                order_q = np.where(cut_off, np.minimum(order_q, cap_q.astype(np.int64)), order_q)
                restock = np.where(cut_off, scheduled, True)
        received_q = np.where(restock, order_q, 0)
        available = stock + received_q
        sales_q = np.minimum(demand_q, available)
        stock = available - sales_q
        if step < 0:
            continue

        price = plan.price * np.exp(rng.normal(0.0, plan.price_sigma))
        if lockdown is not None and lockdown_day >= 0:
            if lockdown_day < len(ref.PANIC_SURGE):
                price = price * np.where(plan.panic, 1.0 + ref.PANIC_PRICE_RISE, 1.0)
            if lockdown_day >= lockdown.disruption_day:
                ramp = min(1.0, (lockdown_day - lockdown.disruption_day + 1) / 3.0)
                price = price * np.where(plan.disrupted, 1.0 + plan.price_rise * ramp, 1.0)
        out.stock[step] = stock / quanta
        out.sales[step] = sales_q / quanta
        out.received[step] = received_q / quanta
        out.price[step] = np.maximum(np.round(price, 2), 0.01)
    return out
