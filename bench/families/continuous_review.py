"""Continuous-review city: a flood or a blocked highway cuts the roads into a few districts.

Written from a description of a real retail supply chain (``bench/families/README.md``,
section "continuous_review"), never from the monitor. Chain supermarkets reorder by
continuous review (s, S) from their distribution centre with random lead times, independent
grocers get fixed weekly deliveries of dry goods and buy fresh goods at the wholesale
market, farmers' markets sell what nearby farms bring each morning; deliveries can be late
and partial and fresh goods spoil. From ``event_start`` deliveries into two or three cut
districts fall to 0-40 % (some recover after 5-10 days), elsewhere lead times grow and
news brings a short surge of buying; later some stores ration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench.families._continuous_review_city import (
    DEMAND_SPREAD,
    DRY_SHELF_LIFE_DAYS,
    KIND_FARMERS_MARKET,
    KIND_GROCER,
    assign_lines,
    line_policies,
    place_stores,
    read_service_table,
)
from bench.families._continuous_review_supply import (
    SupplyConditions,
    SupplyTruth,
    draw_supply_randomness,
    simulate_supply,
)
from bench.families._continuous_review_world import (
    CATEGORIES,
    EventPlan,
    draw_shopper_demand,
    ordinary_plan,
    plan_flood,
)
from bench.families.model import CityHistory

FAMILY = "continuous_review"
BURN_IN_DAYS = 42
"""Unreported days simulated first, so stock, orders and last month's sales are settled."""
FOLLOW_UP_DAYS = 7
CORE_DISTRICTS = ("410402", "410403", "410411")
"""The city core, where the chains' distribution centres and the wholesale market stand:
never cut."""
FIRST_POSSIBLE_DATE = date(2024, 6, 3)
"""Flood season: the city's history starts in June or early July."""
DC_PARTIAL_CHANCE = 0.05
"""Share of deliveries (DC, wholesaler, farms) that come short of the order."""
RATION_TRIGGER_DAYS = 2.0
RECEIVED_REPORTING = (0.9, 0.25, 0.4)
"""Share of supermarkets, farmers' markets and grocers that report deliveries received."""
MISSED_REPORT_CHANCE = (0.01, 0.03, 0.04)
"""Daily chance a supermarket, farmers' market or grocer misses its report."""
PRICE_LEVEL = (1.0, 0.9, 1.05)
"""Price relative to the catalogue's typical price by store kind."""


@dataclass(frozen=True)
class ContinuousReviewCity:
    """The history handed to the bench plus the simulator's own truth, for tests and README."""

    history: CityHistory
    supply: SupplyTruth
    """Physical stock, received, sales and spoilage on the simulated (reported and
    follow-up) days; ``supply.opening_stock`` is the stock at the end of the day before."""
    demand: np.ndarray
    """Shape (days, lines): what customers wanted to buy (sales are capped by stock)."""
    event: EventPlan
    """The event day by day (day 0 is the first reported day, as everywhere here)."""
    district_codes: tuple[str, ...]
    """District codes in the order of the event's district arrays."""


