"""The winter-storm city day by day: demand, sales, spoilage and the four replenishment
channels (the chain DC's fixed routes, its daily fresh trucks, vendors' direct store
delivery, and the wholesaler's (s, S) orders for independents).

Every random draw of ordinary life is made up front or from a generator keyed by seed and
day, so the storm (a ``StormPlan``) is the only thing that differs between a city with and
without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.families._winter_storm_city import (
    CHAIN_STORE_TYPES,
    DC_DAILY,
    DC_SCHEDULED,
    DIRECT_STORE_DELIVERY,
    WHOLESALER,
    City,
)
from bench.families._winter_storm_event import StormPlan

FULL_FILL_CHANCE = 0.93
"""Ordinary orders filled in full; the rest 70-100 % (the shortfall is cancelled)."""
LATE_TRUCK_CHANCE = 0.05
"""A DC truck that reaches the store only in the afternoon, after half the day's shoppers."""
LEAD_TIMES, LEAD_TIME_CHANCES = (1, 2, 3, 4), (0.3, 0.4, 0.2, 0.1)
"""The wholesaler's lead time for an independent's order."""
SMOOTHING = 0.2
"""The chain's forecast: exponential smoothing of deseasonalised sales."""
UNRECORDED_SHRINK_CHANCE = 0.02
"""Daily chance a chain line loses a unit the system does not see (theft, damage, scanning)."""
CYCLE_COUNT_DAYS = 14
"""Chain stores count each line every two weeks and reset the system's stock to the count."""
PLANNING_HORIZON = 21
"""Extra days the wholesaler's pipeline array reaches beyond the simulation."""


@dataclass(frozen=True)
class Flows:
    """Physical flows per (internal day, line)."""

    stock: np.ndarray  # end-of-day true stock
    system_stock: np.ndarray  # what the chain's system believes (true + unrecorded shrink)
    sales: np.ndarray
    demand: np.ndarray
    dc_received: np.ndarray
    vendor_received: np.ndarray
    wholesale_received: np.ndarray
    loss: np.ndarray  # spoilage, power-cut write-offs and shrink
    late: np.ndarray  # (days, lines): the DC truck came in the afternoon

    @property
    def received(self) -> np.ndarray:
        """Everything that arrived that day, whatever the channel."""
        return self.dc_received + self.vendor_received + self.wholesale_received


def _truck_gaps(city: City) -> np.ndarray:
    """(stores, 7): days from a delivery on that weekday to the store's next DC truck."""
    gaps = np.ones((len(city.stores), 7), dtype=int)
    for store, weekdays in enumerate(city.delivery_weekdays):
        if not weekdays.any():
            continue
        for weekday in range(7):
            gaps[store, weekday] = next(
                step for step in range(1, 8) if weekdays[(weekday + step) % 7]
            )
    return gaps


