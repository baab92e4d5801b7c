"""The ``island_ferry`` scenario family: an island prefecture fed by scheduled ro-ro
ferries, its own farms and fishing fleet, hit by a typhoon that keeps the ships in port.

``generate(seed, *, emergency=True)`` is the bench's entry point; ``simulate`` also returns
the physical flows behind the reports; ``stockout_table`` prints the README's figures
(``python -m bench.families.island_ferry``). See README.md here for the supply chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench.families._island_ferry_event import (
    Typhoon,
    calm,
    disrupted_lines,
    plan_typhoon,
)
from bench.families._island_ferry_island import (
    CHAINS,
    CHANNEL_CONSIGNMENT,
    CHANNEL_LOCAL_DAILY,
    CHANNEL_MARKET_DAILY,
    CHANNEL_MARKET_FERRY,
    CHANNEL_VAN,
    KIND_MARKET,
    KIND_SUPERMARKET,
    KIND_VILLAGE_SHOP,
    SAILING_WEEKDAYS,
    SOURCE_FARM,
    TOWNS,
    Island,
    draw_island,
)
from bench.families._island_ferry_report import report_history
from bench.families.model import CityHistory

FAMILY = "island_ferry"
FOLLOW_UP_DAYS = 10
DRY_WEEKDAY = np.array([0.92, 0.92, 0.95, 1.0, 1.05, 1.12, 1.04])
FRESH_WEEKDAY = np.array([0.95, 0.94, 0.96, 0.99, 1.04, 1.08, 1.04])
SEASON_END = (8, 31)
"""After the school holidays the weekend tourists halve."""
DAILY_LOSS = {"vegetables": 0.02, "fruit": 0.012, "meat": 0.008, "eggs": 0.003, "dairy": 0.004}
"""Share of a perishable line's stock damaged or wilting each day (shelf life ≤ 30 days)."""


@dataclass(frozen=True)
class IslandFerrySimulation:
    """A history with the physical flows behind it, for tests and the README figures."""

    history: CityHistory
    island: Island
    typhoon: Typhoon
    opening_stock: np.ndarray
    true_received: np.ndarray
    true_sales: np.ndarray
    spoilage: np.ndarray
    demand: np.ndarray
    ordered: np.ndarray
    """(days, lines) what each line asked its channel for that morning, before the
    channel's fill (deck space, weather, the storm)."""
    consignment_day: np.ndarray
    """(days, stores) a supermarket's ferry consignment reached the shelves that day."""
    deck_fill: np.ndarray
    """(days, chains) share of a chain's consignments loaded on that day's sailing."""


def _calendar(seed: int) -> tuple[date, int, int]:
    """First date (summer, typhoon season), reported days and the warning's day."""
    rng = np.random.default_rng([seed, 6])
    first = date(2025, 7, 1) + timedelta(days=int(rng.integers(0, 25)))
    return first, int(rng.integers(48, 55)), int(rng.integers(25, 33))


def _planned_mean(island: Island, first: date, days: int) -> np.ndarray:
    """(days, lines) ordinary expected demand: weekday and the summer tourist pattern,
    what the stores' planners order against."""
    dates = [first + timedelta(days=d) for d in range(days)]
    weekday = np.array([d.weekday() for d in dates])
    fresh = island.shelf_life <= 30
    pattern = np.where(
        fresh[None, :], FRESH_WEEKDAY[weekday][:, None], DRY_WEEKDAY[weekday][:, None]
    )
    return island.base_demand[None, :] * pattern * _tourism(island, dates)[:, island.line_town]


def _tourism(island: Island, dates: list[date]) -> np.ndarray:
    """(days, towns) summer visitors: weekends +30-60 % in coastal towns, Friday half."""
    lift = np.array([t.tourism for t in TOWNS])
    rows = []
    for day in dates:
        season = 1.0 if (day.month, day.day) <= SEASON_END else 0.5
        weekend = {4: 0.5, 5: 1.0, 6: 1.0}.get(day.weekday(), 0.12)
        rows.append(1.0 + lift * season * weekend)
    return np.array(rows)


def _spoilage_rates(island: Island) -> np.ndarray:
    """Per line daily loss of the perishables (none for goods keeping four months)."""
    category = island.catalogue.loc[island.lines["product"], "category"].to_numpy()
    loss = np.array([DAILY_LOSS.get(c, 0.02) for c in category])
    return np.where(island.shelf_life <= 30, loss, np.where(island.shelf_life < 120, 0.002, 0.0))


