"""Posting on the board: a producer's offer, a store's, chain's or the bureau's need,
changing an offer, and withdrawing either.

Everything is checked before anything is written, and every problem is listed at once:
an unknown product, a quantity that is not positive or absurdly large, a window in the
past, a producer posting for another one, a store posting for a store not its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.access import Principal, require_role, require_store_access
from core.database import lock_for_change, serialize_on
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.text import FieldProblem, field_problem, phrase
from models import (
    BuyerKind,
    Producer,
    ProducerProduct,
    Product,
    Proposal,
    ProposalStatus,
    Region,
    RegionLevel,
    Role,
    ScopeLevel,
    Store,
    SupplyNeed,
    SupplyOffer,
)
from models.base import utc_now
from supply_network.access import manages_offer, may_link_alert, need_inside, require_buyer
from supply_network.codes import resolve_codes, unknown
from supply_network.places import district_by_region
from supply_network.queries.postings import NeedView, OfferView, read_need, read_offer
from supply_network.queries.restock import read_restock
from supply_network.rules import (
    PRICE_DIGITS,
    QUANTITY_DIGITS,
    BoardLimits,
    one_line_problems,
    price_problem,
    quantity_problem,
    refuse,
    window_problems,
)

OFFER_POSTERS = (Role.bureau, Role.producer)
NEED_POSTERS = (Role.bureau, Role.store)


def _offering_producer(session: Session, principal: Principal, code: str | None) -> Producer:
    """The producer an offer is posted for: a producer's own (naming another is a 403),
    or the one the bureau names."""
    require_role(principal, *OFFER_POSTERS)
    if principal.role is Role.producer:
        own = session.get(Producer, principal.producer_id)
        assert own is not None, "a producer principal names an existing producer"
        if code is not None and code != own.code:
            raise Forbidden(
                "a producer posts offers only for itself, not for producer {code}",
                errors=[field_problem(["body", "producer"], "not your producer")],
                code=code,
            )
        return own
    if code is None:
        raise InvalidInput(
            "name the producer the offer is for",
            errors=[field_problem(["body", "producer"], "is required")],
        )
    found: Producer = resolve_codes(session, where="body", principal=principal, producer=code)[
        "producer"
    ]
    return found


def post_offer(
    *,
    session: Session,
    principal: Principal,
    today: date,
    limits: BoardLimits,
    product: str,
    quantity: float,
    price: float,
    available_from: date,
    available_to: date,
    producer: str | None = None,
    minimum_lot: float | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str | None = None,
) -> OfferView:
    """Put an offer on the board for a product the producer supplies (the registry says
    which), picked up at the producer's place unless another is given."""
    seller = _offering_producer(session, principal, producer)
    problems: list[FieldProblem | None] = []
    product_row = session.scalars(select(Product).where(Product.code == product)).first()
    if not seller.active:
        problems.append(field_problem(["body", "producer"], "is deactivated"))
    supplies = product_row is not None and session.scalar(
        select(ProducerProduct.product_id).where(
            ProducerProduct.producer_id == seller.id,
            ProducerProduct.product_id == product_row.id,
        )
    )
    if product_row is None:
        problems.append(unknown("product", product, ["body", "product"]))
    elif not product_row.active:
        problems.append(field_problem(["body", "product"], "is deactivated"))
    elif not supplies:
        problems.append(
            field_problem(
                ["body", "product"],
                "producer {producer} has no capacity of {product} in the registry",
                producer=seller.code,
                product=product,
            )
        )
    problems.append(quantity_problem(["body", "quantity"], quantity, limit=limits.max_quantity))
    problems.append(price_problem(["body", "price"], price, limit=limits.max_price))
    if minimum_lot is not None and not 0 <= minimum_lot <= quantity:
        problems.append(field_problem(["body", "minimum_lot"], "must be from 0 to the quantity"))
    problems += window_problems(
        first=available_from,
        last=available_to,
        today=today,
        limits=limits,
        first_field="available_from",
        last_field="available_to",
    )
    if (latitude is None) != (longitude is None):
        problems.append(
            field_problem(["body", "longitude"], "give latitude and longitude together")
        )
    problems += one_line_problems({"address": address})
    refuse(problems, what=phrase("offer"))
    assert product_row is not None
    offer = SupplyOffer(
        producer_id=seller.id,
        product_id=product_row.id,
        quantity=round(quantity, QUANTITY_DIGITS),
        committed_quantity=0.0,
        price=round(price, PRICE_DIGITS),
        minimum_lot=round(minimum_lot, QUANTITY_DIGITS) or None if minimum_lot else None,
        available_from=available_from,
        available_to=available_to,
        latitude=seller.latitude if latitude is None else latitude,
        longitude=seller.longitude if longitude is None else longitude,
        address=seller.address if address is None and latitude is None else address,
        created_by=principal.label,
    )
    session.add(offer)
    session.flush()
    return read_offer(session=session, principal=principal, offer_id=offer.id, today=today)