def simulate_flows(city: City, weekdays: np.ndarray, plan: StormPlan, seed: int) -> Flows:
    """Run every day: morning deliveries, the day's sales, the night's losses, the evening's
    orders."""
    days, lines = len(weekdays), city.line_count
    rng = np.random.default_rng([seed, 4])
    fill_draw = np.where(
        rng.random((days, lines)) < FULL_FILL_CHANCE, 1.0, rng.uniform(0.7, 1.0, (days, lines))
    )
    late_truck = rng.random((days, len(city.stores))) < LATE_TRUCK_CHANCE
    lead_draw = rng.choice(LEAD_TIMES, size=(days, lines), p=LEAD_TIME_CHANCES)
    vendor_draw = rng.random((days, len(city.stores)))
    shrink_draw = rng.random((days, lines)) < UNRECORDED_SHRINK_CHANCE
    count_offset = rng.integers(0, CYCLE_COUNT_DAYS, lines)

    store = city.line_store
    chain_line = np.isin(city.line_type, CHAIN_STORE_TYPES)
    scheduled = city.channel == DC_SCHEDULED
    daily = city.channel == DC_DAILY
    from_dc = scheduled | daily
    direct = city.channel == DIRECT_STORE_DELIVERY
    wholesale = city.channel == WHOLESALER
    gaps = _truck_gaps(city)
    trucks_a_week = np.maximum(city.delivery_weekdays.sum(axis=1), 1)
    ordinary_load = city.mean_demand * np.where(scheduled, 7 / trucks_a_week[store], 1.0)
    fresh = city.shelf_life <= 30
    presentation = np.where(fresh, 0.3 * city.mean_demand + 1, 1.0 * city.mean_demand + 2)
    forecast = city.mean_demand.copy()
    stock = np.ceil(np.where(wholesale, city.order_up_to, city.mean_demand * 3 + presentation))
    stock = np.where(direct, city.planogram, stock)
    unrecorded = np.zeros(lines)
    pipeline = np.zeros((days + PLANNING_HORIZON, lines))
    dc_order = np.zeros(lines)

    shape = (days, lines)
    flows = {
        name: np.zeros(shape)
        for name in ("stock", "system", "sales", "demand", "dc", "vendor", "wholesale", "loss")
    }
    late_lines = np.zeros(shape, dtype=bool)
    for day in range(days):
        weekday = int(weekdays[day])
        dark = plan.powerless[day][store]
        closed = plan.roads_closed[day][store]
        # Morning: the wholesaler's van (held while the roads are shut or the store dark).
        arriving = pipeline[day].copy()
        held = (arriving > 0) & (dark | closed)
        pipeline[day + 1, held] += arriving[held]
        arriving[held] = 0.0
        # The DC's trucks: skipped, not late, while the roads are shut or the store dark.
        dc_today = np.where(closed | dark, 0.0, dc_order)
        late = late_truck[day][store] & (dc_today > 0)
        # Vendors' route trucks top the shelf up to the planogram.
        calls = direct & ((day + city.visit_offset) % city.visit_interval == 0)
        calls &= (vendor_draw[day][store] < plan.vendor_runs[day][store]) & ~dark
        level = city.planogram * plan.vendor_extra[day][store] * plan.fill[day][store]
        vendor_today = np.where(calls, np.maximum(np.floor(level - stock), 0.0), 0.0)
        morning = stock + arriving + vendor_today + np.where(late, 0.0, dc_today)
        # The day's shoppers: negative binomial around the line's mean, none in a dark store.
        day_rng = np.random.default_rng([seed, 5, day])
        mean = city.mean_demand * city.weekday[weekday] * plan.demand[day]
        gamma = day_rng.gamma(city.dispersion, 1.0 / city.dispersion)
        demand = day_rng.poisson(mean * gamma).astype(float)
        demand = np.where(dark, 0.0, demand)
        early_demand = np.where(late, np.floor(demand / 2), demand)
        sold_early = np.minimum(early_demand, morning)
        afternoon = morning - sold_early + np.where(late, dc_today, 0.0)
        sold_late = np.minimum(demand - early_demand, afternoon)
        sales = sold_early + sold_late
        stock = afternoon - sold_late
        # Night: spoilage, power-cut write-offs, unrecorded shrink in chain stores.
        spoiled = stock * city.spoil_rate
        spoiled = np.where(plan.chilled_lost[day][store] & city.chilled, stock, spoiled)
        spoiled = np.where(plan.frozen_lost[day][store] & city.frozen, stock, spoiled)
        shrink = np.where(chain_line & shrink_draw[day], np.minimum(stock - spoiled, 1.0), 0.0)
        stock = np.maximum(stock - spoiled - shrink, 0.0)
        unrecorded = np.where(
            (day + count_offset) % CYCLE_COUNT_DAYS == 0, 0.0, unrecorded + shrink
        )
        # Evening: the chain's forecast learns from sales (only upwards on a sold-out day).
        observed = sales / city.weekday[weekday]
        updated = forecast + SMOOTHING * (observed - forecast)
        sold_out = stock <= 0
        forecast = np.where(
            dark, forecast, np.where(sold_out, np.maximum(forecast, updated), updated)
        )
        # The chain's orders for tomorrow's trucks: order-up-to on the forecast.
        tomorrow = day + 1
        if tomorrow < days:
            next_weekday = int(weekdays[tomorrow])
            truck = city.delivery_weekdays[:, next_weekday] | plan.recovery_truck[tomorrow]
            cover = np.where(scheduled, gaps[store, next_weekday], 1)
            expected = np.zeros(lines)
            for step in range(int(cover.max())):
                factor = city.weekday[(next_weekday + step) % 7]
                expected += np.where(step < cover, forecast * factor, 0.0)
            spread = np.sqrt(cover * (forecast + forecast**2 / city.dispersion))
            target = expected + city.safety_factor * spread + presentation
            wanted = np.maximum(np.ceil(target - stock), 0.0)
            wanted = np.where(scheduled & ~truck[store], 0.0, wanted)
            wanted = np.where(from_dc, wanted, 0.0)
            filled = np.floor(wanted * fill_draw[tomorrow] * plan.fill[tomorrow][store])
            dc_order = np.minimum(filled, plan.load_cap[tomorrow][store] * ordinary_load)
            dc_order = np.floor(dc_order)
        # The independents' (s, S): order up to S when stock plus what is on order is at s
        # or below (continuous review: checked every evening).
        position = stock + pipeline[day + 1 :].sum(axis=0)
        reorder = wholesale & (position <= city.reorder_point)
        if reorder.any():
            supplied = fill_draw[day] * plan.fill[day][store] * plan.wholesale_fill[day][store]
            quantity = np.floor((city.order_up_to - position) * supplied)
            arrival = day + lead_draw[day] + plan.wholesale_delay[day][store]
            for line in np.flatnonzero(reorder):
                pipeline[arrival[line], line] += max(quantity[line], 0.0)
        flows["stock"][day] = stock
        flows["system"][day] = stock + unrecorded
        flows["sales"][day] = sales
        flows["demand"][day] = demand
        flows["dc"][day] = dc_today
        flows["vendor"][day] = vendor_today
        flows["wholesale"][day] = arriving
        flows["loss"][day] = spoiled + shrink
        late_lines[day] = late
    return Flows(
        stock=flows["stock"],
        system_stock=flows["system"],
        sales=flows["sales"],
        demand=flows["demand"],
        dc_received=flows["dc"],
        vendor_received=flows["vendor"],
        wholesale_received=flows["wholesale"],
        loss=flows["loss"],
        late=late_lines,
    )