def simulate(seed: int, *, emergency: bool = True) -> IslandFerrySimulation:
    """Run the island day by day: deliveries each morning, sales, spoilage, reports."""
    first, reported_days, warning_day = _calendar(seed)
    days = reported_days + FOLLOW_UP_DAYS
    island = draw_island(np.random.default_rng([seed, 0]))
    typhoon_rng = np.random.default_rng([seed, 1])
    if emergency:
        typhoon = plan_typhoon(typhoon_rng, island, days, first.weekday(), warning_day)
    else:
        typhoon = calm(island, days, first.weekday())
    lines, stores = len(island.lines), len(island.stores)
    weekday = (first.weekday() + np.arange(days)) % 7

    planned = _planned_mean(island, first, days + 14)
    dates = [first + timedelta(days=d) for d in range(days)]
    mean = planned[:days].copy()
    stranded = typhoon.stranded_lift[:, island.line_town]
    tourist = _tourism(island, dates)[:, island.line_town]
    mean = np.where(np.isnan(stranded), mean, mean / tourist * (1.0 + np.nan_to_num(stranded)))
    demand_rng = np.random.default_rng([seed, 2])
    island_noise = demand_rng.lognormal(0.0, 0.05, days)[:, None]
    store_noise = demand_rng.lognormal(0.0, 0.08, (days, stores))[:, island.line_store]
    mean = mean * island_noise * store_noise
    gamma = demand_rng.gamma(25.0, 1 / 25.0, (days, lines))
    demand = demand_rng.poisson(mean * gamma * typhoon.demand).astype(float)

    sea_rng = np.random.default_rng([seed, 3])
    deck_fill = np.where(
        sea_rng.random((days, len(CHAINS))) < 0.1,
        sea_rng.uniform(0.6, 0.9, (days, len(CHAINS))),
        1.0,
    )
    weather = np.clip(sea_rng.lognormal(0.0, 0.1, (days, len(TOWNS))), 0.7, 1.0)
    farm_weather = np.where(island.line_source == SOURCE_FARM, weather[:, island.line_town], 1.0)
    warehouse_short = np.where(
        sea_rng.random((days, lines)) < 0.03, sea_rng.uniform(0.0, 0.5, (days, lines)), 1.0
    )
    ordinary_fill = farm_weather * np.where(island.channel == CHANNEL_VAN, warehouse_short, 1.0)
    market_rng = np.random.default_rng([seed, 4])
    market_noise = market_rng.lognormal(0.0, 0.12, (days, lines))
    markup = market_rng.uniform(1.15, 1.3, lines)

    chain_index = {name: i for i, (name, _) in enumerate(CHAINS)}
    store_chain = np.array([chain_index.get(c, -1) for c in island.stores["chain"]])
    booked = np.zeros((days, stores), dtype=bool)
    for store, weekdays in enumerate(island.store_consignment_weekdays):
        if weekdays:
            extra = typhoon.sailing & ~np.isin(weekday, SAILING_WEEKDAYS)
            booked[:, store] = (typhoon.sailing & np.isin(weekday, weekdays)) | extra
    consignment_day = np.zeros((days, stores), dtype=bool)
    consignment_day[1:] = booked[:-1]

    sigma = np.sqrt(island.base_demand + (0.25 * island.base_demand) ** 2)
    cover = island.order_up_to_days
    cover_days = np.ceil(cover).astype(int)
    cum = np.vstack([np.zeros(lines), np.cumsum(planned, axis=0)])
    safety = island.safety_z * sigma * np.sqrt(cover)
    rates = _spoilage_rates(island)
    short_life = island.shelf_life <= 3
    chan = island.channel
    van_town_due = np.zeros(len(TOWNS), dtype=bool)
    van_weekday = np.array([t.van_weekday for t in TOWNS])

    start_rng = np.random.default_rng([seed, 5])
    opening = np.round(
        (cum[cover_days, np.arange(lines)] + safety) * start_rng.uniform(0.5, 1.0, lines)
    )
    close = opening.copy()
    received = np.zeros((days, lines))
    ordered = np.zeros((days, lines))
    sales = np.zeros((days, lines))
    spoiled = np.zeros((days, lines))
    true_stock = np.zeros((days, lines))
    for d in range(days):
        ahead = cum[np.minimum(d + cover_days, days + 14), np.arange(lines)] - cum[d]
        target = ahead * cover / cover_days + safety
        order = np.zeros(lines)
        # supermarkets' ferry consignments: ordered two evenings before, not backordered
        arriving = consignment_day[d, island.line_store] & (chan == CHANNEL_CONSIGNMENT)
        if arriving.any() and d >= 2:
            position = true_stock[d - 2] + received[d - 1] - planned[d - 1]
        else:
            position = close
        chain = store_chain[island.line_store]
        deck = np.where(chain >= 0, deck_fill[max(d - 1, 0), np.maximum(chain, 0)], 1.0)
        order = np.where(arriving, np.maximum(target - position, 0), order)
        # supermarkets' local suppliers: a daily top-up
        local = chan == CHANNEL_LOCAL_DAILY
        order = np.where(local, np.maximum(target - close, 0), order)
        # the wholesaler's van, on the township's weekday or the first day it can go
        van_town_due |= van_weekday == weekday[d]
        can_go = van_town_due & ~typhoon.cut_off[d] & ~typhoon.landfall[d]
        van_town_due &= ~can_go
        van = (chan == CHANNEL_VAN) & can_go[island.line_town]
        order = np.where(van, np.maximum(target - close, 0), order)
        # market stalls: about what the day sells, less what is left
        stalls = chan == CHANNEL_MARKET_DAILY
        brought = planned[d] * markup * market_noise[d] - 0.3 * close
        order = np.where(stalls, np.maximum(brought, 0), order)
        fruit = (chan == CHANNEL_MARKET_FERRY) & (d >= 1 and bool(typhoon.sailing[d - 1]))
        order = np.where(fruit, np.maximum(target * 1.1 - close, 0), order)
        ordered[d] = order
        fill = typhoon.supply[d] * ordinary_fill[d] * np.where(arriving, deck, 1.0)
        received[d] = np.round(order * fill)

        stock = close + received[d]
        spoil = rates * stock + np.where(
            short_life, 0.5 * np.maximum(stock - island.shelf_life * planned[d], 0), 0.0
        )
        spoiled[d] = np.minimum(spoil, stock)
        available = stock - spoiled[d]
        sales[d] = np.minimum(demand[d], available)
        close = available - sales[d]
        true_stock[d] = close

    history = report_history(
        seed,
        island,
        typhoon,
        first_date=first,
        reported_days=reported_days,
        follow_up_days=FOLLOW_UP_DAYS,
        flows=(received, sales, true_stock),
        disrupted=disrupted_lines(typhoon),
    )
    return IslandFerrySimulation(
        history=history,
        island=island,
        typhoon=typhoon,
        opening_stock=opening,
        true_received=received,
        true_sales=sales,
        spoilage=spoiled,
        demand=demand,
        ordered=ordered,
        consignment_day=consignment_day,
        deck_fill=deck_fill,
    )


