"""Master data of the demo city and of a synthetic province, as plain data frames.

Pure and deterministic from a seed (no database), so tests, benchmarks and the
alert-quality simulator all see the same regions, chains, stores and products.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from service.demo import reference as ref

REGION_COLUMNS = [
    "code", "name", "name_zh", "level", "parent_code", "latitude", "longitude", "population",
]  # fmt: skip
ENTERPRISE_COLUMNS = ["code", "name", "kind", "contact_name", "contact_phone"]
STORE_COLUMNS = [
    "code", "name", "kind", "region_code", "district_code", "enterprise_code", "address",
    "latitude", "longitude", "key_supplier", "service_officer", "size",
]  # fmt: skip
PRODUCT_COLUMNS = [
    "code", "name", "name_zh", "category", "unit", "kg_per_unit", "shelf_life_days",
    "typical_price", "typical_daily_sales",
]  # fmt: skip

# Independent random streams per stage: changing one stage leaves the others' draws alone.
STAGE_REGIONS, STAGE_ENTERPRISES, STAGE_STORES, STAGE_ASSORTMENT = 1, 2, 3, 4


@dataclass
class MasterFrames:
    """Regions, enterprises, stores (``size`` is a sales factor, not stored), products,
    unit conversions and which store carries which product."""

    regions: pd.DataFrame
    enterprises: pd.DataFrame
    stores: pd.DataFrame
    products: pd.DataFrame
    conversions: pd.DataFrame
    assortment: pd.DataFrame  # store_code, product_code


def stage_rng(seed: int, stage: int) -> np.random.Generator:
    """A generator for one stage of the generation, derived from the seed."""
    return np.random.default_rng([seed, stage])


def allocate(total: int, weights: np.ndarray, *, minimum: int = 0) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder),
    each at least ``minimum``."""
    count = len(weights)
    if total < minimum * count:
        raise ValueError(f"cannot give {count} parts at least {minimum} out of {total}")
    share = np.asarray(weights, dtype=float) / float(np.sum(weights))
    spare = total - minimum * count
    exact = share * spare
    parts = np.floor(exact).astype(int)
    order = np.argsort(-(exact - parts), kind="stable")
    parts[order[: spare - int(parts.sum())]] += 1
    return parts + minimum


def catalogue_products(count: int | None = None, *, seed: int = 0) -> pd.DataFrame:
    """Products in the frame shape the generator uses: the whole catalogue, a subset
    spread over every category, or the catalogue plus synthetic variants (``rice_v2``)."""
    catalogue = ref.read_catalogue().rename(
        columns={
            "name_en": "name",
            "typical_price_cny": "typical_price",
            "typical_daily_sales_per_store": "typical_daily_sales",
        }
    )[PRODUCT_COLUMNS]
    if count is None or count == len(catalogue):
        return catalogue.reset_index(drop=True)
    if count < 1:
        raise ValueError("products must be at least 1")
    if count < len(catalogue):
        # Round-robin over categories so a small subset still has every category.
        rank = catalogue.groupby("category", sort=False).cumcount()
        picked = catalogue.assign(_rank=rank).sort_values("_rank", kind="stable").head(count)
        return catalogue.loc[sorted(picked.index)].reset_index(drop=True)
    extra = count - len(catalogue)
    source = catalogue.iloc[np.arange(extra) % len(catalogue)].reset_index(drop=True)
    number = 2 + np.arange(extra) // len(catalogue)
    rng = stage_rng(seed, STAGE_ASSORTMENT)
    variants = source.assign(
        code=[f"{c}_v{n}" for c, n in zip(source["code"], number, strict=True)],
        name=[f"{c} (variant {n})" for c, n in zip(source["name"], number, strict=True)],
        name_zh=[f"{c}（{n}）" for c, n in zip(source["name_zh"], number, strict=True)],
        typical_price=np.round(source["typical_price"] * rng.uniform(0.9, 1.25, extra), 2),
        typical_daily_sales=np.round(source["typical_daily_sales"] * 0.5, 1),
    )
    return pd.concat([catalogue, variants], ignore_index=True)


