"""The winter storm as a day-by-day plan: panic buying, closed roads, power cuts, recovery.

Drawn from its own random stream, so a city with and without the storm is the same city;
the neutral plan (no storm) leaves every factor at its ordinary value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.families._winter_storm_city import CONVENIENCE, PANIC_GROUPS, City

LIGHT, MODERATE, HARD = 0, 1, 2
"""How hard the storm hits a district."""
SEVERITY_NAMES = {LIGHT: "light", MODERATE: "moderate", HARD: "hard"}
STORE_DEMAND_IN_STORM = {LIGHT: (0.75, 0.95), MODERATE: (0.45, 0.7), HARD: (0.25, 0.5)}
"""Share of ordinary shoppers who still come while the roads are closed."""
VENDOR_RUNS_IN_STORM = {LIGHT: 0.8, MODERATE: 0.45, HARD: 0.15}
"""Chance a direct-store-delivery route truck still calls while the roads are closed."""
POWER_CUT_SHARE = {LIGHT: (0.0, 0.1), MODERATE: (0.15, 0.4), HARD: (0.55, 0.9)}
"""Share of a district's stores that lose power."""
POWER_CUT_DAYS = {LIGHT: (1, 2), MODERATE: (1, 3), HARD: (2, 5)}
"""Days a district's power cut lasts (low inclusive, high exclusive)."""
RECOVERY_DAYS = {LIGHT: (2, 4), MODERATE: (4, 7), HARD: (6, 10)}
"""Days after the roads reopen until supply is back to ordinary fills."""
FIRST_FILL = {LIGHT: (0.8, 0.95), MODERATE: (0.55, 0.75), HARD: (0.4, 0.6)}
"""Share of orders filled on the day the roads reopen (climbing to full over the recovery)."""


@dataclass(frozen=True)
class StormPlan:
    """Every way the storm changes a day, indexed by internal day (warm-up included)."""

    announced: int | None  # the forecast goes public (the history's event_start)
    landfall: int | None  # first day of closed roads
    severity: np.ndarray  # per district, LIGHT .. HARD
    reopen: np.ndarray  # per district: first day the roads are open again
    demand: np.ndarray  # (days, lines) demand multiplier
    roads_closed: np.ndarray  # (days, stores): no DC truck, the wholesaler cannot come
    powerless: np.ndarray  # (days, stores): the store is dark and shut
    chilled_lost: np.ndarray  # (days, stores): chilled stock written off that day
    frozen_lost: np.ndarray  # (days, stores): frozen stock written off that day
    vendor_runs: np.ndarray  # (days, stores): chance a vendor's route truck calls
    vendor_extra: np.ndarray  # (days, stores): vendors top shelves above the planogram
    fill: np.ndarray  # (days, stores): share of an order the supplier can fill at most
    wholesale_fill: np.ndarray  # (days, stores): further share the wholesaler fills
    load_cap: np.ndarray  # (days, stores): DC load at most this × the ordinary load
    recovery_truck: np.ndarray  # (days, stores): an extra DC truck on the reopening day
    wholesale_delay: np.ndarray  # (days, stores): extra days on wholesaler orders placed then
    report_skip: np.ndarray  # (days, stores): factor on the chance of a missed report
    dark_skip: np.ndarray  # (days, stores): chance a dark store posts nothing

    def disrupted(self, city: City) -> np.ndarray:
        """Per line: its district's roads were shut long enough to skip DC deliveries
        (moderate and hard districts)."""
        return (self.severity >= MODERATE)[city.store_district[city.line_store]]


def neutral_plan(city: City, days: int) -> StormPlan:
    """Ordinary weeks throughout."""
    stores, lines, districts = len(city.stores), city.line_count, len(city.districts)
    return StormPlan(
        announced=None,
        landfall=None,
        severity=np.zeros(districts, dtype=int),
        reopen=np.zeros(districts, dtype=int),
        demand=np.ones((days, lines)),
        roads_closed=np.zeros((days, stores), dtype=bool),
        powerless=np.zeros((days, stores), dtype=bool),
        chilled_lost=np.zeros((days, stores), dtype=bool),
        frozen_lost=np.zeros((days, stores), dtype=bool),
        vendor_runs=np.ones((days, stores)),
        vendor_extra=np.ones((days, stores)),
        fill=np.ones((days, stores)),
        wholesale_fill=np.ones((days, stores)),
        load_cap=np.full((days, stores), np.inf),
        recovery_truck=np.zeros((days, stores), dtype=bool),
        wholesale_delay=np.zeros((days, stores), dtype=int),
        report_skip=np.ones((days, stores)),
        dark_skip=np.zeros((days, stores)),
    )


