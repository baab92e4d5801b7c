"""The island of the ``island_ferry`` family: its towns, stores, assortments and the
per-line figures (how each line is supplied, how much it sells, how much shelf it keeps).

Kept apart from the day-by-day simulation so the geography can be read (and tested) on
its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

KIND_SUPERMARKET = "supermarket"
KIND_VILLAGE_SHOP = "other"
KIND_MARKET = "farmers_market"

SOURCE_FERRY = 0
"""Shipped from mainland distribution centres on the ro-ro ferry."""
SOURCE_FARM = 1
"""Grown on the island's own farms, brought in each morning."""
SOURCE_FISH = 2
"""Landed by the island's fishing fleet and fish ponds each morning."""
SOURCE_SLAUGHTER = 3
"""Pork from the island's slaughterhouse, each morning."""
SOURCE_WORKSHOP = 4
"""Steamed buns and tofu from island workshops, each morning."""

CHANNEL_CONSIGNMENT = 0
"""A supermarket's own ferry consignment, on the shelves the day after its sailings."""
CHANNEL_LOCAL_DAILY = 1
"""A daily top-up from island suppliers (farms, fleet, slaughterhouse, workshops)."""
CHANNEL_VAN = 2
"""The island wholesaler's van, once a week on the township's weekday."""
CHANNEL_MARKET_DAILY = 3
"""Farmers' market stallholders bringing each morning about what the day will sell."""
CHANNEL_MARKET_FERRY = 4
"""Market fruit sellers buying at the port on sailing days."""

SAILING_WEEKDAYS: tuple[int, ...] = (0, 2, 4)
"""Mon, Wed, Fri: the ro-ro sailings from the mainland port; goods reach shops a day later."""

FERRY_FRESH_ON_FARMS = {"eggs", "duck_eggs"}
"""Bought from island farms by the markets, but shipped in for supermarkets and shops."""
LOCAL_SOURCE = {
    **dict.fromkeys(
        (
            "cabbage round_cabbage tomato cucumber eggplant green_pepper white_radish celery "
            "spinach rape_greens lettuce green_beans cauliflower scallion watermelon"
        ).split(),
        SOURCE_FARM,
    ),
    **dict.fromkeys(("carp", "grass_carp", "hairtail"), SOURCE_FISH),
    **dict.fromkeys(("pork", "pork_ribs"), SOURCE_SLAUGHTER),
    **dict.fromkeys(("steamed_buns", "tofu"), SOURCE_WORKSHOP),
}
"""Products made or grown on the island; every other product comes by ferry."""

STAPLES = frozenset(
    "rice flour noodles_dry instant_noodles peanut_oil soybean_oil rapeseed_oil blended_oil "
    "milk ham_sausage eggs duck_eggs steamed_buns milk_powder".split()
)
"""What people stock up on before a typhoon and what the first ships carry first."""

VILLAGE_SHOP_RANGE = (
    "rice flour noodles_dry instant_noodles millet corn_flour peanut_oil "
    "soybean_oil rapeseed_oil blended_oil ham_sausage hairtail eggs duck_eggs milk yogurt "
    "milk_powder potato onion cabbage carrot garlic ginger apple orange"
).split()
MARKET_RANGE = (
    "pork pork_ribs chicken carp grass_carp hairtail eggs duck_eggs tofu steamed_buns cabbage "
    "round_cabbage potato tomato cucumber eggplant green_pepper carrot onion white_radish "
    "celery spinach rape_greens lettuce green_beans cauliflower scallion garlic ginger apple "
    "banana orange pear watermelon grapes"
).split()


@dataclass(frozen=True)
class Town:
    """One town or township of the island, placed on a district code of ``districts.csv``."""

    district: str
    name: str
    coastal: bool
    """Beaches and harbours: summer tourists, typhoon surge, stranded visitors."""
    inland_farming: bool
    """Grows its own vegetables on higher ground: the typhoon barely touches it."""
    islet: bool
    """An outlying islet on a feeder boat: cut off entirely while the sea is up."""
    tourism: float
    """Summer weekend lift of demand (0.3-0.6 in coastal towns)."""
    supermarkets: int
    village_shops: int
    markets: int
    van_weekday: int
    """The wholesaler's van day for the township's village shops (Monday 0)."""


