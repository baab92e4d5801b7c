"""Who sells what in the continuous-review city: stores, their lines and how each line is
replenished (parameters and their reasons in ``bench/families/README.md``)."""

from __future__ import annotations

from importlib import resources
from io import StringIO

import numpy as np
import pandas as pd

from bench.families._continuous_review_supply import (
    POLICY_CONTINUOUS_REVIEW,
    POLICY_FARM_SUPPLY,
    POLICY_WEEKLY_DELIVERY,
    POLICY_WHOLESALE_RUN,
    LinePolicies,
)

CHAINS = ("Yingcheng Mart", "Pingyuan Fresh", "Eagle City Supermarkets", "Hexin Hypermart")
CHAIN_WEIGHTS = (0.35, 0.3, 0.2, 0.15)
GROCER_SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
    "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo",
)  # fmt: skip
KIND_SUPERMARKET, KIND_FARMERS_MARKET, KIND_GROCER = 0, 1, 2
KIND_NAMES = ("supermarket", "farmers_market", "other")
"""Service store kinds by kind index (an independent grocer is ``other``)."""
KIND_TAGS = ("SM", "FM", "GR")
KIND_SHARES = (0.48, 0.18, 0.34)
PRODUCTS_PER_STORE = ((32, 45), (20, 30), (20, 30))
"""Fewest and most products a supermarket, farmers' market and grocer carries."""
DEMAND_SPREAD = (0.2, 0.2, 0.25)
"""Coefficient of variation of the daily gamma demand multiplier by store kind."""
RATIONING_SHARE = (0.5, 0.1, 0.3)
"""Share of supermarkets, farmers' markets and grocers that cap sales when low."""
DRY_SHELF_LIFE_DAYS = 120
"""Products keeping this long are dry goods: weekly deliveries, no spoilage in the run."""
SHRINK_RATE = {"vegetables": 0.015, "fruit": 0.01, "meat": 0.005, "eggs": 0.003, "dairy": 0.002}
"""Daily share of fresh stock (shelf life ≤ 30 days) lost to bruising and damage."""
LEAD_TIME_PROBABILITIES = {
    "daily": (0.98, 0.02, 0.00, 0.00),
    "short": (0.80, 0.17, 0.03, 0.00),
    "medium": (0.45, 0.35, 0.15, 0.05),
    "dry": (0.10, 0.30, 0.35, 0.25),
}
"""Probability of a 1, 2, 3 or 4-day lead time from a chain's DC, by shelf-life group."""


def read_service_table(*, name: str) -> pd.DataFrame:
    """A reference table shipped with the service (``service/data/<name>``), codes as text."""
    text = resources.files("service").joinpath("data", name).read_text(encoding="utf-8")
    return pd.read_csv(StringIO(text), dtype={"code": str})


def place_stores(*, rng: np.random.Generator, districts: pd.DataFrame) -> pd.DataFrame:
    """Stores with district, kind and chain: ≥ 3 per district, the rest by population."""
    store_total = int(rng.integers(48, 64))
    population = districts["population_approx"].to_numpy(dtype=float)
    extra = rng.multinomial(store_total - 3 * len(districts), population / population.sum())
    rows: list[dict[str, object]] = []
    for district_index, (code, name, count) in enumerate(
        zip(districts["code"], districts["name_en"], 3 + extra, strict=True)
    ):
        kinds = rng.choice(3, size=int(count), p=KIND_SHARES)
        kinds[0] = KIND_SUPERMARKET
        for number, kind in enumerate(kinds, start=1):
            if kind == KIND_SUPERMARKET:
                chain = CHAINS[int(rng.choice(len(CHAINS), p=CHAIN_WEIGHTS))]
                store_name = f"{chain} {name} {number}"
            elif kind == KIND_FARMERS_MARKET:
                chain = f"{name} Market Service Centre"
                store_name = f"{name} Farmers' Market {number}"
            else:
                surname = GROCER_SURNAMES[int(rng.integers(len(GROCER_SURNAMES)))]
                store_name = f"{surname} Family Grocery ({name} {number})"
                chain = store_name
            rows.append(
                {
                    "code": f"CR-{KIND_TAGS[kind]}-{code}-{number:02d}",
                    "name": store_name,
                    "district": code,
                    "kind": KIND_NAMES[kind],
                    "chain": chain,
                    "kind_index": int(kind),
                    "district_index": district_index,
                }
            )
    return pd.DataFrame(rows)


def stocked_products(*, kind: int, catalogue: pd.DataFrame) -> np.ndarray:
    """Catalogue indices a store of this kind can carry (farmers' markets: fresh food only)."""
    if kind != KIND_FARMERS_MARKET:
        return np.arange(len(catalogue))
    fresh_food = catalogue["category"].isin(["vegetables", "fruit", "meat", "eggs"])
    keeps_briefly = catalogue["shelf_life_days"] <= 90
    buns = catalogue["code"] == "steamed_buns"
    return np.flatnonzero(((fresh_food & keeps_briefly) | buns).to_numpy())


