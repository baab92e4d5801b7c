"""The winter-storm scenario family: a North American grocery supply chain hit by a
forecast blizzard.

A regional chain's stores get dry goods from their distribution centre on fixed weekdays,
produce and meat on nightly DC trucks, and bread, milk and eggs from vendors' own route
trucks (direct store delivery); independents and convenience stores order from a wholesaler
under (s, S) continuous review. The storm is announced two or three days ahead: shoppers
clear bread, milk, eggs and shelf-stable food, then the roads close for days (DC trucks do
not run, vendors barely), stores in the worst-hit districts lose power and throw out their
chilled stock, and supply recovers from a backlog with capped loads, some districts later
than others. Modelled on the US East Coast blizzard of January 2016 and the Texas winter
storm of February 2021. See ``README.md``.

Run ``python -m bench.families.winter_storm`` to print the measured stock-out table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench.families._winter_storm_city import (
    CHAIN_LARGE,
    CHAIN_MID,
    CHANNEL_NAMES,
    CONVENIENCE,
    DISCOUNT,
    GREENGROCER,
    INDEPENDENT,
    TYPE_NAMES,
    City,
    draw_city,
)
from bench.families._winter_storm_event import (
    SEVERITY_NAMES,
    StormPlan,
    draw_storm,
    neutral_plan,
)
from bench.families._winter_storm_supply import Flows, simulate_flows
from bench.families.model import CityHistory

FAMILY = "winter_storm"
WARM_UP_DAYS = 14
"""Days simulated before day 0 so stocks and forecasts settle from their opening guess."""
FOLLOW_UP_DAYS = 10
SKIP_CHANCE = {
    CHAIN_LARGE: 0.01,
    CHAIN_MID: 0.01,
    DISCOUNT: 0.02,
    INDEPENDENT: 0.05,
    CONVENIENCE: 0.05,
    GREENGROCER: 0.06,
}
"""Chance a store skips a day's report (30 % again the day after a skip)."""
RECEIPT_SHARE = {
    CHAIN_LARGE: 0.9,
    CHAIN_MID: 0.85,
    DISCOUNT: 0.6,
    INDEPENDENT: 0.3,
    CONVENIENCE: 0.2,
    GREENGROCER: 0.0,
}
"""Share of stores that report deliveries (chain stores scan them in at the back door)."""
PRICE_LEVEL = {
    CHAIN_LARGE: 1.0,
    CHAIN_MID: 1.02,
    DISCOUNT: 0.88,
    INDEPENDENT: 1.06,
    CONVENIENCE: 1.15,
    GREENGROCER: 0.95,
}
CHAIN_TYPES = (CHAIN_LARGE, CHAIN_MID, DISCOUNT)
"""Stores whose reported stock is the system's (perpetual inventory), not a count."""


@dataclass(frozen=True)
class WinterStormSimulation:
    """A history with the simulator's own truth behind it (arrays cut to the history's days)."""

    history: CityHistory
    city: City
    plan: StormPlan  # indexed by internal day: history day d is plan day d + WARM_UP_DAYS
    opening_stock: np.ndarray  # (lines,) true stock at the end of the last warm-up day
    sales: np.ndarray
    demand: np.ndarray
    dc_received: np.ndarray
    vendor_received: np.ndarray
    wholesale_received: np.ndarray
    loss: np.ndarray
    late: np.ndarray

    @property
    def received(self) -> np.ndarray:
        """Everything that arrived, whatever the channel."""
        return self.dc_received + self.vendor_received + self.wholesale_received

    def plan_days(self, values: np.ndarray) -> np.ndarray:
        """Cut a plan array (internal days) to the history's days."""
        return values[WARM_UP_DAYS:]

    def history_day(self, internal_day: int) -> int:
        """The history's day index of an internal (plan) day."""
        return internal_day - WARM_UP_DAYS


