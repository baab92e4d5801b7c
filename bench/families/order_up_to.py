"""Scenario family ``order_up_to``: a Chinese city's modern retail in an epidemic lockdown.

Written from a description of the real supply chain (README.md here), not from the
monitor: hypermarkets, neighbourhood supermarkets, convenience stores and farmers'
markets sell with negative-binomial demand and a weekday pattern, and replenish every
line by periodic review up to an order-up-to level (R, S) with random 1-3 day lead times
and partial fills; fresh goods shrink and are thrown away past their life. From
``event_start`` a lockdown brings panic buying, late and short deliveries everywhere and
one or two districts cut off. Stores miss reports now and then, farmers' markets estimate
their stock and only some stores report receipts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from bench.families._order_up_to_city import (
    DRY,
    LEAD_TIME_PROBABILITIES,
    STORE_KINDS,
    City,
    build_city,
)
from bench.families.model import CityHistory

FAMILY = "order_up_to"
WARM_UP_DAYS = 28
"""Ordinary days reported before the lockdown: four weeks of history."""
FOLLOW_UP_DAYS = 7
BURN_IN_DAYS = 35
"""Days simulated before day 0 and dropped, so stock and forecasts start settled."""
AGE_BUCKETS = 32
"""Stock is kept by days since arrival up to this age (longer-lived goods share the last)."""
LONGEST_LEAD = 8
LEAD_LEARNING = 0.3
"""How fast a store's planned lead time follows the lead times it observes."""
ERROR_LEARNING = 0.1
"""How fast a store's estimate of its forecast error variance follows the errors."""

ORDINARY_FULL_SHARE = 0.6
"""Share of ordinary orders delivered in full; the rest fill 80-100 % (mean fill ~96 %)."""
EMERGENCY_FILL = (0.70, 0.90)
CUT_FILL = (0.20, 0.50)
PANIC = (1.7, 3.0)
PANIC_DECAY = 0.55
"""Daily factor on the panic surplus: 1 + (m - 1) * 0.55 ** day, faded after about 4 days."""
FRESH_UPLIFT = 1.12
PANTRY_DIP = 0.85
PANTRY_DIP_DAYS = (5, 12)
"""Lockdown days on which hoarded grain and oil sell less (households eat their stock)."""
RECOVERY_AFTER = (6, 9)
"""A recovering cut district is back to the city's emergency supply after 6-8 days."""
MISSED_AGAIN = 0.35
"""Chance a store that missed yesterday's report misses today's too."""

ORDINARY, EMERGENCY, CUT = 0, 1, 2


@dataclass(frozen=True)
class Lockdown:
    """Per-line parameters of the emergency, drawn for every seed (used only with one)."""

    start: int
    panic: np.ndarray
    fresh: np.ndarray
    hoardable: np.ndarray
    cut: np.ndarray
    recovery_day: np.ndarray
    """Day a cut line's district is back to the city's emergency supply (a large number
    when it does not recover)."""
    cut_fill: np.ndarray
    price_peak: np.ndarray


@dataclass(frozen=True)
class OrderUpToSimulation:
    """The history handed to the bench plus the physical flows behind it, day by line."""

    history: CityHistory
    opening_stock: np.ndarray
    """True stock at the end of the day before day 0 (shape (lines,))."""
    true_received: np.ndarray
    true_sales: np.ndarray
    spoilage: np.ndarray
    demand: np.ndarray
    cut_districts: tuple[str, ...]
    recovering_districts: tuple[str, ...]


@dataclass(frozen=True)
class _Truth:
    """Physical flows of every simulated step, burn-in included."""

    stock: np.ndarray
    received: np.ndarray
    sales: np.ndarray
    spoilage: np.ndarray
    demand: np.ndarray


def generate(seed: int, *, emergency: bool = True) -> CityHistory:
    """The city for ``seed`` as the bench replays it; deterministic for a seed."""
    return simulate(seed, emergency=emergency).history


