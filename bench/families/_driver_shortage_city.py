"""The driver-shortage city: stores, assortments, channels, route days and stock targets.

Kept apart from the day-by-day simulation so the city a seed draws can be read (and
tested) on its own: who delivers each line, on which weekdays, and up to what level.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from bench.families.model import STORE_KINDS

KIND_SUPERMARKET = STORE_KINDS.index("supermarket")
KIND_MARKET = STORE_KINDS.index("farmers_market")
KIND_OTHER = STORE_KINDS.index("other")
"""Indices into ``STORE_KINDS`` (supermarket, farmers_market, other)."""

CHANNEL_DSD, CHANNEL_DC, CHANNEL_CASH_CARRY, CHANNEL_LOCAL = 0, 1, 2, 3
"""Brand's own truck to par, retailer DC (s, S), owner's van to cash-and-carry, local growers."""

DISTRIBUTORS: dict[str, tuple[str, ...]] = {
    "dairy": ("milk", "fresh_milk", "yogurt"),
    "bakery": ("steamed_buns",),
    "eggs": ("eggs", "duck_eggs"),
    "packaged": ("instant_noodles", "ham_sausage"),
}
"""Brand distributors running their own trucks, and the products they put on the shelf."""

VISITS_PER_WEEK = {
    KIND_SUPERMARKET: {"dairy": 7, "bakery": 7, "eggs": 3, "packaged": 2},
    KIND_OTHER: {"dairy": 3, "bakery": 3, "eggs": 2, "packaged": 1},
}
"""Route visits a week: big stores daily for milk and bread, small ones 1-3 times."""

WEEKDAY_PATTERNS = {
    7: ((0, 1, 2, 3, 4, 5, 6),),
    3: ((0, 2, 4), (1, 3, 5)),
    2: ((0, 3), (1, 4), (2, 5)),
    1: ((0,), (1,), (2,), (3,), (4,), (5,)),
}
"""Monday-0 route weekdays for each visit frequency (routes rest on Sunday unless daily)."""

REMOTENESS = {
    "410402": 0.0,
    "410403": 0.0,
    "410411": 0.0,
    "410422": 0.4,
    "410421": 0.5,
    "410425": 0.5,
    "410404": 0.8,
    "410423": 0.9,
    "410481": 1.0,
    "410482": 1.0,
}
"""0 for the three core districts beside the hub, 1 for the far county cities."""

MARKET_PRODUCTS = (
    *("cabbage", "round_cabbage", "potato", "tomato", "cucumber", "eggplant", "green_pepper"),
    *("carrot", "onion", "white_radish", "celery", "spinach", "rape_greens", "lettuce"),
    *("green_beans", "cauliflower", "scallion", "garlic", "ginger", "tofu", "apple", "banana"),
    *("orange", "pear", "watermelon", "grapes", "pork", "pork_ribs", "beef", "mutton"),
    *("chicken", "chicken_legs", "carp", "grass_carp", "eggs", "duck_eggs", "steamed_buns"),
)
"""What market stalls sell: local produce, the slaughterhouse's meat, eggs, buns, tofu."""

SHOP_ALWAYS = ("milk", "yogurt", "steamed_buns", "eggs", "instant_noodles", "rice", "blended_oil")
SHOP_OPTIONAL = (
    *("flour", "noodles_dry", "ham_sausage", "soybean_oil", "peanut_oil", "cabbage", "potato"),
    *("onion", "tomato", "carrot", "apple", "banana", "orange", "milk_powder", "hairtail"),
    *("garlic", "scallion", "fresh_milk", "duck_eggs", "corn_flour", "millet", "cucumber"),
)
"""A corner shop's range: DSD staples always, the rest bought at the cash-and-carry."""

SUPERMARKET_ALWAYS = ("milk", "yogurt", "steamed_buns", "eggs", "instant_noodles", "rice", "pork")

CHAINS = ("Pingyuan Mart", "Huixin Supermarkets", "Daily Fresh")
FRESH = ("vegetables", "fruit", "meat")