def generate(seed: int, *, emergency: bool = True) -> CityHistory:
    """The island's history for ``seed``: the bench's entry point."""
    return simulate(seed, emergency=emergency).history


def stockout_table(seeds: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Share of line-days with true stock ≤ 0 by store kind: ordinary weeks, the event's
    reported days, and those same days on the island without the typhoon."""
    rows = []
    for seed in seeds:
        storm, quiet = simulate(seed), simulate(seed, emergency=False)
        history = storm.history
        start = history.event_start
        assert start is not None
        event = slice(start, history.reported_days)
        kinds = storm.island.line_kind
        groups = {
            "all": np.ones(len(kinds), dtype=bool),
            "supermarket": kinds == KIND_SUPERMARKET,
            "village shop (other)": kinds == KIND_VILLAGE_SHOP,
            "farmers_market": kinds == KIND_MARKET,
            "disrupted": history.disrupted,
            "not disrupted": ~history.disrupted,
        }
        for name, group in groups.items():
            rows.append(
                {
                    "seed": seed,
                    "lines": name,
                    "count": int(group.sum()),
                    "ordinary": (
                        quiet.history.true_stock[: history.reported_days, group] <= 0
                    ).mean(),
                    "event": (history.true_stock[event][:, group] <= 0).mean(),
                    "same days, no typhoon": (
                        quiet.history.true_stock[event][:, group] <= 0
                    ).mean(),
                }
            )
    return pd.DataFrame(rows)


if __name__ == "__main__":
    with pd.option_context("display.width", 120):
        print(stockout_table().round(3).to_string(index=False))
