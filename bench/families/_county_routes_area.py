"""The rural area of the county-routes family: two counties' seats and townships, their
stores, what each store sells, how much, and through which supply channel.

See ``bench/families/README.md``, section "county_routes", for why each figure is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

LUSHAN = "410423"
BAOFENG = "410421"

KIND_SEAT_SUPERMARKET = 0
KIND_TOWNSHIP_SUPERMARKET = 1
KIND_VILLAGE_SHOP = 2
KIND_SEAT_SHOP = 3
KIND_SEAT_MARKET = 4
KIND_RURAL_MARKET = 5
KIND_NAMES = (
    "county-seat supermarket",
    "township supermarket",
    "village shop",
    "county-seat corner shop",
    "county-seat market",
    "rural periodic market",
)
SERVICE_KIND = ("supermarket", "supermarket", "other", "other", "farmers_market", "farmers_market")

CHANNEL_ROUTE = 0
"""Dry goods on the wholesaler's weekly truck, ordered at the visit."""
CHANNEL_REORDER_POINT = 1
"""County-seat supermarkets' dry goods: (s, S) from the chain's supplier, random lead time."""
CHANNEL_WHOLESALE_MARKET = 2
"""Fresh goods bought at the county wholesale market on trip or market days."""

FRESH_SHELF_LIFE_DAYS = 20
"""Goods keeping fewer days than this are bought fresh; the rest travel as dry goods."""

AGE_BUCKETS = 32
"""Remaining-life buckets tracked per line; longer-lived goods never expire in a history."""

VILLAGE_PRODUCTS = (
    "rice",
    "flour",
    "noodles_dry",
    "instant_noodles",
    "millet",
    "corn_flour",
    "soybean_oil",
    "blended_oil",
    "peanut_oil",
    "ham_sausage",
    "eggs",
    "milk",
    "yogurt",
    "potato",
    "onion",
    "cabbage",
    "garlic",
    "apple",
    "orange",
    "hairtail",
)
"""What a village shop (and a county-seat corner shop) can carry: packaged staples and the
few fresh goods that survive a week between truck visits."""

LOCAL_PRODUCE = (
    "cabbage",
    "white_radish",
    "potato",
    "onion",
    "scallion",
    "garlic",
    "carrot",
    "eggs",
    "pork",
    "steamed_buns",
    "tofu",
)
"""What a snowed-in township still finds inside itself: cellar vegetables, eggs, a local
butcher's pork, buns and tofu made in the township."""


@dataclass(frozen=True)
class Township:
    """A township (or a county seat) and its place on the wholesaler's routes."""

    name: str
    county: str
    mountain: bool
    seat: bool = False


TOWNSHIPS = (
    Township("Lushan county seat", LUSHAN, mountain=False, seat=True),
    Township("Yaoshan", LUSHAN, mountain=True),
    Township("Zhaocun", LUSHAN, mountain=True),
    Township("Sikeshu", LUSHAN, mountain=True),
    Township("Wawu", LUSHAN, mountain=True),
    Township("Tuancheng", LUSHAN, mountain=True),
    Township("Zhangguanying", LUSHAN, mountain=False),
    Township("Xinji", LUSHAN, mountain=False),
    Township("Zhangliang", LUSHAN, mountain=False),
    Township("Baofeng county seat", BAOFENG, mountain=False, seat=True),
    Township("Guanyintang", BAOFENG, mountain=True),
    Township("Daying", BAOFENG, mountain=False),
    Township("Zhouzhuang", BAOFENG, mountain=False),
    Township("Yangzhuang", BAOFENG, mountain=False),
    Township("Shiqiao", BAOFENG, mountain=False),
)

SCALE_RANGE = {
    KIND_SEAT_SUPERMARKET: (0.7, 1.5),
    KIND_TOWNSHIP_SUPERMARKET: (0.3, 0.7),
    KIND_VILLAGE_SHOP: (0.05, 0.14),
    KIND_SEAT_SHOP: (0.08, 0.2),
    KIND_SEAT_MARKET: (1.0, 2.0),
    KIND_RURAL_MARKET: (1.2, 2.5),
}
"""Store size as a multiple of the catalogue's typical sales (a mid-size city supermarket);
a rural market's figure is per market day."""

