"""The matching bench's database section: the city board through the real domain
function, ``supply_network.runs.run_matching``, on a database built by the migrations
(see ``bench/matching.py``, which prints these lines)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.access import Principal
from core.database import create_database_engine, create_session_factory
from models import (
    BuyerKind,
    Producer,
    ProducerKind,
    ProducerProduct,
    Product,
    ProductCategory,
    Proposal,
    Region,
    RegionLevel,
    RegionLockdown,
    Role,
    SupplyNeed,
    SupplyOffer,
)
from service.migrate import upgrade_to_head
from supply_network.geography import haversine_km
from supply_network.runs import run_matching

if TYPE_CHECKING:
    from bench.matching import CityBoard

DATA = Path(__file__).resolve().parent.parent / "service" / "data"

POSTGRES_URL = os.environ.get(
    "SUPPLYWATCH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
BENCH_PRINCIPAL = Principal(kind="key", id=0, name="bench", role=Role.bureau)


def _nearest(codes: list[str], lat: np.ndarray, lon: np.ndarray, at: pd.DataFrame) -> list[str]:
    """The code of the nearest of ``codes`` (rows of ``at`` with lat, lon) to each point."""
    km = haversine_km(
        from_latitude=lat,
        from_longitude=lon,
        to_latitude=at["lat"].to_numpy(),
        to_longitude=at["lon"].to_numpy(),
    )
    return [codes[index] for index in km.argmin(axis=1)]


def load_board(session: Session, board: CityBoard, *, day: date) -> None:
    """The board as the domain stores it: districts, products, one producer per offer
    (with a capacity line), its offers, the bureau's needs, the lockdown."""
    districts = pd.read_csv(DATA / "districts.csv", dtype={"code": str})
    session.add(Region(code="410400", name="Pingdingshan", level=RegionLevel.city))
    session.flush()
    city_id = session.scalar(select(Region.id).where(Region.code == "410400"))
    session.execute(
        insert(Region),
        [
            {
                "code": row.code,
                "name": row.name_en,
                "level": RegionLevel.district,
                "parent_id": city_id,
                "latitude": row.lat,
                "longitude": row.lon,
            }
            for row in districts.itertuples()
        ],
    )
    regions = dict(session.execute(select(Region.code, Region.id)).all())
    categories = dict(session.execute(select(ProductCategory.code, ProductCategory.id)).all())
    catalogue = pd.read_csv(DATA / "products.csv")
    catalogue = catalogue[catalogue["code"].isin(list(board.kg_per_unit_by_product))]
    session.execute(
        insert(Product),
        [
            {
                "code": row.code,
                "name": row.name_en,
                "category_id": categories[str(row.category)],
                "unit": row.unit,
                "kg_per_unit": row.kg_per_unit,
                "typical_price": row.typical_price_cny,
            }
            for row in catalogue.itertuples()
        ],
    )
    products = dict(session.execute(select(Product.code, Product.id)).all())
    offers = board.offers
    rural = districts[districts["kind"] != "urban_district"].reset_index(drop=True)
    offer_region = _nearest(
        rural["code"].tolist(), offers["latitude"].to_numpy(), offers["longitude"].to_numpy(), rural
    )
    session.execute(
        insert(Producer),
        [
            {
                "code": f"P-{offer_id}",
                "name": f"Producer {offer_id}",
                "kind": ProducerKind.other,
                "region_id": regions[region],
                "latitude": lat,
                "longitude": lon,
            }
            for offer_id, region, lat, lon in zip(
                offers["offer_id"],
                offer_region,
                offers["latitude"],
                offers["longitude"],
                strict=True,
            )
        ],
    )
    producers = dict(session.execute(select(Producer.code, Producer.id)).all())
    producer_of = [producers[f"P-{offer_id}"] for offer_id in offers["offer_id"]]
    session.execute(
        insert(ProducerProduct),
        [
            {"producer_id": producer, "product_id": products[product], "daily_capacity": quantity}
            for producer, product, quantity in zip(
                producer_of, offers["product"], offers["quantity"], strict=True
            )
        ],
    )
    session.execute(
        insert(SupplyOffer),
        [
            {
                "producer_id": producer,
                "product_id": products[str(row.product)],
                "quantity": row.quantity,
                "committed_quantity": row.committed_quantity,
                "price": row.price,
                "minimum_lot": row.minimum_lot or None,
                "available_from": row.available_from,
                "available_to": row.available_to,
                "latitude": row.latitude,
                "longitude": row.longitude,
                "created_by": "bench",
            }
            for producer, row in zip(producer_of, offers.itertuples(), strict=True)
        ],
    )
    needs = board.needs
    urban = districts[districts["kind"] == "urban_district"].reset_index(drop=True)
    need_district = _nearest(
        urban["code"].tolist(), needs["latitude"].to_numpy(), needs["longitude"].to_numpy(), urban
    )
    session.execute(
        insert(SupplyNeed),
        [
            {
                "buyer_kind": BuyerKind.district,
                "district_id": regions[district],
                "product_id": products[str(row.product)],
                "quantity": row.quantity,
                "committed_quantity": 0.0,
                "max_price": row.max_price,
                "needed_by": row.needed_by,
                "latitude": row.latitude,
                "longitude": row.longitude,
                "created_by": "bench",
            }
            for district, row in zip(need_district, needs.itertuples(), strict=True)
        ],
    )
    session.add(
        RegionLockdown(
            region_id=regions[board.lockdown_district], start_date=day, recorded_by="bench"
        )
    )
    session.flush()