def simulate(seed: int, *, emergency: bool = True) -> OrderUpToSimulation:
    """The city for ``seed`` with the true flows kept, so tests can check the physics."""
    city_stream, event_stream, demand_stream, supply_stream, report_stream = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(5)
    )
    city = build_city(rng=city_stream)
    emergency_days = int(city_stream.integers(14, 22))
    first_date = date(2022, 3, 1) + timedelta(days=int(city_stream.integers(0, 45)))
    reported_days = WARM_UP_DAYS + emergency_days
    simulated_days = reported_days + FOLLOW_UP_DAYS
    lockdown = _draw_lockdown(rng=event_stream, city=city, start=WARM_UP_DAYS)
    truth = _replenish(
        city=city,
        lockdown=lockdown if emergency else None,
        first_weekday=(first_date - timedelta(days=BURN_IN_DAYS)).weekday(),
        steps=BURN_IN_DAYS + simulated_days,
        demand_rng=demand_stream,
        supply_rng=supply_stream,
    )
    kept = slice(BURN_IN_DAYS, None)
    true_stock = truth.stock[kept]
    reported = _reported_mask(
        city=city,
        rng=report_stream,
        days=simulated_days,
        event_start=WARM_UP_DAYS if emergency else None,
    )
    stock = _counted_stock(city=city, rng=report_stream, true_stock=true_stock)
    price = _prices(
        city=city, rng=report_stream, lockdown=lockdown if emergency else None, days=simulated_days
    )
    reports_received = report_stream.random(len(city.stores)) < np.array(
        [STORE_KINDS[kind].reports_received_share for kind in city.stores["store_kind"]]
    )
    received_shown = np.where(reports_received[city.store_of_line], truth.received[kept], np.nan)
    stores = city.stores[["code", "name", "district", "kind", "chain"]].copy()
    history = CityHistory(
        family=FAMILY,
        seed=seed,
        first_date=first_date,
        reported_days=reported_days,
        follow_up_days=FOLLOW_UP_DAYS,
        event_start=WARM_UP_DAYS if emergency else None,
        stores=stores,
        lines=city.lines.copy(),
        stock=np.where(reported, stock, np.nan),
        sales=np.where(reported, truth.sales[kept], np.nan),
        price=np.where(reported, price, np.nan),
        received=np.where(reported, received_shown, np.nan),
        reported=reported,
        true_stock=true_stock,
        disrupted=lockdown.cut.copy() if emergency else np.zeros(len(city.lines), dtype=bool),
    )
    history.check()
    return OrderUpToSimulation(
        history=history,
        opening_stock=truth.stock[BURN_IN_DAYS - 1].copy(),
        true_received=truth.received[kept],
        true_sales=truth.sales[kept],
        spoilage=truth.spoilage[kept],
        demand=truth.demand[kept],
        cut_districts=city.cut_districts,
        recovering_districts=city.recovering_districts,
    )


def _draw_lockdown(*, rng: np.random.Generator, city: City, start: int) -> Lockdown:
    """Panic per store and category, which lines are cut off, how badly and for how long."""
    store_count = len(city.stores)
    categories = sorted(set(city.category))
    category_index = np.searchsorted(categories, city.category)
    panic = rng.uniform(*PANIC, size=(store_count, len(categories)))
    district = city.stores["district"].to_numpy()[city.store_of_line]
    cut = np.isin(district, city.cut_districts)
    recovering = np.isin(district, city.recovering_districts)
    district_fill = {code: rng.uniform(*CUT_FILL) for code in city.cut_districts}
    recovery = start + int(rng.integers(*RECOVERY_AFTER))
    fresh = np.isin(city.category, ["vegetables", "fruit", "meat", "eggs"])
    peak = np.select(
        [np.isin(city.category, ["vegetables", "fruit"]), np.isin(city.category, ["meat", "eggs"])],
        [rng.uniform(1.15, 1.35, size=len(cut)), rng.uniform(1.05, 1.15, size=len(cut))],
        default=rng.uniform(1.0, 1.03, size=len(cut)),
    )
    return Lockdown(
        start=start,
        panic=panic[city.store_of_line, category_index],
        fresh=fresh,
        hoardable=np.isin(city.category, ["grain", "edible_oil"]) & (city.review_period == 7),
        cut=cut,
        recovery_day=np.where(recovering, recovery, np.iinfo(np.int32).max),
        cut_fill=np.array([district_fill.get(code, 1.0) for code in district]),
        price_peak=np.where(cut & fresh, peak + 0.15, peak),
    )


