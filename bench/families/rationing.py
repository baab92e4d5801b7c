"""The rationing scenario family: a grain-and-oil import shock with purchase limits and
state-reserve releases.

Most of the city's rice, flour and edible oil comes through one port importer; the port
closes and for weeks wholesalers allocate a fraction of their usual volumes. Rumours set off
short city-wide hoarding waves (some on goods that are not short), the authorities limit
what one customer may buy, and the state reserve sends weekly allotments to designated
emergency supply points. Fresh goods keep their daily replenishment with mild disruption.
Modelled on the 2022 cooking-oil limits in European supermarkets after the Black Sea ports
closed, the 2008 rice purchase limits, China's 2011 salt panic and its grain bureaus'
emergency supply points. See ``README.md``.

Run ``python -m bench.families.rationing`` to print the measured stock-out table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench.families._rationing_city import (
    CONVENIENCE,
    GRAIN_SHOP,
    MARKET,
    SUPERMARKET,
    City,
    draw_city,
)
from bench.families._rationing_event import EventPlan, draw_event, neutral_plan
from bench.families._rationing_supply import Flows, expected_demand, simulate_flows
from bench.families.model import CityHistory

FAMILY = "rationing"
WARM_UP_DAYS = 14
"""Days simulated before day 0 so stocks and forecasts settle from their opening guess."""
FOLLOW_UP_DAYS = 10
SKIP_CHANCE = {SUPERMARKET: 0.015, GRAIN_SHOP: 0.04, CONVENIENCE: 0.05, MARKET: 0.05}
"""Chance a store skips a day's report (×1.3 in the event, 30 % again the day after)."""
RECEIPT_SHARE = {SUPERMARKET: 0.8, GRAIN_SHOP: 0.6, CONVENIENCE: 0.3, MARKET: 0.0}
"""Share of stores that report deliveries; designated stores always do (the bureau's ledger)."""
PRICE_LEVEL = {SUPERMARKET: 1.0, GRAIN_SHOP: 0.98, CONVENIENCE: 1.08, MARKET: 0.92}
TYPE_NAMES = {
    SUPERMARKET: "supermarkets",
    GRAIN_SHOP: "grain and oil shops",
    CONVENIENCE: "convenience stores",
    MARKET: "farmers' markets",
}


@dataclass(frozen=True)
class RationingSimulation:
    """A history with the simulator's own truth behind it (arrays cut to the history's days)."""

    history: CityHistory
    city: City
    plan: EventPlan  # indexed by internal day: history day d is plan day d + WARM_UP_DAYS
    opening_stock: np.ndarray  # (lines,) true stock at the end of the last warm-up day
    received: np.ndarray
    reserve: np.ndarray
    sales: np.ndarray
    demand: np.ndarray
    buyers: np.ndarray
    spoilage: np.ndarray

    def plan_days(self, values: np.ndarray) -> np.ndarray:
        """Cut a plan array (internal days) to the history's days."""
        return values[WARM_UP_DAYS:]

    def history_day(self, internal_day: int) -> int:
        """The history's day index of an internal (plan) day."""
        return internal_day - WARM_UP_DAYS


