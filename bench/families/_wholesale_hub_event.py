"""The wholesale-hub emergency: the market closes, one chain's DC shuts, districts lock down.

Drawn from its own random stream so that a city with and without the event is the same
city living the same ordinary days (see README.md, section ``wholesale_hub``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.families._wholesale_hub_city import (
    CHAINS,
    CHANNEL_DC,
    CHANNEL_NIGHT_MARKET,
    CHANNEL_TRIP_MARKET,
    MARKET_CHANNELS,
    City,
)


@dataclass(frozen=True)
class Event:
    """What the emergency does to every line on every simulated day (arrays (days, lines)
    unless said otherwise); all ones and False for an ordinary city."""

    start: int | None
    """First emergency day (simulated-day index), None for an ordinary city."""
    market_closed: np.ndarray
    """(days,) True on days no purchase at the wholesale market reaches a store."""
    market_availability: np.ndarray
    """(days,) Share of the usual market purchases substitute markets supply."""
    dc_chain: int
    """Chain (index in CHAINS) whose distribution centre shuts; -1 for none."""
    dc_closed: np.ndarray
    """(days,) True on days the chain's DC delivers nothing but a trickle."""
    lockdown: np.ndarray
    """(districts,) True for districts put under residential lockdown."""
    lockdown_start: int | None
    supply: np.ndarray
    """Share of a line's usual deliveries that can still reach it (1: unconstrained); a
    constrained line receives at most that share of its usual daily flow, saved up over
    at most three days, whatever it ordered."""
    slow_market: np.ndarray
    """(days,) True when night purchases come from farther substitute markets (1-2 days)."""
    demand: np.ndarray
    """Multiplier of ordinary demand."""
    price: np.ndarray
    """Multiplier of the ordinary retail price."""
    disrupted: np.ndarray
    """(lines,) True when the line's supply is cut in the event."""
    panic_days: int
    panic_peak: float


def ordinary(city: City, days: int) -> Event:
    """An event that never happens: ordinary weeks only."""
    lines = len(city.lines)
    return Event(
        start=None,
        market_closed=np.zeros(days, dtype=bool),
        market_availability=np.ones(days),
        dc_chain=-1,
        dc_closed=np.zeros(days, dtype=bool),
        lockdown=np.zeros(len(city.district_codes), dtype=bool),
        lockdown_start=None,
        supply=np.ones((days, lines)),
        slow_market=np.zeros(days, dtype=bool),
        demand=np.ones((days, lines)),
        price=np.ones((days, lines)),
        disrupted=np.zeros(lines, dtype=bool),
        panic_days=0,
        panic_peak=1.0,
    )


def _ramp(days: int, start: int, length: int) -> np.ndarray:
    """0 before ``start``, rising linearly to 1 over ``length`` days, then 1."""
    return np.clip((np.arange(days) - start + 1) / length, 0.0, 1.0)