def simulate(seed: int, *, emergency: bool = True) -> ContinuousReviewCity:
    """The city for a seed with its truth; with or without the flood it shares every draw."""
    root = np.random.default_rng(seed)
    city_rng, demand_rng, supply_rng, event_rng, surge_rng, report_rng = root.spawn(6)
    catalogue = read_service_table(name="products.csv")
    districts = read_service_table(name="districts.csv")

    first_date = FIRST_POSSIBLE_DATE + timedelta(days=int(city_rng.integers(0, 35)))
    event_start = int(city_rng.integers(26, 31))
    reported_days = event_start + int(city_rng.integers(14, 22))
    simulated_days = reported_days + FOLLOW_UP_DAYS
    days = BURN_IN_DAYS + simulated_days
    stores = place_stores(rng=city_rng, districts=districts)
    line_table = assign_lines(rng=city_rng, stores=stores, catalogue=catalogue)
    policies = line_policies(
        rng=city_rng, stores=stores, line_table=line_table, catalogue=catalogue
    )
    store_index = line_table["store_index"].to_numpy()
    product_index = line_table["product_index"].to_numpy()
    line_kind = stores["kind_index"].to_numpy()[store_index]
    category = catalogue["category"].to_numpy()[product_index]
    dry = policies.shelf_life >= DRY_SHELF_LIFE_DAYS
    staple = dry | np.isin(category, ["grain", "edible_oil", "eggs"])

    weekday = (first_date.weekday() - BURN_IN_DAYS + np.arange(days)) % 7
    shoppers = draw_shopper_demand(
        rng=demand_rng,
        base_demand=policies.base_demand,
        line_product=product_index,
        line_district=policies.district,
        line_category=np.array([CATEGORIES.index(name) for name in category], dtype=int),
        line_dry=dry,
        demand_spread=np.array(DEMAND_SPREAD)[line_kind],
        weekday=weekday,
        product_count=len(catalogue),
        district_count=len(districts),
    )
    outer = np.flatnonzero(~districts["code"].isin(CORE_DISTRICTS).to_numpy())
    flood = plan_flood(
        rng=event_rng,
        days=days,
        start_day=BURN_IN_DAYS + event_start,
        outer_districts=outer,
        district_count=len(districts),
        line_district=policies.district,
        line_staple=staple,
    )
    demand = shoppers.demand
    plan = ordinary_plan(days=days, district_count=len(districts), line_count=len(line_table))
    if emergency:
        plan = flood
        rise = surge_rng.poisson(shoppers.mean * np.maximum(plan.demand_factor - 1.0, 0.0))
        kept = surge_rng.binomial(demand.astype(np.int64), np.minimum(plan.demand_factor, 1.0))
        demand = (kept + rise).astype(float)

    truth = simulate_supply(
        policies=policies,
        conditions=SupplyConditions(
            demand=demand,
            expected_demand_factor=shoppers.expected_factor,
            weekday=weekday,
            access=plan.access,
            extra_lead_days=plan.extra_lead_days,
            supplier_fill=plan.supplier_fill,
            planning_lead_allowance=plan.planning_lead_allowance,
            rationing=plan.rationing,
            ration_trigger_days=RATION_TRIGGER_DAYS,
        ),
        draws=draw_supply_randomness(
            rng=supply_rng,
            days=days,
            line_count=len(line_table),
            partial_chance=DC_PARTIAL_CHANCE,
        ),
    )
    shown = slice(BURN_IN_DAYS, None)
    visible = SupplyTruth(
        opening_stock=truth.stock[BURN_IN_DAYS - 1],
        stock=truth.stock[shown],
        received=truth.received[shown],
        sales=truth.sales[shown],
        spoiled=truth.spoiled[shown],
    )
    reports = draw_reports(
        rng=report_rng,
        stores=stores,
        line_table=line_table,
        typical_price=catalogue["typical_price_cny"].to_numpy(dtype=float),
        truth=visible,
        base_demand=policies.base_demand,
        dry=dry,
        plan=plan.from_day(BURN_IN_DAYS),
    )
    history = CityHistory(
        family=FAMILY,
        seed=seed,
        first_date=first_date,
        reported_days=reported_days,
        follow_up_days=FOLLOW_UP_DAYS,
        event_start=event_start if emergency else None,
        stores=stores[["code", "name", "district", "kind", "chain"]].copy(),
        lines=pd.DataFrame(
            {
                "store": stores["code"].to_numpy()[store_index],
                "product": catalogue["code"].to_numpy()[product_index],
            }
        ),
        true_stock=visible.stock.copy(),
        disrupted=plan.cut[policies.district],
        **reports,
    )
    return ContinuousReviewCity(
        history=history,
        supply=visible,
        demand=demand[shown],
        event=plan.from_day(BURN_IN_DAYS),
        district_codes=tuple(districts["code"]),
    )


def generate(seed: int, *, emergency: bool = True) -> CityHistory:
    """The city's history for a seed as the bench replays it (ordinary weeks if not emergency)."""
    return simulate(seed, emergency=emergency).history


