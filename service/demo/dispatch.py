"""Dispatch data of the demo city: locked-down compounds, depots, the emergency fleet
and the day's open delivery requests, so a new user can plan and commit right away.

Generation is pure and deterministic from a seed (the bench uses the same frames);
loading writes through the ORM and only flushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Compound,
    DeliveryRequest,
    DeliveryRequestItem,
    Depot,
    LockdownStatus,
    Product,
    Region,
    RequestPriority,
    Store,
    Truck,
)
from service.demo import reference as ref
from service.demo.master import MasterFrames

STAGE_DISPATCH = 11
TRUCK_CAPACITIES_KG = np.array([1500, 2000, 3000, 5000])
TRUCK_CAPACITY_SHARES = np.array([0.3, 0.35, 0.25, 0.1])
WINDOWS = ((time(8), time(12)), (time(13), time(17)), (time(8), time(18)))
WINDOW_SHARES = np.array([0.35, 0.25, 0.4])
ORDER_CATEGORIES = ("grain", "edible_oil", "meat", "eggs", "vegetables", "dairy")
KG_PER_HOUSEHOLD = (0.5, 1.0)
"""One day's collective order per household: rice, oil, meat, eggs, greens, milk."""


@dataclass(frozen=True)
class DispatchFrames:
    """Compounds, depots, trucks, requests and their items, by code (no ids)."""

    compounds: pd.DataFrame
    depots: pd.DataFrame
    trucks: pd.DataFrame
    requests: pd.DataFrame
    items: pd.DataFrame  # request (row number in requests), product_code, quantity, unit


