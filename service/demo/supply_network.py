"""The demo city's supply network: about 2,000 producers around the districts (livestock
farms, 24 vegetable growers, 15 flour mills, oil plants and wholesalers) with capacities
sized to the city's demand, the day's board (offers, and needs of the stores of the
disrupted districts and of the bureau for them), the lockdown of those districts, one
match run through the real matcher, and a few proposals accepted into orders, some on the
road.

Generation is vectorised and deterministic from the seed; loading writes set-based and
only flushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import case, insert, select, true
from sqlalchemy.orm import Session

from core.access import Principal
from models import (
    Answer,
    BuyerKind,
    Producer,
    ProducerProduct,
    Product,
    Proposal,
    ProposalStatus,
    Region,
    RegionLockdown,
    Role,
    Store,
    SupplyNeed,
    SupplyOffer,
)
from service.demo import reference as ref
from service.demo.generate import DemoCity
from service.demo.master import stage_rng
from supply_network.board import MatchSettings
from supply_network.orders import answer_proposal, receive_order, ship_order
from supply_network.runs import run_matching

SUPPLY_STAGE = 40
"""The random stream of this stage (the city's own stages use lower numbers)."""

KIND_COUNTS = {
    "livestock_farm": 1950,
    "vegetable_grower": 24,
    "grain_mill": 15,
    "edible_oil_plant": 6,
    "wholesaler": 12,
}
LIVESTOCK = [  # (name, products, share of farms)
    ("Hog Farm", ("pork", "pork_ribs"), 0.42),
    ("Poultry Farm", ("chicken", "chicken_legs"), 0.18),
    ("Layer Farm", ("eggs",), 0.16),
    ("Cattle Farm", ("beef", "milk", "fresh_milk"), 0.08),
    ("Sheep Farm", ("mutton",), 0.06),
    ("Fish Farm", ("carp", "grass_carp"), 0.07),
    ("Duck Farm", ("duck_eggs",), 0.03),
]
KIND_NAMES = {
    "vegetable_grower": "Vegetable Base",
    "grain_mill": "Flour Mill",
    "edible_oil_plant": "Oil Plant",
    "wholesaler": "Wholesale Market",
}
KIND_WEIGHT = {
    "livestock_farm": 1.0,
    "vegetable_grower": 40.0,
    "grain_mill": 30.0,
    "edible_oil_plant": 30.0,
    "wholesaler": 12.0,
}
"""How much larger one producer of a kind is than a farm, for splitting capacity."""
LEAD_TIME = {
    "livestock_farm": (0, 2),
    "vegetable_grower": (1, 2),
    "grain_mill": (1, 3),
    "edible_oil_plant": (2, 4),
    "wholesaler": (0, 1),
}
OFFER_SHARE = {"livestock_farm": 0.08, "vegetable_grower": 0.5}
"""Share of a kind's product lines offered on the demo day (0.35 for the others)."""
NEED_CATEGORIES = ("vegetables", "meat", "eggs", "dairy")
ACCEPTED_ORDERS = 12
DEMO_STORE = "PDS-0001"


@dataclass(frozen=True)
class SupplyFrames:
    """The generated registry and board, by code."""

    producers: pd.DataFrame
    capacities: pd.DataFrame
    offers: pd.DataFrame
    needs: pd.DataFrame


@dataclass(frozen=True)
class SupplySummary:
    """What was loaded, and the producer whose login the demo prints: one with a proposal
    waiting for its answer, to the demo store when there is one."""

    producers: int
    offers: int
    needs: int
    proposals: int
    orders: int
    producer_code: str | None


def _product_lines(
    kinds: np.ndarray, rng: np.random.Generator, products: pd.DataFrame
) -> pd.DataFrame:
    """Which products each producer supplies (producer position, product code)."""
    by_category = products.groupby("category")["code"].apply(list).to_dict()
    everything = products["code"].to_numpy()
    shares = np.array([share for _, _, share in LIVESTOCK])
    subtype = rng.choice(len(LIVESTOCK), size=len(kinds), p=shares / shares.sum())
    grain = [
        code
        for code in ("flour", "noodles_dry", "steamed_buns", "corn_flour", "millet", "rice")
        if code in set(everything)
    ]
    fresh = by_category.get("vegetables", []) + by_category.get("fruit", [])
    positions: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for kind in KIND_COUNTS:
        members = np.flatnonzero(kinds == kind)
        if kind == "livestock_farm":
            for index, (_, lines, _) in enumerate(LIVESTOCK):
                farms = members[subtype[members] == index]
                known = [code for code in lines if code in set(everything)]
                positions.append(np.repeat(farms, len(known)))
                codes.append(np.tile(known, len(farms)))
            continue
        pool, low, high = {
            "vegetable_grower": (fresh, 8, 15),
            "grain_mill": (grain, 2, 5),
            "edible_oil_plant": (by_category.get("edible_oil", []), 2, 4),
            "wholesaler": (list(everything), 15, 30),
        }[kind]
        for member in members:
            count = min(len(pool), int(rng.integers(low, high)))
            chosen = rng.choice(pool, size=count, replace=False)
            if kind == "grain_mill" and "flour" in pool and "flour" not in chosen:
                chosen[0] = "flour"
            positions.append(np.full(count, member))
            codes.append(np.asarray(chosen))
    return pd.DataFrame(
        {"position": np.concatenate(positions), "product_code": np.concatenate(codes)}
    )


def generate_supply(city: DemoCity, *, seed: int, day: date) -> SupplyFrames:
    """The registry (capacities 1.8-3x the city's demand per product), the day's offers,
    and needs of the disrupted districts' stores (and the demo store) and the bureau."""
    rng = stage_rng(seed, SUPPLY_STAGE)
    regions = city.regions
    districts = regions[regions["level"] == "district"].set_index("code")
    townships = regions[regions["level"] == "township"].reset_index(drop=True)
    districts_file = ref.read_districts()
    kind_of_district = pd.Series(
        districts_file["kind"].astype(str).to_numpy(), index=districts_file["code"].astype(str)
    )
    rural = townships["parent_code"].map(kind_of_district).ne("urban_district").to_numpy()
    kinds = np.repeat(list(KIND_COUNTS), list(KIND_COUNTS.values()))
    count = len(kinds)
    weights = townships["population"].to_numpy(dtype=float)
    place = np.where(
        kinds == "wholesaler",
        rng.choice(
            len(townships), size=count, p=np.where(~rural, weights, 0) / weights[~rural].sum()
        ),
        rng.choice(
            len(townships), size=count, p=np.where(rural, weights, 0) / weights[rural].sum()
        ),
    )
    township = townships.iloc[place].reset_index(drop=True)
    district_names = township["parent_code"].map(districts["name"])
    lines = _product_lines(kinds, rng, city.products)
    first_product = lines.groupby("position")["product_code"].first()
    livestock_name = {code: name for name, codes, _ in LIVESTOCK for code in codes}
    label = np.where(
        kinds == "livestock_farm",
        first_product.reindex(range(count)).map(livestock_name).fillna("Farm").to_numpy(),
        pd.Series(kinds).map(KIND_NAMES).to_numpy(),
    )
    serial = pd.Series(kinds).groupby(kinds).cumcount().to_numpy() + 1
    people = rng.integers(len(ref.PEOPLE), size=count)
    producers = pd.DataFrame(
        {
            "code": [f"PR-{number:05d}" for number in range(1, count + 1)],
            "name": [
                f"{d} {n} {s:04d}" for d, n, s in zip(district_names, label, serial, strict=True)
            ],
            "kind": kinds,
            "region_code": township["code"].to_numpy(),
            "address": (township["name"] + ", " + district_names).to_numpy(),
            "latitude": np.round(township["latitude"].to_numpy() + rng.normal(0, 0.05, count), 6),
            "longitude": np.round(township["longitude"].to_numpy() + rng.normal(0, 0.06, count), 6),
            "contact_name": [ref.PEOPLE[i] for i in people],
            "contact_phone": [f"13{int(n):09d}" for n in rng.integers(0, 999_999_999, count)],
        }
    )

    products = city.products.set_index("code")
    demand = products["typical_daily_sales"] * len(city.stores)
    ratio = pd.Series(rng.uniform(1.8, 3.0, len(products)), index=products.index)
    share = (
        rng.lognormal(0, 0.7, len(lines))
        * pd.Series(kinds[lines["position"]]).map(KIND_WEIGHT).to_numpy()
    )
    share_sum = (
        pd.Series(share).groupby(lines["product_code"].to_numpy()).transform("sum").to_numpy()
    )
    capacity = share / share_sum * (demand * ratio).reindex(lines["product_code"]).to_numpy()
    lead_low, lead_high = (
        pd.Series(kinds[lines["position"]]).map({k: v[i] for k, v in LEAD_TIME.items()}).to_numpy()
        for i in (0, 1)
    )
    lot = np.where(
        np.isin(kinds[lines["position"]], ["grain_mill", "edible_oil_plant"]),
        np.round(capacity * 0.1, 0),
        np.nan,
    )
    capacities = pd.DataFrame(
        {
            "producer_code": producers["code"].to_numpy()[lines["position"]],
            "product_code": lines["product_code"].to_numpy(),
            "daily_capacity": np.maximum(np.round(capacity, 0), 1.0),
            "lead_time_days": rng.integers(lead_low, lead_high),
            "minimum_lot": lot,
        }
    )

    line_kind = kinds[lines["position"]]
    offered = rng.random(len(lines)) < pd.Series(line_kind).map(OFFER_SHARE).fillna(0.35).to_numpy()
    picked = capacities[offered].reset_index(drop=True)
    start = rng.integers(-1, 1, len(picked))
    price = products["typical_price"].reindex(picked["product_code"]).to_numpy(dtype=float)
    quantity = np.round(picked["daily_capacity"].to_numpy() * rng.uniform(1.0, 3.0, len(picked)), 0)
    offers = pd.DataFrame(
        {
            "producer_code": picked["producer_code"],
            "product_code": picked["product_code"],
            "quantity": quantity,
            "price": np.round(price * rng.uniform(0.65, 0.9, len(picked)), 2),
            "available_from": [day + timedelta(days=int(d)) for d in start],
            "available_to": [day + timedelta(days=int(d)) for d in rng.integers(1, 5, len(picked))],
            "minimum_lot": np.where(
                rng.random(len(picked)) < 0.1, np.round(quantity * 0.2, 0), np.nan
            ),
        }
    )
    return SupplyFrames(producers, capacities, offers, _needs(city, rng, day=day))


def _needs(city: DemoCity, rng: np.random.Generator, *, day: date) -> pd.DataFrame:
    """Needs of the disrupted districts' stores and the demo store (three products of
    their fresh categories each) and the bureau's for each disrupted district."""
    products = city.products.set_index("code")
    fresh = city.assortment[
        city.assortment["product_code"].map(products["category"]).isin(NEED_CATEGORIES)
    ]
    stores = city.stores.set_index("code")
    asking = stores[
        stores["district_code"].isin(city.disrupted_districts) | (stores.index == DEMO_STORE)
    ]
    chosen = (
        fresh[fresh["store_code"].isin(asking.index)]
        .assign(draw=lambda frame: rng.random(len(frame)))
        .sort_values(["store_code", "draw"])
        .groupby("store_code")
        .head(3)
    )
    size = chosen["store_code"].map(stores["size"]).to_numpy(dtype=float)
    sales = chosen["product_code"].map(products["typical_daily_sales"]).to_numpy(dtype=float)
    price = chosen["product_code"].map(products["typical_price"]).to_numpy(dtype=float)
    store_needs = pd.DataFrame(
        {
            "buyer_kind": "store",
            "store_code": chosen["store_code"].to_numpy(),
            "district_code": chosen["store_code"].map(stores["district_code"]).to_numpy(),
            "product_code": chosen["product_code"].to_numpy(),
            "quantity": np.round(sales * size * rng.uniform(2.0, 5.0, len(chosen)), 0),
            "max_price": np.round(price * rng.uniform(0.95, 1.2, len(chosen)), 2),
            "needed_by": [day + timedelta(days=int(d)) for d in rng.integers(1, 4, len(chosen))],
        }
    )
    staples = [code for code in ("cabbage", "potato", "pork", "eggs") if code in products.index]
    district_rows = [(district, code) for district in city.disrupted_districts for code in staples]
    counts = city.stores.groupby("district_code").size()
    daily = products["typical_daily_sales"].astype(float)
    typical = products["typical_price"].astype(float)
    bureau_codes = [code for _, code in district_rows]
    bureau_districts = [district for district, _ in district_rows]
    bureau_needs = pd.DataFrame(
        {
            "buyer_kind": "district",
            "store_code": None,
            "district_code": bureau_districts,
            "product_code": bureau_codes,
            "quantity": np.round(
                daily.reindex(bureau_codes).to_numpy()
                * counts.reindex(bureau_districts).fillna(1).to_numpy()
                * 2.0
            ),
            "max_price": np.round(typical.reindex(bureau_codes).to_numpy() * 1.1, 2),
            "needed_by": [day + timedelta(days=2)] * len(district_rows),
        }
    )
    return pd.concat([store_needs, bureau_needs], ignore_index=True)


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as dicts of plain Python values, missing values as None, for an insert."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")  # type: ignore[return-value]


