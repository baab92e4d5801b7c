"""The physical day: deliveries in the morning, shoppers at the till, spoilage at night,
orders in the evening.

Every random number a day uses comes from arrays drawn up front or from a generator keyed
by (seed, day), so the ordinary and the emergency city agree to the unit until the event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.families._rationing_city import SUPERMARKET, City
from bench.families._rationing_event import EventPlan

MAX_LEAD = 3 + 1
"""Longest lead time plus the day the event may add."""
FORECAST_CEILING = 3.0
"""Shop owners' estimates stop rising at this multiple of ordinary demand."""
STREAM_DEMAND, STREAM_SUPPLY, STREAM_SPOIL = 11, 12, 13


@dataclass(frozen=True)
class Flows:
    """The physical truth of every simulated day (warm-up included), shaped (days, lines)."""

    stock: np.ndarray
    received: np.ndarray
    reserve: np.ndarray  # the part of received that came from the state reserve
    sales: np.ndarray
    demand: np.ndarray
    buyers: np.ndarray  # customers who wanted the product that day
    spoilage: np.ndarray
    ordered: np.ndarray  # evening orders (before fills)
    opening_stock: np.ndarray  # (lines,) before the first day


def expected_demand(city: City, weekdays: np.ndarray, seed: int) -> np.ndarray:
    """(days, lines) ordinary mean demand: line mean × weekday × drift × store and city days."""
    rng = np.random.default_rng([seed, 10])
    days, n = len(weekdays), city.line_count
    drift = np.empty((days, n))
    level = np.zeros(n)
    for day in range(days):
        level = 0.95 * level + rng.normal(0.0, 0.02, n)
        drift[day] = level
    store_day = rng.lognormal(0.0, 0.08, (days, len(city.stores)))[:, city.line_store]
    city_day = rng.lognormal(0.0, 0.04, days)[:, None]
    weekday = city.weekday[weekdays]
    return city.mean_demand * weekday * np.exp(drift) * store_day * city_day


def _order_up_to(city: City, forecast: np.ndarray) -> np.ndarray:
    """Chains: the R + L − 1 days an evening order must last, safety stock and presentation;
    shops and grain stalls: the owner's estimate × R + L days × his margin, plus a unit."""
    cover = city.review_period + city.planned_lead - 1
    variance = forecast + forecast**2 / city.dispersion
    chain = forecast * cover + city.safety_factor * np.sqrt(cover * variance) + city.presentation
    owner = forecast * (cover + 1) * city.margin + 1.0
    return np.ceil(np.where(city.line_type == SUPERMARKET, chain, owner))


def simulate_flows(
    city: City, weekdays: np.ndarray, plan: EventPlan, expected: np.ndarray, seed: int
) -> Flows:
    """Run every day: DC, wholesaler, stalls and reserve deliveries, shoppers, spoilage, orders."""
    days, n = len(weekdays), city.line_count
    draws = np.random.default_rng([seed, STREAM_SUPPLY])
    gamma = draws.gamma(city.dispersion, 1.0 / city.dispersion, (days, n))
    lead_pick = draws.random((days, n))
    full = draws.random((days, n)) < 0.95
    ordinary_fill = np.where(full, 1.0, draws.uniform(0.75, 1.0, (days, n)))
    stall_noise = draws.lognormal(0.0, 0.08, (days, n))
    stall = city.review_period == 0
    supermarket = city.line_type == SUPERMARKET
    forecast = city.mean_demand.copy()
    stock = np.where(
        stall, np.round(0.3 * city.mean_demand), np.round(0.7 * _order_up_to(city, forecast))
    )
    opening = stock.copy()
    pipeline = np.zeros((days + MAX_LEAD + 1, n))
    names = ("stock", "received", "reserve", "sales", "demand", "buyers", "spoil", "ordered")
    out = {name: np.zeros((days, n)) for name in names}
    lead_cdf = np.cumsum(city.lead_table, axis=1)
    finite_limit = np.where(np.isfinite(city.limit), city.limit, 0.0)
    cycle_volume = city.mean_demand * np.maximum(city.review_period, 1)
    for day in range(days):
        # Morning: orders due, the reserve's allotment, and what stallholders bring.
        bring = expected[day] * city.margin * stall_noise[day] - 0.5 * stock
        bought = np.where(stall, np.round(np.maximum(bring, 0.0) * plan.fill[day]), 0.0)
        received = pipeline[day] + plan.reserve[day] + bought
        stock = stock + received
        # Shoppers: negative-binomial demand; each buyer may take at most the limit where it
        # applies; demand meeting an empty shelf is lost.
        day_rng = np.random.default_rng([seed, STREAM_DEMAND, day])
        demand = day_rng.poisson(expected[day] * plan.demand[day] * gamma[day]).astype(float)
        per_buyer = city.basket * plan.basket[day]
        buyers = day_rng.poisson(demand / per_buyer).astype(float)
        buyers = np.where(demand > 0, np.maximum(buyers, 1.0), 0.0)
        cap = np.where(plan.limited[day], finite_limit * buyers, np.inf)
        sales = np.minimum(np.minimum(demand, cap), stock)
        stock = stock - sales
        sold_out = stock <= 0
        # Night: a share of perishables is thrown out, and short-life goods beyond their life.
        spoil_rng = np.random.default_rng([seed, STREAM_SPOIL, day])
        spoil = spoil_rng.binomial(stock.astype(np.int64), city.spoil_rate).astype(float)
        stale = np.maximum(stock - spoil - city.mean_demand * city.shelf_life, 0.0)
        spoil += np.where(city.shelf_life <= 3, np.floor(0.5 * stale), 0.0)
        stock = stock - spoil
        # Forecasts: chains never lower theirs on a sold-out day; owners raise theirs 10 %.
        observed = sales / city.weekday[weekdays[day]]
        updated = forecast + city.smoothing * (observed - forecast)
        owner = np.where(sold_out, np.maximum(updated, forecast) * 1.1, updated)
        chain = np.where(sold_out, np.maximum(updated, forecast), updated)
        forecast = np.where(supermarket, chain, owner)
        forecast = np.clip(forecast, 0.2 * city.mean_demand, FORECAST_CEILING * city.mean_demand)
        # Evening: lines due for review order up to their level; fills are partial and the
        # shortfall is not backordered; in the shock suppliers allocate by past volumes.
        due = ~stall & ((day - city.review_phase) % np.maximum(city.review_period, 1) == 0)
        position = stock + pipeline[day + 1 :].sum(axis=0)
        order = np.where(due, np.maximum(_order_up_to(city, forecast) - position, 0.0), 0.0)
        shipped = np.round(order * ordinary_fill[day] * plan.fill[day])
        allocated = plan.supply_share[day] < 1.0
        allowance = np.round(plan.supply_share[day] * cycle_volume)
        shipped = np.where(allocated, np.minimum(shipped, allowance), shipped)
        lead = 1 + (lead_pick[day, :, None] > lead_cdf[:, :2]).sum(axis=1) + plan.extra_lead[day]
        pipeline[day + lead, np.arange(n)] += shipped
        for name, value in (
            ("stock", stock),
            ("received", received),
            ("reserve", plan.reserve[day]),
            ("sales", sales),
            ("demand", demand),
            ("buyers", buyers),
            ("spoil", spoil),
            ("ordered", order),
        ):
            out[name][day] = value
    return Flows(
        stock=out["stock"],
        received=out["received"],
        reserve=out["reserve"],
        sales=out["sales"],
        demand=out["demand"],
        buyers=out["buyers"],
        spoilage=out["spoil"],
        ordered=out["ordered"],
        opening_stock=opening,
    )
