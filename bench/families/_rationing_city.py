"""The rationing city: stores, assortments and each line's demand and replenishment figures.

Kept apart from the day-by-day simulation so the city a seed draws can be read (and tested)
on its own: which store sells what, who supplies it, how often it is reviewed, and which
stores the grain bureau designated as emergency supply points for the state reserve.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from bench.families.model import STORE_KINDS

SUPERMARKET, GRAIN_SHOP, CONVENIENCE, MARKET = 0, 1, 2, 3
"""Store types: chain supermarkets, grain-and-oil shops, convenience stores, farmers' markets."""

KIND_OF_TYPE = {
    SUPERMARKET: STORE_KINDS.index("supermarket"),
    GRAIN_SHOP: STORE_KINDS.index("other"),
    CONVENIENCE: STORE_KINDS.index("other"),
    MARKET: STORE_KINDS.index("farmers_market"),
}
"""The service's store kind (index into ``STORE_KINDS``) of each store type."""

IMPORT_SHARE = {
    "rice": 0.80,
    "flour": 0.70,
    "noodles_dry": 0.50,
    "soybean_oil": 0.90,
    "blended_oil": 0.85,
    "rapeseed_oil": 0.60,
    "peanut_oil": 0.40,
}
"""Share of the city's wholesale supply of each product that comes through the port importer."""

PURCHASE_LIMIT = {
    "rice": 5.0,
    "flour": 5.0,
    "noodles_dry": 2.0,
    "soybean_oil": 5.0,
    "blended_oil": 5.0,
    "rapeseed_oil": 5.0,
    "peanut_oil": 5.0,
}
"""Per-customer limit once rationing starts: one 5-kg bag of rice or flour, one 5-L drum of oil."""

BASKET = {
    "rice": 4.0,
    "flour": 3.5,
    "noodles_dry": 1.2,
    "soybean_oil": 3.0,
    "blended_oil": 3.0,
    "rapeseed_oil": 3.0,
    "peanut_oil": 3.0,
}
"""Ordinary quantity one buyer takes (canonical units): a mix of 2.5-, 5- and 10-kg bags."""

RESERVE_PRODUCTS = ("rice", "flour", "soybean_oil")
"""What the state reserve releases to designated stores (rice, wheat flour, soybean oil)."""

MARKET_FRESH = (
    *("cabbage", "round_cabbage", "potato", "tomato", "cucumber", "eggplant", "green_pepper"),
    *("carrot", "onion", "white_radish", "celery", "spinach", "rape_greens", "lettuce"),
    *("green_beans", "cauliflower", "scallion", "garlic", "ginger", "tofu", "apple", "banana"),
    *("orange", "pear", "watermelon", "grapes", "pork", "pork_ribs", "beef", "mutton"),
    *("chicken", "chicken_legs", "carp", "grass_carp", "eggs", "duck_eggs", "steamed_buns"),
)
"""What a market's stalls sell: produce, the slaughterhouse's meat, fish, eggs, buns, tofu."""

MARKET_GRAIN_STALL = ("peanut_oil", "soybean_oil", "blended_oil", "noodles_dry", "millet")
"""A market's grain-and-oil stall sells rice and flour and one or two of these."""

ALWAYS = {
    SUPERMARKET: ("rice", "flour", "soybean_oil", "blended_oil", "eggs", "pork", "cabbage", "milk"),
    GRAIN_SHOP: ("rice", "flour", "noodles_dry", "soybean_oil", "blended_oil"),
    CONVENIENCE: ("instant_noodles", "ham_sausage", "milk", "yogurt", "eggs", "rice"),
    MARKET: ("pork", "eggs", "cabbage"),
}
OPTIONAL: dict[int, tuple[str, ...]] = {
    GRAIN_SHOP: (
        *("peanut_oil", "rapeseed_oil", "millet", "corn_flour", "instant_noodles", "eggs"),
        *("ham_sausage", "milk", "duck_eggs"),
    ),
    CONVENIENCE: (
        *("blended_oil", "flour", "noodles_dry", "soybean_oil", "peanut_oil", "fresh_milk"),
        *("steamed_buns", "tomato", "cucumber", "potato", "apple", "banana", "orange"),
        *("scallion", "garlic", "milk_powder", "millet", "tofu"),
    ),
    MARKET: MARKET_FRESH,
}
SIZE = {SUPERMARKET: (34, 45), GRAIN_SHOP: (10, 15), CONVENIENCE: (18, 25), MARKET: (20, 29)}
"""Products per store, low inclusive, high exclusive."""

