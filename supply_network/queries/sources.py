"""Where a restock can come from: the registry's producers of a product, with their free
capacity of the day and their open offer, ranked for one scope (``restock.rank_sources``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal, within_region
from models import Producer, ProducerKind, ProducerProduct, Region, SupplyOffer, SupplyOrder
from supply_network.places import locked_region_ids
from supply_network.restock import rank_sources


def _finite(value: Any) -> float | None:
    """A number JSON can carry: None for a missing or endless value."""
    return float(value) if value is not None and np.isfinite(value) else None


def _text(value: Any) -> str | None:
    """A name or None: a frame's missing name may come back as NaN."""
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class CandidateSource:
    """A producer that could restock the scope: where, how far, how much it can still
    give that day, and its open offer of the product if it has one."""

    producer: str
    name: str
    kind: ProducerKind
    region_name: str
    latitude: float
    longitude: float
    distance_km: float | None
    daily_capacity: float
    committed: float
    free_capacity: float
    covers: bool
    lead_time_days: int
    minimum_lot: float | None
    contact_name: str | None
    contact_phone: str | None
    offer_id: int | None
    offer_remaining: float | None
    offer_price: float | None
    region_name_zh: str | None = None


def candidate_sources(
    session: Session,
    *,
    product_id: int,
    day: date,
    latitude: float | None,
    longitude: float | None,
    suggested: float,
    shown: int,
    principal: Principal,
) -> list[CandidateSource]:
    """The active producers of the product outside locked-down regions, ranked for a
    scope at ``latitude``/``longitude`` (``restock.rank_sources``), the first ``shown``;
    for staff bound to a region, only producers inside it (its registry is all they see)."""
    locked = locked_region_ids(session, day=day)
    rows = session.execute(
        select(
            Producer.id,
            Producer.code,
            Producer.name,
            Producer.kind,
            Region.name,
            Region.name_zh,
            Producer.latitude,
            Producer.longitude,
            Producer.region_id,
            Producer.contact_name,
            Producer.contact_phone,
            ProducerProduct.daily_capacity,
            ProducerProduct.lead_time_days,
            ProducerProduct.minimum_lot,
        )
        .join(ProducerProduct, ProducerProduct.producer_id == Producer.id)
        .join(Region, Region.id == Producer.region_id)
        .where(
            ProducerProduct.product_id == product_id,
            Producer.active.is_(True),
            within_region(principal, Producer.region_id),
        )
    ).all()
    producers = pd.DataFrame(
        rows,
        columns=[
            "id",
            "code",
            "name",
            "kind",
            "region_name",
            "region_name_zh",
            "latitude",
            "longitude",
            "region_id",
            "contact_name",
            "contact_phone",
            "daily_capacity",
            "lead_time_days",
            "minimum_lot",
        ],
    )
    producers = producers[~producers["region_id"].isin(locked)]
    committed = dict(
        session.execute(
            select(SupplyOffer.producer_id, func.sum(SupplyOrder.quantity))
            .join(SupplyOffer, SupplyOffer.id == SupplyOrder.offer_id)
            .where(SupplyOrder.business_date == day, SupplyOffer.product_id == product_id)
            .group_by(SupplyOffer.producer_id)
        ).all()
    )
    producers = producers.assign(committed=producers["id"].map(committed).fillna(0.0))
    ranked = rank_sources(producers, latitude=latitude, longitude=longitude, suggested=suggested)
    ranked = ranked.head(shown)
    offers = _open_offers(session, ranked["id"].astype(int).tolist(), product_id, day)
    return [
        CandidateSource(
            producer=row["code"],
            name=row["name"],
            kind=ProducerKind(row["kind"]),
            region_name=row["region_name"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
            distance_km=_finite(row["distance_km"]),
            daily_capacity=float(row["daily_capacity"]),
            committed=float(row["committed"]),
            free_capacity=float(row["free_capacity"]),
            covers=bool(row["covers"]),
            lead_time_days=int(row["lead_time_days"]),
            minimum_lot=_finite(row["minimum_lot"]),
            contact_name=row["contact_name"],
            contact_phone=row["contact_phone"],
            offer_id=offers.get(int(row["id"]), (None, None, None))[0],
            offer_remaining=offers.get(int(row["id"]), (None, None, None))[1],
            offer_price=offers.get(int(row["id"]), (None, None, None))[2],
            region_name_zh=_text(row["region_name_zh"]),
        )
        for row in ranked.to_dict("records")
    ]


def _open_offers(
    session: Session, producer_ids: list[int], product_id: int, day: date
) -> dict[int, tuple[int, float, float]]:
    """Each producer's cheapest open offer of the product: (offer id, left, price)."""
    if not producer_ids:
        return {}
    found: dict[int, tuple[int, float, float]] = {}
    for producer_id, offer_id, quantity, committed, price in session.execute(
        select(
            SupplyOffer.producer_id,
            SupplyOffer.id,
            SupplyOffer.quantity,
            SupplyOffer.committed_quantity,
            SupplyOffer.price,
        )
        .where(
            SupplyOffer.producer_id.in_(producer_ids),
            SupplyOffer.product_id == product_id,
            SupplyOffer.withdrawn_at.is_(None),
            SupplyOffer.available_to >= day,
            SupplyOffer.committed_quantity < SupplyOffer.quantity,
        )
        .order_by(SupplyOffer.price.desc())
    ):
        found[producer_id] = (offer_id, round(quantity - committed, 3), price)
    return found
