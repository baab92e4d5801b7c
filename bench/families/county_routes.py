"""County-routes area: a rural county's shops supplied by weekly trucks, cut by a snowstorm.

Written from a description of how groceries reach a Chinese county seat and its townships
(``bench/families/README.md``, section "county_routes"), never from the monitor. Village
shops and township supermarkets get their dry goods from the county wholesaler's truck on
fixed weekdays and order at the visit what should last until the next one; county-seat
supermarkets reorder dry goods by (s, S) with lead times of 2-5 days; markets and larger
stores buy fresh goods at the county wholesale market; rural markets trade only on market
days. From ``event_start`` snow shuts the roads up three or four mountain valleys for 3-8
days (then the truck catches up), some places panic for 1-3 days, and townships where
migrant workers come home early sell 15-30 % more for good.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench.families._county_routes_area import (
    AGE_BUCKETS,
    CHANNEL_REORDER_POINT,
    CHANNEL_ROUTE,
    CHANNEL_WHOLESALE_MARKET,
    KIND_NAMES,
    KIND_RURAL_MARKET,
    KIND_SEAT_MARKET,
    KIND_SEAT_SHOP,
    KIND_SEAT_SUPERMARKET,
    KIND_TOWNSHIP_SUPERMARKET,
    KIND_VILLAGE_SHOP,
    SEAT_WEEKDAYS,
    TOWNSHIP_WEEKDAYS,
    Area,
    draw_area,
)
from bench.families._county_routes_event import Snowstorm, draw_snowstorm, ordinary_weeks
from bench.families.model import CityHistory

FAMILY = "county_routes"
WARM_UP_DAYS = 21
"""Unreported days before day 0 so stocks and the buyers' estimates settle."""
FOLLOW_UP_DAYS = 7
ROUTE_MISS_CHANCE = 0.03
"""Chance the truck misses a township's visit (breakdown, driver ill, a full load elsewhere)."""
MEAN_LEAD_DAYS = 3.5
LEAD_VARIANCE = 1.25
"""Lead time of county-seat chains' dry goods: 2, 3, 4 or 5 days, equally likely."""
DAILY_SHRINK = {"vegetables": 0.01, "fruit": 0.008, "meat": 0.005, "eggs": 0.002}
"""Share of perishable stock lost each night to wilting, bruising, trimming, breakage."""


@dataclass(frozen=True)
class CountyRoutesSimulation:
    """A history together with the physical flows behind it (all over the simulated days)."""

    history: CityHistory
    area: Area
    storm: Snowstorm
    """The storm's conditions over the simulated days (day 0 is the first reported day)."""
    opening_stock: np.ndarray
    """Physical stock per line before day 0's deliveries."""
    true_received: np.ndarray
    true_sales: np.ndarray
    demand: np.ndarray
    spoilage: np.ndarray
    route_visit: np.ndarray
    """(days, townships): the wholesaler's truck came that day."""


def _market_days(area: Area, days: np.ndarray) -> np.ndarray:
    """(days, townships): whether the township's market trades (county seats: every day)."""
    cycle = area.market_cycle[None, :]
    trading = (days[:, None] - area.market_phase[None, :]) % cycle == 0
    seats = np.array([township.seat for township in area.townships])
    return trading | seats[None, :]


def _days_to_next_visit(area: Area, weekdays: np.ndarray) -> np.ndarray:
    """(days, townships): days from each day until the next regular route visit."""
    result = np.zeros((len(weekdays), len(area.townships)), dtype=int)
    for township, route in enumerate(area.route_weekdays):
        for row, weekday in enumerate(weekdays):
            result[row, township] = min((day - weekday - 1) % 7 + 1 for day in route)
    return result


def _weekday_factor(area: Area, weekdays: np.ndarray) -> np.ndarray:
    """(days, lines): sales factor of the weekday, by town or countryside."""
    seat_line = np.array([area.townships[t].seat for t in area.line_township])
    return np.where(
        seat_line[None, :], SEAT_WEEKDAYS[weekdays][:, None], TOWNSHIP_WEEKDAYS[weekdays][:, None]
    )


def _selling_factor(area: Area, market: np.ndarray) -> np.ndarray:
    """(days, lines): rural markets sell only on market days, which also fill township shops."""
    here = market[:, area.line_township]
    factor = np.ones(here.shape)
    rural_market = area.line_kind == KIND_RURAL_MARKET
    township_store = area.line_kind == KIND_TOWNSHIP_SUPERMARKET
    factor[:, rural_market] = here[:, rural_market].astype(float)
    factor[:, township_store] = np.where(here[:, township_store], 1.15, 0.92)
    return factor