CHAINS = ("Yingcheng Mart", "Zhongyuan Fresh", "Heng'an Supermarkets")
STATE_GRAIN_COMPANY = "Municipal Grain and Oil Co."
CORE_DISTRICTS = ("410402", "410403", "410411")
"""Xinhua, Weidong, Zhanhe: the urban core, with more supermarkets and convenience stores."""

FRESH_WEEKDAY = np.array([0.95, 0.93, 0.95, 0.98, 1.04, 1.12, 1.03])
DRY_WEEKDAY = np.array([0.90, 0.90, 0.95, 1.00, 1.05, 1.15, 1.05])
"""Monday-Sunday demand factors: the weekend shop, stronger for the weekly dry-goods buy."""


@dataclass(frozen=True)
class City:
    """Stores, lines and every per-line figure the simulation needs."""

    stores: pd.DataFrame
    lines: pd.DataFrame
    store_type: np.ndarray  # per store, SUPERMARKET .. MARKET
    designated: np.ndarray  # per store: an emergency supply point for the state reserve
    enforces_limit: np.ndarray  # per store: checks purchase limits at the till
    line_store: np.ndarray
    line_type: np.ndarray
    product: np.ndarray  # product code per line
    category: np.ndarray
    shelf_life: np.ndarray
    catalogue_price: np.ndarray
    mean_demand: np.ndarray  # ordinary mean daily demand (weekday average)
    dispersion: np.ndarray  # negative-binomial size k
    weekday: np.ndarray  # (7, lines) demand factor by Monday-0 weekday
    review_period: np.ndarray  # days between orders (0: market stall, bought every morning)
    review_phase: np.ndarray  # orders go out on days where (day - phase) % period == 0
    lead_table: np.ndarray  # (lines, 3) chances of 1 / 2 / 3 days' lead time
    planned_lead: np.ndarray  # lead time the order-up-to level allows for
    safety_factor: np.ndarray  # z of the safety stock
    presentation: np.ndarray  # units kept on show beyond the cover
    margin: np.ndarray  # shop owners' and stallholders' markup on their estimate
    smoothing: np.ndarray  # exponential-smoothing weight of the forecast
    spoil_rate: np.ndarray  # nightly share of stock lost
    import_share: np.ndarray  # share of the line's wholesale supply through the port
    limit: np.ndarray  # per-customer purchase limit (inf: never limited)
    basket: np.ndarray  # ordinary quantity per buyer
    reserve_line: np.ndarray  # designated store × reserve product
    reserve_quota: np.ndarray  # weekly reserve allotment (0 on other lines)

    @property
    def line_count(self) -> int:
        """Number of store × product lines."""
        return len(self.lines)


def catalogue() -> pd.DataFrame:
    """The service's product catalogue, indexed by code."""
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file).set_index("code")