def _managed_offer(session: Session, principal: Principal, offer_id: int) -> SupplyOffer:
    """The offer, when ``principal`` manages it (404 otherwise: ids are not probed)."""
    offer = session.get(SupplyOffer, offer_id)
    if offer is None or not manages_offer(session, principal, offer):
        raise NotFound("offer {offer} not found", offer=offer_id)
    return offer


def update_offer(
    *,
    session: Session,
    principal: Principal,
    offer_id: int,
    today: date,
    limits: BoardLimits,
    changes: Mapping[str, Any],
) -> OfferView:
    """Change an offer's quantity (never below what is committed), price, end of window
    or minimum lot; proposals not yet accepted may then no longer fit, and accepting one
    is refused when it does not."""
    offer = _managed_offer(session, principal, offer_id)
    # Read what is committed under a row lock: an acceptance committing from this offer at
    # the same moment is waited for, so the cut is checked against it (a 422), never
    # written under it (the table's CHECK, a 500).
    lock_for_change(session, offer)
    if offer.withdrawn_at is not None:
        raise Conflict("offer {offer} was withdrawn", offer=offer_id)
    problems: list[FieldProblem | None] = []
    quantity = changes.get("quantity", offer.quantity)
    if "quantity" in changes:
        problems.append(quantity_problem(["body", "quantity"], quantity, limit=limits.max_quantity))
        if quantity is not None and quantity < offer.committed_quantity:
            problems.append(
                field_problem(
                    ["body", "quantity"],
                    "must be at least the {committed:g} already committed",
                    committed=offer.committed_quantity,
                )
            )
    if "price" in changes:
        problems.append(price_problem(["body", "price"], changes["price"], limit=limits.max_price))
    if "available_to" in changes and changes["available_to"] is None:
        problems.append(field_problem(["body", "available_to"], "is required"))
    elif "available_to" in changes:
        problems += window_problems(
            first=offer.available_from,
            last=changes["available_to"],
            today=today,
            limits=limits,
            first_field="available_from",
            last_field="available_to",
        )
    lot = changes.get("minimum_lot", offer.minimum_lot)
    if lot is not None and quantity is not None and not 0 <= lot <= quantity:
        problems.append(field_problem(["body", "minimum_lot"], "must be from 0 to the quantity"))
    refuse(problems, what=phrase("offer"))
    changes = {
        name: round(value, PRICE_DIGITS if name == "price" else QUANTITY_DIGITS)
        if name in ("quantity", "price", "minimum_lot") and value is not None
        else value
        for name, value in changes.items()
    }
    if changes.get("minimum_lot") == 0:
        changes = {**changes, "minimum_lot": None}  # no minimum, as when the offer was posted
    for name in ("quantity", "price", "available_to", "minimum_lot"):
        if name in changes:
            setattr(offer, name, changes[name])
    session.flush()
    return read_offer(session=session, principal=principal, offer_id=offer.id, today=today)


def withdraw_offer(
    *, session: Session, principal: Principal, offer_id: int, today: date
) -> OfferView:
    """Take an offer off the board: what is committed stays committed, unanswered
    proposals on it lapse (superseded)."""
    offer = _managed_offer(session, principal, offer_id)
    if offer.withdrawn_at is None:
        # Proposals first, then the offer: the order an acceptance locks them in, so the
        # two at once queue instead of deadlocking (PostgreSQL would fail one, a 500).
        session.execute(
            update(Proposal)
            .where(Proposal.offer_id == offer.id, Proposal.status == ProposalStatus.proposed)
            .values(status=ProposalStatus.superseded)
        )
        offer.withdrawn_at = utc_now()
        offer.withdrawn_by = principal.label
        session.flush()
    return read_offer(session=session, principal=principal, offer_id=offer.id, today=today)