def _report(
    city: City, flows: Flows, plan: StormPlan, kept: slice, seed: int
) -> dict[str, np.ndarray]:
    """What the stores post: skipped days (most dark stores post nothing), the chain's
    system stock, independents' miscounts, greengrocers' estimates, optional receipts."""
    rng = np.random.default_rng([seed, 3])
    true_stock = flows.stock[kept]
    days, lines = true_stock.shape
    store_count = len(city.stores)
    store_type = city.store_type
    skip_draw = rng.random((days, store_count))
    base = np.array([SKIP_CHANCE[int(kind)] for kind in store_type])
    skip_factor = plan.report_skip[kept]
    dark_skip = plan.dark_skip[kept]
    posted = np.ones((days, store_count), dtype=bool)
    for day in range(days):
        chance = np.maximum(base * skip_factor[day], dark_skip[day])
        if day:
            chance = np.where(~posted[day - 1], np.maximum(chance, 0.3), chance)
        posted[day] = skip_draw[day] >= chance
    reported = posted[:, city.line_store]
    line_type = city.line_type[None, :]
    chain = np.isin(line_type, CHAIN_TYPES)
    counted = (line_type == INDEPENDENT) | (line_type == CONVENIENCE)
    slip = rng.integers(1, 3, (days, lines)) * rng.choice((-1.0, 1.0), (days, lines))
    miscount = (rng.random((days, lines)) < 0.05) & counted
    eyed = np.round(true_stock * rng.lognormal(0.0, 0.08, (days, lines)))
    stock = np.where(miscount, np.round(true_stock) + slip, np.round(true_stock, 2))
    stock = np.where(chain, np.round(flows.system_stock[kept], 2), stock)
    stock = np.maximum(np.where(line_type == GREENGROCER, eyed, stock), 0.0)
    true_sales = flows.sales[kept]
    estimated_sales = np.round(true_sales * rng.lognormal(0.0, 0.05, (days, lines)))
    sales = np.where(line_type == GREENGROCER, estimated_sales, true_sales)
    share = np.array([RECEIPT_SHARE[int(kind)] for kind in store_type])
    keeps_receipts = rng.random(store_count) < share
    received = np.where(keeps_receipts[city.line_store][None, :], flows.received[kept], np.nan)
    level = np.array([PRICE_LEVEL[int(kind)] for kind in city.line_type])
    walk = np.cumsum(rng.normal(0.0, 0.004, (days, lines)), axis=0)
    base_price = city.catalogue_price * level * rng.lognormal(0.0, 0.06, lines)
    price = np.maximum(np.round(base_price * np.exp(walk), 2), 0.01)
    hide = ~reported
    return {
        "stock": np.where(hide, np.nan, stock),
        "sales": np.where(hide, np.nan, sales),
        "price": np.where(hide, np.nan, price),
        "received": np.where(hide, np.nan, received),
        "reported": reported,
    }


def simulate(seed: int, *, emergency: bool = True) -> WinterStormSimulation:
    """Draw the city and its days, run them, and keep the physical truth beside the reports."""
    rng = np.random.default_rng([seed, 1])
    city = draw_city(rng)
    first_date = date(2025, 12, 8) + timedelta(days=int(rng.integers(0, 29)))
    event_start = int(rng.integers(26, 31))
    reported_days = event_start + int(rng.integers(16, 22))
    total = WARM_UP_DAYS + reported_days + FOLLOW_UP_DAYS
    start_date = first_date - timedelta(days=WARM_UP_DAYS)
    weekdays = np.array([(start_date + timedelta(days=day)).weekday() for day in range(total)])
    if emergency:
        storm_rng = np.random.default_rng([seed, 2])
        plan = draw_storm(city, total, WARM_UP_DAYS + event_start, storm_rng)
        disrupted = plan.disrupted(city)
    else:
        plan = neutral_plan(city, total)
        disrupted = np.zeros(city.line_count, dtype=bool)
    flows = simulate_flows(city, weekdays, plan, seed)
    kept = slice(WARM_UP_DAYS, total)
    posted = _report(city, flows, plan, kept, seed)
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
    return WinterStormSimulation(
        history=history,
        city=city,
        plan=plan,
        opening_stock=flows.stock[WARM_UP_DAYS - 1],
        sales=flows.sales[kept],
        demand=flows.demand[kept],
        dc_received=flows.dc_received[kept],
        vendor_received=flows.vendor_received[kept],
        wholesale_received=flows.wholesale_received[kept],
        loss=flows.loss[kept],
        late=flows.late[kept],
    )


