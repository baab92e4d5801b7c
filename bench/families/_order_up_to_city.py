"""Stores, assortments and per-line replenishment parameters of the order-up-to city.

The city is a Chinese prefecture's modern retail (see README.md, "order_up_to"): four
store kinds with their own assortments, demand levels, weekday patterns and ordering
habits. Everything here is drawn once per seed, before any day is simulated, so the
ordinary and the emergency version of a seed share one city.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

FRESH, CHILLED, DRY = 0, 1, 2
"""Replenishment classes: vegetables, fruit and day-fresh goods; meat, eggs and dairy;
grain and edible oil."""

LEAD_TIME_PROBABILITIES = np.array([[0.9, 0.1, 0.0], [0.6, 0.3, 0.1], [0.3, 0.4, 0.3]])
"""Per class, the chance an ordinary order arrives 1, 2 or 3 days after it is placed:
fresh goods come overnight from the wholesale market, chilled goods from a regional
distribution centre, dry goods from a provincial one or the mill."""

SAFETY_FACTOR = np.array([1.3, 1.5, 1.65])
"""Per class, the z of the safety stock: perishables are stocked lean (overstock spoils),
dry goods for a 95 % cycle service level."""

DISPLAY_DAYS = np.array([0.6, 0.5, 3.0])
"""Per class, the stock kept for presentation (full shelves, back-room) in days of demand."""

SHRINK_PER_SHELF_LIFE = np.array([0.3, 0.08, 0.0])
"""Per class, the daily share of a perishable's stock lost to wilting, bruising, trimming
and breakage, times 1 / shelf life: produce 4 % a day for tomatoes (7 days), 1 % for
apples (30); chilled goods 1.6 % for pork (5), 0.3 % for eggs (30)."""

LARGEST_DAILY_SHRINK = 0.06
"""Two-day goods (tofu, buns, spinach) lose at most this share a day on the shelf; what
spoils them is the end of their life, when whatever is left is thrown away."""

PERISHABLE_SHELF_LIFE = 30
"""Products with at most this shelf life (days) shrink and are thrown away past their life."""

STORE_LIFE_SHARE = 0.8
"""Share of a product's shelf life left when it reaches the store."""

LOCAL_SOURCE_SHELF_LIFE = 7
"""Goods lasting at most this many days (chilled pork, chicken, fish, fresh milk) come
overnight from local slaughterhouses and dairies, with the lead times of fresh produce."""


@dataclass(frozen=True)
class StoreKindProfile:
    """How one kind of store sells and orders."""

    service_kind: str
    code_prefix: str
    chains: tuple[str, ...]
    urban_share: float
    county_share: float
    scale: tuple[float, float]
    """Demand relative to the catalogue's mid-size supermarket (uniform range per store)."""
    assortment: tuple[int, int]
    dispersion_median: float
    """Median negative-binomial size k of its lines (larger: closer to Poisson)."""
    weekday_factors: tuple[float, float, float, float, float, float, float]
    """Monday .. Sunday demand relative to the week's mean."""
    small: bool
    """Small stores review vegetables and fruit every 2 days, chilled goods less often."""
    safety_shift: float
    minimum_facing: int
    knows_stockouts: bool
    """Its forecast leaves out days it sold out (a store system); else it learns from sales."""
    reports_received_share: float
    miss_probability: float
    spoilage_factor: float