def conversions_for(products: pd.DataFrame) -> pd.DataFrame:
    """The natural package units (a 10 kg bag of rice, a 5 L bottle of oil) of the
    products present, so reports in those units convert."""
    frame = pd.DataFrame(ref.CONVERSIONS, columns=["product_code", "unit", "factor"])
    return frame[frame["product_code"].isin(products["code"])].reset_index(drop=True)


def _city_regions(rng: np.random.Generator) -> pd.DataFrame:
    districts = ref.read_districts()
    rows: list[dict[str, object]] = [
        {
            "code": ref.CITY_CODE,
            "name": ref.CITY_NAME,
            "name_zh": ref.CITY_NAME_ZH,
            "level": "city",
            "parent_code": None,
            "latitude": ref.CITY_LAT,
            "longitude": ref.CITY_LON,
            "population": int(districts["population_approx"].sum()),
        }
    ]
    counts = rng.integers(2, 6, size=len(districts))
    names = rng.permutation(len(ref.PLACE_NAMES))[: int(counts.sum())]
    used = 0
    for district, count in zip(districts.to_dict("records"), counts, strict=True):
        code, lat, lon = str(district["code"]), float(district["lat"]), float(district["lon"])
        urban = district["kind"] == "urban_district"
        suffix, suffix_zh = ("Street", "街道") if urban else ("Town", "镇")
        spread = 0.018 if urban else 0.09
        rows.append(
            {
                "code": code,
                "name": district["name_en"],
                "name_zh": district["name_zh"],
                "level": "district",
                "parent_code": ref.CITY_CODE,
                "latitude": lat,
                "longitude": lon,
                "population": int(district["population_approx"]),
            }
        )
        populations = allocate(
            int(district["population_approx"]), rng.dirichlet(np.full(count, 4.0)), minimum=1000
        )
        for index in range(count):
            name, name_zh = ref.PLACE_NAMES[names[used]]
            used += 1
            rows.append(
                {
                    "code": f"{code}{index + 1:03d}",
                    "name": f"{name} {suffix}",
                    "name_zh": f"{name_zh}{suffix_zh}",
                    "level": "township",
                    "parent_code": code,
                    "latitude": round(lat + float(rng.normal(0, spread)), 5),
                    "longitude": round(lon + float(rng.normal(0, spread)), 5),
                    "population": int(populations[index]),
                }
            )
    return pd.DataFrame(rows, columns=REGION_COLUMNS)


def _phone(rng: np.random.Generator) -> str:
    return f"0375-{int(rng.integers(2_000_000, 8_000_000))}"


def _officers(key_supplier: np.ndarray, rng: np.random.Generator) -> list[str | None]:
    """A bureau service officer for every key supplier, None for the other stores."""
    drawn = rng.integers(len(ref.PEOPLE), size=len(key_supplier))
    return [ref.PEOPLE[i] if key else None for i, key in zip(drawn, key_supplier, strict=True)]


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return unique


