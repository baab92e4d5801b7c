"""The winter-storm city: stores, assortments, channels and each line's demand figures.

Kept apart from the day-by-day simulation so the city a seed draws can be read (and tested)
on its own: which store sells what, through which replenishment channel each line is fed,
and on which weekdays the chain's distribution centre delivers to each store.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from bench.families.model import STORE_KINDS

CHAIN_LARGE, CHAIN_MID, DISCOUNT, INDEPENDENT, CONVENIENCE, GREENGROCER = 0, 1, 2, 3, 4, 5
"""Store types: the regional chain's large and mid-size stores, discount stores, independent
grocers, convenience stores, independent produce-and-meat grocers."""

TYPE_NAMES = {
    CHAIN_LARGE: "chain large stores",
    CHAIN_MID: "chain mid-size stores",
    DISCOUNT: "discount stores",
    INDEPENDENT: "independent grocers",
    CONVENIENCE: "convenience stores",
    GREENGROCER: "produce and meat grocers",
}
CODE_PREFIX = {
    CHAIN_LARGE: "WS-CL",
    CHAIN_MID: "WS-CM",
    DISCOUNT: "WS-DS",
    INDEPENDENT: "WS-IG",
    CONVENIENCE: "WS-CV",
    GREENGROCER: "WS-GG",
}
KIND_OF_TYPE = {
    CHAIN_LARGE: "supermarket",
    CHAIN_MID: "supermarket",
    DISCOUNT: "supermarket",
    INDEPENDENT: "other",
    CONVENIENCE: "other",
    GREENGROCER: "farmers_market",
}
"""The service's store kind of each type (a produce-and-meat grocer is the market stall's peer)."""

CHAIN_STORE_TYPES = (CHAIN_LARGE, CHAIN_MID, DISCOUNT)
"""Stores fed by their own chain's distribution centre and by vendors' direct store delivery."""

DC_SCHEDULED, DC_DAILY, DIRECT_STORE_DELIVERY, WHOLESALER = 0, 1, 2, 3
"""Replenishment channels of a line."""
CHANNEL_NAMES = {
    DC_SCHEDULED: "DC, fixed weekdays",
    DC_DAILY: "DC, daily",
    DIRECT_STORE_DELIVERY: "direct store delivery",
    WHOLESALER: "wholesaler (s, S)",
}

DIRECT_DELIVERY_PRODUCTS = ("steamed_buns", "milk", "fresh_milk", "yogurt", "eggs", "duck_eggs")
"""Bread and buns, milk and dairy, eggs: brought by the vendors' own drivers in chain stores."""
DAILY_VISIT_PRODUCTS = ("steamed_buns", "milk", "fresh_milk")
"""The bakery's and the dairy's route trucks call every day; the others every other day."""

PANIC_GROUPS: dict[str, tuple[str, ...]] = {
    "bread": ("steamed_buns",),
    "milk": ("milk", "fresh_milk"),
    "eggs": ("eggs", "duck_eggs"),
    "staples": ("rice", "noodles_dry", "flour"),
    "shelf-stable": ("instant_noodles", "ham_sausage", "milk_powder"),
    "keeping vegetables": ("potato", "onion"),
}
"""What shoppers clear before a storm (bread, milk, eggs, then shelf-stable food): each group
gets its own surge."""

CHAIN_NAME = "Harborline Markets"
DISCOUNT_NAME = "ValuBasket"
CONVENIENCE_NAMES = ("QuickStop", "Corner Pantry")