def _reorder_levels(area: Area, estimate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reorder point s and order-up-to level S of each line from the chain's estimate."""
    variance = estimate + (0.3 * estimate) ** 2
    spread = np.sqrt(MEAN_LEAD_DAYS * variance + estimate**2 * LEAD_VARIANCE)
    reorder_point = estimate * MEAN_LEAD_DAYS + area.reorder_z * spread
    return reorder_point, reorder_point + estimate * area.order_days


def _sell_oldest_first(buckets: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Take ``wanted`` from each line's stock, shortest remaining life first; return sold."""
    on_hand = buckets.sum(axis=1)
    sold = np.minimum(wanted, on_hand)
    before = np.cumsum(buckets, axis=1) - buckets
    taken = np.clip(sold[:, None] - before, 0.0, buckets)
    buckets -= taken
    return sold


def simulate(seed: int, *, emergency: bool = True) -> CountyRoutesSimulation:
    """Simulate one seed's area day by day and keep the physical flows."""
    area = draw_area(np.random.default_rng([seed, 1]))
    plan = np.random.default_rng([seed, 2])
    first_date = date(2025, 11, 3) + timedelta(days=int(plan.integers(0, 14)))
    event_start = int(plan.integers(24, 29))
    reported_days = event_start + int(plan.integers(14, 18))
    simulated_days = reported_days + FOLLOW_UP_DAYS
    total = WARM_UP_DAYS + simulated_days
    storm = (
        draw_snowstorm(
            np.random.default_rng([seed, 3]), area, days=total, start=WARM_UP_DAYS + event_start
        )
        if emergency
        else ordinary_weeks(total, area)
    )
    day_index = np.arange(total) - WARM_UP_DAYS
    weekdays = np.array([(first_date + timedelta(days=int(d))).weekday() for d in day_index])
    market = _market_days(area, day_index)
    to_next_visit = _days_to_next_visit(area, weekdays)
    regular_visit = np.array(
        [[weekday in route for route in area.route_weekdays] for weekday in weekdays]
    )
    day_factor = _weekday_factor(area, weekdays) * _selling_factor(area, market)

    lines = len(area.lines)
    closing_stock = np.zeros((total, lines))
    flows = {name: np.zeros((total, lines)) for name in ("received", "sales", "demand", "spoiled")}
    route_visit = np.zeros(regular_visit.shape, dtype=bool)
    buckets = np.zeros((lines, AGE_BUCKETS))
    estimate = area.base_demand * np.exp(np.random.default_rng([seed, 4]).normal(0.0, 0.15, lines))
    keeps = area.shelf_life * 0.85 > AGE_BUCKETS
    shrink = np.array([DAILY_SHRINK.get(str(c), 0.0) for c in area.category])
    shrink = np.where(area.shelf_life <= 30, shrink, 0.0)
    market_line = np.isin(area.line_kind, (KIND_SEAT_MARKET, KIND_RURAL_MARKET))
    shrink = np.where(market_line, shrink * 1.5, shrink)
    chain_system = area.line_kind == KIND_SEAT_SUPERMARKET
    smoothing = np.where(chain_system, 0.1, np.where(area.channel == CHANNEL_ROUTE, 0.15, 0.3))
    pipeline = np.zeros((lines, 12))
    route = area.channel == CHANNEL_ROUTE
    reorder = area.channel == CHANNEL_REORDER_POINT
    fresh = area.channel == CHANNEL_WHOLESALE_MARKET
    store_trip_offset = np.arange(len(area.stores)) % area.fresh_trip_interval
    drift = np.zeros(lines)
    opening_stock = np.zeros(lines)
    buckets[np.arange(lines), area.arrival_life - 1] = area.base_demand * np.where(fresh, 1.0, 4.0)

    for day in range(total):
        rng = np.random.default_rng([seed, 5, day])
        missed = rng.random(len(area.townships)) < ROUTE_MISS_CHANCE
        gamma_shape = 1.0 / area.demand_variation**2
        shock = rng.gamma(gamma_shape, 1.0 / gamma_shape)
        drift = 0.9 * drift + rng.normal(0.0, 0.03, lines)
        fill_draw = rng.random(lines)
        partial = rng.uniform(0.4, 0.9, lines)
        lead = rng.integers(2, 6, lines)
        reorder_partial = np.where(rng.random(lines) < 0.93, 1.0, rng.uniform(0.5, 0.95, lines))
        market_short = rng.uniform(0.7, 1.0, lines)
        if day == WARM_UP_DAYS:
            opening_stock = buckets.sum(axis=1)

        arriving = pipeline[:, 0].copy()
        pipeline[:, :-1] = pipeline[:, 1:]
        pipeline[:, -1] = 0.0
        on_hand = buckets.sum(axis=1) + arriving

        slipped = np.zeros(len(area.townships), dtype=bool)
        if day > 0:
            slipped = storm.delayed[day - 1] & regular_visit[day - 1] & ~missed
        visit = regular_visit[day] & ~missed & ~storm.delayed[day] & ~storm.closed[day]
        visit = visit | slipped | storm.catch_up[day]
        route_visit[day] = visit
        visiting = route & visit[area.line_township]
        cover = to_next_visit[day, area.line_township]
        target = estimate * cover * (1.0 + area.margin) + 1.0
        route_fill = np.where(fill_draw < 0.92, 1.0, partial) * storm.route_fill[day]
        wanted = np.ceil(np.maximum(target - on_hand, 0.0))
        arriving += np.where(visiting, np.floor(wanted * route_fill), 0.0)

        trip = (day % area.fresh_trip_interval) == store_trip_offset
        trip_line = trip[area.line_store]
        trip_line = np.where(area.line_kind == KIND_RURAL_MARKET, day_factor[day] > 0, trip_line)
        interval = area.fresh_trip_interval[area.line_store]
        ahead = np.where(area.line_kind == KIND_RURAL_MARKET, 1.0, day_factor[day] * interval)
        fresh_target = estimate * ahead * (1.0 + area.margin)
        fresh_wanted = np.ceil(np.maximum(fresh_target - on_hand, 0.0))
        supply = storm.market_fill[day] * np.where(fill_draw < 0.9, 1.0, market_short)
        supply = np.where(storm.closed[day, area.line_township], storm.local_share, supply)
        bought = np.where(fresh & trip_line, np.round(fresh_wanted * supply, 1), 0.0)
        arriving += bought

        flows["received"][day] = arriving
        buckets[np.arange(lines), area.arrival_life - 1] += arriving

        mean = area.base_demand * day_factor[day] * np.exp(drift) * storm.demand[day]
        demand = rng.poisson(mean * shock).astype(float)
        sold = _sell_oldest_first(buckets, demand)
        flows["demand"][day] = demand
        flows["sales"][day] = sold

        expired = np.where(keeps, 0.0, buckets[:, 0])
        buckets[:, 0] -= expired
        lost = buckets * shrink[:, None]
        buckets -= lost
        flows["spoiled"][day] = expired + lost.sum(axis=1)
        aged = np.zeros_like(buckets)
        aged[:, :-1] = buckets[:, 1:]
        buckets = np.where(keeps[:, None], buckets, aged)
        closing_stock[day] = buckets.sum(axis=1)

        selling = day_factor[day] > 0
        seen = np.where(selling, sold / np.where(selling, day_factor[day], 1.0), estimate)
        sold_out = (closing_stock[day] <= 1e-9) & (demand > sold)
        smoothed = (1.0 - smoothing) * estimate + smoothing * seen
        smoothed = np.where(sold_out & chain_system, np.maximum(smoothed, estimate), smoothed)
        smoothed = np.where(sold_out & ~chain_system, smoothed * 1.1, smoothed)
        estimate = np.where(selling, smoothed, estimate)

        reorder_point, order_up_to = _reorder_levels(area, estimate)
        position = closing_stock[day] + pipeline.sum(axis=1)
        ordering = reorder & (position <= reorder_point)
        quantity = np.ceil(np.maximum(order_up_to - position, 0.0))
        quantity = np.floor(quantity * reorder_partial * storm.reorder_fill[day])
        slot = lead + storm.extra_lead[day] - 1
        pipeline[np.arange(lines), slot] += np.where(ordering, quantity, 0.0)

    kept = slice(WARM_UP_DAYS, total)
    history = _report(
        seed=seed,
        area=area,
        storm=storm,
        first_date=first_date,
        reported_days=reported_days,
        event_start=event_start if emergency else None,
        true_stock=closing_stock[kept],
        sales=flows["sales"][kept],
        received=flows["received"][kept],
        market=market[kept],
    )
    return CountyRoutesSimulation(
        history=history,
        area=area,
        storm=_trim(storm, WARM_UP_DAYS),
        opening_stock=opening_stock,
        true_received=flows["received"][kept],
        true_sales=flows["sales"][kept],
        demand=flows["demand"][kept],
        spoilage=flows["spoiled"][kept],
        route_visit=route_visit[kept],
    )


def _trim(storm: Snowstorm, warm_up: int) -> Snowstorm:
    """The storm's day-indexed arrays without the warm-up days."""
    return replace(
        storm,
        closed=storm.closed[warm_up:],
        catch_up=storm.catch_up[warm_up:],
        delayed=storm.delayed[warm_up:],
        route_fill=storm.route_fill[warm_up:],
        market_fill=storm.market_fill[warm_up:],
        extra_lead=storm.extra_lead[warm_up:],
        reorder_fill=storm.reorder_fill[warm_up:],
        demand=storm.demand[warm_up:],
        price=storm.price[warm_up:],
        extra_miss=storm.extra_miss[warm_up:],
    )


def _report(
    *,
    seed: int,
    area: Area,
    storm: Snowstorm,
    first_date: date,
    reported_days: int,
    event_start: int | None,
    true_stock: np.ndarray,
    sales: np.ndarray,
    received: np.ndarray,
    market: np.ndarray,
) -> CityHistory:
    """What stores post: skipped days, market days only, hand counts, receipts kept by few."""
    rng = np.random.default_rng([seed, 6])
    days, lines = true_stock.shape
    stores = len(area.stores)
    miss_chance = area.miss_chance[None, :] + storm.extra_miss[WARM_UP_DAYS:]
    posted = np.ones((days, stores), dtype=bool)
    draws = rng.random((days, stores))
    for day in range(days):
        chance = miss_chance[day]
        if day > 0:
            chance = np.where(~posted[day - 1], 0.3, chance)
        posted[day] = draws[day] >= chance
    store_kind = area.stores["store_kind"].to_numpy()
    store_township = area.stores["township"].to_numpy()
    rural = store_kind == KIND_RURAL_MARKET
    posted[:, rural] &= market[:, store_township[rural]]
    reported = posted[:, area.line_store]

    stock = true_stock.copy()
    slips = rng.random((days, lines))
    step = rng.choice(np.array([-2.0, -1.0, 1.0, 2.0]), size=(days, lines))
    kind = area.line_kind
    small = np.isin(kind, (KIND_VILLAGE_SHOP, KIND_SEAT_SHOP))
    township_store = kind == KIND_TOWNSHIP_SUPERMARKET
    stock += np.where(small & (slips < 0.08), step, 0.0)
    stock += np.where(township_store & (slips < 0.03), np.sign(step), 0.0)
    by_eye = np.exp(rng.normal(0.0, 0.1, (days, lines)))
    stock = np.where(np.isin(kind, (KIND_SEAT_MARKET, KIND_RURAL_MARKET)), stock * by_eye, stock)
    stock = np.round(np.maximum(stock, 0.0), 1)

    drift = np.cumsum(rng.normal(0.0, 0.004, (days, lines)), axis=0)
    price = np.round(area.base_price[None, :] * np.exp(drift) * storm.price[WARM_UP_DAYS:], 2)
    receipts = area.reports_received[area.line_store][None, :] & reported
    history = CityHistory(
        family=FAMILY,
        seed=seed,
        first_date=first_date,
        reported_days=reported_days,
        follow_up_days=FOLLOW_UP_DAYS,
        event_start=event_start,
        stores=area.stores[["code", "name", "district", "kind", "chain"]].copy(),
        lines=area.lines.copy(),
        stock=np.where(reported, stock, np.nan),
        sales=np.where(reported, np.round(sales, 2), np.nan),
        price=np.where(reported, price, np.nan),
        received=np.where(receipts, np.round(received, 2), np.nan),
        reported=reported,
        true_stock=true_stock,
        disrupted=(
            np.isin(area.line_township, storm.cut_townships)
            if event_start is not None
            else np.zeros(lines, dtype=bool)
        ),
    )
    history.check()
    return history


def generate(seed: int, *, emergency: bool = True) -> CityHistory:
    """One county's history for the bench (see the module docstring)."""
    return simulate(seed, emergency=emergency).history


def stockout_share(
    simulation: CountyRoutesSimulation, days: slice, lines: np.ndarray | None = None
) -> float:
    """Share of line-days in ``days`` whose true closing stock is ≤ 0."""
    out = simulation.history.true_stock[days] <= 0
    if lines is not None:
        out = out[:, lines]
    return float(out.mean()) if out.size else float("nan")


def summary(seed: int) -> pd.DataFrame:
    """Stock-out shares by store kind and category, ordinary weeks and the storm (README)."""
    stormy = simulate(seed)
    calm = simulate(seed, emergency=False)
    start = stormy.history.event_start or 0
    ordinary, event = slice(0, start), slice(start, stormy.history.reported_days)
    area = stormy.area
    rows = []
    groups: list[tuple[str, np.ndarray]] = [("all", np.ones(len(area.lines), dtype=bool))]
    groups += [(name, area.line_kind == kind) for kind, name in enumerate(KIND_NAMES)]
    groups += [(str(name), area.category == name) for name in sorted(set(area.category))]
    disrupted = stormy.history.disrupted
    groups += [("cut townships", disrupted), ("rest of the area", ~disrupted)]
    for name, chosen in groups:
        rows.append(
            {
                "lines": int(chosen.sum()),
                "group": name,
                "ordinary": stockout_share(stormy, ordinary, chosen),
                "storm": stockout_share(stormy, event, chosen),
                "same days, no storm": stockout_share(calm, event, chosen),
            }
        )
    return pd.DataFrame(rows).set_index("group")
