"""The snowstorm of the county-routes family: which townships are snowed in and for how
long, where people panic, where returning migrant workers lift demand for good.

See ``bench/families/README.md``, section "county_routes".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bench.families._county_routes_area import Area

STAPLES = ("grain", "edible_oil", "eggs")
STAPLE_PRODUCTS = ("cabbage", "potato", "white_radish", "onion", "milk", "instant_noodles")
"""What households stock up on when snow is forecast: grain, oil, eggs, winter vegetables,
long-life milk and instant noodles."""


@dataclass(frozen=True)
class Snowstorm:
    """Day-by-township conditions of the storm (all ones and Falses in ordinary weeks)."""

    closed: np.ndarray
    """(days, townships): roads into the township are shut that day."""
    catch_up: np.ndarray
    """(days, townships): the wholesaler's extra visit on the day the road reopens."""
    delayed: np.ndarray
    """(days, townships): a regular route visit slips to the next day (snow on open roads)."""
    route_fill: np.ndarray
    """(days,): share of an order the wholesaler's truck can fill."""
    market_fill: np.ndarray
    """(days, lines): share of a fresh purchase the wholesale market can supply."""
    local_share: np.ndarray
    """(lines,): share of its usual purchase a snowed-in line still gets from inside its
    township (0 for goods the township does not produce)."""
    extra_lead: np.ndarray
    """(days,): extra days of lead time on (s, S) orders placed that day."""
    reorder_fill: np.ndarray
    """(days,): share of an (s, S) order the chain's supplier fills."""
    demand: np.ndarray
    """(days, lines): multiplier on shoppers' demand."""
    price: np.ndarray
    """(days, lines): multiplier on retail price."""
    extra_miss: np.ndarray
    """(days, stores): added chance to skip a report (power cuts)."""
    cut_townships: tuple[int, ...]
    panic_townships: tuple[int, ...]
    shifted_townships: tuple[int, ...]


def ordinary_weeks(days: int, area: Area) -> Snowstorm:
    """Conditions without a storm: every road open, every order filled as usual."""
    townships = len(area.townships)
    lines = len(area.lines)
    return Snowstorm(
        closed=np.zeros((days, townships), dtype=bool),
        catch_up=np.zeros((days, townships), dtype=bool),
        delayed=np.zeros((days, townships), dtype=bool),
        route_fill=np.ones(days),
        market_fill=np.ones((days, lines)),
        local_share=np.zeros(lines),
        extra_lead=np.zeros(days, dtype=int),
        reorder_fill=np.ones(days),
        demand=np.ones((days, lines)),
        price=np.ones((days, lines)),
        extra_miss=np.zeros((days, len(area.stores))),
        cut_townships=(),
        panic_townships=(),
        shifted_townships=(),
    )


def _pick_effects(
    rng: np.random.Generator, area: Area
) -> tuple[list[int], list[int], list[int], np.ndarray]:
    """Cut, panicking and shifted townships and each cut township's days of closure."""
    mountain = [i for i, township in enumerate(area.townships) if township.mountain]
    cut = sorted(int(i) for i in rng.choice(mountain, size=int(rng.integers(3, 5)), replace=False))
    closure = rng.integers(3, 9, len(area.townships))
    panic: list[int] = []
    candidates: list[int] = []
    for index, township in enumerate(area.townships):
        chance = 0.75 if township.seat else 0.4 if index in cut else 0.35
        if rng.random() < chance:
            panic.append(index)
        elif index not in cut and not township.seat:
            candidates.append(index)
    shifted = [index for index in candidates if rng.random() < 0.6]
    if candidates and not shifted:
        shifted = [candidates[int(rng.integers(0, len(candidates)))]]
    if len(candidates) > 1 and len(shifted) == len(candidates):
        shifted.pop(int(rng.integers(0, len(shifted))))
    return cut, panic, shifted, closure


def draw_snowstorm(rng: np.random.Generator, area: Area, *, days: int, start: int) -> Snowstorm:
    """The storm from day ``start`` (an index into the simulated days, warm-up included)."""
    storm = ordinary_weeks(days, area)
    cut, panic, shifted, closure = _pick_effects(rng, area)
    line_count = len(area.lines)
    staple = (
        np.isin(area.category, STAPLES) | area.lines["product"].isin(STAPLE_PRODUCTS).to_numpy()
    )
    staple &= area.lines["product"].to_numpy() != "steamed_buns"
    produce = np.isin(area.category, ("vegetables", "fruit"))
    for township in cut:
        end = min(days, start + int(closure[township]))
        storm.closed[start:end, township] = True
        if end < days:
            storm.catch_up[end, township] = True
    open_roads = [i for i in range(len(area.townships)) if i not in cut]
    storm.delayed[start : start + 2, open_roads] = True
    storm.route_fill[start : start + 7] = rng.uniform(0.8, 0.95, min(7, days - start))
    market_days = min(5, days - start)
    produce_fill = rng.uniform(0.65, 0.9, market_days)
    storm.market_fill[start : start + market_days] = np.where(
        produce[None, :], produce_fill[:, None], 0.92
    )
    storm.local_share[:] = np.where(area.local_produce, rng.uniform(0.3, 0.6, line_count), 0.0)
    storm.extra_lead[start : start + 7] = rng.integers(1, 3, min(7, days - start))
    storm.reorder_fill[start : start + 7] = rng.uniform(0.8, 0.95, min(7, days - start))
    for township in panic:
        first = start if area.townships[township].seat else start + int(rng.integers(0, 2))
        length = int(rng.integers(1, 4))
        peak = rng.uniform(1.5, 2.3)
        here = area.line_township == township
        for day in range(length):
            surplus = (peak - 1.0) * 0.5**day
            multiplier = np.where(staple, 1.0 + surplus, 1.0 + 0.4 * surplus)
            if first + day < days:
                storm.demand[first + day, here] *= multiplier[here]
        after = slice(first + length, min(days, first + length + 2))
        storm.demand[after, here & staple] *= 0.9
    for township in shifted:
        lift = rng.uniform(0.15, 0.3)
        first = start + int(rng.integers(1, 4))
        ramp = np.minimum(1.0, (np.arange(days) - first + 1) / 3.0).clip(0.0, 1.0)
        storm.demand[:, area.line_township == township] *= (1.0 + lift * ramp)[:, None]
    rise = np.minimum(1.0, (np.arange(days) - start + 1) / 3.0).clip(0.0, 1.0)
    produce_rise = rng.uniform(0.05, 0.15)
    meat_rise = rng.uniform(0.03, 0.08)
    line_rise = np.where(produce, produce_rise, 0.0)
    line_rise = np.where(np.isin(area.category, ("meat", "eggs")), meat_rise, line_rise)
    storm.price[:] = 1.0 + rise[:, None] * line_rise[None, :]
    for township in cut:
        here = (area.line_township == township) & produce
        closed_until = min(days, start + int(closure[township]) + 3)
        storm.price[start:closed_until, here] *= 1.0 + rng.uniform(0.1, 0.3)
        store_here = area.stores["township"].to_numpy() == township
        storm.extra_miss[start : start + int(closure[township]), store_here] = 0.2
    return replace(
        storm,
        cut_townships=tuple(cut),
        panic_townships=tuple(panic),
        shifted_townships=tuple(shifted),
    )