@dataclass(frozen=True)
class City:
    """Stores, lines and every per-line figure the simulation needs."""

    stores: pd.DataFrame
    lines: pd.DataFrame
    store_kind: np.ndarray  # per store, KIND_*
    store_remoteness: np.ndarray  # per store, 0 (core) .. 1 (far county)
    cc_interval: np.ndarray  # per store, days between cash-and-carry trips (0: none)
    cc_phase: np.ndarray  # per store, first trip day
    line_store: np.ndarray  # per line, store index
    line_kind: np.ndarray
    channel: np.ndarray
    category: np.ndarray
    distributor: np.ndarray  # per line, index into DISTRIBUTORS (-1: not DSD)
    route_weekday: np.ndarray  # (lines, 7) bool: DSD truck's weekdays
    mean_demand: np.ndarray  # ordinary mean daily demand (weekday average)
    dispersion: np.ndarray  # negative-binomial size k
    fresh_weekday: np.ndarray  # per line, True: fresh weekday curve
    shelf_life: np.ndarray
    catalogue_price: np.ndarray
    par: np.ndarray  # DSD par level
    reorder_point: np.ndarray  # DC s
    order_up_to: np.ndarray  # DC S; cash-and-carry target; market cover in days
    lead_table: np.ndarray  # (lines, 3) chances of 1/2/3 days from the DC
    staple: np.ndarray  # panic goods
    spoil_rate: np.ndarray  # nightly share lost

    @property
    def line_count(self) -> int:
        """Number of lines."""
        return len(self.lines)


def catalogue() -> pd.DataFrame:
    """The service's product catalogue, indexed by code."""
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file).set_index("code")


