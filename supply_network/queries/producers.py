"""The producer registry as people read it: one producer with what it supplies, pages of
producers filtered by product, category, kind, region or distance, and the map's points.

The bureau and admins read every record (those inside their region, when bound to one);
a producer reads only its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from core.access import Principal, within_region
from core.errors import Forbidden, InvalidInput
from core.lookups import PageOf, get_by_code, region_subtree_ids
from core.text import field_problem, phrase
from models import Producer, ProducerKind, ProducerProduct, Product, Region, Role
from supply_network.access import REGISTRY_READERS, require_producer
from supply_network.codes import resolve_codes
from supply_network.geography import haversine_km


@dataclass(frozen=True)
class CapacityView:
    """What a producer supplies of one product, per day, in the product's unit."""

    product: str
    product_name: str
    product_name_zh: str | None
    unit: str
    daily_capacity: float
    lead_time_days: int
    minimum_lot: float | None


@dataclass(frozen=True)
class ProducerView:
    """A producer's record with its region by code and name, and its products;
    ``distance_km`` is the great-circle distance to the point a listing was asked about."""

    code: str
    name: str
    kind: ProducerKind
    region: str
    region_name: str
    address: str | None
    latitude: float
    longitude: float
    contact_name: str | None
    contact_phone: str | None
    active: bool
    products: list[CapacityView]
    distance_km: float | None = None


@dataclass(frozen=True)
class ProducerPoint:
    """A producer on the map: where, what kind, and its capacity of the chosen products."""

    code: str
    name: str
    kind: ProducerKind
    region_name: str
    latitude: float
    longitude: float
    capacity: float
    region_name_zh: str | None = None


def _reader_filter(principal: Principal) -> ColumnElement[bool]:
    """The producers a caller may read: all for the bureau and admins (those inside their
    region when bound to one), its own for a producer; anyone else is refused."""
    if principal.role in REGISTRY_READERS:
        return within_region(principal, Producer.region_id)
    if principal.role is Role.producer and principal.producer_id is not None:
        return Producer.id == principal.producer_id
    raise Forbidden("the producer registry is the bureau's; a producer reads its own record")


def _capacities(session: Session, producer_ids: Sequence[int]) -> dict[int, list[CapacityView]]:
    """Product lines of these producers, by product code, in one query."""
    found: dict[int, list[CapacityView]] = defaultdict(list)
    if not producer_ids:
        return found
    rows = session.execute(
        select(ProducerProduct, Product.code, Product.name, Product.name_zh, Product.unit)
        .join(Product, Product.id == ProducerProduct.product_id)
        .where(ProducerProduct.producer_id.in_(list(producer_ids)))
        .order_by(ProducerProduct.producer_id, Product.code)
    )
    for line, code, name, name_zh, unit in rows:
        found[line.producer_id].append(
            CapacityView(
                product=code,
                product_name=name,
                product_name_zh=name_zh,
                unit=unit,
                daily_capacity=line.daily_capacity,
                lead_time_days=line.lead_time_days,
                minimum_lot=line.minimum_lot,
            )
        )
    return found


def producer_views(
    session: Session, producer_ids: Sequence[int], *, distances: dict[int, float] | None = None
) -> list[ProducerView]:
    """Views of these producers in the order given (three queries for any number)."""
    if not producer_ids:
        return []
    rows = {
        producer.id: (producer, region_code, region_name)
        for producer, region_code, region_name in session.execute(
            select(Producer, Region.code, Region.name)
            .join(Region, Region.id == Producer.region_id)
            .where(Producer.id.in_(list(producer_ids)))
        )
    }
    capacities = _capacities(session, producer_ids)
    views = []
    for producer_id in producer_ids:
        producer, region_code, region_name = rows[producer_id]
        views.append(
            ProducerView(
                code=producer.code,
                name=producer.name,
                kind=producer.kind,
                region=region_code,
                region_name=region_name,
                address=producer.address,
                latitude=producer.latitude,
                longitude=producer.longitude,
                contact_name=producer.contact_name,
                contact_phone=producer.contact_phone,
                active=producer.active,
                products=capacities.get(producer_id, []),
                distance_km=(distances or {}).get(producer_id),
            )
        )
    return views


def read_producer(*, session: Session, principal: Principal, code: str) -> ProducerView:
    """One producer's record; the bureau's and admins', or the producer's own (403 for
    another producer's)."""
    producer = get_by_code(session, Producer, code, label=phrase("producer"))
    require_producer(principal, producer)
    return producer_views(session, [producer.id])[0]


def _conditions(
    session: Session,
    *,
    principal: Principal,
    product: str | None,
    category: str | None,
    kind: ProducerKind | None,
    region: str | None,
    active: bool | None,
    contains: str | None,
) -> list[ColumnElement[bool]]:
    """SQL conditions of what the caller may read and of the registry filters (unknown
    codes: one 422)."""
    rows = resolve_codes(
        session, principal=principal, product=product, category=category, region=region
    )
    conditions: list[ColumnElement[bool]] = [_reader_filter(principal)]
    if "product" in rows:
        conditions.append(
            exists().where(
                ProducerProduct.producer_id == Producer.id,
                ProducerProduct.product_id == rows["product"].id,
            )
        )
    if "category" in rows:
        conditions.append(
            exists().where(
                ProducerProduct.producer_id == Producer.id,
                ProducerProduct.product_id == Product.id,
                Product.category_id == rows["category"].id,
            )
        )
    if "region" in rows:
        conditions.append(Producer.region_id.in_(region_subtree_ids(session, rows["region"].id)))
    if kind is not None:
        conditions.append(Producer.kind == kind)
    if active is not None:
        conditions.append(Producer.active == active)
    if contains:
        conditions.append(
            or_(
                Producer.code.contains(contains, autoescape=True),
                Producer.name.contains(contains, autoescape=True),
            )
        )
    return conditions