PRODUCT_COUNT = {
    KIND_SEAT_SUPERMARKET: (36, 48),
    KIND_TOWNSHIP_SUPERMARKET: (26, 36),
    KIND_VILLAGE_SHOP: (12, 18),
    KIND_SEAT_SHOP: (13, 19),
    KIND_SEAT_MARKET: (20, 28),
    KIND_RURAL_MARKET: (12, 18),
}

DEMAND_VARIATION = {
    KIND_SEAT_SUPERMARKET: 0.2,
    KIND_TOWNSHIP_SUPERMARKET: 0.25,
    KIND_VILLAGE_SHOP: 0.3,
    KIND_SEAT_SHOP: 0.3,
    KIND_SEAT_MARKET: 0.2,
    KIND_RURAL_MARKET: 0.25,
}
"""Coefficient of variation of the gamma multiplier in a line's gamma-Poisson daily demand."""

SEAT_WEEKDAYS = np.array([0.94, 0.92, 0.95, 0.98, 1.03, 1.12, 1.06])
TOWNSHIP_WEEKDAYS = np.array([0.99, 0.98, 0.99, 1.0, 1.01, 1.03, 1.0])
"""Monday-to-Sunday sales factors: a town's weekend shop, an almost flat week in the
countryside where farm work does not follow weekends."""


@dataclass(frozen=True)
class Area:
    """Stores, lines and every fixed per-line and per-township figure of one seed's area."""

    townships: tuple[Township, ...]
    stores: pd.DataFrame
    """Service columns plus ``store_kind`` (a KIND_ index) and ``township`` (an index)."""
    lines: pd.DataFrame
    line_store: np.ndarray
    line_township: np.ndarray
    line_kind: np.ndarray
    channel: np.ndarray
    category: np.ndarray
    shelf_life: np.ndarray
    arrival_life: np.ndarray
    """Days of life left when goods reach the store (bucket index + 1)."""
    base_demand: np.ndarray
    """Mean daily demand on an ordinary day (a market day for rural markets)."""
    demand_variation: np.ndarray
    base_price: np.ndarray
    local_produce: np.ndarray
    """Per line: True when the township itself produces the goods (a snowed-in market
    still gets some)."""
    margin: np.ndarray
    """Extra the buyer takes above what is expected to sell until the next delivery."""
    route_weekdays: tuple[tuple[int, ...], ...]
    """Per township: weekdays (Monday 0) the county wholesaler's truck comes."""
    market_cycle: np.ndarray
    market_phase: np.ndarray
    """Per township: a market day is a day index d with (d - phase) % cycle == 0."""
    fresh_trip_interval: np.ndarray
    """Per store: days between trips to the wholesale market (rural markets: market days)."""
    reorder_z: np.ndarray
    order_days: np.ndarray
    """Per line: (s, S) safety factor and days of demand between s and S."""
    miss_chance: np.ndarray
    reports_received: np.ndarray
    """Per store: chance to skip a day's report; whether it reports deliveries."""


def load_products() -> pd.DataFrame:
    """The service's product catalogue: goods, categories, shelf lives and typical sales."""
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file)


def _draw_route_weekdays(rng: np.random.Generator) -> tuple[tuple[int, ...], ...]:
    """Route weekdays: seats twice a week, far mountain valleys once, the plain once or twice."""
    pairs = ((0, 3), (1, 4), (2, 5))
    weekdays: list[tuple[int, ...]] = []
    for township in TOWNSHIPS:
        if township.seat:
            weekdays.append(pairs[int(rng.integers(0, 3))])
        elif township.mountain or rng.random() < 0.4:
            weekdays.append((int(rng.integers(0, 6)),))
        else:
            weekdays.append(pairs[int(rng.integers(0, 3))])
    return tuple(weekdays)


def _store_plan(rng: np.random.Generator) -> list[tuple[int, int]]:
    """(township index, store kind) for every store of the area."""
    plan: list[tuple[int, int]] = []
    for index, township in enumerate(TOWNSHIPS):
        if township.seat:
            big = township.county == LUSHAN
            plan += [(index, KIND_SEAT_SUPERMARKET)] * int(rng.integers(3, 5) if big else 3)
            plan += [(index, KIND_SEAT_SHOP)] * int(rng.integers(2, 4))
            plan += [(index, KIND_SEAT_MARKET)]
            continue
        supermarkets = 1 + int(not township.mountain and rng.random() < 0.35)
        plan += [(index, KIND_TOWNSHIP_SUPERMARKET)] * supermarkets
        shops = int(rng.integers(2, 4) if township.mountain else rng.integers(2, 5))
        plan += [(index, KIND_VILLAGE_SHOP)] * shops
        plan += [(index, KIND_RURAL_MARKET)]
    return plan