def district_table() -> pd.DataFrame:
    """The service's districts (codes kept as strings)."""
    with (resources.files("service") / "data" / "districts.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file, dtype={"code": str})


def _store_counts(districts: pd.DataFrame, rng: np.random.Generator) -> list[tuple[str, int]]:
    """Stores per kind per district: at least one of each, the rest by population."""
    total = int(rng.integers(54, 67))
    population = districts["population_approx"].to_numpy(float)
    extra = rng.multinomial(total - 3 * len(districts), population / population.sum())
    kinds: list[tuple[str, int]] = []
    for code, more in zip(districts["code"], extra, strict=True):
        core = REMOTENESS[code] == 0.0
        shares = (0.45, 0.4, 0.15) if core else (0.3, 0.45, 0.25)
        order = (KIND_SUPERMARKET, KIND_OTHER, KIND_MARKET)
        for kind in order:
            kinds.append((code, kind))
        for pick in rng.choice(3, size=int(more), p=shares):
            kinds.append((code, order[int(pick)]))
    return kinds


def _assortment(kind: int, products: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    """Products one store sells, drawn by the square root of typical sales."""
    always: tuple[str, ...]
    pool: tuple[str, ...]
    if kind == KIND_SUPERMARKET:
        always, pool, size = SUPERMARKET_ALWAYS, tuple(products.index), rng.integers(35, 46)
    elif kind == KIND_OTHER:
        always, pool, size = SHOP_ALWAYS, SHOP_OPTIONAL, rng.integers(18, 27)
    else:
        always, pool, size = ("pork", "eggs", "cabbage"), MARKET_PRODUCTS, rng.integers(20, 29)
    rest = [code for code in pool if code not in always]
    weight = np.sqrt(products.loc[rest, "typical_daily_sales_per_store"].to_numpy(float))
    drawn = rng.choice(rest, size=int(size) - len(always), replace=False, p=weight / weight.sum())
    return [code for code in products.index if code in set(always) | set(drawn)]


def _channel(kind: int, product: str) -> int:
    """Who brings a line: brand trucks for DSD goods, else the kind's own channel."""
    if kind == KIND_MARKET:
        return CHANNEL_LOCAL
    if any(product in goods for goods in DISTRIBUTORS.values()):
        return CHANNEL_DSD
    return CHANNEL_DC if kind == KIND_SUPERMARKET else CHANNEL_CASH_CARRY


def _longest_gap(weekdays: tuple[int, ...]) -> int:
    """Longest number of days from one route visit to the next."""
    ordered = sorted(weekdays)
    return max((b - a) % 7 or 7 for a, b in zip(ordered, ordered[1:] + ordered[:1], strict=True))


def draw_city(rng: np.random.Generator) -> City:
    """Draw the city for one seed: stores, lines and their replenishment figures."""
    products, districts = catalogue(), district_table()
    counts = _store_counts(districts, rng)
    prefix = {KIND_SUPERMARKET: "DSD-SM", KIND_OTHER: "DSD-SH", KIND_MARKET: "DSD-FM"}
    names = {KIND_SUPERMARKET: "Supermarket", KIND_OTHER: "Corner shop", KIND_MARKET: "Market"}
    store_rows, line_rows = [], []
    route_of: dict[tuple[str, int, str], tuple[int, ...]] = {}
    for index, (district, kind) in enumerate(counts):
        code = f"{prefix[kind]}-{index + 1:03d}"
        if kind == KIND_SUPERMARKET:
            chain = CHAINS[int(rng.integers(len(CHAINS)))]
            scale = float(np.clip(rng.lognormal(0.0, 0.35), 0.5, 2.5))
        elif kind == KIND_OTHER:
            chain, scale = f"Shop {index + 1:03d}", float(rng.uniform(0.12, 0.3))
        else:
            chain, scale = f"Market office {index + 1:03d}", float(rng.uniform(1.0, 2.2))
        store_rows.append(
            {
                "code": code,
                "name": f"{names[kind]} {index + 1}",
                "district": district,
                "kind": STORE_KINDS[kind],
                "chain": chain,
                "scale": scale,
            }
        )
        for product in _assortment(kind, products, rng):
            channel = _channel(kind, product)
            distributor, weekdays = -1, tuple(range(7))
            if channel == CHANNEL_DSD:
                name = next(n for n, goods in DISTRIBUTORS.items() if product in goods)
                distributor = list(DISTRIBUTORS).index(name)
                per_week = VISITS_PER_WEEK[kind][name]
                key = (district, kind, name)  # one driver's route through a district
                if key not in route_of:
                    patterns = WEEKDAY_PATTERNS[per_week]
                    route_of[key] = patterns[int(rng.integers(len(patterns)))]
                weekdays = route_of[key]
            line_rows.append((index, product, kind, channel, distributor, weekdays, scale))
    stores = pd.DataFrame(store_rows)
    return _line_figures(stores, line_rows, products, rng)


def _line_figures(
    stores: pd.DataFrame,
    line_rows: list[tuple[int, str, int, int, int, tuple[int, ...], float]],
    products: pd.DataFrame,
    rng: np.random.Generator,
) -> City:
    """Per-line demand, stock targets and spoilage from the drawn assortment."""
    n = len(line_rows)
    store_index = np.array([row[0] for row in line_rows])
    product = [row[1] for row in line_rows]
    kind = np.array([row[2] for row in line_rows])
    channel = np.array([row[3] for row in line_rows])
    facts = products.loc[product]
    category = facts["category"].to_numpy(str)
    shelf = facts["shelf_life_days"].to_numpy(float)
    typical = facts["typical_daily_sales_per_store"].to_numpy(float)
    scale = np.array([row[6] for row in line_rows])
    mean = typical * scale * rng.lognormal(0.0, 0.3, n)
    if_shop = kind == KIND_OTHER
    packaged = np.isin(product, ("instant_noodles", "ham_sausage", "milk", "yogurt", "eggs"))
    mean = np.where(if_shop & packaged, mean * 1.8, mean)  # corner shops sell convenience goods
    mean = np.maximum(mean, 0.4)
    size_centre = np.select([kind == KIND_SUPERMARKET, kind == KIND_MARKET], [14.0, 8.0], 6.0)
    dispersion = np.clip(size_centre * rng.lognormal(0.0, 0.5, n), 1.5, 60.0)
    route = np.zeros((n, 7), dtype=bool)
    gap = np.ones(n)
    for line, row in enumerate(line_rows):
        route[line, list(row[5])] = True
        gap[line] = _longest_gap(row[5])
    z = rng.uniform(1.0, 1.6, n)
    # DSD: the driver fills the shelf to cover the longest gap to his next visit.
    cover = np.where(shelf <= 3, np.minimum(gap + 0.3, shelf + 0.5), gap + 0.5)
    par = np.ceil(mean * cover + z * np.sqrt(mean * cover) + 1.0)
    # DC (s, S): lead 1 day for fresh goods, 1-3 for dry ones.
    fresh = np.isin(category, FRESH) | (shelf <= 7)
    lead_table = np.where(
        fresh[:, None],
        np.where((shelf <= 3)[:, None], [0.9, 0.1, 0.0], [0.7, 0.25, 0.05]),
        [0.3, 0.4, 0.3],
    )
    expected_lead = lead_table @ np.array([1.0, 2.0, 3.0])
    cycle = np.where(fresh, 1.0, rng.uniform(4.0, 7.0, n))
    cycle = np.where(np.isin(category, ("meat",)) & (shelf > 3), 2.0, cycle)
    protection = expected_lead + 0.5
    reorder = np.ceil(mean * protection + z * np.sqrt(mean * (protection + 1.0)))
    upto = reorder + np.ceil(mean * cycle)
    upto = np.where(shelf <= 30, np.minimum(upto, np.ceil(mean * 0.8 * shelf) + reorder), upto)
    # Cash-and-carry: the owner buys to cover the trip interval and a day more.
    interval = np.where(
        stores["kind"] == STORE_KINDS[KIND_OTHER], rng.integers(3, 5, len(stores)), 0
    )
    phase = np.array([int(rng.integers(max(days, 1))) for days in interval])
    line_interval = interval[store_index]
    cc_cover = np.where(shelf <= 5, np.minimum(line_interval + 1.0, shelf), line_interval + 1.0)
    cc_target = np.ceil(mean * cc_cover + 0.8 * z * np.sqrt(mean * cc_cover))
    # Markets: stallholders bring about a day and a half of what sells.
    market_cover = rng.uniform(1.4, 1.7, n)
    order_up_to = np.select(
        [channel == CHANNEL_DC, channel == CHANNEL_CASH_CARRY], [upto, cc_target], market_cover
    )
    spoil = np.select(
        [shelf <= 3, category == "vegetables", category == "fruit", category == "meat"],
        [0.04, 0.02, 0.012, 0.008],
        np.where(shelf <= 30, np.where(category == "eggs", 0.003, 0.004), 0.0),
    )
    spoil = np.where((kind == KIND_MARKET) & (spoil > 0), spoil * 1.5, spoil)
    staples = ("milk", "fresh_milk", "steamed_buns", "eggs", "rice", "instant_noodles")
    staple = (
        np.isin(product, staples) | (category == "edible_oil") | np.isin(product, "noodles_dry")
    )
    remoteness = stores["district"].map(REMOTENESS).to_numpy(float)
    return City(
        stores=stores.drop(columns="scale"),
        lines=pd.DataFrame({"store": stores["code"].to_numpy()[store_index], "product": product}),
        store_kind=stores["kind"].map(STORE_KINDS.index).to_numpy(int),
        store_remoteness=remoteness,
        cc_interval=np.asarray(interval, dtype=int),
        cc_phase=phase,
        line_store=store_index,
        line_kind=kind,
        channel=channel,
        category=category,
        distributor=np.array([row[4] for row in line_rows]),
        route_weekday=route,
        mean_demand=mean,
        dispersion=dispersion,
        fresh_weekday=np.isin(category, (*FRESH, "dairy", "eggs")),
        shelf_life=shelf,
        catalogue_price=facts["typical_price_cny"].to_numpy(float),
        par=par,
        reorder_point=reorder,
        order_up_to=order_up_to,
        lead_table=lead_table,
        staple=staple,
        spoil_rate=spoil,
    )
