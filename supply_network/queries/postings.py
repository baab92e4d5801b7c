"""Offers and needs on the board as people read them, with the state each is in.

A posting's state is worked out, never stored, so it cannot drift: withdrawn when its
owner withdrew it, matched when commitments took all of it, expired when its day has
passed, partly matched when commitments took some, else open. The public board shows
every open offer and need without private contacts; a signed-in caller sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import Session, aliased

from core.access import Principal
from core.errors import NotFound
from core.lookups import PageOf, page, region_subtree_ids
from models import (
    BuyerKind,
    Enterprise,
    PostingStatus,
    Producer,
    ProducerKind,
    Product,
    ProductCategory,
    Region,
    Store,
    SupplyNeed,
    SupplyOffer,
)
from supply_network.access import (
    manages_offer,
    may_buy_for,
    needs_inside,
    needs_visible_to,
    offers_inside,
    offers_visible_to,
)
from supply_network.codes import resolve_codes
from supply_network.rules import TOLERANCE

OPEN_STATES = (PostingStatus.open, PostingStatus.partly_matched)


def offer_status(today: date) -> ColumnElement[str]:
    """An offer's state on ``today`` as a SQL expression (for listing and filtering)."""
    return case(
        (SupplyOffer.withdrawn_at.is_not(None), literal(PostingStatus.withdrawn.value)),
        (
            SupplyOffer.committed_quantity >= SupplyOffer.quantity * (1 - TOLERANCE),
            literal(PostingStatus.matched.value),
        ),
        (SupplyOffer.available_to < today, literal(PostingStatus.expired.value)),
        (SupplyOffer.committed_quantity > 0, literal(PostingStatus.partly_matched.value)),
        else_=literal(PostingStatus.open.value),
    )


def need_status(today: date) -> ColumnElement[str]:
    """A need's state on ``today`` as a SQL expression."""
    return case(
        (SupplyNeed.withdrawn_at.is_not(None), literal(PostingStatus.withdrawn.value)),
        (
            SupplyNeed.committed_quantity >= SupplyNeed.quantity * (1 - TOLERANCE),
            literal(PostingStatus.matched.value),
        ),
        (SupplyNeed.needed_by < today, literal(PostingStatus.expired.value)),
        (SupplyNeed.committed_quantity > 0, literal(PostingStatus.partly_matched.value)),
        else_=literal(PostingStatus.open.value),
    )


@dataclass(frozen=True)
class OfferView:
    """An offer with its producer and product by code and name, what is left and its state."""

    id: int
    producer: str
    producer_name: str
    producer_kind: ProducerKind
    region: str
    region_name: str
    product: str
    product_name: str
    product_name_zh: str | None
    unit: str
    quantity: float
    committed_quantity: float
    remaining: float
    price: float
    minimum_lot: float | None
    available_from: date
    available_to: date
    latitude: float
    longitude: float
    address: str | None
    status: PostingStatus
    contact_name: str | None
    contact_phone: str | None
    created_by: str | None
    created_at: datetime


@dataclass(frozen=True)
class NeedView:
    """A need with its buyer (store, chain or district) by code and name, and its state."""

    id: int
    buyer_kind: BuyerKind
    buyer: str
    buyer_name: str
    store: str | None
    enterprise: str | None
    district: str
    district_name: str
    product: str
    product_name: str
    product_name_zh: str | None
    unit: str
    quantity: float
    committed_quantity: float
    remaining: float
    max_price: float
    needed_by: date
    latitude: float
    longitude: float
    address: str | None
    alert_id: int | None
    status: PostingStatus
    created_by: str | None
    created_at: datetime


def _offer_query(today: date) -> Select[*tuple[Any, ...]]:
    """Offers with their producer, region, product and state on ``today``."""
    return (
        select(
            SupplyOffer,
            Producer.code,
            Producer.name,
            Producer.kind,
            Producer.contact_name,
            Producer.contact_phone,
            Region.code,
            Region.name,
            Product.code,
            Product.name,
            Product.name_zh,
            Product.unit,
            offer_status(today),
        )
        .join(Producer, Producer.id == SupplyOffer.producer_id)
        .join(Region, Region.id == Producer.region_id)
        .join(Product, Product.id == SupplyOffer.product_id)
    )