def _city_stores(
    regions: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, pd.DataFrame]:
    districts = ref.read_districts()
    district_codes = districts["code"].astype(str).to_numpy()
    urban = (districts["kind"] == "urban_district").to_numpy()
    # Supermarkets cluster in town centres: weigh urban population higher.
    weights = districts["population_approx"].to_numpy() * np.where(urban, 1.5, 1.0)
    chain_slots = np.repeat(district_codes, allocate(ref.CHAIN_STORE_COUNT, weights, minimum=1))
    chain_slots = rng.permutation(chain_slots)
    market_slots = np.repeat(district_codes, allocate(ref.MARKET_COUNT, weights, minimum=1))
    chain_sizes = allocate(
        ref.CHAIN_STORE_COUNT, 1.0 / np.arange(1, ref.CHAIN_COUNT + 1) ** 0.9, minimum=1
    )
    chain_names = [ref.CHAIN_NAMES[i] for i in rng.permutation(ref.CHAIN_COUNT)]

    enterprises: list[dict[str, object]] = [
        {
            "code": f"CH-{i + 1:02d}",
            "name": chain_names[i],
            "kind": "chain",
            "contact_name": ref.PEOPLE[int(rng.integers(len(ref.PEOPLE)))],
            "contact_phone": _phone(rng),
        }
        for i in range(ref.CHAIN_COUNT)
    ]
    townships = regions[regions["level"] == "township"]
    by_district = {str(code): rows for code, rows in townships.groupby("parent_code", sort=False)}
    suffixes = {"urban_district": "District", "county": "County", "county_city": "City"}
    district_names = {
        code: f"{name} {suffixes.get(kind, '')}".strip()
        for code, name, kind in zip(
            district_codes, districts["name_en"], districts["kind"], strict=True
        )
    }
    urban_by_code = dict(zip(district_codes, urban, strict=True))

    stores: list[dict[str, object]] = []

    def add_store(kind: str, district: str, enterprise: str, name: str, size: float) -> None:
        """Place a store in a township of ``district``; ``name`` may use ``{place}``."""
        group = by_district[district]
        weight = group["population"].to_numpy(dtype=float)
        township = group.iloc[int(rng.choice(len(group), p=weight / weight.sum()))]
        spread = 0.006 if urban_by_code[district] else 0.02
        stores.append(
            {
                "code": f"PDS-{len(stores) + 1:04d}",
                "name": name.format(place=township["name"].rsplit(" ", 1)[0]),
                "kind": kind,
                "region_code": township["code"],
                "district_code": district,
                "enterprise_code": enterprise,
                "address": (
                    f"No. {int(rng.integers(1, 400))} "
                    f"{ref.ROADS[int(rng.integers(len(ref.ROADS)))]} Road, "
                    f"{township['name']}, {district_names[district]}"
                ),
                "latitude": round(float(township["latitude"] + rng.normal(0, spread)), 6),
                "longitude": round(float(township["longitude"] + rng.normal(0, spread)), 6),
                "key_supplier": False,
                "service_officer": None,
                "size": size,
            }
        )

    slot = 0
    for chain_index, chain_size in enumerate(chain_sizes):
        boost = 1.25 if chain_index < 8 else 1.0
        for _ in range(chain_size):
            size = boost * float(rng.lognormal(0.0, 0.35))
            code = f"CH-{chain_index + 1:02d}"
            name = f"{chain_names[chain_index]} {{place}}"
            add_store("supermarket", chain_slots[slot], code, name, size)
            slot += 1
    for market_index, district in enumerate(market_slots):
        code = f"MO-{market_index + 1:02d}"
        size = float(rng.lognormal(np.log(2.5), 0.25))
        add_store("farmers_market", district, code, "{place} Farmers' Market", size)
        place = str(stores[-1]["name"]).removesuffix(" Farmers' Market")
        enterprises.append(
            {
                "code": code,
                "name": f"{place} Market Management Co.",
                "kind": "market_operator",
                "contact_name": ref.PEOPLE[int(rng.integers(len(ref.PEOPLE)))],
                "contact_phone": _phone(rng),
            }
        )
    frame = pd.DataFrame(stores, columns=STORE_COLUMNS)
    frame["name"] = _unique(frame["name"].tolist())
    enterprise_frame = pd.DataFrame(enterprises, columns=ENTERPRISE_COLUMNS)
    enterprise_frame["name"] = _unique(enterprise_frame["name"].tolist())
    # Key suppliers: every market, the big chains' stores, and a few others.
    chain_rank = frame["enterprise_code"].str.slice(3).astype(int)
    key = (
        (frame["kind"] == "farmers_market")
        | (frame["enterprise_code"].str.startswith("CH-") & (chain_rank <= 10))
        | (rng.random(len(frame)) < 0.2)
    )
    frame["key_supplier"] = key.to_numpy()
    frame["service_officer"] = _officers(key.to_numpy(), rng)
    return enterprise_frame, frame