def district_table() -> pd.DataFrame:
    """The service's districts (codes kept as strings)."""
    with (resources.files("service") / "data" / "districts.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file, dtype={"code": str})


def _store_types(districts: pd.DataFrame, rng: np.random.Generator) -> list[tuple[str, int]]:
    """(district, type) of every store: one of each but convenience per district, the rest
    by population, the core with more supermarkets and convenience stores."""
    total = int(rng.integers(60, 70))
    population = districts["population_approx"].to_numpy(float)
    extra = rng.multinomial(total - 3 * len(districts), population / population.sum())
    types: list[tuple[str, int]] = []
    order = (SUPERMARKET, GRAIN_SHOP, CONVENIENCE, MARKET)
    for code, more in zip(districts["code"], extra, strict=True):
        shares = (0.36, 0.10, 0.44, 0.10) if code in CORE_DISTRICTS else (0.32, 0.12, 0.36, 0.20)
        types += [(code, SUPERMARKET), (code, GRAIN_SHOP), (code, MARKET)]
        for pick in rng.choice(4, size=int(more), p=shares):
            types.append((code, order[int(pick)]))
    return types


def _assortment(store_type: int, products: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    """Products one store sells: its type's staples, the rest drawn by √ typical sales."""
    always = ALWAYS[store_type]
    pool = tuple(products.index) if store_type == SUPERMARKET else OPTIONAL[store_type]
    low, high = SIZE[store_type]
    rest = [code for code in pool if code not in always]
    size = min(int(rng.integers(low, high)) - len(always), len(rest))
    weight = np.sqrt(products.loc[rest, "typical_daily_sales_per_store"].to_numpy(float))
    drawn = set(rng.choice(rest, size=size, replace=False, p=weight / weight.sum()))
    if store_type == MARKET and rng.random() < 0.5:
        extra = int(rng.integers(1, 3))
        drawn |= {"rice", "flour", *rng.choice(MARKET_GRAIN_STALL, size=extra, replace=False)}
    return [code for code in products.index if code in set(always) | drawn]


def _scale(store_type: int, rng: np.random.Generator) -> float:
    """Store size as a multiple of the catalogue's mid-size supermarket."""
    if store_type == SUPERMARKET:
        return float(np.clip(rng.lognormal(0.1, 0.35), 0.5, 2.5))
    if store_type == GRAIN_SHOP:
        return float(rng.uniform(0.5, 1.0))
    if store_type == CONVENIENCE:
        return float(rng.uniform(0.12, 0.3))
    return float(rng.uniform(1.0, 2.0))


def _designate(stores: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Emergency supply points: every state grain shop, 40 % of supermarkets, and at least
    one of the two in every district."""
    kind = stores["type"].to_numpy()
    state_shop = (kind == GRAIN_SHOP) & (stores["chain"] == STATE_GRAIN_COMPANY).to_numpy()
    designated = state_shop | ((kind == SUPERMARKET) & (rng.random(len(stores)) < 0.4))
    for district in sorted(set(stores["district"])):
        here = (stores["district"] == district).to_numpy()
        if not designated[here].any():
            candidates = np.flatnonzero(here & (kind == SUPERMARKET))
            designated[int(rng.choice(candidates))] = True
    return designated


def draw_city(rng: np.random.Generator) -> City:
    """Draw the city for one seed: stores, lines and their replenishment figures."""
    products, districts = catalogue(), district_table()
    names = dict(zip(districts["code"], districts["name_en"], strict=True))
    prefix = {SUPERMARKET: "RT-SM", GRAIN_SHOP: "RT-GO", CONVENIENCE: "RT-CV", MARKET: "RT-FM"}
    label = {
        SUPERMARKET: "supermarket",
        GRAIN_SHOP: "grain and oil shop",
        CONVENIENCE: "convenience store",
        MARKET: "farmers' market",
    }
    store_rows, line_rows = [], []
    chain_z = {chain: float(rng.uniform(1.2, 1.8)) for chain in CHAINS}
    for index, (district, store_type) in enumerate(_store_types(districts, rng)):
        number = index + 1
        if store_type == SUPERMARKET:
            chain = CHAINS[int(rng.integers(len(CHAINS)))]
        elif store_type == GRAIN_SHOP and rng.random() < 0.5:
            chain = STATE_GRAIN_COMPANY
        else:
            chain = f"{label[store_type].capitalize()} {number:03d}"
        name = f"{chain} {names[district]}" if store_type == SUPERMARKET else chain
        store_rows.append(
            {
                "code": f"{prefix[store_type]}-{number:03d}",
                "name": f"{name} {label[store_type]} {number}",
                "district": district,
                "kind": STORE_KINDS[KIND_OF_TYPE[store_type]],
                "chain": chain,
                "type": store_type,
                "scale": _scale(store_type, rng),
            }
        )
    stores = pd.DataFrame(store_rows)
    designated = _designate(stores, rng)
    # Chains check limits at the till; a shop or stall does with chance 60 % / 40 %.
    check = stores["type"].map({SUPERMARKET: 1.0, GRAIN_SHOP: 0.6, CONVENIENCE: 0.6, MARKET: 0.4})
    enforces = designated | (rng.random(len(stores)) < check.to_numpy(float))
    for store_index, row in stores.iterrows():
        for code in _assortment(int(row["type"]), products, rng):
            line_rows.append({"store": row["code"], "product": code, "index": store_index})
    lines = pd.DataFrame(line_rows)
    line_store = lines["index"].to_numpy(int)
    lines = lines[["store", "product"]]
    n = len(lines)
    line_type = stores["type"].to_numpy(int)[line_store]
    product = lines["product"].to_numpy(str)
    info = products.loc[product]
    category = info["category"].to_numpy(str)
    shelf_life = info["shelf_life_days"].to_numpy(float)
    typical = info["typical_daily_sales_per_store"].to_numpy(float)
    scale = stores["scale"].to_numpy(float)[line_store]
    # Convenience stores sell packaged goods well above their produce volumes.
    packaged = np.isin(product, ("instant_noodles", "ham_sausage", "milk", "yogurt"))
    boost = np.where((line_type == CONVENIENCE) & packaged, 2.0, 1.0)
    # Grain shops sell grain and oil at supermarket volumes, little else.
    grain_or_oil = np.isin(category, ("grain", "edible_oil"))
    boost = np.where((line_type == GRAIN_SHOP) & ~grain_or_oil, 0.3, boost)
    mean = typical * scale * boost * rng.lognormal(0.0, 0.3, n)
    mean = np.maximum(mean, 0.4)
    centre = np.select([line_type == SUPERMARKET, line_type == MARKET], [14.0, 10.0], 7.0)
    dispersion = np.clip(centre * rng.lognormal(0.0, 0.5, n), 1.5, 60.0)
    fresh = shelf_life <= 30
    steep = np.where(fresh[None, :], FRESH_WEEKDAY[:, None], DRY_WEEKDAY[:, None])
    flat = np.where(np.isin(line_type, (GRAIN_SHOP, CONVENIENCE)), 0.5, 1.0)
    weekday = 1.0 + (steep - 1.0) * flat[None, :]
    weekday = weekday / weekday.mean(axis=0, keepdims=True)
    review, lead_table, planned = _replenishment(line_type, fresh, shelf_life, n, rng)
    store_phase = rng.integers(0, 7, len(stores))
    phase = store_phase[line_store] % np.maximum(review, 1)
    store_margin = rng.uniform(1.2, 1.5, len(stores))[line_store]
    z = stores["chain"].map(chain_z).fillna(0.0).to_numpy(float)[line_store]
    spoil = _spoil_rate(category, shelf_life, line_type)
    import_share = np.array([IMPORT_SHARE.get(code, 0.0) for code in product])
    limit = np.array([PURCHASE_LIMIT.get(code, np.inf) for code in product])
    basket = np.array([BASKET.get(code, 1.0) for code in product])
    reserve_line = designated[line_store] & np.isin(product, RESERVE_PRODUCTS)
    store_quota = rng.uniform(0.4, 0.8, len(stores))[line_store]
    quota = np.where(reserve_line, np.round(7 * mean * store_quota), 0.0)
    presentation = np.where(fresh, 0.5 * mean + 2.0, 1.5 * mean + 3.0)
    return City(
        stores=stores[["code", "name", "district", "kind", "chain"]],
        lines=lines.reset_index(drop=True),
        store_type=stores["type"].to_numpy(int),
        designated=designated,
        enforces_limit=enforces,
        line_store=line_store,
        line_type=line_type,
        product=product,
        category=category,
        shelf_life=shelf_life,
        catalogue_price=info["typical_price_cny"].to_numpy(float),
        mean_demand=mean,
        dispersion=dispersion,
        weekday=weekday,
        review_period=review,
        review_phase=phase,
        lead_table=lead_table,
        planned_lead=planned,
        safety_factor=z,
        presentation=presentation,
        margin=store_margin,
        smoothing=np.where(line_type == SUPERMARKET, 0.2, 0.25),
        spoil_rate=spoil,
        import_share=import_share,
        limit=limit,
        basket=basket,
        reserve_line=reserve_line,
        reserve_quota=quota,
    )


def _replenishment(
    line_type: np.ndarray,
    fresh: np.ndarray,
    shelf_life: np.ndarray,
    n: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Review period, lead-time table and planned lead of every line.

    Supermarkets: fresh goods daily from the chain DC (1 day 90 %, 2 days 10 %; goods keeping
    ≤ 3 days always overnight), dry goods every 3 or 4 days (1 / 2 / 3 days: 50 / 35 / 15 %).
    Shops: dry goods weekly from the wholesaler (1 / 2 days: 70 / 30 %), fresh goods every
    other day from the owner's trip to the wholesale market (next morning). Market stalls
    buy fresh goods every morning (period 0); a market's grain stall is a shop.
    """
    review = np.where(fresh, 1, rng.choice((3, 4), n))
    shop = np.isin(line_type, (GRAIN_SHOP, CONVENIENCE))
    review = np.where(shop, np.where(fresh, 2, 7), review)
    review = np.where(line_type == MARKET, np.where(fresh, 0, 7), review)
    table = np.zeros((n, 3))
    table[:] = (0.9, 0.1, 0.0)
    table[shelf_life <= 3] = (1.0, 0.0, 0.0)
    dry_supermarket = (line_type == SUPERMARKET) & ~fresh
    table[dry_supermarket] = (0.5, 0.35, 0.15)
    weekly = review == 7
    table[weekly] = (0.7, 0.3, 0.0)
    table[shop & fresh] = (1.0, 0.0, 0.0)
    planned = np.where(dry_supermarket, 2, 1)
    return review.astype(int), table, planned.astype(int)


def _spoil_rate(category: np.ndarray, shelf_life: np.ndarray, line_type: np.ndarray) -> np.ndarray:
    """Nightly share of stock lost to wilting, bruising and breakage; 1.5× on open stalls."""
    rate = np.select(
        [
            shelf_life <= 3,
            category == "vegetables",
            category == "fruit",
            category == "meat",
            category == "dairy",
            category == "eggs",
        ],
        [0.04, 0.02, 0.012, 0.008, 0.004, 0.003],
        0.0,
    )
    rate = np.where(shelf_life > 30, 0.0, rate)
    return np.where(line_type == MARKET, 1.5 * rate, rate)