def _offer_view(row: Any, *, contacts: bool, private: bool) -> OfferView:
    """One offer row as people read it; contacts and authors only when allowed."""
    (offer, code, name, kind, contact, phone, region, region_name, product) = row[:9]
    product_name, product_name_zh, unit, status = row[9:]
    return OfferView(
        id=offer.id,
        producer=code,
        producer_name=name,
        producer_kind=kind,
        region=region,
        region_name=region_name,
        product=product,
        product_name=product_name,
        product_name_zh=product_name_zh,
        unit=unit,
        quantity=offer.quantity,
        committed_quantity=offer.committed_quantity,
        remaining=round(max(offer.quantity - offer.committed_quantity, 0.0), 3),
        price=offer.price,
        minimum_lot=offer.minimum_lot,
        available_from=offer.available_from,
        available_to=offer.available_to,
        latitude=offer.latitude,
        longitude=offer.longitude,
        address=offer.address,
        status=PostingStatus(status),
        contact_name=contact if contacts else None,
        contact_phone=phone if contacts else None,
        created_by=offer.created_by if private else None,
        created_at=offer.created_at,
    )


def _need_query(today: date) -> Select[*tuple[Any, ...]]:
    """Needs with their buyer, district, product and state on ``today``."""
    district = aliased(Region, name="district")
    return (
        select(
            SupplyNeed,
            Store.code,
            Store.name,
            Enterprise.code,
            Enterprise.name,
            district.code,
            district.name,
            Product.code,
            Product.name,
            Product.name_zh,
            Product.unit,
            need_status(today),
        )
        .outerjoin(Store, Store.id == SupplyNeed.store_id)
        .outerjoin(Enterprise, Enterprise.id == SupplyNeed.enterprise_id)
        .join(district, district.id == SupplyNeed.district_id)
        .join(Product, Product.id == SupplyNeed.product_id)
    )


PUBLIC_POINT_DECIMALS = 2
"""A need's delivery point on the public board, to about a kilometre: the map shows where
goods are wanted, not the door (a drop point may be a compound or a home)."""


def _need_view(row: Any, *, private: bool) -> NeedView:
    """One need row as people read it; its address, exact point and author only when
    allowed."""
    need, store, store_name, enterprise, enterprise_name, district, district_name = row[:7]
    product, product_name, product_name_zh, unit, status = row[7:]
    buyer, buyer_name = {
        BuyerKind.store: (store, store_name),
        BuyerKind.chain: (enterprise, enterprise_name),
        BuyerKind.district: (district, district_name),
    }[need.buyer_kind]
    return NeedView(
        id=need.id,
        buyer_kind=need.buyer_kind,
        buyer=buyer,
        buyer_name=buyer_name,
        store=store,
        enterprise=enterprise,
        district=district,
        district_name=district_name,
        product=product,
        product_name=product_name,
        product_name_zh=product_name_zh,
        unit=unit,
        quantity=need.quantity,
        committed_quantity=need.committed_quantity,
        remaining=round(max(need.quantity - need.committed_quantity, 0.0), 3),
        max_price=need.max_price,
        needed_by=need.needed_by,
        latitude=need.latitude if private else round(need.latitude, PUBLIC_POINT_DECIMALS),
        longitude=need.longitude if private else round(need.longitude, PUBLIC_POINT_DECIMALS),
        address=need.address if private else None,
        alert_id=need.alert_id if private else None,
        status=PostingStatus(status),
        created_by=need.created_by if private else None,
        created_at=need.created_at,
    )