TOWNS = (
    Town("410402", "Dinghai port", True, False, False, 0.35, 4, 2, 2, 1),
    Town("410403", "Shenjiamen harbour", True, False, False, 0.5, 3, 3, 2, 2),
    Town("410411", "Lincheng new town", True, False, False, 0.3, 2, 3, 1, 3),
    Town("410422", "Zhujiajian beaches", True, False, False, 0.6, 1, 4, 1, 4),
    Town("410425", "Liuheng fishing town", True, False, False, 0.3, 1, 4, 1, 1),
    Town("410482", "Jintang west coast", True, False, False, 0.3, 1, 4, 1, 5),
    Town("410421", "Baiquan farmland", False, True, False, 0.0, 1, 4, 1, 3),
    Town("410423", "Ganlan valley", False, True, False, 0.0, 1, 3, 1, 5),
    Town("410404", "Daishan islet", True, False, True, 0.4, 1, 3, 1, 2),
    Town("410481", "Shengsi islet", True, False, True, 0.55, 1, 3, 1, 4),
)
"""Ten towns on the ten district codes: 14 supermarkets, 33 village shops, 12 markets."""

CHAINS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("Donghai Mart", SAILING_WEEKDAYS),
    ("Island Fresh", (0, 4)),
    ("Harbour Supermarkets", (0, 2)),
)
"""Supermarket chains and the sailings they book deck space on."""


@dataclass(frozen=True)
class Island:
    """Stores, lines and the per-line figures the simulation runs on."""

    stores: pd.DataFrame
    lines: pd.DataFrame
    catalogue: pd.DataFrame
    """``products.csv`` indexed by code."""
    store_town: np.ndarray
    line_store: np.ndarray
    line_town: np.ndarray
    line_kind: np.ndarray
    line_source: np.ndarray
    channel: np.ndarray
    base_demand: np.ndarray
    """Mean daily demand on an ordinary summer weekday."""
    shelf_life: np.ndarray
    staple: np.ndarray
    store_consignment_weekdays: tuple[tuple[int, ...], ...]
    """Per store: sailing weekdays its chain books (empty for shops and markets)."""
    store_reports_received: np.ndarray
    store_skip_rate: np.ndarray
    order_up_to_days: np.ndarray
    """Per line: days of demand the line is topped up to (before the safety stock)."""
    safety_z: np.ndarray
    price_base: np.ndarray


def read_catalogue() -> pd.DataFrame:
    """The service's product catalogue, so every line names a real product."""
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file).set_index("code")


def _pick(rng: np.random.Generator, pool: list[str], count: int, sales: pd.Series) -> list[str]:
    """A store's assortment: ``count`` products, best sellers the most likely."""
    weights = np.sqrt(sales.loc[pool].to_numpy(dtype=float))
    count = min(count, len(pool))
    chosen = rng.choice(len(pool), size=count, replace=False, p=weights / weights.sum())
    return [pool[i] for i in sorted(chosen)]


def _intervals(weekdays: tuple[int, ...]) -> dict[int, int]:
    """Days from each delivery weekday to the next one."""
    ordered = sorted(weekdays)
    return {day: (ordered[(i + 1) % len(ordered)] - day) % 7 or 7 for i, day in enumerate(ordered)}


