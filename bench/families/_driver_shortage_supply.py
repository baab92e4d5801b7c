"""The physical day: deliveries in the morning, shoppers through the day, spoilage at night.

Every random number a day uses comes from arrays drawn up front or from a generator keyed
by (seed, day), so the ordinary and the emergency city agree to the unit until the event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.families._driver_shortage_city import (
    CHANNEL_CASH_CARRY,
    CHANNEL_DC,
    CHANNEL_DSD,
    CHANNEL_LOCAL,
    KIND_OTHER,
    City,
)
from bench.families._driver_shortage_event import EventPlan

FRESH_WEEKDAY = np.array([0.95, 0.93, 0.95, 0.98, 1.04, 1.12, 1.03])
DRY_WEEKDAY = np.array([0.90, 0.90, 0.95, 1.00, 1.05, 1.15, 1.05])
MAX_LEAD = 3 + 3  # planned lead plus the most rationing adds
STREAM_DEMAND, STREAM_SUPPLY = 11, 12


@dataclass(frozen=True)
class Flows:
    """The physical truth of every simulated day (warm-up included), shaped (days, lines)."""

    opening_stock: np.ndarray  # (lines,) before the first day
    stock: np.ndarray
    received: np.ndarray
    sales: np.ndarray
    demand: np.ndarray
    spoilage: np.ndarray
    trip: np.ndarray  # (days, stores) cash-and-carry trips made


def weekday_factor(city: City, weekdays: np.ndarray) -> np.ndarray:
    """(days, lines) weekday factors: fresh goods' curve or dry goods', flatter in shops."""
    fresh = FRESH_WEEKDAY[weekdays][:, None]
    dry = DRY_WEEKDAY[weekdays][:, None]
    factor = np.where(city.fresh_weekday[None, :], fresh, dry)
    flatten = np.where(city.line_kind == KIND_OTHER, 0.5, 1.0)[None, :]
    return 1.0 + (factor - 1.0) * flatten


def mean_demand(city: City, weekdays: np.ndarray, seed: int) -> np.ndarray:
    """(days, lines) ordinary expected demand: line mean × weekday × drift × store and city days."""
    rng = np.random.default_rng([seed, 10])
    days, n = len(weekdays), city.line_count
    drift = np.empty((days, n))
    level = np.zeros(n)
    for day in range(days):
        level = 0.93 * level + rng.normal(0.0, 0.025, n)
        drift[day] = level
    store_day = rng.lognormal(0.0, 0.08, (days, len(city.stores)))[:, city.line_store]
    city_day = rng.lognormal(0.0, 0.04, days)[:, None]
    return city.mean_demand * weekday_factor(city, weekdays) * np.exp(drift) * store_day * city_day


def simulate_flows(
    city: City, weekdays: np.ndarray, plan: EventPlan, expected: np.ndarray, seed: int
) -> Flows:
    """Run every day: trucks, the DC, the owners' vans, market stalls, shoppers, spoilage."""
    days, n, stores = len(weekdays), city.line_count, len(city.stores)
    draws = np.random.default_rng([seed, STREAM_SUPPLY])
    gamma = draws.gamma(city.dispersion, 1.0 / city.dispersion, (days, n))
    lead_pick = draws.random((days, n))
    short = draws.random((days, n)) < 0.03
    short_fill = np.where(short, draws.uniform(0.6, 0.95, (days, n)), 1.0)
    market_noise = draws.lognormal(0.0, 0.08, (days, n))
    dsd = city.channel == CHANNEL_DSD
    dc = city.channel == CHANNEL_DC
    cc = city.channel == CHANNEL_CASH_CARRY
    local = city.channel == CHANNEL_LOCAL
    ordinary_volume = np.bincount(city.line_store[dc], city.mean_demand[dc], minlength=stores)
    budget = np.bincount(
        city.line_store[cc],
        city.mean_demand[cc] * city.catalogue_price[cc] * 1.2,
        minlength=stores,
    ) * np.maximum(city.cc_interval, 1)
    stock = np.select([dsd, dc, cc], [city.par, city.order_up_to, city.order_up_to], 0.0)
    stock = np.where(local, np.round(city.mean_demand * 0.3), np.round(stock * 0.7))
    opening = stock.copy()
    pipeline = np.zeros((days + MAX_LEAD + 1, n))
    out = {name: np.zeros((days, n)) for name in ("stock", "received", "sales", "demand", "spoil")}
    trip = np.zeros((days, stores), dtype=bool)
    next_trip = city.cc_phase.copy()
    lead_cdf = np.cumsum(city.lead_table, axis=1)
    for day in range(days):
        received = pipeline[day].copy()
        # Brand trucks: the driver counts the shelf and tops it up to par from what he carries.
        gap = np.maximum(city.par - stock, 0.0)
        dsd_fill = plan.truck_fill[day] * short_fill[day]
        received += np.where(dsd & plan.dsd_visit[day], np.round(gap * dsd_fill), 0.0)
        # Corner shops: the owner's van to the cash-and-carry, within a fixed budget.
        going = (city.cc_interval > 0) & (next_trip <= day)
        trip[day] = going
        if going.any():
            want = np.where(cc & going[city.line_store], np.maximum(city.order_up_to - stock, 0), 0)
            unit_price = city.catalogue_price * plan.price[day]
            cost = np.bincount(city.line_store, want * unit_price, minlength=stores)
            scale = np.minimum(1.0, budget / np.maximum(cost, 1e-9))[city.line_store]
            bought = np.floor(want * scale * plan.cc_availability[day] * short_fill[day])
            received += bought
            interval = city.cc_interval + plan.cc_extra_days[day]
            next_trip = np.where(going, day + interval, next_trip)
        # Market stalls: growers and the slaughterhouse bring about a day and a half.
        stall = expected[day] * city.order_up_to * market_noise[day] - 0.5 * stock
        received += np.where(local, np.round(np.maximum(stall, 0.0) * plan.market_fill[day]), 0.0)
        stock = stock + received
        # Shoppers: negative-binomial demand; what meets an empty shelf is lost.
        day_rng = np.random.default_rng([seed, STREAM_DEMAND, day])
        demand = day_rng.poisson(expected[day] * plan.demand[day] * gamma[day]).astype(float)
        sales = np.minimum(demand, stock)
        stock = stock - sales
        # Night: a share of perishables is thrown out, and short-life goods beyond their life.
        spoil_rng = np.random.default_rng([seed, STREAM_SUPPLY, day])
        spoil = spoil_rng.binomial(stock.astype(np.int64), city.spoil_rate).astype(float)
        stale = np.maximum(stock - spoil - city.mean_demand * city.shelf_life, 0.0)
        spoil += np.where(city.shelf_life <= 3, np.floor(0.5 * stale), 0.0)
        stock = stock - spoil
        # Supermarket DC lines: continuous review (s, S) each evening.
        future = pipeline[day + 1 :].sum(axis=0)
        position = stock + future
        order = np.where(dc & (position <= city.reorder_point), city.order_up_to - position, 0.0)
        volume = np.bincount(city.line_store, order, minlength=stores)
        capped = np.isfinite(plan.dc_cap[day])
        allowed = np.where(capped, np.where(capped, plan.dc_cap[day], 0.0) * ordinary_volume, 0.0)
        over = capped & (volume > allowed)
        cut = np.where(over, allowed / np.maximum(volume, 1e-9), 1.0)[city.line_store]
        order = np.round(order * cut * short_fill[day])
        lead = 1 + (lead_pick[day, :, None] > lead_cdf[:, :2]).sum(axis=1)
        lead = lead + plan.dc_extra_lead[day][city.line_store]
        pipeline[day + lead, np.arange(n)] += order
        for name, value in (
            ("stock", stock),
            ("received", received),
            ("sales", sales),
            ("demand", demand),
            ("spoil", spoil),
        ):
            out[name][day] = value
    return Flows(
        opening_stock=opening,
        stock=out["stock"],
        received=out["received"],
        sales=out["sales"],
        demand=out["demand"],
        spoilage=out["spoil"],
        trip=trip,
    )