DEMO_PRINCIPAL = Principal(kind="key", id=0, name="demo", role=Role.admin)
"""Who the demo acts as when it runs the matcher and answers for both sides."""


def load_supply(
    session: Session,
    frames: SupplyFrames,
    *,
    day: date,
    lockdown_start: date | None,
    sealed: tuple[str, ...],
) -> SupplySummary:
    """Write the registry and the board, record the lockdown of ``sealed`` districts,
    run the matcher and accept a few of its proposals (both sides), shipping some."""
    region_ids = {
        str(code): int(ident) for code, ident in session.execute(select(Region.code, Region.id))
    }
    product_ids = {
        str(code): int(ident) for code, ident in session.execute(select(Product.code, Product.id))
    }
    store_rows = {
        str(code): (int(ident), float(lat or 0.0), float(lon or 0.0))
        for code, ident, lat, lon in session.execute(
            select(Store.code, Store.id, Store.latitude, Store.longitude)
        )
    }
    producers = frames.producers.assign(
        region_id=frames.producers["region_code"].map(region_ids), active=True
    )
    session.execute(insert(Producer), _records(producers.drop(columns="region_code")))
    producer_rows = {
        str(code): (int(ident), float(lat), float(lon))
        for code, ident, lat, lon in session.execute(
            select(Producer.code, Producer.id, Producer.latitude, Producer.longitude)
        )
    }
    producer_id = frames.capacities["producer_code"].map(lambda code: producer_rows[code][0])
    capacities = frames.capacities.assign(
        producer_id=producer_id, product_id=frames.capacities["product_code"].map(product_ids)
    ).drop(columns=["producer_code", "product_code"])
    session.execute(insert(ProducerProduct), _records(capacities))

    offers = frames.offers
    offer_producer = offers["producer_code"].map(lambda code: producer_rows[code])
    session.execute(
        insert(SupplyOffer),
        _records(
            offers.assign(
                producer_id=[row[0] for row in offer_producer],
                product_id=offers["product_code"].map(product_ids),
                latitude=[row[1] for row in offer_producer],
                longitude=[row[2] for row in offer_producer],
                committed_quantity=0.0,
                created_by="demo",
            ).drop(columns=["producer_code", "product_code"])
        ),
    )
    needs = frames.needs
    district_at = {
        str(code): (float(lat or 0.0), float(lon or 0.0))
        for code, lat, lon in session.execute(
            select(Region.code, Region.latitude, Region.longitude)
        )
    }
    buyer = [
        store_rows[code] if isinstance(code, str) else (None, *district_at[district])
        for code, district in zip(needs["store_code"], needs["district_code"], strict=True)
    ]
    session.execute(
        insert(SupplyNeed),
        _records(
            needs.assign(
                buyer_kind=needs["buyer_kind"].map(BuyerKind),
                store_id=pd.Series([row[0] for row in buyer], dtype=object),
                district_id=needs["district_code"].map(region_ids),
                product_id=needs["product_code"].map(product_ids),
                latitude=pd.Series([row[1] for row in buyer], dtype=float),
                longitude=pd.Series([row[2] for row in buyer], dtype=float),
                committed_quantity=0.0,
                created_by="demo",
            ).drop(columns=["store_code", "district_code", "product_code"])
        ),
    )
    for code in sealed:
        session.add(
            RegionLockdown(
                region_id=region_ids[code],
                start_date=lockdown_start or day,
                note="supply disruption",
                recorded_by="demo",
            )
        )
    session.flush()
    run = run_matching(
        session=session, principal=DEMO_PRINCIPAL, today=day, settings=MatchSettings()
    )
    orders = _accept_some(session, day=day)
    waiting = session.scalars(
        select(Proposal.offer_id)
        .join(SupplyNeed, SupplyNeed.id == Proposal.need_id)
        .outerjoin(Store, Store.id == SupplyNeed.store_id)
        .where(Proposal.status == ProposalStatus.proposed, Proposal.producer_answer.is_(None))
        .order_by(case((Store.code == DEMO_STORE, 0), else_=1), Proposal.id)
    ).first()
    producer_code = session.scalar(
        select(Producer.code)
        .join(SupplyOffer, SupplyOffer.producer_id == Producer.id)
        .where(SupplyOffer.id == waiting if waiting is not None else true())
        .order_by(SupplyOffer.id)
        .limit(1)
    )
    return SupplySummary(
        producers=len(frames.producers),
        offers=len(frames.offers),
        needs=len(frames.needs),
        proposals=run.proposals,
        orders=orders,
        producer_code=producer_code,
    )