def generate_dispatch(
    city: MasterFrames,
    *,
    seed: int,
    compounds: int = 300,
    locked_share: float = 0.8,
    trucks: int = 100,
    depots: int = 4,
    urgent_share: float = 0.1,
    lockdown_start: date | None = None,
) -> DispatchFrames:
    """Compounds placed in townships by population (``locked_share`` of them locked,
    each with one open request), ``depots`` key-supplier stores of the most populous
    districts as depots, and ``trucks`` trucks spread over them."""
    rng = np.random.default_rng([seed, STAGE_DISPATCH])
    regions, stores = city.regions, city.stores
    townships = regions[regions["level"] == "township"].reset_index(drop=True)
    weights = townships["population"].to_numpy(dtype=float)
    placed = rng.choice(len(townships), size=compounds, p=weights / weights.sum())
    urban = townships["code"].str[:6].isin(["410402", "410403", "410411", "410404"]).to_numpy()
    spread = np.where(urban[placed], 0.008, 0.03)
    latitude = townships["latitude"].to_numpy()[placed] + rng.normal(0, spread)
    longitude = townships["longitude"].to_numpy()[placed] + rng.normal(0, spread)
    households = rng.integers(120, 521, size=compounds)
    locked = rng.random(compounds) < locked_share
    names = [
        f"{ref.PLACE_NAMES[int(i)][0]} {kind}"
        for i, kind in zip(
            rng.integers(len(ref.PLACE_NAMES), size=compounds),
            rng.choice(["Garden", "Court", "Estate", "Residence", "Village"], size=compounds),
            strict=True,
        )
    ]
    key_stores = stores[stores["key_supplier"].astype(bool)].reset_index(drop=True)
    nearest = _nearest(
        latitude, longitude, key_stores["latitude"].to_numpy(), key_stores["longitude"].to_numpy()
    )
    district_names = regions.set_index("code")["name"]
    # Addresses take no draws, so every other generated value stays as it was.
    addresses = [
        f"No. {1 + (37 * i) % 399} {ref.ROADS[(7 * i) % len(ref.ROADS)]} Road, "
        f"{township['name']}, {district_names[township['parent_code']]}"
        for i, township in enumerate(townships.iloc[placed].to_dict("records"))
    ]
    compound_frame = pd.DataFrame(
        {
            "code": [f"CP-{i + 1:04d}" for i in range(compounds)],
            "name": [f"{name} {i + 1}" for i, name in enumerate(names)],
            "address": addresses,
            "region_code": townships["code"].to_numpy()[placed],
            "latitude": np.round(latitude, 6),
            "longitude": np.round(longitude, 6),
            "households": households,
            "population": np.round(households * rng.uniform(2.4, 3.2, size=compounds)).astype(int),
            "lockdown_status": np.where(locked, "locked", "open"),
            "lockdown_start_date": [lockdown_start if flag else None for flag in locked],
            "supplier_store_code": key_stores["code"].to_numpy()[nearest],
            "contact_name": [
                ref.PEOPLE[int(i)] for i in rng.integers(len(ref.PEOPLE), size=compounds)
            ],
            "contact_phone": [f"138{int(n):08d}" for n in rng.integers(0, 10**8, size=compounds)],
        }
    )
    by_district = key_stores.assign(
        compounds=pd.Series(nearest).value_counts().reindex(range(len(key_stores))).fillna(0)
    )
    district_load = (
        by_district.groupby("district_code")["compounds"].sum().sort_values(ascending=False)
    )
    depot_stores = [
        key_stores[key_stores["district_code"] == district].sort_values("code").iloc[0]
        for district in district_load.index[:depots]
    ]
    depot_frame = pd.DataFrame(
        {
            "code": [f"DEP-{store['code']}" for store in depot_stores],
            "name": [f"{store['name']} depot" for store in depot_stores],
            "latitude": [float(store["latitude"]) for store in depot_stores],
            "longitude": [float(store["longitude"]) for store in depot_stores],
            "store_code": [store["code"] for store in depot_stores],
        }
    )
    share = district_load.to_numpy()[:depots] + 1
    home = rng.choice(depots, size=trucks, p=share / share.sum())
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    truck_frame = pd.DataFrame(
        {
            "plate": [f"豫D-{letters[i % len(letters)]}{1000 + 37 * i:04d}" for i in range(trucks)],
            "capacity_kg": rng.choice(TRUCK_CAPACITIES_KG, size=trucks, p=TRUCK_CAPACITY_SHARES),
            "depot_code": depot_frame["code"].to_numpy()[home],
            "crew": [
                f"{ref.PEOPLE[int(a)]}, {ref.PEOPLE[int(b)]}"
                for a, b in rng.integers(len(ref.PEOPLE), size=(trucks, 2))
            ],
            "crew_phone": [f"139{int(n):08d}" for n in rng.integers(0, 10**8, size=trucks)],
        }
    )
    requests, items = _requests(
        compound_frame[locked].reset_index(drop=True), city, rng, urgent_share
    )
    return DispatchFrames(compound_frame, depot_frame, truck_frame, requests, items)


def driver_truck(frames: DispatchFrames) -> str:
    """The plate the demo driver drives: the busiest depot's largest truck (first by plate).

    The busiest depot (the first, of the district with most compounds) needs its largest
    trucks whenever the day is planned, and the planner gives a vehicle type's routes to
    its trucks in plate order, so after "plan the day" this truck has stops; the fleet's
    first truck often stayed at its depot ("No stops for this day yet")."""
    busiest = frames.depots["code"].iloc[0]
    trucks = frames.trucks[frames.trucks["depot_code"] == busiest]
    largest = trucks[trucks["capacity_kg"] == trucks["capacity_kg"].max()]
    return str(sorted(largest["plate"])[0])


def _nearest(
    lat: np.ndarray, lon: np.ndarray, to_lat: np.ndarray, to_lon: np.ndarray
) -> np.ndarray:
    """Index of the nearest target for each point (flat-earth: the city is small)."""
    scale = np.cos(np.radians(lat.mean()))
    squared = (lat[:, None] - to_lat[None, :]) ** 2 + (
        (lon[:, None] - to_lon[None, :]) * scale
    ) ** 2
    return np.asarray(squared.argmin(axis=1))