def _report(
    city: City, flows: Flows, plan: EventPlan, kept: slice, seed: int
) -> dict[str, np.ndarray]:
    """What the stores post: skipped days, count errors, optional receipts, prices."""
    rng = np.random.default_rng([seed, 3])
    true_stock = flows.stock[kept]
    days, n = true_stock.shape
    stores = len(city.stores)
    store_type = city.store_type
    skip_draw = rng.random((days, stores))
    base = np.array([SKIP_CHANCE[int(kind)] for kind in store_type])
    skip_factor = plan.report_skip[kept]
    posted = np.ones((days, stores), dtype=bool)
    for day in range(days):
        chance = base * skip_factor[day]
        if day:
            chance = np.where(~posted[day - 1], 0.3, chance)
        posted[day] = skip_draw[day] >= chance
    reported = posted[:, city.line_store]
    line_type = city.line_type[None, :]
    shop = (line_type == GRAIN_SHOP) | (line_type == CONVENIENCE)
    slip = rng.integers(1, 3, (days, n)) * rng.choice((-1.0, 1.0), (days, n))
    miscount = (rng.random((days, n)) < 0.05) & shop
    eyed = np.round(true_stock * rng.lognormal(0.0, 0.08, (days, n)))
    stock = np.where(miscount, true_stock + slip, true_stock)
    stock = np.maximum(np.where(line_type == MARKET, eyed, stock), 0.0)
    true_sales = flows.sales[kept]
    market_sales = np.round(true_sales * rng.lognormal(0.0, 0.05, (days, n)))
    sales = np.where(line_type == MARKET, market_sales, true_sales)
    share = np.array([RECEIPT_SHARE[int(kind)] for kind in store_type])
    keeps_receipts = (rng.random(stores) < share) | city.designated
    received = np.where(keeps_receipts[city.line_store][None, :], flows.received[kept], np.nan)
    level = np.array([PRICE_LEVEL[int(kind)] for kind in city.line_type])
    walk = np.cumsum(rng.normal(0.0, 0.004, (days, n)), axis=0)
    base_price = city.catalogue_price * level * rng.lognormal(0.0, 0.06, n)
    price = np.maximum(np.round(base_price * np.exp(walk) * plan.price[kept], 2), 0.01)
    hide = ~reported
    return {
        "stock": np.where(hide, np.nan, stock),
        "sales": np.where(hide, np.nan, sales),
        "price": np.where(hide, np.nan, price),
        "received": np.where(hide, np.nan, received),
        "reported": reported,
    }


def simulate(seed: int, *, emergency: bool = True) -> RationingSimulation:
    """Draw the city and its days, run them, and keep the physical truth beside the reports."""
    rng = np.random.default_rng([seed, 1])
    city = draw_city(rng)
    first_date = date(2025, 6, 2) + timedelta(days=int(rng.integers(0, 21)))
    reported_days = int(rng.integers(49, 55))
    event_start = int(rng.integers(26, 33))
    total = WARM_UP_DAYS + reported_days + FOLLOW_UP_DAYS
    start_date = first_date - timedelta(days=WARM_UP_DAYS)
    weekdays = np.array([(start_date + timedelta(days=day)).weekday() for day in range(total)])
    last_reported = WARM_UP_DAYS + reported_days - 1
    if emergency:
        event_rng = np.random.default_rng([seed, 2])
        plan = draw_event(city, total, WARM_UP_DAYS + event_start, last_reported, event_rng)
    else:
        plan = neutral_plan(city, total)
    expected = expected_demand(city, weekdays, seed)
    flows = simulate_flows(city, weekdays, plan, expected, seed)
    kept = slice(WARM_UP_DAYS, total)
    posted = _report(city, flows, plan, kept, seed)
    if emergency:
        disrupted = plan.disrupted(WARM_UP_DAYS + event_start, last_reported)
    else:
        disrupted = np.zeros(city.line_count, dtype=bool)
    history = CityHistory(
        family=FAMILY,
        seed=seed,
        first_date=first_date,
        reported_days=reported_days,
        follow_up_days=FOLLOW_UP_DAYS,
        event_start=event_start if emergency else None,
        stores=city.stores.reset_index(drop=True),
        lines=city.lines.reset_index(drop=True),
        stock=posted["stock"],
        sales=posted["sales"],
        price=posted["price"],
        received=posted["received"],
        reported=posted["reported"],
        true_stock=flows.stock[kept],
        disrupted=disrupted,
    )
    history.check()
    return RationingSimulation(
        history=history,
        city=city,
        plan=plan,
        opening_stock=flows.stock[WARM_UP_DAYS - 1],
        received=flows.received[kept],
        reserve=flows.reserve[kept],
        sales=flows.sales[kept],
        demand=flows.demand[kept],
        buyers=flows.buyers[kept],
        spoilage=flows.spoilage[kept],
    )


def generate(seed: int, *, emergency: bool = True) -> CityHistory:
    """The bench's entry point: one city history for ``seed``."""
    return simulate(seed, emergency=emergency).history


def _out(history: CityHistory, days: slice, lines: np.ndarray) -> float:
    """Share of line-days with true stock ≤ 0."""
    return float((history.true_stock[days][:, lines] <= 0).mean())