def _accept_some(session: Session, *, day: date) -> int:
    """Both sides accept the first proposals of the sealed districts' needs; half of the
    orders are shipped (some in part), one is received."""
    chosen = session.scalars(
        select(Proposal)
        .where(Proposal.status == ProposalStatus.proposed, Proposal.priority > 0)
        .order_by(Proposal.id)
        .limit(ACCEPTED_ORDERS)
    ).all()
    orders = 0
    for number, proposal in enumerate(chosen):
        answer_proposal(
            session=session,
            principal=DEMO_PRINCIPAL,
            proposal_id=proposal.id,
            answer=Answer.accepted,
            today=day,
            side="producer",
        )
        view = answer_proposal(
            session=session,
            principal=DEMO_PRINCIPAL,
            proposal_id=proposal.id,
            answer=Answer.accepted,
            today=day,
            side="buyer",
        )
        assert view.order_id is not None
        orders += 1
        if number % 2 == 0:
            shipped = ship_order(
                session=session,
                principal=DEMO_PRINCIPAL,
                order_id=view.order_id,
                quantity=round(view.quantity * (1.0 if number % 4 == 0 else 0.6), 3),
            )
            if number == 0:
                receive_order(
                    session=session,
                    principal=DEMO_PRINCIPAL,
                    order_id=shipped.id,
                    quantity=shipped.shipped_quantity,
                )
    return orders