def generate(seed: int, *, emergency: bool = True) -> CityHistory:
    """The bench's entry point: one city history for ``seed``."""
    return simulate(seed, emergency=emergency).history


def _out(history: CityHistory, days: slice, lines: np.ndarray) -> float:
    """Share of line-days with true stock ≤ 0."""
    return float((history.true_stock[days][:, lines] <= 0).mean())


def stockout_table(seeds: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Share of line-days with true stock ≤ 0 by group: ordinary weeks, storm, same days calm;
    and the share of lines that stock out at least once in the storm."""
    rows = []
    for seed in seeds:
        storm, calm_run = simulate(seed), simulate(seed, emergency=False)
        history, calm, city = storm.history, calm_run.history, storm.city
        start = history.event_start
        assert start is not None
        event = slice(start, history.reported_days)
        ordinary = slice(0, calm.reported_days)
        groups = {"all lines": np.ones(history.line_count, dtype=bool)}
        for store_type, name in TYPE_NAMES.items():
            groups[name] = city.line_type == store_type
        for channel, name in CHANNEL_NAMES.items():
            groups[name] = city.channel == channel
        groups["storm goods"] = city.panic_group >= 0
        groups["chilled"] = city.chilled
        for level, name in SEVERITY_NAMES.items():
            groups[f"{name} districts"] = (
                storm.plan.severity[city.store_district[city.line_store]] == level
            )
        groups["disrupted"] = history.disrupted
        groups["not disrupted"] = ~history.disrupted
        for name, mask in groups.items():
            out_lines = (history.true_stock[event][:, mask] <= 0).any(axis=0)
            calm_lines = (calm.true_stock[event][:, mask] <= 0).any(axis=0)
            rows.append(
                {
                    "seed": seed,
                    "lines": name,
                    "count": int(mask.sum()),
                    "ordinary weeks": _out(calm, ordinary, mask),
                    "storm": _out(history, event, mask),
                    "same days, calm": _out(calm, event, mask),
                    "lines out in storm": float(out_lines.mean()) if mask.any() else 0.0,
                    "lines out, calm": float(calm_lines.mean()) if mask.any() else 0.0,
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    """Print the seeds' figures for the README."""
    for seed in (1, 2):
        simulation = simulate(seed)
        history, plan, city = simulation.history, simulation.plan, simulation.city
        types = {name: int((city.store_type == kind).sum()) for kind, name in TYPE_NAMES.items()}
        assert plan.landfall is not None
        reopen = {
            str(city.districts["name_en"].iloc[index]): (
                SEVERITY_NAMES[int(plan.severity[index])],
                simulation.history_day(int(plan.reopen[index])),
            )
            for index in range(len(city.districts))
        }
        print(
            f"seed {seed}: first date {history.first_date}, stores {len(history.stores)} "
            f"({types}), lines {history.line_count}, event_start {history.event_start}, "
            f"landfall {simulation.history_day(plan.landfall)}, reported {history.reported_days}, "
            f"dark stores {int(plan.powerless.any(axis=0).sum())}, "
            f"disrupted {history.disrupted.mean():.1%}, posted {history.reported.mean():.1%}"
        )
        print(f"  districts (severity, reopening day): {reopen}")
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 180):
        print(stockout_table().to_string(index=False))


if __name__ == "__main__":
    main()