def draw_island(rng: np.random.Generator) -> Island:
    """Draw the island's stores and lines with their demand and replenishment figures."""
    catalogue = read_catalogue()
    sales = catalogue["typical_daily_sales_per_store"].astype(float)
    store_rows: list[dict[str, object]] = []
    line_rows: list[tuple[int, str]] = []
    consignment: list[tuple[int, ...]] = []
    size: list[float] = []
    everything = list(catalogue.index)
    for town_index, town in enumerate(TOWNS):
        for kind, count in (
            (KIND_SUPERMARKET, town.supermarkets),
            (KIND_VILLAGE_SHOP, town.village_shops),
            (KIND_MARKET, town.markets),
        ):
            for number in range(count):
                store = len(store_rows)
                weekdays: tuple[int, ...] = ()
                if kind == KIND_SUPERMARKET:
                    chain_name, weekdays = CHAINS[int(rng.integers(len(CHAINS)))]
                    products = _pick(rng, everything, int(rng.integers(38, 49)), sales)
                    size.append(float(np.clip(rng.lognormal(0.0, 0.35), 0.6, 1.9)))
                elif kind == KIND_VILLAGE_SHOP:
                    chain_name = ""
                    products = _pick(rng, VILLAGE_SHOP_RANGE, int(rng.integers(17, 25)), sales)
                    size.append(float(rng.uniform(0.12, 0.3)))
                else:
                    chain_name = f"{town.name} Market Office"
                    products = _pick(rng, MARKET_RANGE, int(rng.integers(24, 32)), sales)
                    size.append(float(rng.uniform(0.8, 1.8)))
                consignment.append(weekdays)
                prefix = {KIND_SUPERMARKET: "SM", KIND_VILLAGE_SHOP: "VS", KIND_MARKET: "MK"}
                store_rows.append(
                    {
                        "code": f"ISL-{town.district}-{prefix[kind]}{number + 1:02d}",
                        "name": f"{town.name} {chain_name or 'village shop'} {number + 1}",
                        "district": town.district,
                        "kind": kind,
                        "chain": chain_name,
                        "town": town_index,
                    }
                )
                line_rows.extend((store, product) for product in products)
    stores = pd.DataFrame(store_rows)
    line_store = np.array([store for store, _ in line_rows])
    products = [product for _, product in line_rows]
    lines = pd.DataFrame({"store": stores["code"].to_numpy()[line_store], "product": products})
    line_town = stores["town"].to_numpy()[line_store]
    line_kind = stores["kind"].to_numpy()[line_store]
    market = line_kind == KIND_MARKET
    line_source = np.array(
        [
            LOCAL_SOURCE.get(p, SOURCE_FARM if is_market and p in FERRY_FRESH_ON_FARMS else 0)
            for p, is_market in zip(products, market, strict=True)
        ]
    )
    channel = np.where(
        line_kind == KIND_VILLAGE_SHOP,
        CHANNEL_VAN,
        np.where(
            market,
            np.where(line_source == SOURCE_FERRY, CHANNEL_MARKET_FERRY, CHANNEL_MARKET_DAILY),
            np.where(line_source == SOURCE_FERRY, CHANNEL_CONSIGNMENT, CHANNEL_LOCAL_DAILY),
        ),
    )
    count = len(lines)
    base_demand = (
        sales.loc[products].to_numpy() * np.array(size)[line_store] * rng.lognormal(0, 0.25, count)
    )
    shelf_life = catalogue.loc[products, "shelf_life_days"].to_numpy(dtype=float)
    cover = np.zeros(count)
    for line in range(count):
        weekdays = consignment[line_store[line]]
        if channel[line] == CHANNEL_CONSIGNMENT:
            cover[line] = max(_intervals(weekdays).values()) + 1.0
        elif channel[line] == CHANNEL_VAN:
            cover[line] = 7.0 * float(rng.uniform(1.1, 1.5))
        elif channel[line] == CHANNEL_MARKET_FERRY:
            cover[line] = 3.0
        else:
            cover[line] = 1.4
    cover = np.minimum(cover, np.maximum(shelf_life * 0.8, 1.4))
    kind_factor = {KIND_SUPERMARKET: 1.0, KIND_VILLAGE_SHOP: 1.08, KIND_MARKET: 0.92}
    price_base = (
        catalogue.loc[products, "typical_price_cny"].to_numpy(dtype=float)
        * np.array([kind_factor[k] for k in line_kind])
        * 1.08  # shipping to the island
        * rng.lognormal(0.0, 0.06, count)
    )
    kinds = stores["kind"].to_numpy()
    return Island(
        stores=stores[["code", "name", "district", "kind", "chain"]],
        lines=lines,
        catalogue=catalogue,
        store_town=stores["town"].to_numpy(),
        line_store=line_store,
        line_town=line_town,
        line_kind=line_kind,
        line_source=line_source,
        channel=channel,
        base_demand=base_demand,
        shelf_life=shelf_life,
        staple=np.isin(products, sorted(STAPLES)),
        store_consignment_weekdays=tuple(consignment),
        store_reports_received=np.where(
            kinds == KIND_SUPERMARKET,
            rng.random(len(kinds)) < 0.8,
            np.where(kinds == KIND_VILLAGE_SHOP, rng.random(len(kinds)) < 0.3, False),
        ),
        store_skip_rate=np.select(
            [kinds == KIND_SUPERMARKET, kinds == KIND_VILLAGE_SHOP], [0.01, 0.05], 0.03
        ),
        order_up_to_days=cover,
        safety_z=np.select(
            [channel == CHANNEL_CONSIGNMENT, channel == CHANNEL_LOCAL_DAILY],
            [rng.uniform(1.2, 1.9, count), rng.uniform(0.6, 1.2, count)],
            np.where(channel == CHANNEL_VAN, 0.5, 1.0),
        ),
        price_base=price_base,
    )
