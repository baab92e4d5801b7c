"""The driver shortage and the fuel rationing, as day-by-day multipliers on the city's supply.

Drawn from its own random stream so that the ordinary city (the neutral plan) and the
emergency city share every number before the event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.families._driver_shortage_city import (
    CHANNEL_CASH_CARRY,
    CHANNEL_DC,
    CHANNEL_DSD,
    CHANNEL_LOCAL,
    DISTRIBUTORS,
    KIND_MARKET,
    KIND_OTHER,
    KIND_SUPERMARKET,
    City,
)

DISRUPTED_SHARE = 0.6
"""A line is disrupted when its channel could bring under this share of its usual supply…"""
DISRUPTED_DAYS = 3
"""…on at least this many event days."""


@dataclass(frozen=True)
class EventPlan:
    """What the event does on each simulated day (index 0 = the first warm-up day)."""

    start: int | None
    build_days: int
    rationing: tuple[int, int]  # first day, day after the last
    panic: tuple[int, int]
    recovery: tuple[int, int]  # drivers start coming back, shortage over
    severity: np.ndarray  # (days, stores) 0..1: share of the shortage each store feels
    dsd_visit: np.ndarray  # (days, lines) the brand's truck stops (route day, stop not missed)
    truck_fill: np.ndarray  # (days, lines) share of the par gap the truck can fill
    dc_cap: np.ndarray  # (days, stores) DC deliveries as a share of ordinary daily volume
    dc_extra_lead: np.ndarray  # (days, stores) days added to orders placed that evening
    cc_extra_days: np.ndarray  # (days, stores) days added to the next cash-and-carry trip
    cc_availability: np.ndarray  # (days, lines) share of a cash-and-carry order on the shelf
    market_fill: np.ndarray  # (days, lines) local growers' and slaughterhouse's share
    demand: np.ndarray  # (days, lines) demand multiplier (panic, lasting lift)
    price: np.ndarray  # (days, lines) price multiplier
    report_skip: np.ndarray  # (days,) multiplier on the chance a store skips its report
    supply_share: np.ndarray  # (days, lines) share of usual supply the channel could bring

    def disrupted(self, first_day: int, last_day: int) -> np.ndarray:
        """Lines whose supply share fell below 60 % on 3+ days of ``first_day..last_day``."""
        window = self.supply_share[first_day : last_day + 1]
        return (window < DISRUPTED_SHARE).sum(axis=0) >= DISRUPTED_DAYS


def route_days(city: City, weekdays: np.ndarray) -> np.ndarray:
    """(days, lines): True on each DSD line's route weekdays."""
    return city.route_weekday[:, weekdays].T & (city.channel == CHANNEL_DSD)[None, :]


def neutral_plan(city: City, weekdays: np.ndarray) -> EventPlan:
    """Ordinary weeks: trucks on every route day, no caps, no panic."""
    days, n, stores = len(weekdays), city.line_count, len(city.stores)
    route = route_days(city, weekdays)
    return EventPlan(
        start=None,
        build_days=0,
        rationing=(days, days),
        panic=(days, days),
        recovery=(days, days),
        severity=np.zeros((days, stores)),
        dsd_visit=route,
        truck_fill=np.ones((days, n)),
        dc_cap=np.full((days, stores), np.inf),
        dc_extra_lead=np.zeros((days, stores), dtype=int),
        cc_extra_days=np.zeros((days, stores), dtype=int),
        cc_availability=np.ones((days, n)),
        market_fill=np.ones((days, n)),
        demand=np.ones((days, n)),
        price=np.ones((days, n)),
        report_skip=np.ones(days),
        supply_share=np.ones((days, n)),
    )


def _ramp(days: int, first: int, length: int) -> np.ndarray:
    """0 before ``first``, rising linearly to 1 after ``length`` days."""
    return np.clip((np.arange(days) - first + 1) / max(length, 1), 0.0, 1.0)