def _buyer(
    session: Session,
    principal: Principal,
    *,
    store: str | None,
    enterprise: str | None,
    district: str | None,
) -> tuple[BuyerKind, Store | None, int | None, Region | None]:
    """Who buys: a store, a chain (delivered in a district) or the bureau for a district;
    a store-bound caller without a choice buys for its own store."""
    require_role(principal, *NEED_POSTERS)
    if store is None and enterprise is None and district is None and principal.store_id:
        found_store = session.get(Store, principal.store_id)
        assert found_store is not None
        return BuyerKind.store, found_store, None, None
    rows = resolve_codes(
        session,
        where="body",
        principal=principal,
        store=store,
        enterprise=enterprise,
        district=district,
    )
    if store is not None:
        if enterprise is not None or district is not None:
            raise InvalidInput(
                "a store need names the store only",
                errors=[
                    field_problem(["body", "store"], "not together with enterprise or district")
                ],
            )
        return BuyerKind.store, rows["store"], None, None
    if "district" not in rows:
        raise InvalidInput(
            "name the store, or the district the goods are for",
            errors=[field_problem(["body", "district"], "is required without a store")],
        )
    if rows["district"].level is not RegionLevel.district:
        raise InvalidInput(
            "{code} is not a district",
            errors=[field_problem(["body", "district"], "must be a district")],
            code=district,
        )
    if enterprise is not None:
        if principal.role is Role.store and principal.enterprise_id != rows["enterprise"].id:
            raise Forbidden(
                "this key or user is not allowed to post for chain {code}",
                errors=[field_problem(["body", "enterprise"], "not your chain")],
                code=enterprise,
            )
        return BuyerKind.chain, None, rows["enterprise"].id, rows["district"]
    if principal.role is Role.store:
        raise Forbidden(
            "only the bureau posts a district's needs",
            errors=[field_problem(["body", "district"], "the bureau's")],
        )
    return BuyerKind.district, None, None, rows["district"]


def post_need(
    *,
    session: Session,
    principal: Principal,
    today: date,
    limits: BoardLimits,
    product: str,
    quantity: float,
    max_price: float,
    needed_by: date,
    store: str | None = None,
    enterprise: str | None = None,
    district: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    address: str | None = None,
    alert_id: int | None = None,
) -> NeedView:
    """Put a need on the board: delivered to the store, or to the district's centre (or
    the place given) for a chain's or the bureau's need."""
    kind, buyer_store, enterprise_id, district_row = _buyer(
        session, principal, store=store, enterprise=enterprise, district=district
    )
    if buyer_store is not None:
        require_store_access(principal, buyer_store)
    problems: list[FieldProblem | None] = []
    if buyer_store is not None and not buyer_store.active:
        problems.append(field_problem(["body", "store"], "is deactivated"))
    # The board and the matcher place every need in a district: a store filed straight
    # under a city has none to be matched in.
    buyer_district = (
        district_by_region(session).get(buyer_store.region_id) if buyer_store is not None else None
    )
    if buyer_store is not None and buyer_district is None:
        problems.append(
            field_problem(["body", "store"], "lies in no district: move it into one first")
        )
    product_row = session.scalars(select(Product).where(Product.code == product)).first()
    if product_row is None:
        problems.append(unknown("product", product, ["body", "product"]))
    elif not product_row.active:
        problems.append(field_problem(["body", "product"], "is deactivated"))
    problems.append(quantity_problem(["body", "quantity"], quantity, limit=limits.max_quantity))
    problems.append(price_problem(["body", "max_price"], max_price, limit=limits.max_price))
    problems += window_problems(
        first=today,
        last=needed_by,
        today=today,
        limits=limits,
        first_field="today",
        last_field="needed_by",
    )
    if (latitude is None) != (longitude is None):
        problems.append(
            field_problem(["body", "longitude"], "give latitude and longitude together")
        )
    problems += one_line_problems({"address": address})
    if alert_id is not None and not may_link_alert(session, principal, alert_id):
        problems.append(unknown("alert", str(alert_id), ["body", "alert_id"]))
    place: Store | Region | None = buyer_store if buyer_store is not None else district_row
    if latitude is None and (place is None or place.latitude is None or place.longitude is None):
        problems.append(
            field_problem(["body", "latitude"], "is required: the buyer has no location")
        )
    refuse(problems, what=phrase("need"))
    assert product_row is not None and place is not None
    need = SupplyNeed(
        buyer_kind=kind,
        store_id=buyer_store.id if buyer_store is not None else None,
        enterprise_id=enterprise_id,
        district_id=buyer_district if buyer_district is not None else place.id,
        product_id=product_row.id,
        quantity=round(quantity, QUANTITY_DIGITS),
        committed_quantity=0.0,
        max_price=round(max_price, PRICE_DIGITS),
        needed_by=needed_by,
        latitude=latitude if latitude is not None else place.latitude,
        longitude=longitude if longitude is not None else place.longitude,
        address=address if address is not None else getattr(buyer_store, "address", None),
        alert_id=alert_id,
        created_by=principal.label,
    )
    session.add(need)
    session.flush()
    return read_need(session=session, principal=principal, need_id=need.id, today=today)