def _database(backend: str, folder: str) -> str:
    """A fresh, empty database of ``backend`` for one bench run; returns its URL."""
    if backend == "sqlite":
        return f"sqlite:///{folder}/matching.db"
    name = f"supplywatch_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _drop(url: str) -> None:
    """Drop the bench's PostgreSQL database (a SQLite file goes with its folder)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        admin.dispose()


def run_domain(
    board: CityBoard, *, backend: str, repeat: int, day: date, exact: float
) -> list[str]:
    """The ``domain_*`` lines: the whole board through ``run_matching`` on a database."""
    with tempfile.TemporaryDirectory(prefix="supplywatch-bench-") as folder:
        url = _database(backend, folder)
        try:
            upgrade_to_head(url)
            engine = create_database_engine(url)
            factory = create_session_factory(engine)
            with factory() as session:
                load_board(session, board, day=day)
                session.commit()
            seconds = []
            for _ in range(repeat):
                with factory() as session:
                    started = time.perf_counter()
                    run = run_matching(session=session, principal=BENCH_PRINCIPAL, today=day)
                    seconds.append(time.perf_counter() - started)
                    proposed = pd.DataFrame(
                        session.execute(
                            select(Proposal.offer_id, Proposal.need_id, Proposal.quantity)
                        ).all(),
                        columns=["offer_id", "need_id", "quantity"],
                    )
                    limits = pd.DataFrame(
                        session.execute(
                            select(
                                SupplyOffer.id,
                                SupplyOffer.quantity - SupplyOffer.committed_quantity,
                            )
                        ).all(),
                        columns=["offer_id", "left"],
                    ).set_index("offer_id")["left"]
                    asked = pd.DataFrame(
                        session.execute(select(SupplyNeed.id, SupplyNeed.quantity)).all(),
                        columns=["need_id", "quantity"],
                    ).set_index("need_id")["quantity"]
                    stored = session.scalar(select(func.count()).select_from(Proposal))
                    session.rollback()
            engine.dispose()
        finally:
            _drop(url)
    by_offer = proposed.groupby("offer_id")["quantity"].sum()
    by_need = proposed.groupby("need_id")["quantity"].sum()
    return [
        f"domain_backend={backend}",
        f"domain_match_seconds={statistics.median(seconds):.4f}",
        f"domain_offers={run.offers}",
        f"domain_needs={run.needs}",
        f"domain_proposals={stored}",
        f"domain_total_cost={run.total_cost:.4f}",
        "domain_offers_overcommitted="
        f"{int((by_offer > limits.reindex(by_offer.index) * (1 + exact) + exact).sum())}",
        "domain_needs_overserved="
        f"{int((by_need > asked.reindex(by_need.index) * (1 + exact) + exact).sum())}",
    ]
