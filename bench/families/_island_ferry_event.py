"""The typhoon of the ``island_ferry`` family: when it is warned, when it lands, how long
the ferries stay in port, which townships flood or are cut off, and the backlog after.

Everything is drawn from its own random stream, so the ordinary island (no typhoon) is
the same island with the same shoppers until the warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.families._island_ferry_island import (
    CHANNEL_CONSIGNMENT,
    CHANNEL_MARKET_FERRY,
    CHANNEL_VAN,
    SAILING_WEEKDAYS,
    SOURCE_FARM,
    SOURCE_FERRY,
    SOURCE_FISH,
    SOURCE_SLAUGHTER,
    SOURCE_WORKSHOP,
    TOWNS,
    Island,
)

SOURCES = 5
DISRUPTED_SHARE = 0.5
"""A line is disrupted when its supply falls below this share of normal ..."""
DISRUPTED_RUN = 3
"""... on at least this many consecutive days of the event."""


@dataclass(frozen=True)
class Typhoon:
    """Day-by-day conditions; on an ordinary island every share is 1 and nothing is cut."""

    event_start: int | None
    panic_days: int
    landfall_start: int
    landfall_days: int
    cancel_days: int
    """Sailings cancelled (3-8)."""
    backlog_days: int
    sailing: np.ndarray
    """(days,) a ferry sails from the mainland that day; its goods are on shelves next day."""
    ferry_fill: np.ndarray
    """(days, lines) share of a ferry order that reaches a line arriving that day."""
    source_share: np.ndarray
    """(days, towns, sources) share of the usual island-grown supply that day."""
    cut_off: np.ndarray
    """(days, towns) an islet on no boat link: nothing arrives from outside."""
    landfall: np.ndarray
    """(days,) the storm is over the island: vans stay in, shops shut early."""
    demand: np.ndarray
    """(days, lines) demand multiplier of the event (panic, landfall, full pantries)."""
    stranded_lift: np.ndarray
    """(days, towns) stranded tourists' lift replacing the weekend tourist pattern, NaN
    where the usual pattern holds."""
    extra_skip: np.ndarray
    """(days, towns) added chance that a store skips its report (power, staff)."""
    supply: np.ndarray
    """(days, lines) share of a line's usual supply its channel can bring that day."""
    flooded: tuple[int, ...]
    islets_cut: tuple[int, ...]


def _weekdays(first_weekday: int, days: int) -> np.ndarray:
    """Monday-0 weekday of each day index."""
    return (first_weekday + np.arange(days)) % 7


def calm(island: Island, days: int, first_weekday: int) -> Typhoon:
    """Ordinary weeks: ferries on their weekdays, every supply in full."""
    lines, towns = len(island.lines), len(TOWNS)
    return Typhoon(
        event_start=None,
        panic_days=0,
        landfall_start=days,
        landfall_days=0,
        cancel_days=0,
        backlog_days=0,
        sailing=np.isin(_weekdays(first_weekday, days), SAILING_WEEKDAYS),
        ferry_fill=np.ones((days, lines)),
        source_share=np.ones((days, towns, SOURCES)),
        cut_off=np.zeros((days, towns), dtype=bool),
        landfall=np.zeros(days, dtype=bool),
        demand=np.ones((days, lines)),
        stranded_lift=np.full((days, towns), np.nan),
        extra_skip=np.zeros((days, towns)),
        supply=np.ones((days, lines)),
        flooded=(),
        islets_cut=(),
    )