def _severities(city: City, rng: np.random.Generator) -> np.ndarray:
    """Two or three districts hit hard (rural ones likelier: their roads are ploughed last
    and their power lines run through trees), two to four barely, the rest in between."""
    count = len(city.districts)
    hard_count, light_count = int(rng.integers(2, 4)), int(rng.integers(2, 5))
    weight = np.where(city.rural, 2.5, 1.0)
    hard = rng.choice(count, size=hard_count, replace=False, p=weight / weight.sum())
    rest = np.setdiff1d(np.arange(count), hard)
    light_weight = np.where(city.rural[rest], 1.0, 2.5)
    light = rng.choice(rest, size=light_count, replace=False, p=light_weight / light_weight.sum())
    severity = np.full(count, MODERATE)
    severity[hard], severity[light] = HARD, LIGHT
    return severity


def draw_storm(city: City, days: int, announced: int, rng: np.random.Generator) -> StormPlan:
    """The storm for one seed: announced on ``announced``, landfall two or three days later."""
    plan = neutral_plan(city, days)
    lead = int(rng.integers(2, 4))
    landfall = announced + lead
    city_closure = int(rng.integers(2, 6))
    severity = _severities(city, rng)
    closure = np.where(
        severity == HARD,
        city_closure + rng.integers(1, 3, len(severity)),
        np.where(severity == MODERATE, city_closure, np.maximum(city_closure - 3, 0)),
    )
    closure = np.where(severity == LIGHT, np.minimum(closure, 1), closure)
    reopen = landfall + closure
    store_district = city.store_district
    store_severity = severity[store_district]
    stores = len(city.stores)
    line_district = store_district[city.line_store]
    line_severity = severity[line_district]

    # Panic buying: each group of storm goods surges on the last two days before landfall
    # (× 2-4, by group, ± by district and line); on a three-day warning the first day sees
    # a milder early rush, and the announcement day itself a little.
    demand = plan.demand
    group_peak = rng.uniform(2.0, 4.0, len(PANIC_GROUPS))
    district_spread = rng.uniform(0.85, 1.15, len(severity))
    line_noise = rng.lognormal(0.0, 0.1, city.line_count)
    storm_goods = city.panic_group >= 0
    peak = np.where(storm_goods, group_peak[np.maximum(city.panic_group, 0)], 1.1)
    surge = (peak - 1.0) * district_spread[line_district] * line_noise
    for offset, share in ((2, 0.7), (1, 1.0)):
        demand[landfall - offset] = 1.0 + surge * share
    if lead == 3:
        demand[announced] = 1.0 + surge * 0.3
    # Closed roads: few shoppers, convenience stores around the corner a bit more; then a
    # rebound as households restock fridges and pantries after the power comes back.
    low_high = np.array([STORE_DEMAND_IN_STORM[int(level)] for level in line_severity])
    storm_share = rng.uniform(low_high[:, 0], low_high[:, 1])
    storm_share = np.where(
        city.line_type == CONVENIENCE, np.minimum(storm_share * 1.3, 1.0), storm_share
    )
    fresh = city.shelf_life <= 30
    rebound = np.where(fresh | storm_goods, rng.uniform(1.2, 1.5, city.line_count), 1.05)
    for line_reopen in np.unique(reopen):
        lines = reopen[line_district] == line_reopen
        for day in range(landfall, line_reopen):
            demand[day, lines] = storm_share[lines]
        for step, fade in enumerate((1.0, 0.6, 0.3)):
            day = line_reopen + step
            if day < days:
                demand[day, lines] = 1.0 + (rebound[lines] - 1.0) * fade
    # Pantries are full after the panic: storm goods sell less for a week after reopening.
    for day in range(days):
        after = day - reopen[line_district]
        quiet = storm_goods & (after >= 3) & (after < 10)
        demand[day, quiet] *= 0.85

    roads_closed = plan.roads_closed
    for store in range(stores):
        roads_closed[landfall : reopen[store_district[store]], store] = True
    # Power cuts from landfall or the day after, per store within its district's cut.
    power_low_high = np.array([POWER_CUT_SHARE[int(level)] for level in severity])
    cut_share = rng.uniform(power_low_high[:, 0], power_low_high[:, 1])
    cut_days = np.array([int(rng.integers(*POWER_CUT_DAYS[int(level)])) for level in severity])
    cut_start = landfall + rng.integers(0, 2, len(severity))
    loses_power = rng.random(stores) < cut_share[store_district]
    store_days = np.maximum(cut_days[store_district] + rng.integers(-1, 2, stores), 1)
    for dark_store in np.flatnonzero(loses_power):
        first = int(cut_start[store_district[dark_store]])
        plan.powerless[first : first + int(store_days[dark_store]), dark_store] = True
        plan.chilled_lost[first, dark_store] = True
        if store_days[dark_store] >= 2:
            plan.frozen_lost[first + 1, dark_store] = True
    # Vendors: extra bread and milk on the warning days, few route trucks in the storm,
    # then the recovery's fills below (plants and depots short of product).
    for day in range(announced, landfall):
        plan.vendor_extra[day] = 1.5
    vendor_chance = np.array([VENDOR_RUNS_IN_STORM[int(level)] for level in store_severity])
    vendor_runs = np.where(roads_closed, vendor_chance[None, :], plan.vendor_runs)
    # Recovery: once roads and power are back the DC runs an extra truck, loads are capped
    # at 1.5× ordinary, every supplier's fills climb to full over the district's recovery
    # days; wholesalers (cleaned out by the panic) also fill 60-95 % from the warning to
    # the reopening, and add up to two days to their lead times until the recovery ends.
    recovery_low_high = np.array([RECOVERY_DAYS[int(level)] for level in severity])
    recovery = rng.integers(recovery_low_high[:, 0], recovery_low_high[:, 1])
    fill_low_high = np.array([FIRST_FILL[int(level)] for level in severity])
    first_fill = rng.uniform(fill_low_high[:, 0], fill_low_high[:, 1])
    for store in range(stores):
        district = store_district[store]
        start = int(reopen[district])
        dark_days = np.flatnonzero(plan.powerless[:, store])
        back = max(start, int(dark_days.max()) + 1) if dark_days.size else start
        plan.recovery_truck[min(back, days - 1), store] = True
        span = int(recovery[district])
        for step in range(span):
            day = start + step
            if day >= days:
                break
            plan.fill[day, store] = first_fill[district] + (1 - first_fill[district]) * step / span
            plan.load_cap[day, store] = 1.5
        wholesale_end = min(start + span, days)
        plan.wholesale_fill[announced:start, store] = rng.uniform(0.6, 0.95)
        plan.wholesale_delay[announced:wholesale_end, store] = rng.integers(
            0, 3, wholesale_end - announced
        )
    plan.report_skip[announced:] = 1.3
    plan.report_skip[roads_closed] = 2.0
    plan.dark_skip[plan.powerless] = 0.85
    return StormPlan(
        announced=announced,
        landfall=landfall,
        severity=severity,
        reopen=reopen,
        demand=demand,
        roads_closed=roads_closed,
        powerless=plan.powerless,
        chilled_lost=plan.chilled_lost,
        frozen_lost=plan.frozen_lost,
        vendor_runs=vendor_runs,
        vendor_extra=plan.vendor_extra,
        fill=plan.fill,
        wholesale_fill=plan.wholesale_fill,
        load_cap=plan.load_cap,
        recovery_truck=plan.recovery_truck,
        wholesale_delay=plan.wholesale_delay,
        report_skip=plan.report_skip,
        dark_skip=plan.dark_skip,
    )