def stockout_table(seeds: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Share of line-days with true stock ≤ 0 by group: ordinary weeks, event, same days calm."""
    rows = []
    for seed in seeds:
        shock, calm_run = simulate(seed), simulate(seed, emergency=False)
        history, calm, city = shock.history, calm_run.history, shock.city
        start = history.event_start
        assert start is not None
        event = slice(start, history.reported_days)
        ordinary = slice(0, calm.reported_days)
        imported = city.import_share > 0
        designated = city.designated[city.line_store]
        groups = {"all lines": np.ones(history.line_count, dtype=bool)}
        for store_type, name in TYPE_NAMES.items():
            groups[name] = city.line_type == store_type
        groups["grain and oil through the port"] = imported
        groups["  at designated stores (reserve goods)"] = city.reserve_line
        groups["  elsewhere"] = imported & ~designated
        groups["other goods"] = ~imported
        groups["disrupted"] = history.disrupted
        groups["not disrupted"] = ~history.disrupted
        for name, mask in groups.items():
            rows.append(
                {
                    "seed": seed,
                    "lines": name,
                    "count": int(mask.sum()),
                    "ordinary weeks": _out(calm, ordinary, mask),
                    "event": _out(history, event, mask),
                    "same days, no event": _out(calm, event, mask),
                }
            )
    return pd.DataFrame(rows)


def wave_table(seeds: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Each hoarding wave: its products' demand against the calm run's, and their stock-outs
    on the wave's days plus two, against the same days without the event."""
    rows = []
    for seed in seeds:
        shock, calm_run = simulate(seed), simulate(seed, emergency=False)
        city = shock.city
        for wave in shock.plan.waves:
            first = shock.history_day(wave.first)
            lines = np.isin(city.product, wave.products)
            days = slice(first, first + wave.length + 2)
            lift = shock.demand[first, lines].sum() / max(calm_run.demand[first, lines].sum(), 1)
            rows.append(
                {
                    "seed": seed,
                    "day": first,
                    "days": wave.length,
                    "products": ", ".join(wave.products),
                    "short": bool((city.import_share[lines] > 0).any()),
                    "first-day demand ×": lift,
                    "out, wave + 2 days": _out(shock.history, days, lines),
                    "same days, no event": _out(calm_run.history, days, lines),
                }
            )
    return pd.DataFrame(rows)


def limit_table(seeds: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """How far recorded sales under-state demand on limited lines while limits apply."""
    rows = []
    for seed in seeds:
        shock = simulate(seed)
        history, plan = shock.history, shock.plan
        limited = shock.plan_days(plan.limited)[: history.reported_days]
        demand = shock.demand[: history.reported_days]
        sales = shock.sales[: history.reported_days]
        capped = limited & (sales < demand) & (history.true_stock[: history.reported_days] > 0)
        rows.append(
            {
                "seed": seed,
                "limited line-days": int(limited.sum()),
                "sales / demand": sales[limited].sum() / demand[limited].sum(),
                "share capped by the limit": capped.sum() / limited.sum(),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    """Print the seeds' figures for the README."""
    for seed in (1, 2):
        simulation = simulate(seed)
        history, plan = simulation.history, simulation.plan
        types = {
            name: int((simulation.city.store_type == store_type).sum())
            for store_type, name in TYPE_NAMES.items()
        }
        print(
            f"seed {seed}: first date {history.first_date}, stores {len(history.stores)} "
            f"({types}), designated {int(simulation.city.designated.sum())}, "
            f"lines {history.line_count}, event_start {history.event_start}, "
            f"reported {history.reported_days}, "
            f"port reopens {simulation.history_day(plan.closure[1])}, "
            f"limits {[simulation.history_day(day) for day in plan.limits]}, "
            f"releases {[simulation.history_day(day) for day in plan.release_days]}, "
            f"disrupted {history.disrupted.mean():.1%}, posted {history.reported.mean():.1%}"
        )
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 160):
        print(stockout_table().to_string(index=False))
        print(wave_table().to_string(index=False))
        print(limit_table().to_string(index=False))


if __name__ == "__main__":
    main()