def _demand_multiplier(*, lockdown: Lockdown | None, day: int) -> np.ndarray | float:
    """The lockdown's effect on demand on ``day``: a panic wave, then fresh food stays higher."""
    if lockdown is None or day < lockdown.start:
        return 1.0
    since = day - lockdown.start
    panic = 1.0 + (lockdown.panic - 1.0) * PANIC_DECAY**since
    lasting = np.where(lockdown.fresh, FRESH_UPLIFT, 1.0)
    multiplier = np.maximum(panic, lasting)
    if PANTRY_DIP_DAYS[0] <= since < PANTRY_DIP_DAYS[1]:
        multiplier = np.where(lockdown.hoardable, multiplier * PANTRY_DIP, multiplier)
    return multiplier


def _supply_regime(*, lockdown: Lockdown | None, day: int, count: int) -> np.ndarray:
    """Per line, how an order placed at the end of ``day`` is supplied (ORDINARY, ...).

    Orders placed before the lockdown's first evening were already on their trucks and
    arrive as planned; later ones meet the blocked roads and the suppliers' shortfalls.
    """
    if lockdown is None or day < lockdown.start:
        return np.full(count, ORDINARY)
    still_cut = lockdown.cut & (day < lockdown.recovery_day)
    return np.where(still_cut, CUT, EMERGENCY)


def _window_sums(weekday_factors: np.ndarray) -> np.ndarray:
    """(stores, 7, 15): sum of weekday factors over the n days after a weekday, n < 15."""
    tiled = np.tile(weekday_factors, 4)
    cumulative = np.concatenate(
        [np.zeros((len(weekday_factors), 1)), np.cumsum(tiled, axis=1)], axis=1
    )
    starts = np.arange(7)[:, None] + 1
    lengths = np.arange(15)[None, :]
    return cumulative[:, starts + lengths] - cumulative[:, starts]


