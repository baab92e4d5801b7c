"""The wholesale-hub city: its stores, their assortments and every line's fixed figures.

Kept apart from the day-by-day simulation so the city a seed draws can be read and
tested on its own (see README.md, section ``wholesale_hub``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

KIND_SUPERMARKET, KIND_SHOP, KIND_STALLS = 0, 1, 2
"""Store kinds inside the simulation: chain supermarket, independent shop, wet market."""
SERVICE_KIND = {KIND_SUPERMARKET: "supermarket", KIND_SHOP: "other", KIND_STALLS: "farmers_market"}
"""The service's store kind of each simulated kind."""

CHANNEL_DC, CHANNEL_NIGHT_MARKET, CHANNEL_WORKSHOP, CHANNEL_TRIP_MARKET, CHANNEL_CASH_CARRY = (
    0,
    1,
    2,
    3,
    4,
)
"""Where a line's goods come from: the chain's distribution centre; the wholesale market
at night (wet-market stalls); a local tofu or bun workshop at night (stalls); the
wholesale market on the owner's trip (shops' fresh goods); the cash-and-carry on the
owner's trip (shops' packaged goods)."""
MARKET_CHANNELS = (CHANNEL_NIGHT_MARKET, CHANNEL_TRIP_MARKET)
"""Channels that pass through the wholesale market and stop when it closes."""

CHAINS = (("JH", "Jinghua Mart"), ("YF", "Yongfeng Supermarkets"), ("DS", "Dongsheng Fresh"))
"""The three supermarket chains, each with one distribution centre serving the whole city."""

LOCAL_WORKSHOP_GOODS = frozenset({"tofu", "steamed_buns"})
"""Made overnight in the neighbourhood, not bought at the wholesale market."""
STAPLES = frozenset(
    {
        "rice",
        "flour",
        "noodles_dry",
        "instant_noodles",
        "peanut_oil",
        "soybean_oil",
        "rapeseed_oil",
        "blended_oil",
        "eggs",
    }
)
"""Goods households hoard first in a panic (rice, flour, oil, noodles, eggs)."""
SHOP_ALWAYS = ("instant_noodles", "ham_sausage", "eggs", "milk", "rice", "blended_oil")
SHOP_OPTIONAL = (
    "noodles_dry",
    "flour",
    "soybean_oil",
    "peanut_oil",
    "yogurt",
    "fresh_milk",
    "tomato",
    "cucumber",
    "potato",
    "cabbage",
    "scallion",
    "green_pepper",
    "apple",
    "banana",
    "orange",
    "millet",
)
"""A convenience shop's possible assortment: packaged staples and a little produce."""
SHOP_PACKAGED_BOOST = frozenset({"instant_noodles", "ham_sausage", "milk", "yogurt"})
"""Packaged goods a convenience shop sells well above its size."""

WEEKDAY = {
    KIND_SUPERMARKET: (0.93, 0.90, 0.93, 0.97, 1.04, 1.15, 1.08),
    KIND_SHOP: (0.99, 0.98, 0.98, 1.00, 1.03, 1.03, 0.99),
    KIND_STALLS: (0.97, 0.95, 0.96, 0.98, 1.02, 1.09, 1.03),
}
"""Monday-first weekday factors per kind (supermarkets busy at weekends, shops flat)."""
SKIP_CHANCE = {KIND_SUPERMARKET: 0.015, KIND_SHOP: 0.05, KIND_STALLS: 0.06}
"""Chance a store posts no report on a day (0.3 the day after a skip)."""
RECEIVED_REPORTERS = {KIND_SUPERMARKET: 0.8, KIND_SHOP: 0.3, KIND_STALLS: 0.0}
"""Share of stores of each kind that report received quantities."""
PRICE_LEVEL = {KIND_SUPERMARKET: 1.0, KIND_SHOP: 1.08, KIND_STALLS: 0.92}
"""Retail price relative to the catalogue's typical price."""
BUCKETS = 8
"""Stock is kept by days of life left (1 .. 8); goods arriving with longer life share one
bucket that never expires inside the history."""