def _requests(
    compounds: pd.DataFrame, city: MasterFrames, rng: np.random.Generator, urgent_share: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One request per locked compound, its weight spread over products of each category."""
    products = city.products[city.products["category"].isin(ORDER_CATEGORIES)]
    count = len(compounds)
    window = rng.choice(len(WINDOWS), size=count, p=WINDOW_SHARES)
    requests = pd.DataFrame(
        {
            "compound_code": compounds["code"],
            "priority": np.where(rng.random(count) < urgent_share, "urgent", "normal"),
            "window_start": [WINDOWS[w][0] for w in window],
            "window_end": [WINDOWS[w][1] for w in window],
        }
    )
    rows = []
    targets = compounds["households"].to_numpy() * rng.uniform(*KG_PER_HOUSEHOLD, size=count)
    for index, target in enumerate(targets):
        chosen = products.iloc[rng.choice(len(products), size=5, replace=False)]
        shares = rng.dirichlet(np.full(len(chosen), 2.0))
        for product, share in zip(_records(chosen), shares, strict=True):
            kg_per_unit = float(product["kg_per_unit"])
            quantity = max(1.0, round(float(target * share / kg_per_unit), 1))
            rows.append(
                {
                    "request": index,
                    "product_code": product["code"],
                    "quantity": quantity,
                    "unit": product["unit"],
                    "weight_kg": round(quantity * kg_per_unit, 3),
                }
            )
    return requests, pd.DataFrame(rows)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts, missing values as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")  # type: ignore[return-value]


def _ids(session: Session, column: object, key: object) -> dict[str, int]:
    return {str(k): int(i) for k, i in session.execute(select(key, column))}  # type: ignore[call-overload]


def load_dispatch(session: Session, frames: DispatchFrames, *, delivery_date: date) -> None:
    """Write the frames: compounds, depots, trucks and open requests for ``delivery_date``."""
    regions = _ids(session, Region.id, Region.code)
    stores = _ids(session, Store.id, Store.code)
    products = _ids(session, Product.id, Product.code)
    for row in _records(frames.compounds):
        session.add(
            Compound(
                code=row["code"],
                name=row["name"],
                address=row["address"],
                region_id=regions[row["region_code"]],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                households=int(row["households"]),
                population=int(row["population"]),
                lockdown_status=LockdownStatus(row["lockdown_status"]),
                lockdown_start_date=row["lockdown_start_date"],
                supplier_store_id=stores[row["supplier_store_code"]],
                contact_name=row["contact_name"],
                contact_phone=row["contact_phone"],
            )
        )
    for row in _records(frames.depots):
        session.add(
            Depot(
                code=row["code"],
                name=row["name"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                store_id=stores[row["store_code"]],
                opens_at=time(0),
                closes_at=time(23, 59, 59),
            )
        )
    session.flush()
    depots = _ids(session, Depot.id, Depot.code)
    for row in _records(frames.trucks):
        session.add(
            Truck(
                plate=row["plate"],
                capacity_kg=int(row["capacity_kg"]),
                depot_id=depots[row["depot_code"]],
                crew=row["crew"],
                crew_phone=row["crew_phone"],
                shift_start=time(7),
                shift_end=time(19),
            )
        )
    session.flush()
    compounds = _ids(session, Compound.id, Compound.code)
    items = frames.items.groupby("request")
    for index, row in enumerate(_records(frames.requests)):
        lines = items.get_group(index)
        session.add(
            DeliveryRequest(
                compound_id=compounds[row["compound_code"]],
                delivery_date=delivery_date,
                priority=RequestPriority(row["priority"]),
                window_start=row["window_start"],
                window_end=row["window_end"],
                weight_kg=round(float(lines["weight_kg"].sum()), 3),
                created_by="demo",
                items=[
                    DeliveryRequestItem(
                        product_id=products[line["product_code"]],
                        quantity=float(line["quantity"]),
                        unit=line["unit"],
                        weight_kg=float(line["weight_kg"]),
                    )
                    for line in _records(lines)
                ],
            )
        )
    session.flush()