def _replenish(
    *,
    city: City,
    lockdown: Lockdown | None,
    first_weekday: int,
    steps: int,
    demand_rng: np.random.Generator,
    supply_rng: np.random.Generator,
) -> _Truth:
    """Run every line day by day: deliveries, sales, spoilage, count, review and order.

    Vectorised over lines; one loop over days, because each day's order depends on the
    stock the day before left.
    """
    count = len(city.lines)
    lines = np.arange(count)
    store = city.store_of_line
    ages = np.arange(AGE_BUCKETS)[None, :]
    expires = (city.store_life <= AGE_BUCKETS - 1)[:, None] & (ages >= city.store_life[:, None] - 1)
    probabilities = LEAD_TIME_PROBABILITIES[city.lead_class]
    lead_cumulative = np.cumsum(probabilities, axis=1)
    lead_mean = probabilities @ np.array([1.0, 2.0, 3.0])
    lead_variance = probabilities @ np.array([1.0, 4.0, 9.0]) - lead_mean**2
    windows = _window_sums(city.weekday_factors)
    weekday_of_line = city.weekday_factors[store]

    level = city.base_demand.copy()
    error_variance = city.base_demand + city.base_demand**2 / city.dispersion
    lead_estimate = lead_mean.copy()
    cohorts = np.zeros((count, AGE_BUCKETS), dtype=np.int64)
    cohorts[:, 0] = np.ceil(city.display_stock + level * city.review_period).astype(np.int64)
    on_order = np.zeros(count)
    horizon = steps + LONGEST_LEAD + 1
    arriving = np.zeros((horizon, count), dtype=np.int64)
    ordered_due = np.zeros((horizon, count), dtype=np.int64)
    lead_sum = np.zeros((horizon, count))
    lead_count = np.zeros((horizon, count))
    drift = np.zeros(count)
    records = {name: np.zeros((steps, count)) for name in _Truth.__dataclass_fields__}

    for step in range(steps):
        day = step - BURN_IN_DAYS
        weekday = (first_weekday + step) % 7
        # Morning: deliveries are put away and the expected quantities leave the pipeline.
        received = arriving[step]
        cohorts[:, 0] += received
        on_order -= ordered_due[step]
        arrived = lead_count[step] > 0
        observed_lead = lead_sum[step, arrived] / lead_count[step, arrived]
        lead_estimate[arrived] += LEAD_LEARNING * (observed_lead - lead_estimate[arrived])
        available = cohorts.sum(axis=1)

        # Day: customers buy what there is; the rest of the demand is lost.
        drift = 0.95 * drift + demand_rng.normal(0.0, 0.02, size=count)
        store_day = np.exp(demand_rng.normal(0.0, 0.08, size=len(city.stores)))
        city_day = np.exp(demand_rng.normal(0.0, 0.04))
        mean = (
            city.base_demand
            * np.exp(drift)
            * weekday_of_line[:, weekday]
            * store_day[store]
            * city_day
            * _demand_multiplier(lockdown=lockdown, day=day)
        )
        demand = demand_rng.negative_binomial(
            city.dispersion, city.dispersion / (city.dispersion + mean)
        )
        sales = np.minimum(demand, available)
        oldest_first = cohorts[:, ::-1]
        before = np.cumsum(oldest_first, axis=1) - oldest_first
        taken = np.clip(sales[:, None] - before, 0, oldest_first)
        cohorts = (oldest_first - taken)[:, ::-1]

        # Evening: wilted goods are culled, goods past their life thrown away, stock counted.
        shrunk = supply_rng.binomial(cohorts, city.shrink_rate[:, None])
        cohorts = cohorts - shrunk
        expired = np.where(expires, cohorts, 0)
        cohorts = cohorts - expired
        stock = cohorts.sum(axis=1)

        # Forecast: exponential smoothing of deseasonalised sales. A store system knows a
        # sold-out day only bounds demand from below, so it learns from it only upwards.
        error = sales / weekday_of_line[:, weekday] - level
        ignored = city.knows_stockouts & (sales >= available) & (error < 0)
        level = np.maximum(level + np.where(ignored, 0.0, city.smoothing) * error, 0.05)
        error_variance = np.where(
            ignored, error_variance, error_variance + ERROR_LEARNING * (error**2 - error_variance)
        )

        # Review: lines due today order up to S = forecast over R + L - 1 days + safety stock.
        planned_lead = np.clip(np.ceil(lead_estimate - 0.25), 1, LONGEST_LEAD - 2).astype(int)
        protection = np.minimum(city.review_period + planned_lead - 1, 14)
        forecast = level * windows[store, weekday, protection]
        safety = city.safety_factor * np.sqrt(
            protection * error_variance + level**2 * lead_variance
        )
        target = forecast + safety + city.display_stock
        due = (step - city.review_offset) % city.review_period == 0
        quantity = np.where(due, np.maximum(0, np.ceil(target - stock - on_order)), 0).astype(
            np.int64
        )
        lead, fill = _delivery_terms(
            rng=supply_rng,
            regime=_supply_regime(lockdown=lockdown, day=day, count=count),
            lead_cumulative=lead_cumulative,
            cut_fill=lockdown.cut_fill if lockdown is not None else np.ones(count),
        )
        placed = quantity > 0
        arrival = step + lead[placed]
        arriving[arrival, lines[placed]] += np.floor(quantity[placed] * fill[placed]).astype(
            np.int64
        )
        ordered_due[arrival, lines[placed]] += quantity[placed]
        lead_sum[arrival, lines[placed]] += lead[placed]
        lead_count[arrival, lines[placed]] += 1
        on_order += quantity

        records["stock"][step] = stock
        records["received"][step] = received
        records["sales"][step] = sales
        records["spoilage"][step] = shrunk.sum(axis=1) + expired.sum(axis=1)
        records["demand"][step] = demand
        aged = np.zeros_like(cohorts)
        aged[:, 1:] = cohorts[:, :-1]
        aged[:, -1] += cohorts[:, -1]
        cohorts = aged
    return _Truth(**records)


