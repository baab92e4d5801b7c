"""The driver-shortage scenario family: direct store delivery hit by a lack of truck drivers.

Milk, yoghurt, buns, eggs and packaged snacks come on the brands' own trucks, whose drivers
fill the shelf to par on route days; supermarkets' other goods come from the chain DC by
(s, S); corner shops buy at a cash-and-carry; markets from local growers. Modelled on the
UK's 2021 HGV-driver shortage and fuel crisis and on China's 2022 trucking-pass bottlenecks:
drivers miss stops (small and far stores first), trucks run part-loaded, fuel rationing
cuts and delays DC deliveries, shoppers panic-buy staples. See ``README.md``.

Run ``python -m bench.families.driver_shortage`` to print the measured stock-out table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench.families._driver_shortage_city import (
    KIND_MARKET,
    KIND_OTHER,
    KIND_SUPERMARKET,
    City,
    draw_city,
)
from bench.families._driver_shortage_event import (
    EventPlan,
    draw_event,
    neutral_plan,
    route_days,
)
from bench.families._driver_shortage_supply import Flows, mean_demand, simulate_flows
from bench.families.model import STORE_KINDS, CityHistory

FAMILY = "driver_shortage"
WARM_UP_DAYS = 7
"""Days simulated before day 0 so stocks settle from their opening guess."""
FOLLOW_UP_DAYS = 10
SKIP_CHANCE = {KIND_SUPERMARKET: 0.02, KIND_OTHER: 0.06, KIND_MARKET: 0.05}
"""Chance a store skips a day's report (×1.5 in the event, 30 % again the day after)."""
RECEIPT_SHARE = {KIND_SUPERMARKET: 0.7, KIND_OTHER: 0.3, KIND_MARKET: 0.0}
PRICE_LEVEL = {KIND_SUPERMARKET: 1.0, KIND_OTHER: 1.08, KIND_MARKET: 0.92}


@dataclass(frozen=True)
class DriverShortageSimulation:
    """A history with the simulator's own truth behind it (arrays cut to the history's days)."""

    history: CityHistory
    city: City
    plan: EventPlan  # indexed by internal day: history day d is plan day d + WARM_UP_DAYS
    opening_stock: np.ndarray  # (lines,) true stock at the end of the last warm-up day
    received: np.ndarray
    sales: np.ndarray
    demand: np.ndarray
    spoilage: np.ndarray
    route_day: np.ndarray  # DSD line's route weekday
    dsd_visit: np.ndarray  # the brand's truck stopped
    trip: np.ndarray  # (days, stores) cash-and-carry trips

    def plan_days(self, values: np.ndarray) -> np.ndarray:
        """Cut a plan array (internal days) to the history's days."""
        return values[WARM_UP_DAYS:]


def _report(
    city: City, flows: Flows, plan: EventPlan, kept: slice, seed: int
) -> dict[str, np.ndarray]:
    """What the stores post: skipped days, count and scale errors, optional receipts, prices."""
    rng = np.random.default_rng([seed, 3])
    true_stock = flows.stock[kept]
    days, n = true_stock.shape
    stores = len(city.stores)
    kind = city.store_kind
    skip_draw = rng.random((days, stores))
    base = np.array([SKIP_CHANCE[int(k)] for k in kind])
    skip_factor = plan.report_skip[kept]
    posted = np.ones((days, stores), dtype=bool)
    for day in range(days):
        chance = base * skip_factor[day]
        if day:
            chance = np.where(~posted[day - 1], 0.3, chance)
        posted[day] = skip_draw[day] >= chance
    reported = posted[:, city.line_store]
    line_kind = city.line_kind[None, :]
    slip = rng.integers(1, 4, (days, n)) * rng.choice((-1.0, 1.0), (days, n))
    miscount = (rng.random((days, n)) < 0.02) & (line_kind == KIND_SUPERMARKET)
    shop_error = (rng.random((days, n)) < 0.08) & (line_kind == KIND_OTHER)
    shop_count = np.round(true_stock * rng.normal(1.0, 0.1, (days, n)))
    eyed = np.round(true_stock * rng.lognormal(0.0, 0.08, (days, n)))
    stock = np.where(miscount, true_stock + slip, true_stock)
    stock = np.where(shop_error, shop_count, stock)
    stock = np.maximum(np.where(line_kind == KIND_MARKET, eyed, stock), 0.0)
    true_sales = flows.sales[kept]
    market_sales = np.round(true_sales * rng.lognormal(0.0, 0.05, (days, n)))
    sales = np.where(line_kind == KIND_MARKET, market_sales, true_sales)
    keeps_receipts = rng.random(stores) < np.array([RECEIPT_SHARE[int(k)] for k in kind])
    received = np.where(keeps_receipts[city.line_store][None, :], flows.received[kept], np.nan)
    level = np.array([PRICE_LEVEL[int(k)] for k in city.line_kind])
    walk = np.cumsum(rng.normal(0.0, 0.005, (days, n)), axis=0)
    base_price = city.catalogue_price * level * rng.lognormal(0.0, 0.06, n)
    price = np.round(base_price * np.exp(walk) * plan.price[kept], 2)
    price = np.maximum(price, 0.01)
    hide = ~reported
    return {
        "stock": np.where(hide, np.nan, stock),
        "sales": np.where(hide, np.nan, sales),
        "price": np.where(hide, np.nan, price),
        "received": np.where(hide, np.nan, received),
        "reported": reported,
    }


