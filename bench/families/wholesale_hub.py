"""Scenario family ``wholesale_hub``: a megacity fed through one wholesale market and chain
distribution centres, hit by the market's closure and a DC outage (Beijing, June 2020).

Written from the description of that supply chain, not from the monitor it judges; the
city and its parameters are documented in README.md here (section ``wholesale_hub``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench.families._wholesale_hub_city import (
    BUCKETS,
    CHANNEL_CASH_CARRY,
    CHANNEL_NIGHT_MARKET,
    KIND_SHOP,
    KIND_STALLS,
    KIND_SUPERMARKET,
    MARKET_CHANNELS,
    City,
    draw_city,
)
from bench.families._wholesale_hub_event import Event, draw_event, ordinary
from bench.families._wholesale_hub_report import report
from bench.families.model import CityHistory

FAMILY = "wholesale_hub"
WARM_UP_DAYS = 14
"""Unreported days that let stocks, forecasts and shop trips settle before day 0."""
FOLLOW_UP_DAYS = 10
PLANNED_LEAD = 1.4
"""Mean lead time the chains plan with (1 day 60 %, 2 days 40 %)."""
ALLOWANCE_DAYS = 3.0
"""A constrained supplier lets a line's unused share pile up for at most this many days."""
USUAL_FLOW = 1.05
"""A line's usual deliveries per day as a multiple of its mean demand (sales and spoilage)."""
STREAM_CITY, STREAM_EVENT, STREAM_NOISE, STREAM_DEMAND, STREAM_REPORT = range(5)
"""Independent random streams: the event has its own, every day draws from its own."""


@dataclass(frozen=True)
class Simulation:
    """A history with the physical flows behind it (arrays (simulated days, lines))."""

    history: CityHistory
    city: City
    event: Event
    opening_stock: np.ndarray
    """(lines,) True stock at the end of the day before day 0."""
    demand: np.ndarray
    true_sales: np.ndarray
    true_received: np.ndarray
    spoilage: np.ndarray
    ordered_value: np.ndarray
    """(days, stores) What shop owners wanted to buy on a trip (CNY, wholesale)."""
    bought_value: np.ndarray
    """(days, stores) What their cash let them buy."""


def stream(seed: int, name: int, day: int = 0) -> np.random.Generator:
    """The random stream ``name`` of ``seed`` (per day for the daily draws)."""
    return np.random.default_rng([seed, 7_351, name, day])