@dataclass(frozen=True)
class City:
    """The stores and lines a seed draws, with every line's fixed figures (arrays per line)."""

    stores: pd.DataFrame
    lines: pd.DataFrame
    district_codes: tuple[str, ...]
    store_kind: np.ndarray
    store_district: np.ndarray
    store_chain: np.ndarray
    """Chain index (CHAINS) of a supermarket, -1 for other stores."""
    store_skip: np.ndarray
    store_reports_received: np.ndarray
    store_weekday: np.ndarray
    """(stores, 7) weekday factors, mean 1."""
    trip_cycle: np.ndarray
    """Days between a shop owner's buying trips (2 or 3); 0 for other stores."""
    budget: np.ndarray
    """Cash a shop owner takes on a trip (CNY at wholesale prices); 0 for other stores."""
    market_dependence: np.ndarray
    """Share of a store's market-bought goods that came through the wholesale hub."""
    line_store: np.ndarray
    line_kind: np.ndarray
    line_district: np.ndarray
    line_chain: np.ndarray
    channel: np.ndarray
    category: np.ndarray
    base_demand: np.ndarray
    """Mean daily demand of the line on an average weekday in ordinary times."""
    gamma_shape: np.ndarray
    arrival_life: np.ndarray
    """Days of life left when goods arrive (> BUCKETS: kept in the no-expiry bucket)."""
    shrink: np.ndarray
    """Share of stock lost every night to wilting, bruising, trimming and breakage."""
    base_price: np.ndarray
    staple: np.ndarray
    fresh: np.ndarray
    """Vegetables, fruit, fresh meat and fish, eggs, tofu and buns."""
    markup: np.ndarray
    """A stall's purchase as a multiple of the day's sales."""
    margin: np.ndarray
    """A shop owner's margin on the days to the next trip."""
    safety_z: np.ndarray
    cover_days: np.ndarray
    """Days of forecast between a supermarket line's s and S."""
    display: np.ndarray
    """Units a shop keeps on the shelf whatever it sells (a full-looking facing)."""


def read_catalogue() -> pd.DataFrame:
    """The catalogue's products (codes, categories, shelf lives, typical sales and prices)."""
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file)