def assign_lines(
    *, rng: np.random.Generator, stores: pd.DataFrame, catalogue: pd.DataFrame
) -> pd.DataFrame:
    """Store × product rows chosen by popularity: staples nearly everywhere, rarities less."""
    popularity = np.sqrt(catalogue["typical_daily_sales_per_store"].to_numpy(dtype=float))
    rows: list[tuple[int, int]] = []
    for store_index, kind in enumerate(stores["kind_index"]):
        eligible = stocked_products(kind=int(kind), catalogue=catalogue)
        fewest, most = PRODUCTS_PER_STORE[int(kind)]
        count = min(int(rng.integers(fewest, most + 1)), len(eligible))
        weights = popularity[eligible] / popularity[eligible].sum()
        chosen = np.sort(rng.choice(eligible, size=count, replace=False, p=weights))
        rows.extend((store_index, int(product)) for product in chosen)
    return pd.DataFrame(rows, columns=["store_index", "product_index"])


def line_policies(
    *,
    rng: np.random.Generator,
    stores: pd.DataFrame,
    line_table: pd.DataFrame,
    catalogue: pd.DataFrame,
) -> LinePolicies:
    """Each line's demand level and replenishment rules: the supply chain it lives in."""
    store_index = line_table["store_index"].to_numpy()
    product_index = line_table["product_index"].to_numpy()
    store_count, line_count = len(stores), len(line_table)
    store_kind = stores["kind_index"].to_numpy()
    kind = store_kind[store_index]
    shelf_life = catalogue["shelf_life_days"].to_numpy()[product_index]
    category = catalogue["category"].to_numpy()[product_index]
    typical_sales = catalogue["typical_daily_sales_per_store"].to_numpy(dtype=float)

    store_size = np.select(
        [store_kind == KIND_SUPERMARKET, store_kind == KIND_FARMERS_MARKET],
        [
            np.clip(rng.lognormal(0.0, 0.35, size=store_count), 0.5, 2.2),
            rng.uniform(1.0, 2.5, size=store_count),
        ],
        default=rng.uniform(0.2, 0.45, size=store_count),
    )
    affinity = rng.lognormal(0.0, 0.25, size=line_count)
    base_demand = np.maximum(typical_sales[product_index] * store_size[store_index] * affinity, 0.5)

    dry = shelf_life >= DRY_SHELF_LIFE_DAYS
    group = np.select(
        [dry, shelf_life <= 3, shelf_life <= 7], ["dry", "daily", "short"], default="medium"
    )
    probabilities = np.array([LEAD_TIME_PROBABILITIES[name] for name in group]).reshape(-1, 4)
    fresh = shelf_life <= 30
    shrink = np.array([SHRINK_RATE.get(name, 0.0) for name in category]) * fresh

    chain_names, chain_of_store = np.unique(stores["chain"].to_numpy(), return_inverse=True)
    line_chain = chain_of_store[store_index]
    chain_safety = rng.uniform(1.3, 2.0, size=len(chain_names))
    chain_dry_cover = rng.uniform(7.0, 12.0, size=len(chain_names))
    chain_offset = rng.integers(0, 28, size=len(chain_names))
    order_cover = np.select(
        [dry, shelf_life <= 3, shelf_life <= 7],
        [chain_dry_cover[line_chain], 0.0, np.clip(0.3 * shelf_life, 1.0, 2.0)],
        default=4.0,
    )
    dry_case = np.select([base_demand < 4, base_demand < 40], [1.0, 5.0], default=10.0)
    fresh_case = np.select([base_demand < 20, base_demand < 60], [1.0, 2.0], default=5.0)
    case_size = np.where(dry, dry_case, fresh_case)

    policy = np.select(
        [kind == KIND_SUPERMARKET, kind == KIND_FARMERS_MARKET, dry],
        [POLICY_CONTINUOUS_REVIEW, POLICY_FARM_SUPPLY, POLICY_WEEKLY_DELIVERY],
        default=POLICY_WHOLESALE_RUN,
    )
    store_offset = rng.integers(0, 28, size=store_count)
    planning_offset = np.where(
        kind == KIND_SUPERMARKET, chain_offset[line_chain], store_offset[store_index]
    )
    rations = rng.random(store_count) < np.array(RATIONING_SHARE)[store_kind]
    ration_share = rng.uniform(0.5, 0.8, size=store_count)
    ration_cap = np.where(
        rations[store_index], np.ceil(ration_share[store_index] * base_demand), np.inf
    )
    return LinePolicies(
        policy=policy,
        district=stores["district_index"].to_numpy()[store_index],
        shelf_life=shelf_life,
        base_demand=base_demand,
        shrink_rate=shrink,
        lead_time_probabilities=probabilities,
        safety_factor=chain_safety[line_chain],
        order_cover_days=order_cover,
        case_size=case_size,
        planning_offset=planning_offset,
        delivery_weekday=rng.integers(0, 7, size=store_count)[store_index],
        weekly_margin=rng.uniform(0.0, 0.12, size=store_count)[store_index],
        review_period=np.select([shelf_life <= 7, shelf_life <= 30], [1, 2], default=4),
        buffer_days=rng.uniform(0.6, 1.2, size=store_count)[store_index],
        farm_margin=rng.uniform(1.15, 1.35, size=line_count),
        local_farm_share=rng.uniform(0.15, 0.35, size=store_count)[store_index],
        ration_cap=ration_cap,
    )
