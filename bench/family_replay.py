"""A scenario family's city as the alert-quality replay takes it: the adapter from
``bench.families.model.CityHistory`` to ``service.demo.scoring.ReplayCity``, so the
families are replayed through the same ingest and monitor, and scored by the same
definitions, as the demo's lockdown.

Families are picked up by name: :data:`FAMILIES` lists the modules of ``bench.families``
(each with ``generate(seed, *, emergency=True) -> CityHistory``); a new family is one
entry there.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from bench.families.model import CityHistory
from service.demo import reference
from service.demo.generate import REPORT_COLUMNS
from service.demo.master import (
    ENTERPRISE_COLUMNS,
    REGION_COLUMNS,
    STORE_COLUMNS,
    MasterFrames,
    catalogue_products,
    conversions_for,
)

FAMILIES: tuple[str, ...] = (
    "order_up_to",
    "continuous_review",
    "county_routes",
    "wholesale_hub",
    "island_ferry",
    "driver_shortage",
    "rationing",
    "winter_storm",
)
"""Modules of ``bench.families`` the bench replays, in the order it prints them."""


def generate_family(name: str, seed: int, *, emergency: bool = True) -> CityHistory:
    """The history ``bench.families.<name>.generate`` draws for ``seed``."""
    if name not in FAMILIES:
        raise ValueError(f"unknown family {name!r}; known: {', '.join(FAMILIES)}")
    module = importlib.import_module(f"bench.families.{name}")
    history: CityHistory = module.generate(seed, emergency=emergency)
    return history


def _regions() -> pd.DataFrame:
    """The city and its districts (``service/data/districts.csv``), no townships: a
    family places its stores in districts only."""
    districts = reference.read_districts()
    city = {
        "code": reference.CITY_CODE,
        "name": reference.CITY_NAME,
        "name_zh": reference.CITY_NAME_ZH,
        "level": "city",
        "parent_code": None,
        "latitude": reference.CITY_LAT,
        "longitude": reference.CITY_LON,
        "population": int(districts["population_approx"].sum()),
    }
    rows = pd.DataFrame(
        {
            "code": districts["code"].astype(str),
            "name": districts["name_en"],
            "name_zh": districts["name_zh"],
            "level": "district",
            "parent_code": reference.CITY_CODE,
            "latitude": districts["lat"].astype(float),
            "longitude": districts["lon"].astype(float),
            "population": districts["population_approx"].astype(int),
        }
    )
    return pd.concat([pd.DataFrame([city]), rows], ignore_index=True)[REGION_COLUMNS]


def family_master(history: CityHistory) -> MasterFrames:
    """Master data of a family's city: the districts, one enterprise per chain (a market
    operator when all its stores are farmers' markets), the stores in their districts,
    the whole product catalogue and its unit conversions, and the lines."""
    regions = _regions()
    stores = history.stores.reset_index(drop=True)
    chain = stores["chain"].where(stores["chain"].notna() & (stores["chain"] != ""))
    names = sorted(set(chain.dropna().astype(str)))
    codes = {name: f"FAM-{index + 1:03d}" for index, name in enumerate(names)}
    markets_only = (
        (stores["kind"] == "farmers_market").groupby(chain.astype(object)).all().to_dict()
    )
    enterprises = pd.DataFrame(
        {
            "code": [codes[name] for name in names],
            "name": names,
            "kind": ["market_operator" if markets_only[name] else "chain" for name in names],
            "contact_name": None,
            "contact_phone": None,
        },
        columns=ENTERPRISE_COLUMNS,
    )
    districts = regions.set_index("code")
    district = stores["district"].astype(str)
    unknown = set(district) - set(districts.index)
    if unknown:
        raise ValueError(f"stores in unknown districts: {sorted(unknown)}")
    store_frame = pd.DataFrame(
        {
            "code": stores["code"].astype(str),
            "name": stores["name"].astype(str),
            "kind": stores["kind"].astype(str),
            "region_code": district,
            "district_code": district,
            "enterprise_code": chain.map(codes),
            "address": None,
            "latitude": district.map(districts["latitude"]).to_numpy(),
            "longitude": district.map(districts["longitude"]).to_numpy(),
            "key_supplier": False,
            "service_officer": None,
            "size": 1.0,
        },
        columns=STORE_COLUMNS,
    )
    products = catalogue_products()
    missing = set(history.lines["product"]) - set(products["code"])
    if missing:
        raise ValueError(f"lines name products missing from the catalogue: {sorted(missing)}")
    return MasterFrames(
        regions=regions,
        enterprises=enterprises,
        stores=store_frame,
        products=products,
        conversions=conversions_for(products),
        assortment=pd.DataFrame(
            {
                "store_code": history.lines["store"].astype(str).to_numpy(),
                "product_code": history.lines["product"].astype(str).to_numpy(),
            }
        ),
    )


@dataclass(frozen=True)
class FamilyCity:
    """A ``CityHistory`` seen as a ``ReplayCity``: what the replay posts (reported
    lines only, received when not NaN) and what the scoring judges (``true_stock``)."""

    history: CityHistory
    master: MasterFrames
    store_code: np.ndarray
    product_code: np.ndarray
    category: np.ndarray

    @classmethod
    def of(cls, history: CityHistory) -> FamilyCity:
        """Check ``history`` and build its master data and per-line codes."""
        history.check()
        master = family_master(history)
        category_of = master.products.set_index("code")["category"]
        product_code = history.lines["product"].astype(str).to_numpy(dtype=object)
        return cls(
            history=history,
            master=master,
            store_code=history.lines["store"].astype(str).to_numpy(dtype=object),
            product_code=product_code,
            category=category_of.reindex(product_code).to_numpy(dtype=object),
        )

    @property
    def first_date(self) -> date:
        """The business date of day 0."""
        return self.history.first_date

    @property
    def days(self) -> int:
        """Reported (and evaluated) days."""
        return self.history.reported_days

    @property
    def simulated_days(self) -> int:
        """Reported plus follow-up days."""
        return self.history.simulated_days

    @property
    def event_start(self) -> int | None:
        """The emergency's first day; None in ordinary times."""
        return self.history.event_start

    @property
    def disrupted(self) -> np.ndarray:
        """Per line, whether its district's supply is cut in the emergency."""
        return np.asarray(self.history.disrupted, dtype=bool)

    @property
    def true_stock(self) -> np.ndarray:
        """Physical end-of-day stock."""
        return self.history.true_stock

    @property
    def lines(self) -> int:
        """Number of store × product lines."""
        return self.history.line_count

    def date_of(self, day: int) -> date:
        """The business date of day index ``day``."""
        return self.history.date_of(day)

    def reports(self, day: int) -> pd.DataFrame:
        """The lines reported on ``day``, with their reported values (received is NaN,
        posted as missing, where the store does not report it)."""
        if not 0 <= day < self.simulated_days:
            raise ValueError(f"day {day} is outside the history")
        history = self.history
        posted = np.asarray(history.reported[day], dtype=bool)
        return pd.DataFrame(
            {
                "store_code": self.store_code[posted],
                "report_date": [history.date_of(day)] * int(posted.sum()),
                "product_code": self.product_code[posted],
                "stock": history.stock[day, posted],
                "sales": history.sales[day, posted],
                "price": history.price[day, posted],
                "received": history.received[day, posted],
            },
            columns=REPORT_COLUMNS,
        )