def _centre(
    session: Session,
    *,
    principal: Principal,
    latitude: float | None,
    longitude: float | None,
    around: str | None,
) -> tuple[float, float] | None:
    """The point a distance filter measures from: given coordinates, or a region's centre."""
    if (latitude is None) != (longitude is None):
        raise InvalidInput(
            "give latitude and longitude together",
            errors=[field_problem(["query", "longitude"], "give latitude and longitude together")],
        )
    if latitude is not None and longitude is not None:
        if around is not None:
            raise InvalidInput(
                "give a point or a region to measure from, not both",
                errors=[field_problem(["query", "around"], "not together with latitude")],
            )
        return latitude, longitude
    if around is None:
        return None
    region = resolve_codes(session, principal=principal, around=around)["around"]
    if region.latitude is None or region.longitude is None:
        raise InvalidInput(
            "region {code} has no location to measure from",
            errors=[field_problem(["query", "around"], "has no location")],
            code=around,
        )
    return float(region.latitude), float(region.longitude)


def list_producers(
    *,
    session: Session,
    principal: Principal,
    product: str | None = None,
    category: str | None = None,
    kind: ProducerKind | None = None,
    region: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    around: str | None = None,
    within_km: float | None = None,
    active: bool | None = None,
    contains: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[ProducerView]:
    """One page of the producers a caller may read, by code, or nearest first when a
    point (``latitude``/``longitude``, or the centre of region ``around``) is given, then
    kept ``within_km`` great-circle km of it."""
    centre = _centre(
        session, principal=principal, latitude=latitude, longitude=longitude, around=around
    )
    if within_km is not None and centre is None:
        raise InvalidInput(
            "a distance needs a point to measure from: a latitude and longitude, or a region",
            errors=[
                field_problem(
                    ["query", "within_km"],
                    "give a latitude and longitude, or a region to search around",
                )
            ],
        )
    conditions = _conditions(
        session,
        principal=principal,
        product=product,
        category=category,
        kind=kind,
        region=region,
        active=active,
        contains=contains,
    )
    matches = session.execute(
        select(Producer.id, Producer.latitude, Producer.longitude)
        .where(and_(*conditions))
        .order_by(Producer.code)
    ).all()
    ids = np.asarray([row[0] for row in matches], dtype=np.int64)
    distances: dict[int, float] | None = None
    if centre is not None and len(ids):
        km = haversine_km(
            from_latitude=[centre[0]],
            from_longitude=[centre[1]],
            to_latitude=[row[1] for row in matches],
            to_longitude=[row[2] for row in matches],
        )[0]
        keep = km <= within_km if within_km is not None else np.ones(len(ids), dtype=bool)
        order = np.argsort(km[keep], kind="stable")
        ids, km = ids[keep][order], km[keep][order]
        distances = dict(zip(ids.tolist(), np.round(km, 3).tolist(), strict=True))
    page_ids = ids[offset : offset + limit].tolist()
    return PageOf(
        items=producer_views(session, page_ids, distances=distances),
        total=len(ids),
        limit=limit,
        offset=offset,
    )


def producer_points(
    *,
    session: Session,
    principal: Principal,
    product: str | None = None,
    category: str | None = None,
    kind: ProducerKind | None = None,
    region: str | None = None,
) -> list[ProducerPoint]:
    """Every active producer matching the filters with its capacity of the product (or of
    the category's products, or of all it supplies): the bureau's map of where supply is
    (of its region, for staff bound to one)."""
    if principal.role not in REGISTRY_READERS:
        raise Forbidden("the producer registry is the bureau's; a producer reads its own record")
    conditions = _conditions(
        session,
        principal=principal,
        product=product,
        category=category,
        kind=kind,
        region=region,
        active=True,
        contains=None,
    )
    rows = resolve_codes(session, product=product, category=category)
    capacity_of = (
        select(ProducerProduct.producer_id, ProducerProduct.daily_capacity)
        .join(Product, Product.id == ProducerProduct.product_id)
        .join(Producer, Producer.id == ProducerProduct.producer_id)
        .where(within_region(principal, Producer.region_id))
    )
    if "product" in rows:
        capacity_of = capacity_of.where(ProducerProduct.product_id == rows["product"].id)
    elif "category" in rows:
        capacity_of = capacity_of.where(Product.category_id == rows["category"].id)
    capacity: dict[int, float] = defaultdict(float)
    for producer_id, daily in session.execute(capacity_of):
        capacity[producer_id] += daily
    points = session.execute(
        select(Producer, Region.name, Region.name_zh)
        .join(Region, Region.id == Producer.region_id)
        .where(and_(*conditions))
        .order_by(Producer.code)
    )
    return [
        ProducerPoint(
            code=producer.code,
            name=producer.name,
            kind=producer.kind,
            region_name=region_name,
            latitude=producer.latitude,
            longitude=producer.longitude,
            capacity=round(capacity.get(producer.id, 0.0), 3),
            region_name_zh=region_name_zh,
        )
        for producer, region_name, region_name_zh in points
    ]