def _store_frame(plan: list[tuple[int, int]], rng: np.random.Generator) -> pd.DataFrame:
    """Service columns for the planned stores: codes, names, districts, kinds and chains."""
    rows = []
    counters: dict[tuple[int, int], int] = {}
    seat_chains = ("Funiu Mart", "Yingbin Supermarket", "Huimin Supermarket")
    for township_index, kind in plan:
        township = TOWNSHIPS[township_index]
        number = counters.get((township_index, kind), 0) + 1
        counters[(township_index, kind)] = number
        county_name = "Lushan" if township.county == LUSHAN else "Baofeng"
        place = township.name.replace(" county seat", "")
        prefix = ("SS", "TS", "VS", "CS", "SM", "RM")[kind]
        code = f"CR-{prefix}-{place[:4].upper()}-{township_index:02d}{number}"
        if kind == KIND_SEAT_SUPERMARKET:
            chain = seat_chains[int(rng.integers(0, len(seat_chains)))]
            name = f"{chain} {place} {number}"
        elif kind == KIND_TOWNSHIP_SUPERMARKET:
            chain = f"{place} Township Supermarket {number}"
            name = chain
        elif kind in (KIND_VILLAGE_SHOP, KIND_SEAT_SHOP):
            chain = f"{county_name} Supply and Marketing Co-op village shops"
            name = f"{place} co-op shop {number}"
        elif kind == KIND_SEAT_MARKET:
            chain = f"{county_name} market service centre"
            name = f"{place} farmers' market"
        else:
            chain = f"{place} township government"
            name = f"{place} market"
        rows.append(
            {
                "code": code,
                "name": name,
                "district": township.county,
                "kind": SERVICE_KIND[kind],
                "chain": chain,
                "store_kind": kind,
                "township": township_index,
            }
        )
    return pd.DataFrame(rows)


def _eligible(kind: int, catalogue: pd.DataFrame) -> pd.DataFrame:
    """Goods a kind may carry: markets sell fresh food, small shops what survives a week."""
    if kind in (KIND_SEAT_MARKET, KIND_RURAL_MARKET):
        fresh = catalogue["category"].isin(["vegetables", "fruit", "meat", "eggs"])
        fresh &= catalogue["shelf_life_days"] <= 30
        if kind == KIND_RURAL_MARKET:
            fresh &= catalogue["shelf_life_days"] > 3
        else:
            fresh |= catalogue["code"] == "steamed_buns"
        return catalogue[fresh]
    if kind in (KIND_VILLAGE_SHOP, KIND_SEAT_SHOP):
        return catalogue[catalogue["code"].isin(VILLAGE_PRODUCTS)]
    return catalogue


def _assortment(kind: int, eligible: pd.DataFrame, rng: np.random.Generator) -> list[str]:
    """Products a store carries, popular goods more often."""
    fewest, most = PRODUCT_COUNT[kind]
    count = min(int(rng.integers(fewest, most + 1)), len(eligible))
    weight = np.sqrt(eligible["typical_daily_sales_per_store"].to_numpy(dtype=float))
    chosen = rng.choice(len(eligible), size=count, replace=False, p=weight / weight.sum())
    return [str(code) for code in eligible["code"].to_numpy()[np.sort(chosen)]]


def _channel(kind: int, shelf_life: int, category: str) -> int:
    """How a line is resupplied, from the store kind and how long the goods keep."""
    if kind in (KIND_VILLAGE_SHOP, KIND_SEAT_SHOP):
        return CHANNEL_ROUTE
    if kind in (KIND_SEAT_MARKET, KIND_RURAL_MARKET):
        return CHANNEL_WHOLESALE_MARKET
    fresh = shelf_life < FRESH_SHELF_LIFE_DAYS or category in ("vegetables", "fruit", "meat")
    if fresh and shelf_life <= 90:
        return CHANNEL_WHOLESALE_MARKET
    return CHANNEL_REORDER_POINT if kind == KIND_SEAT_SUPERMARKET else CHANNEL_ROUTE