ALWAYS = {
    CHAIN_LARGE: ("rice", "flour", "eggs", "milk", "steamed_buns", "potato", "pork", "apple"),
    CHAIN_MID: ("rice", "eggs", "milk", "steamed_buns", "potato", "chicken", "banana"),
    DISCOUNT: ("rice", "instant_noodles", "eggs", "milk", "steamed_buns", "soybean_oil"),
    INDEPENDENT: ("rice", "eggs", "milk", "steamed_buns", "instant_noodles", "potato", "onion"),
    CONVENIENCE: ("instant_noodles", "ham_sausage", "milk", "eggs", "steamed_buns"),
    GREENGROCER: ("potato", "onion", "cabbage", "apple", "banana", "eggs"),
}
CONVENIENCE_OPTIONAL = (
    *("rice", "noodles_dry", "yogurt", "fresh_milk", "banana", "apple", "orange", "tofu"),
    *("soybean_oil", "milk_powder", "potato", "onion", "chicken_legs", "hairtail"),
)
DISCOUNT_OPTIONAL = (
    *("flour", "noodles_dry", "millet", "corn_flour", "blended_oil", "peanut_oil", "ham_sausage"),
    *("milk_powder", "yogurt", "duck_eggs", "hairtail", "chicken_legs", "pork", "potato"),
    *("onion", "carrot", "cabbage", "round_cabbage", "apple", "banana", "orange"),
)
SIZE = {
    CHAIN_LARGE: (42, 50),
    CHAIN_MID: (32, 41),
    DISCOUNT: (20, 27),
    INDEPENDENT: (24, 33),
    CONVENIENCE: (13, 19),
    GREENGROCER: (16, 25),
}
"""Products per store, low inclusive, high exclusive."""
SCALE = {
    CHAIN_LARGE: (2.0, 3.2),
    CHAIN_MID: (0.8, 1.4),
    DISCOUNT: (0.9, 1.5),
    INDEPENDENT: (0.35, 0.7),
    CONVENIENCE: (0.1, 0.25),
    GREENGROCER: (0.6, 1.2),
}
"""Store volume as a multiple of the catalogue's typical store (uniform range)."""
NEGATIVE_BINOMIAL_SIZE = {
    CHAIN_LARGE: 18.0,
    CHAIN_MID: 12.0,
    DISCOUNT: 12.0,
    INDEPENDENT: 8.0,
    CONVENIENCE: 6.0,
    GREENGROCER: 8.0,
}
"""Typical size k of a line's negative binomial: bigger stores have steadier daily sales."""
TYPE_SHARE = {
    CHAIN_LARGE: 0.18,
    CHAIN_MID: 0.22,
    DISCOUNT: 0.10,
    INDEPENDENT: 0.20,
    CONVENIENCE: 0.22,
    GREENGROCER: 0.08,
}
"""Shares of the stores beyond every district's first chain store and independent grocer."""
DELIVERY_PATTERNS = {
    3: ((0, 2, 4), (1, 3, 5), (0, 3, 5), (1, 3, 6)),
    2: ((0, 3), (1, 4), (2, 5), (0, 4)),
}
"""Monday-0 weekdays of the DC's routes: three or two trucks a week at fixed days."""
WEEKDAY = np.array([0.94, 0.90, 0.92, 0.97, 1.07, 1.20, 1.00])
"""Monday-Sunday demand of a North American grocery store: Friday and Saturday big shops."""
CONVENIENCE_WEEKDAY = np.array([0.98, 0.97, 0.98, 1.00, 1.05, 1.03, 0.99])
RURAL_KINDS = ("county", "county_city")


@dataclass(frozen=True)
class City:
    """Stores, lines and every per-line figure the simulation needs."""

    stores: pd.DataFrame
    lines: pd.DataFrame
    store_type: np.ndarray  # per store, CHAIN_LARGE .. GREENGROCER
    store_district: np.ndarray  # per store, index into districts
    delivery_weekdays: np.ndarray  # (stores, 7) bool: the DC's route days of the store
    districts: pd.DataFrame
    rural: np.ndarray  # per district
    line_store: np.ndarray
    line_type: np.ndarray
    product: np.ndarray
    category: np.ndarray
    shelf_life: np.ndarray
    channel: np.ndarray  # DC_SCHEDULED .. WHOLESALER
    visit_interval: np.ndarray  # days between vendor calls (direct store delivery lines)
    visit_offset: np.ndarray  # the vendor calls on days where (day + offset) % interval == 0
    chilled: np.ndarray  # written off when the store's power fails (meat, dairy, eggs, tofu)
    frozen: np.ndarray  # written off when power fails for two days or more
    mean_demand: np.ndarray  # ordinary mean daily demand (weekday average)
    dispersion: np.ndarray  # negative binomial size k
    weekday: np.ndarray  # (7, lines) demand factors
    catalogue_price: np.ndarray
    spoil_rate: np.ndarray  # nightly share of stock lost to spoilage
    safety_factor: np.ndarray  # z of the chain's order-up-to level
    reorder_point: np.ndarray  # s of a wholesaler-fed line
    order_up_to: np.ndarray  # S of a wholesaler-fed line
    planogram: np.ndarray  # the vendor's shelf level of a direct-store-delivery line
    panic_group: np.ndarray  # index into PANIC_GROUPS, -1 for goods outside the panic

    @property
    def line_count(self) -> int:
        """Number of store × product lines."""
        return len(self.lines)


def catalogue() -> pd.DataFrame:
    """The service's product table, indexed by code."""
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file).set_index("code")