def withdraw_need(*, session: Session, principal: Principal, need_id: int, today: date) -> NeedView:
    """Take a need off the board; committed orders stay, unanswered proposals lapse."""
    need = session.get(SupplyNeed, need_id)
    if need is None or not need_inside(session, principal, need):
        raise NotFound("need {need} not found", need=need_id)
    require_buyer(session, principal, need)
    if need.withdrawn_at is None:
        # Proposals first, then the need, in the order an acceptance locks them.
        session.execute(
            update(Proposal)
            .where(Proposal.need_id == need.id, Proposal.status == ProposalStatus.proposed)
            .values(status=ProposalStatus.superseded)
        )
        need.withdrawn_at = utc_now()
        need.withdrawn_by = principal.label
        session.flush()
    return read_need(session=session, principal=principal, need_id=need.id, today=today)


DEFAULT_PRICE_MARGIN = 1.3
"""A need from a suggestion accepts up to this times the product's typical price."""


RESTOCK_NEED_LOCK_SPACE = 0x5357_524E  # advisory locks of needs posted from restock ("SWRN")


def post_need_for_restock(
    *,
    session: Session,
    principal: Principal,
    today: date,
    limits: BoardLimits,
    level: ScopeLevel,
    scope: str,
    product: str,
    day: date | None = None,
    max_price: float | None = None,
    needed_by: date | None = None,
    alert_id: int | None = None,
) -> NeedView:
    """Post the need a restock suggestion calls for, in one action: the suggested quantity
    less what is already on order or on the board (a 409 when nothing is left), needed by
    tomorrow and at most 1.3 x the typical price unless said otherwise."""
    # two clicks at once would both read nothing on the board and both post: one at a
    # time per product (a district's suggestion counts its stores' needs too)
    serialize_on(session, space=RESTOCK_NEED_LOCK_SPACE, name=product)
    detail = read_restock(
        session=session, principal=principal, level=level, scope=scope, product=product, day=day
    )
    quantity = math.ceil(detail.to_post * 10 - 1e-9) / 10
    if quantity <= 0:
        raise Conflict(
            "nothing left to order of {product} for {scope}: {on_order:g} on order, "
            "{on_board:g} on the board",
            product=product,
            scope=scope,
            on_order=detail.on_order,
            on_board=detail.on_board,
        )
    if max_price is None:
        typical = session.scalar(select(Product.typical_price).where(Product.code == product))
        if typical is None:
            raise InvalidInput(
                "give the highest price: product {product} has no typical price",
                errors=[field_problem(["body", "max_price"], "is required")],
                product=product,
            )
        max_price = round(typical * DEFAULT_PRICE_MARGIN, 2)
    return post_need(
        session=session,
        principal=principal,
        today=today,
        limits=limits,
        product=product,
        quantity=quantity,
        max_price=max_price,
        needed_by=needed_by or today + timedelta(days=1),
        store=scope if level is ScopeLevel.store else None,
        district=scope if level is ScopeLevel.district else None,
        alert_id=alert_id,
    )