def _city_assortment(
    stores: pd.DataFrame, products: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Supermarkets carry the core range plus more the bigger they are (35–53 lines);
    farmers' markets carry fresh goods (vegetables with tofu, fruit, meat, eggs)."""
    n_stores, n_products = len(stores), len(products)
    core = products["code"].isin(ref.SUPERMARKET_CORE).to_numpy()
    fresh = products["category"].isin(ref.MARKET_CATEGORIES).to_numpy()
    priority = rng.random((n_stores, n_products)) + np.where(core, -10.0, 0.0)
    market = (stores["kind"] == "farmers_market").to_numpy()
    size = stores["size"].to_numpy()
    wanted = np.rint(38 + 12 * (size - 0.6) + rng.normal(0, 2, n_stores))
    wanted = np.clip(wanted, 35, n_products).astype(int)
    # Markets keep every fresh line but may drop up to two of the slowest sellers.
    slow = -np.log(products["typical_daily_sales"].to_numpy(dtype=float))
    market_priority = np.where(fresh, slow + rng.normal(0, 0.3, (n_stores, n_products)), np.inf)
    priority = np.where(market[:, None], market_priority, priority)
    wanted = np.where(market, int(fresh.sum()) - rng.integers(0, 3, n_stores), wanted)
    rank = np.argsort(np.argsort(priority, axis=1), axis=1)
    carried = rank < wanted[:, None]
    store_index, product_index = np.nonzero(carried)
    return pd.DataFrame(
        {
            "store_code": stores["code"].to_numpy()[store_index],
            "product_code": products["code"].to_numpy()[product_index],
        }
    )


def city_master(seed: int) -> MasterFrames:
    """The demo city: Pingdingshan, 10 districts, townships, 40 chains with 109 stores,
    13 farmers' markets with their operators, and the 53 catalogue products."""
    regions = _city_regions(stage_rng(seed, STAGE_REGIONS))
    enterprises, stores = _city_stores(regions, stage_rng(seed, STAGE_STORES))
    products = catalogue_products()
    assortment = _city_assortment(stores, products, stage_rng(seed, STAGE_ASSORTMENT))
    return MasterFrames(
        regions=regions,
        enterprises=enterprises,
        stores=stores,
        products=products,
        conversions=conversions_for(products),
        assortment=assortment,
    )


def province_master(*, stores: int, products: int, seed: int) -> MasterFrames:
    """A province-size network for benchmarks: Henan's cities, about 60 stores per
    district, a chain per ~25 stores, one market operator per city, and every store
    carrying every product (so a day is exactly ``stores × products`` lines)."""
    if stores < 1:
        raise ValueError("stores must be at least 1")
    rng = stage_rng(seed, STAGE_REGIONS)
    n_cities = min(len(ref.PROVINCE_CITIES), max(1, -(-stores // 600)))
    per_city = max(1, -(-stores // (n_cities * 60)))
    region_rows: list[dict[str, object]] = []
    district_codes: list[str] = []
    district_city: list[int] = []
    places = rng.permutation(len(ref.PLACE_NAMES))
    for c, (code, name, name_zh, lat, lon) in enumerate(ref.PROVINCE_CITIES[:n_cities]):
        region_rows.append(
            {"code": code, "name": name, "name_zh": name_zh, "level": "city",
             "parent_code": None, "latitude": lat, "longitude": lon, "population": None}
        )  # fmt: skip
        for d in range(per_city):
            place, place_zh = ref.PLACE_NAMES[places[(c * per_city + d) % len(places)]]
            district_code = f"{code[:4]}{d + 1:02d}"
            region_rows.append(
                {
                    "code": district_code,
                    "name": f"{place} District",
                    "name_zh": f"{place_zh}区",
                    "level": "district",
                    "parent_code": code,
                    "latitude": round(lat + float(rng.normal(0, 0.12)), 5),
                    "longitude": round(lon + float(rng.normal(0, 0.12)), 5),
                    "population": int(rng.integers(150_000, 900_000)),
                }
            )
            district_codes.append(district_code)
            district_city.append(c)
    regions = pd.DataFrame(region_rows, columns=REGION_COLUMNS)
    city_population = regions.groupby("parent_code")["population"].sum()
    regions["population"] = (
        regions["population"].fillna(regions["code"].map(city_population)).astype("int64")
    )

    rng = stage_rng(seed, STAGE_STORES)
    n_chains = max(1, stores // 25)
    n_markets = stores // 10
    district_of = rng.integers(len(district_codes), size=stores)
    district_arr = np.array(district_codes, dtype=object)[district_of]
    district_rows = regions.set_index("code").loc[district_arr].reset_index(drop=True)
    market = np.arange(stores) >= stores - n_markets
    chain_of = rng.integers(n_chains, size=stores)
    city_of = np.array(district_city)[district_of]
    city_codes = np.array([c[0] for c in ref.PROVINCE_CITIES[:n_cities]], dtype=object)
    enterprise_code = np.where(
        market,
        pd.Series(city_codes[city_of]).str.slice(0, 4).radd("MO-").to_numpy(),
        pd.Series(chain_of + 1).map("CH-{:03d}".format).to_numpy(),
    )
    codes = pd.Series(np.arange(1, stores + 1)).map("HN-{:05d}".format).to_numpy()
    key = market | (rng.random(stores) < 0.3)
    store_frame = pd.DataFrame(
        {
            "code": codes,
            "name": np.where(market, "Farmers' Market ", "Supermarket ") + codes,
            "kind": np.where(market, "farmers_market", "supermarket"),
            "region_code": district_arr,
            "district_code": district_arr,
            "enterprise_code": enterprise_code,
            "address": None,
            "latitude": np.round(district_rows["latitude"] + rng.normal(0, 0.03, stores), 6),
            "longitude": np.round(district_rows["longitude"] + rng.normal(0, 0.03, stores), 6),
            "key_supplier": key,
            "service_officer": _officers(key, rng),
            "size": rng.lognormal(0.0, 0.35, stores) * np.where(market, 1.5, 1.0),
        },
        columns=STORE_COLUMNS,
    )
    chains = pd.DataFrame(
        {
            "code": [f"CH-{i + 1:03d}" for i in range(n_chains)],
            "name": [
                f"{ref.CHAIN_NAMES[i % len(ref.CHAIN_NAMES)]} {i // len(ref.CHAIN_NAMES) + 1}"
                for i in range(n_chains)
            ],
            "kind": "chain",
            "contact_name": None,
            "contact_phone": None,
        }
    )
    operators = pd.DataFrame(
        {
            "code": [f"MO-{c[:4]}" for c in city_codes],
            "name": [f"{c[1]} Agricultural Markets Co." for c in ref.PROVINCE_CITIES[:n_cities]],
            "kind": "market_operator",
            "contact_name": None,
            "contact_phone": None,
        }
    )
    used = set(enterprise_code)
    enterprises = pd.concat([chains, operators], ignore_index=True)
    enterprises = enterprises[enterprises["code"].isin(used)].reset_index(drop=True)
    product_frame = catalogue_products(products, seed=seed)
    assortment = pd.DataFrame(
        {
            "store_code": np.repeat(codes, len(product_frame)),
            "product_code": np.tile(product_frame["code"].to_numpy(), stores),
        }
    )
    return MasterFrames(
        regions=regions,
        enterprises=enterprises[ENTERPRISE_COLUMNS],
        stores=store_frame,
        products=product_frame,
        conversions=conversions_for(product_frame),
        assortment=assortment,
    )