def district_table() -> pd.DataFrame:
    """The service's district table (the demo city)."""
    with (resources.files("service") / "data" / "districts.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file, dtype={"code": str})


def _store_types(districts: pd.DataFrame, rng: np.random.Generator) -> list[tuple[int, int]]:
    """(district index, store type) for every store: a chain store and an independent grocer
    in each district, the rest by population."""
    urban = ~districts["kind"].isin(RURAL_KINDS).to_numpy()
    stores = [
        (index, CHAIN_LARGE if urban[index] else CHAIN_MID) for index in range(len(districts))
    ]
    stores += [(index, INDEPENDENT) for index in range(len(districts))]
    extra = int(rng.integers(36, 49))
    weights = districts["population_approx"].to_numpy(dtype=float)
    places = rng.choice(len(districts), size=extra, p=weights / weights.sum())
    types = list(TYPE_SHARE)
    shares = np.array(list(TYPE_SHARE.values()))
    for place in places:
        stores.append((int(place), int(rng.choice(types, p=shares / shares.sum()))))
    return sorted(stores)


def _assortment(store_type: int, products: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    """The products a store of ``store_type`` carries: its must-haves and a draw weighted by
    typical sales."""
    always = list(ALWAYS[store_type])
    if store_type == CONVENIENCE:
        pool = [code for code in CONVENIENCE_OPTIONAL if code not in always]
    elif store_type == DISCOUNT:
        pool = [code for code in DISCOUNT_OPTIONAL if code not in always]
    elif store_type == GREENGROCER:
        fresh = products["category"].isin(("vegetables", "fruit", "meat"))
        pool = [code for code in products.index[fresh] if code not in always]
        pool = [code for code in pool if code not in ("ham_sausage", "hairtail")]
    else:
        pool = [code for code in products.index if code not in always]
    low, high = SIZE[store_type]
    count = min(int(rng.integers(low, high)) - len(always), len(pool))
    weights = np.sqrt(products.loc[pool, "typical_daily_sales_per_store"].to_numpy(dtype=float))
    chosen = rng.choice(pool, size=count, replace=False, p=weights / weights.sum())
    return always + [str(code) for code in chosen]


def _channel(store_type: int, product: str, category: str) -> int:
    """How a line is replenished: the chain's DC, a vendor's own truck, or the wholesaler."""
    if store_type not in CHAIN_STORE_TYPES:
        return WHOLESALER
    if product in DIRECT_DELIVERY_PRODUCTS:
        return DIRECT_STORE_DELIVERY
    if category in ("vegetables", "fruit", "meat"):
        return DC_DAILY
    return DC_SCHEDULED


def draw_city(rng: np.random.Generator) -> City:
    """Draw the city for one seed: stores, lines and their replenishment figures."""
    products, districts = catalogue(), district_table()
    placed = _store_types(districts, rng)
    store_rows = []
    counters: dict[int, int] = {}
    delivery = np.zeros((len(placed), 7), dtype=bool)
    for number, (district, store_type) in enumerate(placed):
        counters[store_type] = counters.get(store_type, 0) + 1
        code = f"{CODE_PREFIX[store_type]}-{counters[store_type]:03d}"
        district_name = districts["name_en"].iloc[district]
        if store_type in (CHAIN_LARGE, CHAIN_MID):
            chain, size = CHAIN_NAME, "Superstore" if store_type == CHAIN_LARGE else "Market"
            name = f"{CHAIN_NAME} {size} {district_name} {counters[store_type]}"
        elif store_type == DISCOUNT:
            chain, name = DISCOUNT_NAME, f"{DISCOUNT_NAME} {district_name} {counters[store_type]}"
        elif store_type == CONVENIENCE:
            chain = str(rng.choice(CONVENIENCE_NAMES))
            name = f"{chain} {district_name} {counters[store_type]}"
        else:
            chain = f"{district_name} {'Grocery' if store_type == INDEPENDENT else 'Fresh'} "
            chain += f"{counters[store_type]}"
            name = chain
        store_rows.append(
            {
                "code": code,
                "name": name,
                "district": districts["code"].iloc[district],
                "kind": KIND_OF_TYPE[store_type],
                "chain": chain,
            }
        )
        if store_type in CHAIN_STORE_TYPES:
            trucks = 3 if store_type == CHAIN_LARGE or rng.random() < 0.4 else 2
            patterns = DELIVERY_PATTERNS[trucks]
            delivery[number, list(patterns[int(rng.integers(len(patterns)))])] = True
    stores = pd.DataFrame(store_rows)
    assert set(stores["kind"]) <= set(STORE_KINDS)
    store_type_array = np.array([store_type for _, store_type in placed])
    store_district = np.array([district for district, _ in placed])
    line_rows: list[tuple[int, str]] = []
    for number, (_, store_type) in enumerate(placed):
        line_rows += [(number, code) for code in _assortment(store_type, products, rng)]
    line_store = np.array([store for store, _ in line_rows])
    product = np.array([code for _, code in line_rows])
    count = len(line_rows)
    line_type = store_type_array[line_store]
    table = products.loc[product]
    category = table["category"].to_numpy(dtype=str)
    shelf_life = table["shelf_life_days"].to_numpy(dtype=float)
    typical = table["typical_daily_sales_per_store"].to_numpy(dtype=float)
    channel = np.array(
        [
            _channel(int(kind), str(code), str(group))
            for kind, code, group in zip(line_type, product, category, strict=True)
        ]
    )
    daily_visit = np.isin(product, DAILY_VISIT_PRODUCTS)
    visit_interval = np.where(daily_visit, 1, 2)
    visit_offset = rng.integers(0, 2, count)
    chilled_goods = np.isin(category, ("meat", "dairy", "eggs")) | (product == "tofu")
    chilled = chilled_goods & ~np.isin(product, ("milk", "milk_powder", "hairtail"))
    frozen = product == "hairtail"
    low_high = np.array([SCALE[int(kind)] for kind in store_type_array])
    store_scale = rng.uniform(low_high[:, 0], low_high[:, 1])
    packaged = np.isin(category, ("grain", "edible_oil")) | np.isin(product, ("ham_sausage",))
    convenience_lift = np.where((line_type == CONVENIENCE) & packaged, 2.0, 1.0)
    mean_demand = np.maximum(
        typical * store_scale[line_store] * rng.lognormal(-0.05, 0.35, count) * convenience_lift,
        0.4,
    )
    base_k = np.array([NEGATIVE_BINOMIAL_SIZE[int(kind)] for kind in line_type])
    dispersion = np.clip(base_k * rng.lognormal(0.0, 0.5, count), 1.0, 60.0)
    weekday = np.where(
        (line_type == CONVENIENCE)[None, :], CONVENIENCE_WEEKDAY[:, None], WEEKDAY[:, None]
    )
    weekday = weekday / weekday.mean(axis=0, keepdims=True)
    catalogue_price = table["typical_price_cny"].to_numpy(dtype=float)
    produce = np.isin(category, ("vegetables", "fruit"))
    spoil_rate = np.where(produce, np.minimum(0.3 / shelf_life, 0.06), 0.0)
    spoil_rate = np.where(
        chilled | (product == "milk"), np.minimum(0.08 / shelf_life, 0.04), spoil_rate
    )
    spoil_rate = np.where(shelf_life <= 3, 0.15, spoil_rate)
    spoil_rate = np.where(line_type == GREENGROCER, spoil_rate * 1.3, spoil_rate)
    safety_factor = np.where(shelf_life <= 30, 0.9, 1.2) + rng.normal(0.0, 0.15, count)
    # (s, S): the owner's estimate of daily sales, a reorder point covering the typical lead
    # time and a day, and an order that lasts about a week (fresh goods: what keeps).
    estimate = mean_demand * rng.lognormal(0.0, 0.12, count)
    cover = np.where(shelf_life <= 30, np.clip(shelf_life * 0.5, 1.5, 4.0), 8.0)
    reorder_point = np.ceil(estimate * 2.4 + 0.8 * np.sqrt(estimate * 2.4))
    order_up_to = np.ceil(reorder_point + estimate * cover * rng.uniform(0.9, 1.3, count))
    planogram = np.ceil(mean_demand * (visit_interval + 1) * rng.uniform(1.05, 1.35, count) + 1.0)
    group_of = {
        code: number for number, group in enumerate(PANIC_GROUPS.values()) for code in group
    }
    panic_group = np.array([group_of.get(str(code), -1) for code in product])
    return City(
        stores=stores,
        lines=pd.DataFrame({"store": stores["code"].to_numpy()[line_store], "product": product}),
        store_type=store_type_array,
        store_district=store_district,
        delivery_weekdays=delivery,
        districts=districts,
        rural=districts["kind"].isin(RURAL_KINDS).to_numpy(),
        line_store=line_store,
        line_type=line_type,
        product=product,
        category=category,
        shelf_life=shelf_life,
        channel=channel,
        visit_interval=visit_interval,
        visit_offset=visit_offset,
        chilled=chilled,
        frozen=frozen,
        mean_demand=mean_demand,
        dispersion=dispersion,
        weekday=weekday,
        catalogue_price=catalogue_price,
        spoil_rate=spoil_rate,
        safety_factor=safety_factor,
        reorder_point=reorder_point,
        order_up_to=order_up_to,
        planogram=planogram,
        panic_group=panic_group,
    )