def _delivery_terms(
    *,
    rng: np.random.Generator,
    regime: np.ndarray,
    lead_cumulative: np.ndarray,
    cut_fill: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Lead time (days) and filled share of each line's order placed today.

    Draws the same random numbers whatever the regime, so an ordinary and an emergency
    run of one seed stay on the same stream until the event.
    """
    count = len(regime)
    lead_draw, full_draw, fill_draw, extra_draw = rng.random((4, count))
    noise = rng.normal(0.0, 0.08, size=count)
    lead = 1 + (lead_draw[:, None] > lead_cumulative[:, :2]).sum(axis=1)
    lead = lead + np.select([regime == EMERGENCY, regime == CUT], [1, 2 + (extra_draw < 0.5)], 0)
    ordinary_fill = np.where(full_draw < ORDINARY_FULL_SHARE, 1.0, 0.8 + 0.2 * fill_draw)
    emergency_fill = EMERGENCY_FILL[0] + (EMERGENCY_FILL[1] - EMERGENCY_FILL[0]) * fill_draw
    cut = np.clip(cut_fill + noise, 0.0, 1.0)
    fill = np.select([regime == EMERGENCY, regime == CUT], [emergency_fill, cut], ordinary_fill)
    return lead, fill


def _reported_mask(
    *, city: City, rng: np.random.Generator, days: int, event_start: int | None
) -> np.ndarray:
    """Which line-days were reported: a store skips a day now and then, more in the lockdown."""
    base = np.array([STORE_KINDS[kind].miss_probability for kind in city.stores["store_kind"]])
    missed = np.zeros((days, len(city.stores)), dtype=bool)
    for day in range(days):
        draw = rng.random(len(city.stores))
        chance = base * (2.0 if event_start is not None and day >= event_start else 1.0)
        if day > 0:
            chance = np.where(missed[day - 1], MISSED_AGAIN, chance)
        missed[day] = draw < chance
    return ~missed[:, city.store_of_line]


def _counted_stock(*, city: City, rng: np.random.Generator, true_stock: np.ndarray) -> np.ndarray:
    """Stock as reported: markets estimate by eye, convenience counts slip by a unit at times."""
    kinds = city.stores["store_kind"].to_numpy()[city.store_of_line]
    estimate = np.round(true_stock * rng.lognormal(0.0, 0.08, size=true_stock.shape))
    slip = rng.choice([-1, 0, 1], size=true_stock.shape, p=[0.015, 0.97, 0.015])
    counted = np.where(
        kinds == "farmers_market",
        estimate,
        np.where(kinds == "convenience", np.maximum(true_stock + slip, 0), true_stock),
    )
    return counted


def _prices(
    *, city: City, rng: np.random.Generator, lockdown: Lockdown | None, days: int
) -> np.ndarray:
    """Daily retail prices: a small random walk, rising in the lockdown (fresh goods most)."""
    steps = rng.normal(0.0, 0.01, size=(days, len(city.lines)))
    wander = np.zeros_like(steps)
    for day in range(1, days):
        wander[day] = 0.9 * wander[day - 1] + steps[day]
    rise = np.ones_like(steps)
    if lockdown is not None:
        since = np.arange(days)[:, None] - lockdown.start
        ramp = np.clip((since + 1) / 3.0, 0.0, 1.0)
        rise = 1.0 + (lockdown.price_peak[None, :] - 1.0) * ramp
    grain = city.replenishment_class == DRY
    wander = np.where(grain, wander * 0.3, wander)
    return np.round(city.base_price * np.exp(wander) * rise, 2)