def draw_reports(
    *,
    rng: np.random.Generator,
    stores: pd.DataFrame,
    line_table: pd.DataFrame,
    typical_price: np.ndarray,
    truth: SupplyTruth,
    base_demand: np.ndarray,
    dry: np.ndarray,
    plan: EventPlan,
) -> dict[str, np.ndarray]:
    """What stores post each day (NaN when unreported): what the bench sees of the truth."""
    days, line_count = truth.stock.shape
    store_index = line_table["store_index"].to_numpy()
    product_index = line_table["product_index"].to_numpy()
    store_kind = stores["kind_index"].to_numpy()
    store_district = stores["district_index"].to_numpy()
    kind = store_kind[store_index]
    line_district = store_district[store_index]

    chance = (
        np.array(MISSED_REPORT_CHANCE)[store_kind] + plan.missed_report_chance[:, store_district]
    )
    missed = rng.random((days, len(stores))) < chance
    still_missing = rng.random((days, len(stores))) < 0.3
    for day in range(1, days):
        missed[day] |= missed[day - 1] & still_missing[day]
    reported = ~missed[:, store_index]

    grocer_miscount = rng.random((days, line_count)) < 0.3
    grocer_error = rng.normal(0.0, 0.04, size=(days, line_count))
    market_error = rng.normal(0.0, 0.06, size=(days, line_count))
    market_sales_error = rng.normal(0.0, 0.05, size=(days, line_count))
    stock = truth.stock.copy()
    grocer = (kind == KIND_GROCER) & grocer_miscount
    stock[grocer] = np.round(truth.stock[grocer] * (1.0 + grocer_error[grocer]))
    market = np.broadcast_to(kind == KIND_FARMERS_MARKET, stock.shape)
    stock[market] = np.round(truth.stock[market] * (1.0 + market_error[market]))
    sales = truth.sales.copy()
    sales[market] = np.round(truth.sales[market] * (1.0 + market_sales_error[market]))

    reports_received = rng.random(len(stores)) < np.array(RECEIVED_REPORTING)[store_kind]
    received = np.where(reports_received[store_index], truth.received, np.nan)

    line_price = typical_price[product_index] * np.array(PRICE_LEVEL)[kind]
    line_price = line_price * rng.lognormal(0.0, 0.06, size=line_count)
    product_walk = np.cumsum(rng.normal(0.0, 0.006, size=(days, len(typical_price))), axis=0)
    opening = np.vstack([truth.opening_stock, truth.stock[:-1]])
    pressure = plan.price_pressure[:, line_district]
    scarce = (pressure > 0) & (opening < base_demand)
    markup = 1.0 + pressure * np.where(dry, 0.4, 1.0) + 0.1 * scarce
    price = np.round(line_price * np.exp(product_walk[:, product_index]) * markup, 2)
    price = np.maximum(price, 0.1)

    hidden = ~reported
    values = {
        "stock": np.maximum(stock, 0.0),
        "sales": np.maximum(sales, 0.0),
        "price": price,
        "received": received,
    }
    for array in values.values():
        array[hidden] = np.nan
    return {**values, "reported": reported}


def stockout_events(
    *, true_stock: np.ndarray, first_day: int, end_day: int, line_mask: np.ndarray | None = None
) -> int:
    """Line-days in [first_day, end_day) that run out after two in-stock days: the events."""
    out = true_stock <= 0
    events = np.zeros_like(out)
    events[2:] = out[2:] & ~out[1:-1] & ~out[:-2]
    if line_mask is not None:
        events = events[:, line_mask]
    return int(events[max(first_day, 0) : end_day].sum())


def out_of_stock_share(
    *, true_stock: np.ndarray, first_day: int, end_day: int, line_mask: np.ndarray | None = None
) -> float:
    """Share of line-days in [first_day, end_day) with true stock ≤ 0: time on empty shelves."""
    window = true_stock[first_day:end_day]
    if line_mask is not None:
        window = window[:, line_mask]
    return float((window <= 0).mean()) if window.size else 0.0
