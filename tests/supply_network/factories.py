"""Typed factories of supply-network rows for the database tests; they flush, never commit
(the test's transaction rolls back)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Alert,
    AlertRule,
    AlertStatus,
    BuyerKind,
    Producer,
    ProducerKind,
    ProducerProduct,
    Product,
    Proposal,
    ProposalStatus,
    Region,
    RegionLevel,
    ScopeLevel,
    Severity,
    Store,
    SupplyNeed,
    SupplyOffer,
    SupplySnapshot,
    SupplyStatus,
)
from models.base import utc_now
from tests.factories import business_today, make_region

_sequence = itertools.count(1)

CITY_CENTRE = (33.74, 113.30)


def make_district(
    session: Session,
    *,
    code: str | None = None,
    name: str = "Weidong",
    at: tuple[float, float] = CITY_CENTRE,
) -> Region:
    """A district with a location (its centre), under no city."""
    region = make_region(session, code=code, name=name, level=RegionLevel.district)
    region.latitude, region.longitude = at
    session.flush()
    return region


def make_producer(
    session: Session,
    *,
    code: str | None = None,
    region: Region | None = None,
    kind: ProducerKind = ProducerKind.vegetable_grower,
    at: tuple[float, float] = (33.80, 113.20),
    capacities: Mapping[str, float] | None = None,
    lead_time_days: int = 1,
    minimum_lot: float | None = None,
    active: bool = True,
) -> Producer:
    """A producer with a daily capacity per product code (default: none)."""
    region = region or make_district(session)
    producer = Producer(
        code=code or f"FARM-{next(_sequence):05d}",
        name="Green Valley Farm",
        kind=kind,
        region_id=region.id,
        latitude=at[0],
        longitude=at[1],
        contact_name="Wang Fang",
        contact_phone="13800000000",
        active=active,
    )
    session.add(producer)
    session.flush()
    for product_code, capacity in (capacities or {}).items():
        product_id = session.scalar(select(Product.id).where(Product.code == product_code))
        assert product_id is not None, f"product {product_code} exists"
        session.add(
            ProducerProduct(
                producer_id=producer.id,
                product_id=product_id,
                daily_capacity=capacity,
                lead_time_days=lead_time_days,
                minimum_lot=minimum_lot,
            )
        )
    session.flush()
    return producer


def make_offer(
    session: Session,
    *,
    producer: Producer,
    product: Product,
    quantity: float = 100.0,
    price: float = 2.0,
    committed: float = 0.0,
    available_from: date | None = None,
    days: int = 3,
) -> SupplyOffer:
    """An open offer at the producer's place, from today for ``days`` days."""
    start = available_from or business_today()
    offer = SupplyOffer(
        producer_id=producer.id,
        product_id=product.id,
        quantity=quantity,
        committed_quantity=committed,
        price=price,
        available_from=start,
        available_to=start + timedelta(days=days),
        latitude=producer.latitude,
        longitude=producer.longitude,
        created_by="test",
    )
    session.add(offer)
    session.flush()
    return offer


def make_need(
    session: Session,
    *,
    product: Product,
    store: Store | None = None,
    district: Region,
    quantity: float = 50.0,
    max_price: float = 3.0,
    needed_by: date | None = None,
    at: tuple[float, float] = CITY_CENTRE,
) -> SupplyNeed:
    """A store's need (or the bureau's for the district when no store is given)."""
    need = SupplyNeed(
        buyer_kind=BuyerKind.store if store else BuyerKind.district,
        store_id=store.id if store else None,
        district_id=district.id,
        product_id=product.id,
        quantity=quantity,
        committed_quantity=0.0,
        max_price=max_price,
        needed_by=needed_by or business_today() + timedelta(days=1),
        latitude=at[0],
        longitude=at[1],
        created_by="test",
    )
    session.add(need)
    session.flush()
    return need


def make_proposal(
    session: Session, *, offer: SupplyOffer, need: SupplyNeed, quantity: float
) -> Proposal:
    """A proposal of a match run made for the test (both answers open)."""
    from models import MatchRun

    run = MatchRun(
        business_date=business_today(),
        run_at=utc_now(),
        requested_by="test",
        maximum_distance_km=120.0,
        price_weight=0.0,
        offers=1,
        needs=1,
        proposals=1,
        superseded=0,
        total_cost=0.0,
        seconds=0.0,
        unmet=[],
    )
    session.add(run)
    session.flush()
    proposal = Proposal(
        match_run_id=run.id,
        offer_id=offer.id,
        need_id=need.id,
        quantity=quantity,
        distance_km=10.0,
        cost=quantity * 10.0,
        priority=0,
        status=ProposalStatus.proposed,
    )
    session.add(proposal)
    session.flush()
    return proposal


def make_snapshot(
    session: Session,
    *,
    level: ScopeLevel,
    scope_id: int,
    product: Product,
    district: Region | None,
    stock: float | None,
    expected_daily_sales: float | None,
    day: date | None = None,
    status: SupplyStatus = SupplyStatus.low,
) -> SupplySnapshot:
    """What a monitor run would have stored for a scope x product on a day."""
    days = stock / expected_daily_sales if stock is not None and expected_daily_sales else None
    snapshot = SupplySnapshot(
        business_date=day or business_today(),
        scope_level=level,
        scope_id=scope_id,
        item_kind="product",
        item_id=product.id,
        category_id=product.category_id,
        district_id=district.id if district else None,
        stock=stock,
        expected_daily_sales=expected_daily_sales,
        days_of_supply=days,
        status=status,
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def make_alert(
    session: Session,
    *,
    rule: AlertRule,
    level: ScopeLevel,
    scope_id: int,
    product: Product,
    district: Region | None,
    store: Store | None = None,
    severity: Severity = Severity.warning,
    day: date | None = None,
) -> Alert:
    """A firing alert as the monitor raises it."""
    now = utc_now()
    day = day or business_today()
    alert = Alert(
        fingerprint=f"fp-{next(_sequence)}",
        rule=rule,
        severity=severity,
        status=AlertStatus.firing,
        scope_level=level.value,
        scope_id=scope_id,
        store_id=store.id if store else None,
        district_id=district.id if district else None,
        product_id=product.id,
        category_id=product.category_id,
        value=0.5,
        threshold=2.0,
        summary="low",
        first_seen_at=now,
        last_seen_at=now,
        fired_at=now,
        first_date=day,
        last_date=day,
    )
    session.add(alert)
    session.flush()
    return alert