def _sell_oldest_first(buckets: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Take ``wanted`` from the stock buckets, shortest life first; return what was sold."""
    remaining = wanted.copy()
    for bucket in range(buckets.shape[1]):
        taken = np.minimum(buckets[:, bucket], remaining)
        buckets[:, bucket] -= taken
        remaining -= taken
    return wanted - remaining


def simulate(seed: int, *, emergency: bool = True) -> Simulation:
    """Simulate the city day by day: demand, sales, spoilage, orders and deliveries."""
    setup = stream(seed, STREAM_CITY)
    city = draw_city(setup)
    event_day = int(setup.integers(25, 31))
    reported_days = event_day + int(setup.integers(21, 25))
    first_date = date(2025, 5, 5) + timedelta(days=int(setup.integers(0, 21)))
    days = WARM_UP_DAYS + reported_days + FOLLOW_UP_DAYS
    start = WARM_UP_DAYS + event_day
    event_rng = stream(seed, STREAM_EVENT)
    event = draw_event(event_rng, city, days, start) if emergency else ordinary(city, days)

    lines, stores = len(city.lines), len(city.stores)
    first_weekday = (first_date - timedelta(days=WARM_UP_DAYS)).weekday()
    weekday = (first_weekday + np.arange(days + 1)) % 7
    line_weekday = city.store_weekday[city.line_store]
    supermarket = city.line_kind == KIND_SUPERMARKET
    stall = city.line_kind == KIND_STALLS
    shop_line = city.line_kind == KIND_SHOP
    shop_store = city.store_kind == KIND_SHOP
    short_life = city.arrival_life <= BUCKETS
    bucket_of_arrival = np.where(short_life, city.arrival_life - 1, BUCKETS)
    rows = np.arange(lines)

    buckets = np.zeros((lines, BUCKETS + 1))
    opening = np.ceil(city.base_demand * np.where(supermarket, 2.0, 1.5))
    buckets[rows, bucket_of_arrival] = opening
    arrivals = np.zeros((days + 3, lines))
    forecast = city.base_demand.copy()
    error_var = city.base_demand + (0.3 * city.base_demand) ** 2
    estimate = city.base_demand.copy()
    next_trip = np.where(shop_store, setup.integers(0, 3, stores), -1)
    log_drift = np.zeros(lines)
    usual_flow = city.base_demand * USUAL_FLOW
    allowance = np.zeros(lines)

    demand_out = np.zeros((days, lines))
    sales_out = np.zeros((days, lines))
    received_out = np.zeros((days, lines))
    spoiled_out = np.zeros((days, lines))
    stock_out = np.zeros((days, lines))
    ordered_value = np.zeros((days, stores))
    bought_value = np.zeros((days, stores))
    price = city.base_price[None, :] * event.price
    for day in range(days):
        noise = stream(seed, STREAM_NOISE, day)
        gamma = noise.gamma(city.gamma_shape, 1 / city.gamma_shape)
        log_drift = 0.95 * log_drift + noise.normal(0, 0.02, lines)
        store_day = np.exp(noise.normal(0, 0.08, stores))[city.line_store]
        city_day = float(np.exp(noise.normal(0, 0.04)))
        dc_fill = np.where(noise.random(lines) < 0.97, 1.0, noise.uniform(0.8, 1.0, lines))
        market_fill = np.where(noise.random(lines) < 0.95, 1.0, noise.uniform(0.7, 1.0, lines))
        lead = np.where(noise.random(lines) < 0.6, 1, 2)
        slow_lead = np.where(noise.random(lines) < 0.5, 1, 2)
        late_trip = noise.random(stores) < 0.15

        # Morning: shop owners' trips (cash-limited), then the day's deliveries.
        tripping = shop_store & (next_trip == day)
        if tripping.any():
            trip_line = shop_line & tripping[city.line_store]
            cycle = city.trip_cycle[city.line_store]
            cover = np.where(short_life, np.minimum(cycle + 1, city.arrival_life), cycle + 3)
            target = np.maximum(estimate * cover * (1 + city.margin), city.display)
            wanted = np.where(trip_line, np.ceil(np.maximum(target - buckets.sum(1), 0)), 0.0)
            cost = 0.75 * price[day]
            value = np.bincount(city.line_store, weights=wanted * cost, minlength=stores)
            cash = np.where(value > 0, np.minimum(1.0, city.budget / np.maximum(value, 1e-9)), 1)
            bought = np.floor(wanted * cash[city.line_store])
            ordered_value[day] = value
            bought_value[day] = np.bincount(
                city.line_store, weights=bought * cost, minlength=stores
            )
            fill = np.where(city.channel == CHANNEL_CASH_CARRY, dc_fill, market_fill)
            arrivals[day] += bought * fill
            next_trip[tripping] = day + city.trip_cycle[tripping] + late_trip[tripping]
        share = event.supply[day]
        constrained = share < 1
        today_flow = usual_flow * line_weekday[:, weekday[day]]
        allowance = np.where(
            constrained,
            np.minimum(allowance + share * today_flow, ALLOWANCE_DAYS * today_flow),
            0.0,
        )
        due = np.where(constrained, np.minimum(arrivals[day], allowance), arrivals[day])
        received = np.floor(due * 10) / 10
        allowance = np.maximum(allowance - received, 0.0)
        buckets[rows, bucket_of_arrival] += received

        # The day's trade: negative-binomial demand, lost when the shelf is empty.
        mean = (
            city.base_demand
            * line_weekday[:, weekday[day]]
            * np.exp(log_drift)
            * store_day
            * city_day
            * event.demand[day]
        )
        demand = stream(seed, STREAM_DEMAND, day).poisson(mean * gamma).astype(float)
        available = buckets.sum(1)
        sales = _sell_oldest_first(buckets, np.minimum(demand, available))
        sold_out = sales >= available - 1e-9

        # Night: expiry and shrink, then the orders for the coming days.
        expired = buckets[:, 0].copy()
        expired[~short_life] = 0.0
        buckets[short_life, :-1] = np.concatenate(
            [buckets[short_life, 1:BUCKETS], np.zeros((short_life.sum(), 1))], axis=1
        )
        shrunk = buckets * city.shrink[:, None]
        buckets -= shrunk
        closing = buckets.sum(1)
        demand_out[day], sales_out[day], received_out[day] = demand, sales, received
        spoiled_out[day] = expired + shrunk.sum(1)
        stock_out[day] = closing

        seasonal = line_weekday[:, weekday[day]]
        signal = sales / seasonal
        error = signal - forecast
        learn = np.where(sold_out, np.maximum(error, 0.0), error)
        forecast = forecast + 0.2 * learn
        error_var = error_var + 0.1 * (np.minimum(error**2, 9 * error_var) - error_var)
        horizon = PLANNED_LEAD + 1
        reorder = forecast * horizon + city.safety_z * np.sqrt(horizon * error_var)
        order_up_to = reorder + forecast * city.cover_days
        position = closing + arrivals[day + 1 : day + 3].sum(0)
        order = supermarket & (position <= reorder)
        quantity = np.where(order, np.ceil(order_up_to - position), 0.0) * dc_fill
        for wait in (1, 2):
            due = order & (lead == wait)
            arrivals[day + wait, due] += quantity[due]

        next_weekday = line_weekday[:, weekday[day + 1]] / seasonal
        known = np.where(sold_out, np.maximum(sales, estimate * seasonal) * 1.2, sales)
        stall_target = known * city.markup * next_weekday
        night = np.where(stall, np.ceil(np.maximum(stall_target - closing, 0)) * market_fill, 0.0)
        substitute = event.slow_market[min(day + 1, days - 1)]
        slow = stall & (city.channel == CHANNEL_NIGHT_MARKET) & substitute
        arrivals[day + 1, stall & ~slow] += night[stall & ~slow]
        for wait in (1, 2):
            due = slow & (slow_lead == wait)
            arrivals[day + wait, due] += night[due]

        estimate = estimate + 0.2 * (signal - estimate)
        estimate = np.where(sold_out & ~supermarket, estimate * 1.1, estimate)

    window = slice(WARM_UP_DAYS, days)
    history = report(
        stream_for_day=lambda day: stream(seed, STREAM_REPORT, day),
        city=city,
        event=event,
        family=FAMILY,
        seed=seed,
        first_date=first_date,
        reported_days=reported_days,
        follow_up_days=FOLLOW_UP_DAYS,
        event_start=event_day if emergency else None,
        true_stock=stock_out[window],
        true_sales=sales_out[window],
        true_received=received_out[window],
        price=price[window],
    )
    return Simulation(
        history=history,
        city=city,
        event=event,
        opening_stock=stock_out[WARM_UP_DAYS - 1],
        demand=demand_out[window],
        true_sales=sales_out[window],
        true_received=received_out[window],
        spoilage=spoiled_out[window],
        ordered_value=ordered_value[window],
        bought_value=bought_value[window],
    )


def generate(seed: int, *, emergency: bool = True) -> CityHistory:
    """The history the bench replays for ``seed`` (see :func:`simulate`)."""
    return simulate(seed, emergency=emergency).history


def stock_out_shares(seed: int) -> pd.DataFrame:
    """Share of line-days with true stock ≤ 0 in ordinary weeks, on the event's reported
    days, and on the same days of the city without the event, by store kind and by what
    cut the line's supply (the README's table)."""
    crisis, calm = simulate(seed, emergency=True), simulate(seed, emergency=False)
    history, city, event = crisis.history, crisis.city, crisis.event
    assert history.event_start is not None
    before = slice(0, history.event_start)
    during = slice(history.event_start, history.reported_days)
    kinds = city.stores["kind"].to_numpy()[city.line_store]
    locked = event.lockdown[city.line_district]
    chain = city.line_chain == event.dc_chain
    market = np.isin(city.channel, MARKET_CHANNELS)
    groups = {"all lines": np.ones(len(kinds), dtype=bool)}
    groups |= {kind: kinds == kind for kind in ("supermarket", "other", "farmers_market")}
    groups |= {
        "market-bought, open districts": market & ~locked,
        "closed DC's chain, open districts": chain & ~locked,
        "locked-down districts": locked,
        "not disrupted": ~event.disrupted,
    }
    rows = {}
    for name, mask in groups.items():
        rows[name] = {
            "lines": int(mask.sum()),
            "ordinary weeks": (history.true_stock[before][:, mask] <= 0).mean(),
            "event": (history.true_stock[during][:, mask] <= 0).mean(),
            "same days, no event": (calm.history.true_stock[during][:, mask] <= 0).mean(),
        }
    return pd.DataFrame(rows).T