def read_offer(*, session: Session, principal: Principal, offer_id: int, today: date) -> OfferView:
    """One offer its producer, the bureau or an admin manages (404 for anyone else, so
    offer ids cannot be probed)."""
    row = session.execute(_offer_query(today).where(SupplyOffer.id == offer_id)).first()
    if row is None or not manages_offer(session, principal, row[0]):
        raise NotFound("offer {offer} not found", offer=offer_id)
    return _offer_view(row, contacts=True, private=True)


def read_need(*, session: Session, principal: Principal, need_id: int, today: date) -> NeedView:
    """One need its buyer, the bureau or an admin manages (404 for anyone else)."""
    row = session.execute(_need_query(today).where(SupplyNeed.id == need_id)).first()
    if row is None or not may_buy_for(session, principal, row[0]):
        raise NotFound("need {need} not found", need=need_id)
    return _need_view(row, private=True)


def _product_filters(
    session: Session, *, product: str | None, category: str | None, column: Any
) -> list[ColumnElement[bool]]:
    """Conditions for a product or category filter (unknown codes: one 422)."""
    rows = resolve_codes(session, product=product, category=category)
    conditions: list[ColumnElement[bool]] = []
    if "product" in rows:
        conditions.append(column == rows["product"].id)
    if "category" in rows:
        conditions.append(Product.category_id == rows["category"].id)
    return conditions