def plan_typhoon(
    rng: np.random.Generator, island: Island, days: int, first_weekday: int, event_start: int
) -> Typhoon:
    """Draw the typhoon: warning and panic, landfall, ferries in port, floods, backlog."""
    base = calm(island, days, first_weekday)
    towns = len(TOWNS)
    e = event_start
    panic_days = int(rng.integers(1, 3))
    landfall_start = e + panic_days
    landfall_days = int(rng.integers(1, 3))
    cancel_days = int(rng.integers(3, 9))
    backlog_days = int(rng.integers(6, 10))
    landfall = np.zeros(days, dtype=bool)
    landfall[landfall_start : landfall_start + landfall_days] = True
    after_storm = landfall_start + landfall_days

    sailing = base.sailing.copy()
    sailing[e + 1 : e + 1 + cancel_days] = False
    resume = e + 1 + cancel_days
    sailing[min(resume, days - 1)] = True  # an extra sailing to clear the port
    arrival_cut = slice(e + 2, e + 2 + cancel_days)
    backlog_start = e + 2 + cancel_days
    count = len(island.lines)
    fill_first = np.where(
        island.staple, rng.uniform(0.55, 0.8, count), rng.uniform(0.25, 0.5, count)
    )
    ferry_fill = base.ferry_fill.copy()
    ferry_fill[arrival_cut] = 0.0
    for k in range(backlog_days):
        if backlog_start + k < days:
            ferry_fill[backlog_start + k] = fill_first + (1 - fill_first) * k / backlog_days

    coastal = np.array([t.coastal for t in TOWNS])
    inland = np.array([t.inland_farming for t in TOWNS])
    islet = np.array([t.islet for t in TOWNS])
    share = base.source_share.copy()
    storm_farm = np.where(inland, rng.uniform(0.75, 0.9, towns), rng.uniform(0.2, 0.4, towns))
    share[landfall, :, SOURCE_FARM] = storm_farm
    share[landfall, :, SOURCE_WORKSHOP] = np.where(inland, 0.9, 0.3)
    share[landfall, :, SOURCE_SLAUGHTER] = 0.2
    share[after_storm : after_storm + 3, :, SOURCE_SLAUGHTER] = 0.8
    share[e : resume + 1, :, SOURCE_FISH] = 0.0
    share[resume + 1 : resume + 3, :, SOURCE_FISH] = 0.5
    candidates = np.flatnonzero(~inland & ~islet)
    flooded = np.sort(rng.choice(candidates, size=int(rng.integers(2, 4)), replace=False))
    for town in flooded:
        flood_days = int(rng.integers(7, 13))
        share[after_storm : after_storm + flood_days, town, SOURCE_FARM] = 1 - rng.uniform(0.2, 0.6)

    cut_off = base.cut_off.copy()
    islets_cut = np.sort(
        rng.choice(np.flatnonzero(islet), size=int(rng.integers(1, 3)), replace=False)
    )
    for town in islets_cut:
        reopen = e + 2 + cancel_days + int(rng.integers(0, 3))
        cut_off[e + 1 : reopen, town] = True
        share[e + 1 : reopen, town, SOURCE_FARM] = 0.5  # the islet's own plots only
        for source in (SOURCE_FISH, SOURCE_SLAUGHTER, SOURCE_WORKSHOP):
            share[e + 1 : reopen, town, source] = 0.0

    demand = base.demand.copy()
    panic_town = np.where(inland, rng.uniform(1.5, 1.9, towns), rng.uniform(1.8, 3.0, towns))
    line_panic = panic_town[island.line_town] * rng.lognormal(0.0, 0.1, len(island.lines))
    demand[e:landfall_start] = np.where(island.staple, np.maximum(line_panic, 1.5), 1.15)
    demand[landfall] = 0.4
    demand[after_storm : after_storm + 3] *= np.where(island.staple, 0.85, 1.0)

    stranded = base.stranded_lift.copy()
    stranded[landfall_start:, coastal] = rng.uniform(0.1, 0.3, int(coastal.sum()))
    extra_skip = base.extra_skip.copy()
    extra_skip[landfall] = np.where(coastal, 0.3, 0.1)
    extra_skip[cut_off] = np.maximum(extra_skip[cut_off], 0.5)

    supply = _line_supply(island, ferry_fill, share, cut_off)
    return Typhoon(
        event_start=e,
        panic_days=panic_days,
        landfall_start=landfall_start,
        landfall_days=landfall_days,
        cancel_days=cancel_days,
        backlog_days=backlog_days,
        sailing=sailing,
        ferry_fill=ferry_fill,
        source_share=share,
        cut_off=cut_off,
        landfall=landfall,
        demand=demand,
        stranded_lift=stranded,
        extra_skip=extra_skip,
        supply=supply,
        flooded=tuple(int(t) for t in flooded),
        islets_cut=tuple(int(t) for t in islets_cut),
    )


def van_warehouse_share(island: Island, ferry_fill: np.ndarray) -> np.ndarray:
    """Share of a van order the wholesaler can fill from its island warehouse: dry goods
    from a ten-day buffer rationed to at least 60 % until the ships catch up, fresh ferry
    goods only what the ships bring."""
    long_life = island.shelf_life >= 120
    return np.where(long_life, np.maximum(ferry_fill, 0.6), ferry_fill)


def _line_supply(
    island: Island, ferry_fill: np.ndarray, share: np.ndarray, cut_off: np.ndarray
) -> np.ndarray:
    """(days, lines) share of each line's usual supply its channel can bring that day."""
    local = share[:, island.line_town, island.line_source]
    ferry_borne = island.line_source == SOURCE_FERRY
    by_ship = np.isin(island.channel, (CHANNEL_CONSIGNMENT, CHANNEL_MARKET_FERRY))
    van = island.channel == CHANNEL_VAN
    supply = np.where(ferry_borne & by_ship, ferry_fill, local)
    warehouse = van_warehouse_share(island, ferry_fill)
    supply = np.where(van, np.where(ferry_borne, warehouse, local), supply)
    cut = cut_off[:, island.line_town]
    own_farm = (island.line_source == SOURCE_FARM) & ~van
    return np.where(cut & ~own_farm, 0.0, supply)


def disrupted_lines(typhoon: Typhoon) -> np.ndarray:
    """Lines whose supply fell below half for three or more consecutive event days."""
    low = typhoon.supply < DISRUPTED_SHARE
    if typhoon.event_start is None:
        return np.zeros(low.shape[1], dtype=bool)
    low[: typhoon.event_start] = False
    run = np.zeros(low.shape[1], dtype=int)
    longest = np.zeros(low.shape[1], dtype=int)
    for day in range(low.shape[0]):
        run = np.where(low[day], run + 1, 0)
        longest = np.maximum(longest, run)
    return longest >= DISRUPTED_RUN