def draw_area(rng: np.random.Generator) -> Area:
    """One seed's area: stores, lines and their fixed figures."""
    catalogue = load_products()
    by_code = catalogue.set_index("code")
    stores = _store_frame(_store_plan(rng), rng)
    eligible = {kind: _eligible(kind, catalogue) for kind in SCALE_RANGE}
    store_rows: list[int] = []
    products: list[str] = []
    for store_index, kind in enumerate(stores["store_kind"].to_numpy()):
        carried = _assortment(int(kind), eligible[int(kind)], rng)
        store_rows += [store_index] * len(carried)
        products += carried
    line_store = np.array(store_rows)
    lines = pd.DataFrame({"store": stores["code"].to_numpy()[line_store], "product": products})
    count = len(lines)
    line_kind = stores["store_kind"].to_numpy()[line_store]
    line_township = stores["township"].to_numpy()[line_store]
    rows = by_code.loc[products]
    shelf_life = rows["shelf_life_days"].to_numpy(dtype=int)
    category = rows["category"].to_numpy(dtype=str)
    channel = np.array(
        [
            _channel(int(kind), int(life), str(group))
            for kind, life, group in zip(line_kind, shelf_life, category, strict=True)
        ]
    )
    arrival_life = np.clip(np.maximum(1, np.round(shelf_life * 0.85)), 1, AGE_BUCKETS)
    store_scale = np.array(
        [np.exp(rng.uniform(*np.log(SCALE_RANGE[int(kind)]))) for kind in stores["store_kind"]]
    )
    line_factor = np.exp(rng.normal(0.0, 0.3, count))
    base_demand = (
        rows["typical_daily_sales_per_store"].to_numpy(dtype=float)
        * store_scale[line_store]
        * line_factor
    )
    variation = np.array([DEMAND_VARIATION[int(kind)] for kind in line_kind])
    kind_price = np.array([1.0, 1.03, 1.08, 1.05, 0.92, 0.9])[line_kind]
    base_price = (
        rows["typical_price_cny"].to_numpy(dtype=float)
        * kind_price
        * np.exp(rng.normal(0.0, 0.05, count))
    )
    margin_draw = rng.uniform(0.0, 0.3, count)
    margin = np.where(channel == CHANNEL_ROUTE, 0.35 + margin_draw * 1.2, 0.4 + margin_draw)
    margin = np.where(line_kind == KIND_RURAL_MARKET, margin + 0.1, margin)
    market_cycle = np.where(rng.random(len(TOWNSHIPS)) < 0.6, 3, 5)
    market_phase = np.array([int(rng.integers(0, cycle)) for cycle in market_cycle])
    store_kind = stores["store_kind"].to_numpy()
    fresh_trip_interval = np.where(
        store_kind == KIND_TOWNSHIP_SUPERMARKET, rng.integers(1, 3, len(stores)), 1
    )
    chain_z = {name: rng.uniform(1.3, 1.9) for name in sorted(set(stores["chain"]))}
    reorder_z = np.array([chain_z[chain] for chain in stores["chain"]])[line_store]
    order_days = rng.uniform(6.0, 10.0, count)
    miss_chance = np.array([0.01, 0.03, 0.07, 0.05, 0.02, 0.05])[store_kind]
    receipt_share = np.array([0.85, 0.5, 0.2, 0.3, 0.0, 0.0])[store_kind]
    reports_received = rng.random(len(stores)) < receipt_share
    return Area(
        townships=TOWNSHIPS,
        stores=stores,
        lines=lines,
        line_store=line_store,
        line_township=line_township,
        line_kind=line_kind,
        channel=channel,
        category=category,
        shelf_life=shelf_life,
        arrival_life=arrival_life.astype(int),
        base_demand=base_demand,
        demand_variation=variation,
        base_price=base_price,
        local_produce=lines["product"].isin(LOCAL_PRODUCE).to_numpy(),
        margin=margin,
        route_weekdays=_draw_route_weekdays(rng),
        market_cycle=market_cycle,
        market_phase=market_phase,
        fresh_trip_interval=fresh_trip_interval,
        reorder_z=reorder_z,
        order_days=order_days,
        miss_chance=miss_chance,
        reports_received=reports_received,
    )