STORE_KINDS: dict[str, StoreKindProfile] = {
    "hypermarket": StoreKindProfile(
        service_kind="supermarket",
        code_prefix="OUT-HM",
        chains=("Huixin Hypermarket", "Pingyuan Great Mart", "Zhongyuan Value Hypermarket"),
        urban_share=0.14,
        county_share=0.07,
        scale=(2.5, 4.0),
        assortment=(40, 45),
        dispersion_median=20.0,
        weekday_factors=(0.88, 0.86, 0.88, 0.92, 1.02, 1.26, 1.18),
        small=False,
        safety_shift=0.2,
        minimum_facing=6,
        knows_stockouts=True,
        reports_received_share=0.9,
        miss_probability=0.01,
        spoilage_factor=1.0,
    ),
    "neighbourhood": StoreKindProfile(
        service_kind="supermarket",
        code_prefix="OUT-SM",
        chains=(
            "Yingcheng Fresh Supermarket",
            "Lianhua Neighbourhood Market",
            "Heping Co-op Supermarket",
            "Jiale Supermarket",
        ),
        urban_share=0.40,
        county_share=0.40,
        scale=(0.6, 1.4),
        assortment=(32, 40),
        dispersion_median=12.0,
        weekday_factors=(0.93, 0.92, 0.94, 0.96, 1.03, 1.12, 1.10),
        small=False,
        safety_shift=0.0,
        minimum_facing=4,
        knows_stockouts=True,
        reports_received_share=0.6,
        miss_probability=0.02,
        spoilage_factor=1.0,
    ),
    "convenience": StoreKindProfile(
        service_kind="other",
        code_prefix="OUT-CV",
        chains=("Kuaile 24 Convenience", "Meijia Convenience", "Dongfang Convenience"),
        urban_share=0.36,
        county_share=0.28,
        scale=(0.10, 0.25),
        assortment=(22, 28),
        dispersion_median=6.0,
        weekday_factors=(0.99, 0.99, 0.99, 1.0, 1.02, 1.01, 1.0),
        small=True,
        safety_shift=-0.2,
        minimum_facing=2,
        knows_stockouts=False,
        reports_received_share=0.3,
        miss_probability=0.05,
        spoilage_factor=1.0,
    ),
    "farmers_market": StoreKindProfile(
        service_kind="farmers_market",
        code_prefix="OUT-FM",
        chains=(),
        urban_share=0.10,
        county_share=0.25,
        scale=(1.2, 2.5),
        assortment=(22, 30),
        dispersion_median=8.0,
        weekday_factors=(0.95, 0.95, 0.96, 0.97, 1.0, 1.1, 1.07),
        small=False,
        safety_shift=-0.1,
        minimum_facing=3,
        knows_stockouts=False,
        reports_received_share=0.0,
        miss_probability=0.06,
        spoilage_factor=1.5,
    ),
}
KIND_NAMES = tuple(STORE_KINDS)

CONVENIENCE_PRODUCTS = (
    "instant_noodles",
    "ham_sausage",
    "eggs",
    "milk",
    "yogurt",
    "steamed_buns",
    "banana",
    "apple",
    "rice",
    "blended_oil",
    "noodles_dry",
    "soybean_oil",
    "peanut_oil",
    "fresh_milk",
    "orange",
    "pear",
    "grapes",
    "tomato",
    "cucumber",
    "potato",
    "onion",
    "carrot",
    "cabbage",
    "tofu",
    "scallion",
    "green_pepper",
    "chicken_legs",
    "flour",
    "pork",
    "watermelon",
)
"""What a community convenience store may carry; the first ten it always carries."""

CONVENIENCE_CORE = 10
PACKAGED_CONVENIENCE_BOOST = {
    "instant_noodles": 3.0,
    "ham_sausage": 3.0,
    "milk": 2.0,
    "yogurt": 2.0,
    "steamed_buns": 1.5,
}
"""Convenience stores sell packaged snacks and drinks well above their size."""
MARKET_CORE = ("pork", "eggs", "cabbage", "potato", "tomato", "cucumber", "chicken", "carrot")
MARKET_CATEGORIES = ("vegetables", "fruit", "meat", "eggs")


@dataclass(frozen=True)
class City:
    """The drawn city: stores, lines and each line's parameters (arrays of shape (lines,))."""

    stores: pd.DataFrame
    lines: pd.DataFrame
    store_of_line: np.ndarray
    weekday_factors: np.ndarray
    """(stores, 7) Monday .. Sunday demand factors."""
    base_demand: np.ndarray
    dispersion: np.ndarray
    replenishment_class: np.ndarray
    lead_class: np.ndarray
    """Which row of LEAD_TIME_PROBABILITIES: short-lived goods come from local sources."""
    category: np.ndarray
    review_period: np.ndarray
    review_offset: np.ndarray
    safety_factor: np.ndarray
    display_stock: np.ndarray
    store_life: np.ndarray
    shrink_rate: np.ndarray
    smoothing: np.ndarray
    knows_stockouts: np.ndarray
    base_price: np.ndarray
    cut_districts: tuple[str, ...]
    recovering_districts: tuple[str, ...]