def draw_event(city: City, weekdays: np.ndarray, start: int, rng: np.random.Generator) -> EventPlan:
    """Draw the shortage, the rationing and the panic from ``start`` (an internal day)."""
    days, n, stores = len(weekdays), city.line_count, len(city.stores)
    remote = city.store_remoteness
    kind = city.store_kind
    build = int(rng.integers(3, 6))
    recovery_first = start + int(rng.integers(8, 15))
    recovery_days = int(rng.integers(6, 10))
    easing = 1.0 - _ramp(days, recovery_first, recovery_days)
    # Small stores lose their stops first, big ones from halfway through the build.
    small = _ramp(days, start, build) * easing
    big = _ramp(days, start + build // 2, build - build // 2) * easing
    severity = np.where(kind[None, :] == KIND_SUPERMARKET, big[:, None], small[:, None])
    severity = np.where(kind[None, :] == KIND_MARKET, 0.0, severity)
    # A stop is missed per store × distributor × day; at full shortage big stores' daily
    # routes drop to every other day outside the hub's reach.
    miss_base = np.where(kind == KIND_OTHER, 0.6, 0.3) * (0.5 + remote)
    missed = rng.random((days, stores, len(DISTRIBUTORS))) < np.minimum(
        severity[:, :, None] * miss_base[None, :, None], 0.9
    )
    alternate = (kind == KIND_SUPERMARKET) & ((remote > 0) | (rng.random(stores) < 0.25))
    parity = rng.integers(0, 2, stores)
    off_day = (np.arange(days)[:, None] + parity[None, :]) % 2 == 1
    skip_daily = (severity >= 0.999) & alternate[None, :] & off_day
    hub = 0.1 - 0.2 * remote  # the core's trucks reload at the nearby hub
    truck_low = rng.uniform(0.4, 0.8, (days, stores, len(DISTRIBUTORS))) + hub[None, :, None]
    truck = 1.0 - severity[:, :, None] * (1.0 - truck_low)
    dsd = city.channel == CHANNEL_DSD
    dist = np.where(dsd, city.distributor, 0)
    line_missed = missed[:, city.line_store, dist] & dsd[None, :]
    daily_route = city.route_weekday.all(axis=1) & dsd
    line_missed |= skip_daily[:, city.line_store] & daily_route[None, :]
    route = route_days(city, weekdays)
    dsd_visit = route & ~line_missed
    truck_fill = np.where(dsd[None, :], truck[:, city.line_store, dist], 1.0)
    # Fuel rationing: DC trucks run part-loaded and late; the hub shields the core.
    ration_first = start + build - 1 + int(rng.integers(0, 2))
    ration_last = ration_first + int(rng.integers(5, 11))
    rationed = (np.arange(days) >= ration_first) & (np.arange(days) < ration_last)
    restoring = np.clip((np.arange(days) - ration_last + 1) / 3.0, 0.0, 1.0)
    cap_low = np.clip(
        rng.uniform(0.5, 0.7, (days, stores)) + 0.15 * (1 - remote) - 0.05 * remote, 0.3, 0.9
    )
    after = np.arange(days) >= ration_last
    cap = np.where(rationed[:, None], cap_low, np.inf)
    tail = after & (restoring < 1.0)
    cap[tail] = (cap_low[tail].T * (1 - restoring[tail]) + restoring[tail]).T
    extra_lead = np.where(
        rationed[:, None],
        rng.integers(1, 3, (days, stores)) + (rng.random((days, stores)) < 0.5 * remote),
        0,
    )
    cc_days = rng.integers(1, 3, (days, stores)) + (rng.random((days, stores)) < remote)
    cc_extra = np.where(rationed[:, None] & (kind == KIND_OTHER)[None, :], cc_days, 0)
    cc_short = rationed | (small >= 0.5)
    availability = np.where(cc_short[:, None], rng.uniform(0.7, 0.95, (days, n)), 1.0)
    local = city.channel == CHANNEL_LOCAL
    market_fill = np.where(
        (np.arange(days) >= start)[:, None] & local[None, :], rng.uniform(0.9, 1.0, (days, n)), 1.0
    )
    # Panic at the pumps spills into the staples; a lasting lift after it.
    panic_first = ration_first
    panic_last = panic_first + int(rng.integers(2, 5))
    district_codes = city.stores["district"].to_numpy()
    lift = {code: rng.uniform(1.5, 2.5) for code in sorted(set(district_codes))}
    store_lift = np.array([lift[code] for code in district_codes])
    line_lift = np.clip(store_lift[city.line_store] * rng.lognormal(0.0, 0.1, n), 1.5, 2.5)
    demand = np.ones((days, n))
    panicking = (np.arange(days) >= panic_first) & (np.arange(days) < panic_last)
    demand[np.ix_(panicking, city.staple)] = line_lift[city.staple]
    demand[np.ix_(np.arange(days) >= panic_last, city.staple)] = 1.10
    rise = np.select(
        [dsd, np.isin(city.category, ("vegetables", "fruit", "meat"))], [0.10, 0.06], 0.02
    ) * rng.uniform(0.6, 1.4, n)
    price = 1.0 + _ramp(days, ration_first, 3)[:, None] * rise[None, :]
    share = np.ones((days, n))
    share_dsd = np.where(dsd_visit, truck_fill, 0.0)
    last = np.ones(n)
    for day in range(days):
        last = np.where(route[day], share_dsd[day], last)
        share[day] = np.where(dsd, last, 1.0)
    dc = city.channel == CHANNEL_DC
    share[:, dc] = np.minimum(cap[:, city.line_store[dc]], 1.0)
    cc = city.channel == CHANNEL_CASH_CARRY
    interval = np.maximum(city.cc_interval[city.line_store[cc]], 1)
    stretch = interval / (interval + cc_extra[:, city.line_store[cc]])
    share[:, cc] = availability[:, cc] * stretch
    share[:, local] = market_fill[:, local]
    share[:start] = 1.0
    return EventPlan(
        start=start,
        build_days=build,
        rationing=(ration_first, ration_last),
        panic=(panic_first, panic_last),
        recovery=(recovery_first, recovery_first + recovery_days),
        severity=severity,
        dsd_visit=dsd_visit,
        truck_fill=truck_fill,
        dc_cap=cap,
        dc_extra_lead=extra_lead,
        cc_extra_days=cc_extra,
        cc_availability=availability,
        market_fill=market_fill,
        demand=demand,
        price=price,
        report_skip=np.where(np.arange(days) >= start, 1.5, 1.0),
        supply_share=share,
    )
