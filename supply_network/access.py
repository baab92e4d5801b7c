"""Who may act for a producer and for a buyer on the supply/demand board, decided once.

A producer key or person acts only for its own producer (its record, offers, the producer
side of proposals and orders); a store key or person only for its store, or its chain and
the chain's stores; the bureau manages the registry, posts district needs and runs the
matcher. The listings filter with the same rules (``*_visible_to``), so what a caller
may list is what it may open.

Bureau staff and admins bound to a region manage only what lies inside it: producers by
their region, offers by their producer's region, needs by their district (a store's need
also by its store's region, so staff bound below a district, a township's, act for the
stores in it), and proposals and supply orders by their need (the buyer side: a city's
bureau follows the supply coming to its stores and districts, wherever the producer is).
Anything outside is a 404 worded as for an unknown code or id.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from core.access import Principal, require_in_region, within_region
from core.errors import Forbidden
from core.text import phrase
from models import Alert, BuyerKind, Producer, Role, Store, SupplyNeed, SupplyOffer, Ticket

REGISTRY_READERS = (Role.admin, Role.bureau)
"""Roles that read every producer's record (a producer reads its own)."""


def may_act_for_producer(principal: Principal, producer_id: int, *, region_id: int | None) -> bool:
    """Whether ``principal`` may edit this producer's record and post and answer for it:
    the producer itself; the bureau and admins for the record and offers (inside their
    region, when bound to one)."""
    if principal.role in REGISTRY_READERS:
        return principal.in_region(region_id)
    return principal.role is Role.producer and principal.producer_id == producer_id


def require_producer(principal: Principal, producer: Producer) -> None:
    """Refuse anyone but the producer itself, the bureau and admins; a producer outside
    a region-bound caller's region is a 404, as if its code were unknown."""
    if principal.role in REGISTRY_READERS:
        require_in_region(
            principal, producer.region_id, label=phrase("producer"), code=producer.code
        )
    if not may_act_for_producer(principal, producer.id, region_id=producer.region_id):
        raise Forbidden(
            "this key or user is not allowed to act for producer {code}", code=producer.code
        )


def manages_offer(session: Session, principal: Principal, offer: SupplyOffer) -> bool:
    """Whether ``principal`` may read and change ``offer``: it acts for its producer."""
    region_id = session.scalar(select(Producer.region_id).where(Producer.id == offer.producer_id))
    return may_act_for_producer(principal, offer.producer_id, region_id=region_id)


def may_buy_for(session: Session, principal: Principal, need: SupplyNeed) -> bool:
    """Whether ``principal`` acts for the buyer of ``need``: its store, its chain (also for
    the chain's stores), or the bureau (district needs, and any need on a buyer's behalf,
    inside its region when bound to one)."""
    if principal.role in (Role.admin, Role.bureau):
        return need_inside(session, principal, need)
    if principal.role is not Role.store:
        return False
    if need.buyer_kind is BuyerKind.store:
        if principal.store_id is not None:
            return need.store_id == principal.store_id
        enterprise = session.scalar(select(Store.enterprise_id).where(Store.id == need.store_id))
        return principal.enterprise_id is not None and enterprise == principal.enterprise_id
    if need.buyer_kind is BuyerKind.chain:
        return principal.enterprise_id is not None and need.enterprise_id == principal.enterprise_id
    return False


def require_buyer(session: Session, principal: Principal, need: SupplyNeed) -> None:
    """Refuse anyone who does not act for the need's buyer."""
    if not may_buy_for(session, principal, need):
        raise Forbidden("this key or user is not allowed to act for need {need}", need=need.id)


def offers_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Offers a caller manages (its own, or all for the bureau: those of producers inside
    its region when bound to one); the public board is a separate read that shows every
    open offer without contacts."""
    if principal.role in REGISTRY_READERS:
        return offers_inside(principal)
    if principal.role is Role.producer and principal.producer_id is not None:
        return SupplyOffer.producer_id == principal.producer_id
    return false()


def needs_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Needs a caller manages: its store's, its chain's and its chain stores', all for the
    bureau (those of districts inside its region when bound to one), none for others."""
    if principal.role in REGISTRY_READERS:
        return needs_inside(principal)
    if principal.role is not Role.store:
        return false()
    if principal.store_id is not None:
        return SupplyNeed.store_id == principal.store_id
    if principal.enterprise_id is not None:
        chain_stores = select(Store.id).where(Store.enterprise_id == principal.enterprise_id)
        return or_(
            SupplyNeed.enterprise_id == principal.enterprise_id,
            and_(SupplyNeed.store_id.is_not(None), SupplyNeed.store_id.in_(chain_stores)),
        )
    return false()


def offers_inside(principal: Principal) -> ColumnElement[bool]:
    """Offers whose producer lies inside a region-bound caller's region (all otherwise)."""
    if not principal.is_region_bound:
        return true()
    inside = select(Producer.id).where(within_region(principal, Producer.region_id))
    return SupplyOffer.producer_id.in_(inside)


def needs_inside(principal: Principal) -> ColumnElement[bool]:
    """Needs whose district, or whose store, lies inside a region-bound caller's region
    (all otherwise): see :func:`need_inside`."""
    if not principal.is_region_bound:
        return true()
    stores_inside = select(Store.id).where(within_region(principal, Store.region_id))
    return or_(
        within_region(principal, SupplyNeed.district_id),
        and_(SupplyNeed.store_id.is_not(None), SupplyNeed.store_id.in_(stores_inside)),
    )


def need_inside(session: Session, principal: Principal, need: SupplyNeed) -> bool:
    """Whether ``need`` lies inside the caller's region: its district does, or, for a
    store's need, its store does. A township's staff read the suggestions of the stores in
    their township; the needs those call for lie in the district above them, and would
    otherwise be posted and then unknown to the very staff who posted them."""
    if principal.in_region(need.district_id):
        return True
    if need.store_id is None:
        return False
    return principal.in_region(
        session.scalar(select(Store.region_id).where(Store.id == need.store_id))
    )


def may_link_alert(session: Session, principal: Principal, alert_id: int) -> bool:
    """Whether a need may name ``alert_id`` as its reason: an alert the caller could read
    (staff: inside its region), or for a store key or person an alert of a store it acts
    for. Anything else reads as an unknown alert, so no one learns which ids exist."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        return False
    if alert.scope_level == "store":
        store = session.get(Store, alert.scope_id)
        return store is not None and principal.can_access_store(store)
    if principal.role not in REGISTRY_READERS:
        return False
    if alert.scope_level == "ticket":
        ticket = session.get(Ticket, alert.scope_id)
        return ticket is not None and principal.in_region(ticket.region_id)
    if alert.scope_level == "district":
        return principal.in_region(alert.district_id or alert.scope_id)
    return principal.in_region(alert.scope_id)