def draw_event(rng: np.random.Generator, city: City, days: int, start: int) -> Event:
    """Draw the market closure, the DC outage, the panic and the lockdowns from ``start``."""
    lines = len(city.lines)
    day = np.arange(days)

    # The wholesale market: shut after the night's trading that stocked day `start`.
    closure = int(rng.integers(4, 13))
    first_cut, reopen = start + 1, start + 1 + closure
    market_closed = (day >= first_cut) & (day < reopen)
    low, high = rng.uniform(0.15, 0.3), rng.uniform(0.45, 0.7)
    availability = np.ones(days)
    availability[market_closed] = np.linspace(low, high, closure)[: market_closed.sum()]
    recovery = int(rng.integers(4, 8))
    after = (day >= reopen) & (day < reopen + recovery)
    availability[after] = high + (1 - high) * (day[after] - reopen + 1) / (recovery + 1)
    slow_market = market_closed.copy()

    # One chain's distribution centre: a case among its staff shuts it 5-10 days.
    dc_chain = int(rng.integers(len(CHAINS)))
    dc_from = start + int(rng.integers(0, 3))
    dc_days = int(rng.integers(5, 11))
    dc_closed = (day >= dc_from) & (day < dc_from + dc_days)
    trickle = rng.uniform(0.0, 0.15)
    dc_supply = np.ones(days)
    dc_supply[dc_closed] = trickle
    for offset, share in enumerate((0.6, 0.85)):
        if dc_from + dc_days + offset < days:
            dc_supply[dc_from + dc_days + offset] = share

    # Residential lockdown in two or three districts, from 0-3 days into the event.
    district_count = len(city.district_codes)
    lockdown = np.zeros(district_count, dtype=bool)
    lockdown[rng.choice(district_count, size=int(rng.integers(1, 4)), replace=False)] = True
    lockdown_start = start + int(rng.integers(0, 4))
    level = rng.uniform(0.3, 0.6, district_count)
    in_lockdown = lockdown[city.store_district][None, :] & (day >= lockdown_start)[:, None]
    store_days = (days, len(city.stores))
    # Designated suppliers with passes take over: 7-14 days in, deliveries cover the
    # lockdown's extra demand (1.3 times the usual flow).
    relief = _ramp(days, lockdown_start + 7, 7)[:, None]
    store_level = level[city.store_district][None, :]
    store_level = store_level + (1.3 - store_level) * relief
    irregular = np.where(
        rng.random(store_days) < 0.25,
        0.0,
        np.minimum(1.3, store_level * np.exp(rng.normal(0, 0.25, store_days))),
    )
    store_supply = np.where(in_lockdown, irregular, 1.0)

    supply = store_supply[:, city.line_store].copy()
    market_line = np.isin(city.channel, MARKET_CHANNELS)
    dependence = city.market_dependence[city.line_store]
    market_share = 1 - dependence[None, :] * (1 - availability[:, None])
    supply[:, market_line] *= market_share[:, market_line]
    dc_fresh = (city.channel == CHANNEL_DC) & city.fresh
    supply[:, dc_fresh] *= market_share[:, dc_fresh]
    supply[:, city.line_chain == dc_chain] *= dc_supply[:, None]

    # Panic on staples and fresh goods, then hoarded staples rest; lockdown eats at home.
    panic_days = int(rng.integers(2, 5))
    panic_peak = float(rng.uniform(1.5, 2.5))
    district_peak = np.clip(panic_peak + rng.normal(0, 0.15, district_count), 1.3, 2.7)
    surplus = np.zeros((days, lines))
    for offset in range(panic_days):
        surplus[start + offset] = (district_peak[city.line_district] - 1) * (
            1 - 0.5 * offset / panic_days
        )
    reach = np.where(city.staple, 1.0, np.where(city.fresh, 0.6, 0.15))
    demand = 1 + surplus * reach[None, :]
    rest = (day >= start + panic_days) & (day < start + panic_days + 3)
    demand[np.ix_(rest, city.staple)] *= 0.9
    home = rng.uniform(0.1, 0.2, district_count)
    at_home = lockdown[city.line_district] * home[city.line_district]
    demand *= 1 + _ramp(days, lockdown_start, 2)[:, None] * at_home[None, :]

    # Prices: fresh goods dearer while the market is shut, more under lockdown.
    produce = np.isin(city.category, ["vegetables", "fruit"])
    meat_eggs = np.isin(city.category, ["meat", "eggs"])
    rise = np.select(
        [produce, meat_eggs],
        [rng.uniform(0.1, 0.3, lines), rng.uniform(0.05, 0.1, lines)],
        rng.uniform(0.0, 0.03, lines),
    )
    rise += np.where(lockdown[city.line_district] & city.fresh, 0.1, 0.0)
    shape = _ramp(days, start, 3)
    fading = day >= reopen + 3
    shape[fading] = np.maximum(0.3, 1 - (day[fading] - reopen - 2) / 8)
    price = 1 + shape[:, None] * rise[None, :]

    disrupted = (
        np.isin(city.channel, (CHANNEL_NIGHT_MARKET, CHANNEL_TRIP_MARKET))
        | (city.line_chain == dc_chain)
        | lockdown[city.line_district]
    )
    return Event(
        start=start,
        market_closed=market_closed,
        market_availability=availability,
        dc_chain=dc_chain,
        dc_closed=dc_closed,
        lockdown=lockdown,
        lockdown_start=lockdown_start,
        supply=supply,
        slow_market=slow_market,
        demand=demand,
        price=price,
        disrupted=disrupted,
        panic_days=panic_days,
        panic_peak=panic_peak,
    )