def simulate(seed: int, *, emergency: bool = True) -> DriverShortageSimulation:
    """Draw the city and its days, run them, and keep the physical truth beside the reports."""
    rng = np.random.default_rng([seed, 1])
    city = draw_city(rng)
    first_date = date(2025, 9, 1) + timedelta(days=int(rng.integers(0, 28)))
    reported_days = int(rng.integers(48, 53))
    event_start = int(rng.integers(25, 33))
    total = WARM_UP_DAYS + reported_days + FOLLOW_UP_DAYS
    start_date = first_date - timedelta(days=WARM_UP_DAYS)
    weekdays = np.array([(start_date + timedelta(days=day)).weekday() for day in range(total)])
    if emergency:
        event_rng = np.random.default_rng([seed, 2])
        plan = draw_event(city, weekdays, WARM_UP_DAYS + event_start, event_rng)
    else:
        plan = neutral_plan(city, weekdays)
    expected = mean_demand(city, weekdays, seed)
    flows = simulate_flows(city, weekdays, plan, expected, seed)
    kept = slice(WARM_UP_DAYS, total)
    posted = _report(city, flows, plan, kept, seed)
    if emergency:
        last = WARM_UP_DAYS + reported_days - 1
        disrupted = plan.disrupted(WARM_UP_DAYS + event_start, last)
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
    return DriverShortageSimulation(
        history=history,
        city=city,
        plan=plan,
        opening_stock=flows.stock[WARM_UP_DAYS - 1],
        received=flows.received[kept],
        sales=flows.sales[kept],
        demand=flows.demand[kept],
        spoilage=flows.spoilage[kept],
        route_day=route_days(city, weekdays)[kept],
        dsd_visit=plan.dsd_visit[kept],
        trip=flows.trip[kept],
    )


def generate(seed: int, *, emergency: bool = True) -> CityHistory:
    """The bench's entry point: one city history for ``seed``."""
    return simulate(seed, emergency=emergency).history


def stockout_table(seeds: tuple[int, ...] = (1, 2)) -> pd.DataFrame:
    """Share of line-days with true stock ≤ 0 by kind: ordinary weeks, event, same days calm."""
    rows = []
    for seed in seeds:
        storm, calm = simulate(seed), simulate(seed, emergency=False)
        history = storm.history
        start = history.event_start
        assert start is not None
        event = slice(start, history.reported_days)
        ordinary = slice(0, calm.history.reported_days)
        groups = {"all lines": np.ones(history.line_count, dtype=bool)}
        for index, kind in enumerate(STORE_KINDS):
            groups[kind] = storm.city.line_kind == index
        groups["disrupted"] = history.disrupted
        groups["not disrupted"] = ~history.disrupted
        for name, mask in groups.items():
            rows.append(
                {
                    "seed": seed,
                    "lines": name,
                    "ordinary weeks": (calm.history.true_stock[ordinary][:, mask] <= 0).mean(),
                    "event": (history.true_stock[event][:, mask] <= 0).mean(),
                    "same days, no event": (calm.history.true_stock[event][:, mask] <= 0).mean(),
                }
            )
    return pd.DataFrame(rows)


def main() -> None:
    """Print the seeds' figures for the README."""
    for seed in (1, 2):
        simulation = simulate(seed)
        history, plan = simulation.history, simulation.plan
        kinds = {kind: int(count) for kind, count in history.stores["kind"].value_counts().items()}
        print(
            f"seed {seed}: first date {history.first_date}, stores {len(history.stores)} "
            f"({kinds}), lines {history.line_count}, event_start {history.event_start}, "
            f"reported {history.reported_days}, build {plan.build_days}, "
            f"rationing {np.subtract(plan.rationing, WARM_UP_DAYS).tolist()}, "
            f"panic {np.subtract(plan.panic, WARM_UP_DAYS).tolist()}, "
            f"recovery {np.subtract(plan.recovery, WARM_UP_DAYS).tolist()}, "
            f"disrupted {history.disrupted.mean():.1%}, posted {history.reported.mean():.1%}"
        )
    table = stockout_table()
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