def load_catalogue() -> pd.DataFrame:
    """The service's product catalogue: the goods, categories and scales the city sells."""
    with (resources.files("service") / "data" / "products.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file)


def load_districts() -> pd.DataFrame:
    """The demo city's districts with population: where stores stand and how many."""
    with (resources.files("service") / "data" / "districts.csv").open(encoding="utf-8") as file:
        return pd.read_csv(file, dtype={"code": str})


def _place_stores(*, rng: np.random.Generator, districts: pd.DataFrame) -> pd.DataFrame:
    """Stores per district (two or more, the rest by population) with a kind each."""
    total = int(rng.integers(52, 69))
    population = districts["population_approx"].to_numpy(dtype=float)
    counts = 2 + rng.multinomial(total - 2 * len(districts), population / population.sum())
    rows: list[tuple[str, str, str]] = []
    for district_code, district_name, district_kind, count in zip(
        districts["code"], districts["name_en"], districts["kind"], counts, strict=True
    ):
        share_field = "urban_share" if district_kind == "urban_district" else "county_share"
        shares = np.array([getattr(STORE_KINDS[kind], share_field) for kind in KIND_NAMES])
        for kind_index in rng.choice(len(KIND_NAMES), size=int(count), p=shares / shares.sum()):
            rows.append((district_code, district_name, KIND_NAMES[kind_index]))
    frame = pd.DataFrame(rows, columns=["district", "district_name", "store_kind"])
    for kind in KIND_NAMES:
        if not (frame["store_kind"] == kind).any():
            # Every kind stands somewhere: the most common kind in the largest district gives one.
            largest = frame["district"] == districts["code"].iloc[int(population.argmax())]
            common = frame.loc[largest, "store_kind"].value_counts().index[0]
            frame.loc[(largest & (frame["store_kind"] == common)).idxmax(), "store_kind"] = kind
    return _name_stores(rng=rng, frame=frame)


def _name_stores(*, rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Codes, chains and names for placed stores (a farmers' market is its own operator)."""
    codes, chains, names = [], [], []
    numbers = dict.fromkeys(KIND_NAMES, 0)
    for district_name, kind in zip(frame["district_name"], frame["store_kind"], strict=True):
        profile = STORE_KINDS[kind]
        numbers[kind] += 1
        codes.append(f"{profile.code_prefix}-{numbers[kind]:03d}")
        if profile.chains:
            chain = profile.chains[int(rng.integers(len(profile.chains)))]
            names.append(f"{chain} {district_name} {numbers[kind]}")
        else:
            chain = f"{district_name} Agricultural Market Co."
            names.append(f"{district_name} Farmers' Market {numbers[kind]}")
        chains.append(chain)
    frame = frame.assign(code=codes, chain=chains, name=names)
    frame["kind"] = [STORE_KINDS[kind].service_kind for kind in frame["store_kind"]]
    return frame.reset_index(drop=True)


def _assortment(*, rng: np.random.Generator, kind: str, catalogue: pd.DataFrame) -> list[str]:
    """The products one store of this kind carries: its core ones and a draw by popularity."""
    profile = STORE_KINDS[kind]
    size = int(rng.integers(profile.assortment[0], profile.assortment[1] + 1))
    if kind == "convenience":
        eligible = list(CONVENIENCE_PRODUCTS)
        core = eligible[:CONVENIENCE_CORE]
    elif kind == "farmers_market":
        fresh_meat = (catalogue["category"] != "meat") | (catalogue["shelf_life_days"] <= 5)
        chosen = catalogue["category"].isin(MARKET_CATEGORIES) & fresh_meat
        eligible = catalogue.loc[chosen, "code"].tolist()
        core = list(MARKET_CORE)
    else:
        eligible = catalogue["code"].tolist()
        core = []
    rest = [code for code in eligible if code not in core]
    sales = catalogue.set_index("code").loc[rest, "typical_daily_sales_per_store"]
    weights = np.sqrt(sales.to_numpy(dtype=float))
    extra = rng.choice(
        len(rest), size=min(size - len(core), len(rest)), replace=False, p=weights / weights.sum()
    )
    return core + [rest[index] for index in sorted(extra)]


def _review_periods(
    *,
    rng: np.random.Generator,
    replenishment_class: np.ndarray,
    store_life: np.ndarray,
    small: np.ndarray,
) -> np.ndarray:
    """Days between reviews per line: fresh daily (2 in small stores), chilled 2-4, dry 7.

    A buyer turns a short-lived line at least twice within its life on the shelf: fresh
    chicken (3 days in store) comes daily and pork (4 days) every 2 days at most.
    """
    count = len(replenishment_class)
    large_chilled = rng.choice([2, 3, 4], size=count, p=[0.5, 0.35, 0.15])
    small_chilled = rng.choice([2, 3, 4], size=count, p=[0.2, 0.4, 0.4])
    period = np.select(
        [replenishment_class == FRESH, replenishment_class == CHILLED],
        [np.where(small, 2, 1), np.where(small, small_chilled, large_chilled)],
        default=7,
    )
    return np.minimum(period, np.maximum(store_life // 2, 1))


def build_city(*, rng: np.random.Generator) -> City:
    """Draw the whole city for one seed: stores, assortments and line parameters."""
    catalogue = load_catalogue().set_index("code")
    districts = load_districts()
    stores = _place_stores(rng=rng, districts=districts)
    store_rows, products = [], []
    for store_index, kind in enumerate(stores["store_kind"]):
        carried = _assortment(rng=rng, kind=kind, catalogue=catalogue.reset_index())
        store_rows.extend([store_index] * len(carried))
        products.extend(carried)
    store_of_line = np.array(store_rows)
    lines = pd.DataFrame({"store": stores["code"].to_numpy()[store_of_line], "product": products})
    count = len(lines)
    product_rows = catalogue.loc[products]
    category = product_rows["category"].to_numpy()
    shelf_life = product_rows["shelf_life_days"].to_numpy(dtype=int)
    kinds = stores["store_kind"].to_numpy()[store_of_line]
    profiles = [STORE_KINDS[kind] for kind in kinds]

    def per_line(field: str) -> np.ndarray:
        """One profile field spread over the lines."""
        return np.array([getattr(profile, field) for profile in profiles])

    scale_low = np.array([STORE_KINDS[kind].scale[0] for kind in stores["store_kind"]])
    scale_high = np.array([STORE_KINDS[kind].scale[1] for kind in stores["store_kind"]])
    store_scale = rng.uniform(scale_low, scale_high)
    boost = np.array(
        [
            PACKAGED_CONVENIENCE_BOOST.get(product, 1.0) if kind == "convenience" else 1.0
            for kind, product in zip(kinds, products, strict=True)
        ]
    )
    base_demand = np.maximum(
        0.3,
        product_rows["typical_daily_sales_per_store"].to_numpy(dtype=float)
        * store_scale[store_of_line]
        * boost
        * rng.lognormal(0.0, 0.35, size=count),
    )
    dispersion = np.clip(per_line("dispersion_median") * rng.lognormal(0.0, 0.5, count), 1.0, 60.0)
    replenishment_class = np.select(
        [
            np.isin(category, ["vegetables", "fruit"]) | (shelf_life <= 3),
            np.isin(category, ["meat", "eggs", "dairy"]),
        ],
        [FRESH, CHILLED],
        default=DRY,
    )
    store_life = np.maximum(2, np.round(STORE_LIFE_SHARE * shelf_life)).astype(int)
    review_period = _review_periods(
        rng=rng,
        replenishment_class=replenishment_class,
        store_life=store_life,
        small=per_line("small"),
    )
    weekly_offset = rng.integers(0, 7, size=len(stores))[store_of_line]
    review_offset = np.where(
        review_period == 7, weekly_offset, rng.integers(0, 7, size=count) % review_period
    )
    weekday_tilt = rng.normal(0.0, 0.02, size=(len(stores), 7))
    weekday = np.array([STORE_KINDS[kind].weekday_factors for kind in stores["store_kind"]])
    weekday = weekday * (1.0 + weekday_tilt)
    weekday = weekday / weekday.mean(axis=1, keepdims=True)
    perishable = shelf_life <= PERISHABLE_SHELF_LIFE
    kind_price = {
        "hypermarket": 0.95,
        "neighbourhood": 1.0,
        "convenience": 1.15,
        "farmers_market": 0.9,
    }
    cut, recovering = _cut_districts(rng=rng, stores=stores)
    return City(
        stores=stores,
        lines=lines,
        store_of_line=store_of_line,
        weekday_factors=weekday,
        base_demand=base_demand,
        dispersion=dispersion,
        replenishment_class=replenishment_class,
        lead_class=np.where(shelf_life <= LOCAL_SOURCE_SHELF_LIFE, FRESH, replenishment_class),
        category=category,
        review_period=review_period,
        review_offset=review_offset,
        safety_factor=SAFETY_FACTOR[replenishment_class] + per_line("safety_shift"),
        display_stock=np.maximum(
            per_line("minimum_facing"), DISPLAY_DAYS[replenishment_class] * base_demand
        ),
        store_life=store_life,
        shrink_rate=np.where(
            perishable,
            np.minimum(
                SHRINK_PER_SHELF_LIFE[replenishment_class] / shelf_life, LARGEST_DAILY_SHRINK
            )
            * per_line("spoilage_factor"),
            0.0,
        ),
        smoothing=rng.uniform(0.15, 0.35, size=count),
        knows_stockouts=per_line("knows_stockouts"),
        base_price=product_rows["typical_price_cny"].to_numpy(dtype=float)
        * np.array([kind_price[kind] for kind in kinds])
        * rng.lognormal(0.0, 0.06, size=count),
        cut_districts=cut,
        recovering_districts=recovering,
    )


def _cut_districts(
    *, rng: np.random.Generator, stores: pd.DataFrame
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """One or two districts (of four stores or more) whose supply is cut, and which recover."""
    counts = stores["district"].value_counts()
    eligible = sorted(counts[counts >= 4].index)
    cut_count = int(rng.integers(1, 3))
    cut = tuple(sorted(rng.choice(eligible, size=cut_count, replace=False).tolist()))
    if cut_count == 2:
        recovering: tuple[str, ...] = (cut[int(rng.integers(2))],)
    else:
        recovering = cut if rng.random() < 0.5 else ()
    return cut, recovering