def list_offers(
    *,
    session: Session,
    principal: Principal,
    today: date,
    product: str | None = None,
    category: str | None = None,
    producer: str | None = None,
    status: Sequence[PostingStatus] | None = None,
    limit: int,
    offset: int,
) -> PageOf[OfferView]:
    """One page of the offers a caller manages (a producer its own, the bureau all), the
    newest first, by product, category, producer and state."""
    query = _offer_query(today).where(offers_visible_to(principal))
    conditions = _product_filters(
        session, product=product, category=category, column=SupplyOffer.product_id
    )
    if producer is not None:
        conditions.append(
            SupplyOffer.producer_id
            == resolve_codes(session, principal=principal, producer=producer)["producer"].id
        )
    if status:
        conditions.append(offer_status(today).in_([state.value for state in status]))
    query = query.where(*conditions).order_by(SupplyOffer.id.desc())
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=[_offer_view(row, contacts=True, private=True) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def list_needs(
    *,
    session: Session,
    principal: Principal,
    today: date,
    product: str | None = None,
    category: str | None = None,
    district: str | None = None,
    status: Sequence[PostingStatus] | None = None,
    limit: int,
    offset: int,
) -> PageOf[NeedView]:
    """One page of the needs a caller manages (a store its own, a chain its and its
    stores', the bureau all), the newest first."""
    query = _need_query(today).where(needs_visible_to(principal))
    conditions = _product_filters(
        session, product=product, category=category, column=SupplyNeed.product_id
    )
    if district is not None:
        conditions.append(
            SupplyNeed.district_id
            == resolve_codes(session, principal=principal, district=district)["district"].id
        )
    if status:
        conditions.append(need_status(today).in_([state.value for state in status]))
    query = query.where(*conditions).order_by(SupplyNeed.id.desc())
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=[_need_view(row, private=True) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@dataclass(frozen=True)
class ProductOnBoard:
    """One product's open offers and needs on the public board, and their totals."""

    product: str
    product_name: str
    product_name_zh: str | None
    category: str
    unit: str
    offered: float
    needed: float
    offers: list[OfferView]
    needs: list[NeedView]


@dataclass(frozen=True)
class PublicBoard:
    """The open board by product, as the bureau publishes it; ``contacts`` tells whether
    producers' contacts are shown (to signed-in callers only)."""

    day: date
    contacts: bool
    products: list[ProductOnBoard]


def public_board(
    *,
    session: Session,
    today: date,
    signed_in: bool,
    product: str | None = None,
    category: str | None = None,
    region: str | None = None,
    limit_per_product: int = 200,
    principal: Principal | None = None,
) -> PublicBoard:
    """Every open offer and need (something left, not expired or withdrawn) by product,
    cheapest offers and earliest needs first, in a region (offers by the producer's region,
    needs by the district they supply or, for a store's need, by its store's region, so a
    township's filter finds its stores' needs). Nobody's contacts without signing in, and never a
    need's delivery address or who typed a posting in. Staff bound to a region see the
    board of their region only."""
    offer_conditions = _product_filters(
        session, product=product, category=category, column=SupplyOffer.product_id
    )
    need_conditions = _product_filters(
        session, product=product, category=category, column=SupplyNeed.product_id
    )
    rows = resolve_codes(session, principal=principal, region=region)
    if principal is not None:
        offer_conditions.append(offers_inside(principal))
        need_conditions.append(needs_inside(principal))
    if "region" in rows:
        subtree = region_subtree_ids(session, rows["region"].id)
        offer_conditions.append(Producer.region_id.in_(subtree))
        stores_in_region = select(Store.id).where(Store.region_id.in_(subtree))
        need_conditions.append(
            or_(
                SupplyNeed.district_id.in_(subtree),
                and_(SupplyNeed.store_id.is_not(None), SupplyNeed.store_id.in_(stores_in_region)),
            )
        )
    open_values = [state.value for state in OPEN_STATES]
    offers = session.execute(
        _offer_query(today)
        .where(offer_status(today).in_(open_values), Producer.active.is_(True), *offer_conditions)
        .order_by(Product.code, SupplyOffer.price, SupplyOffer.id)
    ).all()
    needs = session.execute(
        _need_query(today)
        .where(need_status(today).in_(open_values), *need_conditions)
        .order_by(Product.code, SupplyNeed.needed_by, SupplyNeed.id)
    ).all()
    by_product: dict[str, tuple[list[OfferView], list[NeedView]]] = {}
    for row in offers:
        view = _offer_view(row, contacts=signed_in, private=False)
        by_product.setdefault(view.product, ([], []))[0].append(view)
    for row in needs:
        need = _need_view(row, private=False)
        by_product.setdefault(need.product, ([], []))[1].append(need)
    products = {
        code: (name, name_zh, category, unit)
        for code, name, name_zh, category, unit in session.execute(
            select(Product.code, Product.name, Product.name_zh, ProductCategory.code, Product.unit)
            .join(ProductCategory, ProductCategory.id == Product.category_id)
            .where(Product.code.in_(sorted(by_product)))
        )
    }
    return PublicBoard(
        day=today,
        contacts=signed_in,
        products=[
            ProductOnBoard(
                product=code,
                product_name=products[code][0],
                product_name_zh=products[code][1],
                category=products[code][2],
                unit=products[code][3],
                offered=round(sum(offer.remaining for offer in listed_offers), 3),
                needed=round(sum(need.remaining for need in listed_needs), 3),
                offers=listed_offers[:limit_per_product],
                needs=listed_needs[:limit_per_product],
            )
            for code, (listed_offers, listed_needs) in sorted(by_product.items())
        ],
    )


def open_counts(
    *, session: Session, today: date, principal: Principal | None = None
) -> tuple[int, int]:
    """How many offers and needs are open now (inside a region-bound caller's region):
    the board's headline."""
    open_values = [state.value for state in OPEN_STATES]
    offers = session.scalar(
        select(func.count())
        .select_from(SupplyOffer)
        .where(
            offer_status(today).in_(open_values),
            offers_inside(principal) if principal is not None else true(),
        )
    )
    needs = session.scalar(
        select(func.count())
        .select_from(SupplyNeed)
        .where(
            need_status(today).in_(open_values),
            needs_inside(principal) if principal is not None else true(),
        )
    )
    return int(offers or 0), int(needs or 0)


__all__ = [
    "OPEN_STATES",
    "NeedView",
    "OfferView",
    "ProductOnBoard",
    "PublicBoard",
    "list_needs",
    "list_offers",
    "need_status",
    "offer_status",
    "open_counts",
    "public_board",
    "read_need",
    "read_offer",
]