def read_districts() -> pd.DataFrame:
    """The service's districts with their populations."""
    with (resources.files("service") / "data" / "districts.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file, dtype={"code": str})


def _store_counts(rng: np.random.Generator, districts: pd.DataFrame) -> np.ndarray:
    """(districts, 3) stores of each kind: two supermarkets and a wet market everywhere, the
    rest by population (urban districts lean to shops, counties to markets)."""
    population = districts["population_approx"].to_numpy(float)
    urban = districts["kind"].to_numpy() == "urban_district"
    total = 1 + np.round(42 * population / population.sum() + rng.uniform(0, 1.5, len(population)))
    counts = np.zeros((len(districts), 3), dtype=int)
    for index, stores in enumerate(total.astype(int)):
        weights = np.array([0.33, 0.45, 0.22]) if urban[index] else np.array([0.30, 0.38, 0.32])
        extra = rng.multinomial(max(stores - 3, 0), weights)
        counts[index] = extra + np.array([1, 1, 1])
    return counts


def _assortment(
    rng: np.random.Generator, kind: int, catalogue: pd.DataFrame, stall_goods: list[str]
) -> list[str]:
    """The products one store carries: supermarkets most of the catalogue, shops packaged
    staples and some produce, stalls fresh goods only."""
    weights = np.sqrt(catalogue["typical_daily_sales_per_store"].to_numpy(float))
    codes = catalogue["code"].to_list()
    if kind == KIND_SUPERMARKET:
        size = int(rng.integers(34, 47))
        chosen = rng.choice(len(codes), size=size, replace=False, p=weights / weights.sum())
        picked = {codes[i] for i in chosen} | {"rice", "flour", "eggs", "pork", "cabbage"}
        return [code for code in codes if code in picked]
    if kind == KIND_SHOP:
        extra = int(rng.integers(9, 16))
        optional = rng.choice(len(SHOP_OPTIONAL), size=extra, replace=False)
        picked = set(SHOP_ALWAYS) | {SHOP_OPTIONAL[i] for i in optional}
        return [code for code in codes if code in picked]
    size = int(rng.integers(18, 27))
    stall_weights = weights[[codes.index(code) for code in stall_goods]]
    chosen = rng.choice(
        len(stall_goods), size=size, replace=False, p=stall_weights / stall_weights.sum()
    )
    picked = {stall_goods[i] for i in chosen}
    return [code for code in codes if code in picked]


def draw_city(rng: np.random.Generator) -> City:
    """Draw the stores, their assortments and the fixed figures of every line."""
    catalogue = read_catalogue().set_index("code", drop=False)
    districts = read_districts()
    stall_goods = [
        code
        for code, category, life in zip(
            catalogue["code"], catalogue["category"], catalogue["shelf_life_days"], strict=True
        )
        if category in ("vegetables", "fruit", "eggs") or (category == "meat" and life <= 5)
    ] + ["steamed_buns"]
    counts = _store_counts(rng, districts)
    chain_order = rng.permutation(len(CHAINS))
    store_rows: list[dict[str, object]] = []
    kinds: list[int] = []
    chains: list[int] = []
    store_districts: list[int] = []
    supermarkets_seen = 0
    for district_index, code in enumerate(districts["code"]):
        name = str(districts["name_en"].iloc[district_index])
        for kind in (KIND_SUPERMARKET, KIND_SHOP, KIND_STALLS):
            for number in range(counts[district_index, kind]):
                chain = -1
                if kind == KIND_SUPERMARKET:
                    chain = int(chain_order[supermarkets_seen % len(CHAINS)])
                    supermarkets_seen += 1
                    short, chain_name = CHAINS[chain]
                    store_code = f"WH-SM-{short}-{code}-{number + 1}"
                    store_name = f"{chain_name} {name} {number + 1}"
                elif kind == KIND_SHOP:
                    store_code = f"WH-CV-{code}-{number + 1}"
                    store_name = chain_name = f"{name} corner shop {number + 1}"
                else:
                    store_code = f"WH-WM-{code}-{number + 1}"
                    store_name = chain_name = f"{name} wet market {number + 1}"
                store_rows.append(
                    {
                        "code": store_code,
                        "name": store_name,
                        "district": code,
                        "kind": SERVICE_KIND[kind],
                        "chain": chain_name,
                    }
                )
                kinds.append(kind)
                chains.append(chain)
                store_districts.append(district_index)
    stores = pd.DataFrame(store_rows, columns=["code", "name", "district", "kind", "chain"])
    store_kind = np.array(kinds)
    store_count = len(stores)
    scale = np.select(
        [store_kind == KIND_SUPERMARKET, store_kind == KIND_SHOP],
        [rng.uniform(0.7, 1.6, store_count), rng.uniform(0.1, 0.25, store_count)],
        rng.uniform(0.8, 1.8, store_count),
    )
    weekday = np.array([WEEKDAY[int(kind)] for kind in store_kind])
    weekday *= np.exp(rng.normal(0, 0.02, weekday.shape))
    weekday /= weekday.mean(axis=1, keepdims=True)
    is_shop = store_kind == KIND_SHOP
    trip_cycle = np.where(is_shop, rng.choice([2, 3], store_count, p=[0.55, 0.45]), 0)
    dependence = np.where(
        store_kind == KIND_SUPERMARKET,
        rng.uniform(0.2, 0.35, store_count),
        rng.uniform(0.7, 0.9, store_count),
    )

    line_rows: list[tuple[int, str]] = []
    for store_index, kind in enumerate(store_kind):
        for product in _assortment(rng, int(kind), catalogue, stall_goods):
            line_rows.append((store_index, product))
    line_store = np.array([row[0] for row in line_rows])
    products = [row[1] for row in line_rows]
    product_rows = catalogue.loc[products]
    line_kind = store_kind[line_store]
    category = product_rows["category"].to_numpy(str)
    life = product_rows["shelf_life_days"].to_numpy(int)
    fresh = np.isin(category, ["vegetables", "fruit", "eggs"]) | (
        (category == "meat") & (life <= 5)
    )
    fresh |= np.isin(products, ["steamed_buns", "tofu"])
    workshop = np.isin(products, list(LOCAL_WORKSHOP_GOODS))
    channel = np.select(
        [
            line_kind == KIND_SUPERMARKET,
            (line_kind == KIND_STALLS) & workshop,
            line_kind == KIND_STALLS,
            (line_kind == KIND_SHOP) & fresh & ~workshop,
        ],
        [CHANNEL_DC, CHANNEL_WORKSHOP, CHANNEL_NIGHT_MARKET, CHANNEL_TRIP_MARKET],
        CHANNEL_CASH_CARRY,
    )
    line_count = len(line_rows)
    boost = np.where(
        (line_kind == KIND_SHOP) & np.isin(products, list(SHOP_PACKAGED_BOOST)), 2.0, 1.0
    )
    base_demand = (
        product_rows["typical_daily_sales_per_store"].to_numpy(float)
        * scale[line_store]
        * boost
        * np.exp(rng.normal(0, 0.35, line_count))
    )
    shape_centre = np.select(
        [line_kind == KIND_SUPERMARKET, line_kind == KIND_SHOP], [15.0, 6.0], 20.0
    )
    gamma_shape = np.clip(shape_centre * np.exp(rng.normal(0, 0.4, line_count)), 1, 60)
    freshness = np.where(channel == CHANNEL_DC, 0.85, 0.9)
    arrival_life = np.maximum(1, np.round(life * freshness)).astype(int)
    produce = np.isin(category, ["vegetables", "fruit"])
    shrink = np.where(produce, 0.3 / life, np.where(life <= 30, 0.08 / life, 0.0))
    shrink = np.minimum(shrink * np.where(line_kind == KIND_STALLS, 1.5, 1.0), 0.06)
    kind_price = np.array([PRICE_LEVEL[int(kind)] for kind in line_kind])
    base_price = (
        product_rows["typical_price_cny"].to_numpy(float)
        * kind_price
        * np.exp(rng.normal(0, 0.05, line_count))
    )
    store_z = rng.uniform(1.2, 1.8, len(CHAINS))
    line_chain = np.array(chains)[line_store]
    safety_z = np.where(line_chain >= 0, store_z[np.maximum(line_chain, 0)], 0.0)
    cover_days = np.select(
        [arrival_life <= 3, arrival_life <= BUCKETS, life <= 30], [0.5, 1.0, 3.0], 7.0
    )
    markup = rng.uniform(1.3, 1.5, store_count)[line_store]
    margin = rng.uniform(0.2, 0.5, store_count)[line_store]
    trip_value = np.bincount(
        line_store,
        weights=(base_demand * (trip_cycle[line_store] + 0.5) + 0.5) * base_price * 0.75,
        minlength=store_count,
    )
    budget = np.where(is_shop, trip_value * rng.uniform(0.95, 1.25, store_count), 0.0)
    skip = np.array([SKIP_CHANCE[int(kind)] for kind in store_kind])
    reports_received = rng.random(store_count) < np.array(
        [RECEIVED_REPORTERS[int(kind)] for kind in store_kind]
    )
    lines = pd.DataFrame({"store": stores["code"].to_numpy()[line_store], "product": products})
    return City(
        stores=stores,
        lines=lines,
        district_codes=tuple(districts["code"]),
        store_kind=store_kind,
        store_district=np.array(store_districts),
        store_chain=np.array(chains),
        store_skip=skip,
        store_reports_received=reports_received,
        store_weekday=weekday,
        trip_cycle=trip_cycle,
        budget=budget,
        market_dependence=dependence,
        line_store=line_store,
        line_kind=line_kind,
        line_district=np.array(store_districts)[line_store],
        line_chain=line_chain,
        channel=channel,
        category=category,
        base_demand=base_demand,
        gamma_shape=gamma_shape,
        arrival_life=arrival_life,
        shrink=shrink,
        base_price=base_price,
        staple=np.isin(products, list(STAPLES)),
        fresh=fresh,
        markup=markup,
        margin=margin,
        safety_z=safety_z,
        cover_days=cover_days,
        display=np.where((line_kind == KIND_SHOP) & (arrival_life > BUCKETS), 3.0, 0.0),
    )
