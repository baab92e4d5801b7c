"""Match runs, their proposals and the supply orders accepted proposals became, as the
bureau, a producer and a buyer read them.

A producer sees the proposals and orders of its own offers, a store those of its needs
(a chain also its stores'), the bureau all; anyone else gets a 404 for a single one, so
ids cannot be probed.

Bureau staff and admins bound to a region see the proposals and orders whose need (the
buyer side) lies inside it, wherever the producer is. Match runs cover the whole board,
so their figures are national staff's: a region-bound caller lists none and opens none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, false, func, select
from sqlalchemy.orm import Session, aliased

from core.access import Principal, require_role
from core.errors import NotFound
from core.lookups import PageOf, page
from models import (
    Answer,
    BuyerKind,
    Enterprise,
    MatchRun,
    OrderStatus,
    Producer,
    Product,
    Proposal,
    ProposalStatus,
    Region,
    Role,
    Store,
    SupplyNeed,
    SupplyOffer,
    SupplyOrder,
    SupplyOrderEvent,
)
from supply_network.access import REGISTRY_READERS, needs_inside, needs_visible_to

Side = Literal["producer", "buyer"]


@dataclass(frozen=True)
class UnmetNeed:
    """A need a match run left short, by how much and why (``board.UnmetReason``)."""

    need_id: int
    product: str
    unmet_quantity: float
    reason: str


@dataclass(frozen=True)
class MatchRunView:
    """A match run: when, by whom, with which settings, and what it proposed."""

    id: int
    business_date: date
    run_at: datetime
    requested_by: str
    maximum_distance_km: float
    price_weight: float
    offers: int
    needs: int
    proposals: int
    superseded: int
    total_cost: float
    seconds: float
    unmet: list[UnmetNeed]


@dataclass(frozen=True)
class DealParties:
    """The product, the producer and the buyer of a proposal or an order."""

    product: str
    product_name: str
    product_name_zh: str | None
    unit: str
    producer: str
    producer_name: str
    buyer_kind: BuyerKind
    buyer: str
    buyer_name: str
    district: str
    district_name: str


@dataclass(frozen=True)
class ProposalView:
    """A proposal with both parties, the price it was made at, the distance, and both answers."""

    id: int
    match_run_id: int
    offer_id: int
    need_id: int
    parties: DealParties
    quantity: float
    price: float
    max_price: float
    distance_km: float
    cost: float
    priority: int
    status: ProposalStatus
    producer_answer: Answer | None
    producer_answered_at: datetime | None
    buyer_answer: Answer | None
    buyer_answered_at: datetime | None
    available_from: date
    needed_by: date
    order_id: int | None


@dataclass(frozen=True)
class OrderEventView:
    """One change of an order: when, who, what and how much."""

    at: datetime
    actor: str
    kind: OrderStatus
    quantity: float
    note: str | None


@dataclass(frozen=True)
class OrderView:
    """A supply order: committed, shipped and received quantities, what is on the road,
    and its audit trail (oldest first)."""

    id: int
    proposal_id: int
    offer_id: int
    need_id: int
    parties: DealParties
    quantity: float
    shipped_quantity: float
    received_quantity: float
    in_transit: float
    price: float
    status: OrderStatus
    business_date: date
    committed_at: datetime
    committed_by: str
    events: list[OrderEventView]


def run_view(run: MatchRun) -> MatchRunView:
    """A stored match run as people read it."""
    return MatchRunView(
        id=run.id,
        business_date=run.business_date,
        run_at=run.run_at,
        requested_by=run.requested_by,
        maximum_distance_km=run.maximum_distance_km,
        price_weight=run.price_weight,
        offers=run.offers,
        needs=run.needs,
        proposals=run.proposals,
        superseded=run.superseded,
        total_cost=run.total_cost,
        seconds=run.seconds,
        unmet=[UnmetNeed(**item) for item in run.unmet],
    )


def list_match_runs(
    *, session: Session, principal: Principal, limit: int, offset: int
) -> PageOf[MatchRunView]:
    """The latest match runs first; the bureau's (none for staff bound to a region: a run's
    figures count every region's offers and needs)."""
    require_role(principal, Role.bureau)
    query = select(MatchRun).order_by(MatchRun.id.desc())
    if principal.is_region_bound:
        query = query.where(false())
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(items=[run_view(row[0]) for row in rows], total=total, limit=limit, offset=offset)


def read_match_run(*, session: Session, principal: Principal, run_id: int) -> MatchRunView:
    """One match run (404 when there is none, or for staff bound to a region); the
    bureau's."""
    require_role(principal, Role.bureau)
    run = session.get(MatchRun, run_id)
    if run is None or principal.is_region_bound:
        raise NotFound("match run {run} not found", run=run_id)
    return run_view(run)


def _deals_visible_to(principal: Principal) -> ColumnElement[bool]:
    """Proposals and orders a caller may read, over the joined offer and need: for staff
    bound to a region, those whose need lies inside it."""
    if principal.role in REGISTRY_READERS:
        return needs_inside(principal)
    if principal.role is Role.producer and principal.producer_id is not None:
        return SupplyOffer.producer_id == principal.producer_id
    return needs_visible_to(principal)


_district = aliased(Region, name="need_district")
_PARTY_COLUMNS = (
    Product.code,
    Product.name,
    Product.name_zh,
    Product.unit,
    Producer.code,
    Producer.name,
    Store.code,
    Store.name,
    Enterprise.code,
    Enterprise.name,
    _district.code,
    _district.name,
)


def _with_parties(
    query: Select[*tuple[Any, ...]], offer_id: Any, need_id: Any
) -> Select[*tuple[Any, ...]]:
    """Join the offer, need, product, producer and buyer of a proposal or an order."""
    return (
        query.join(SupplyOffer, SupplyOffer.id == offer_id)
        .join(SupplyNeed, SupplyNeed.id == need_id)
        .join(Product, Product.id == SupplyOffer.product_id)
        .join(Producer, Producer.id == SupplyOffer.producer_id)
        .outerjoin(Store, Store.id == SupplyNeed.store_id)
        .outerjoin(Enterprise, Enterprise.id == SupplyNeed.enterprise_id)
        .join(_district, _district.id == SupplyNeed.district_id)
    )


def _parties(kind: BuyerKind, values: Sequence[Any]) -> DealParties:
    """The product, producer and buyer of a deal from its joined columns."""
    (product, name, name_zh, unit, producer, producer_name) = values[:6]
    store, store_name, enterprise, enterprise_name, district, district_name = values[6:]
    buyer, buyer_name = {
        BuyerKind.store: (store, store_name),
        BuyerKind.chain: (enterprise, enterprise_name),
        BuyerKind.district: (district, district_name),
    }[kind]
    return DealParties(
        product=product,
        product_name=name,
        product_name_zh=name_zh,
        unit=unit,
        producer=producer,
        producer_name=producer_name,
        buyer_kind=kind,
        buyer=buyer,
        buyer_name=buyer_name,
        district=district,
        district_name=district_name,
    )


def _proposal_query() -> Select[*tuple[Any, ...]]:
    """Proposals with the price they were made at, need's limits, order and parties."""
    return _with_parties(
        select(
            Proposal,
            func.coalesce(Proposal.price, SupplyOffer.price),
            SupplyOffer.available_from,
            SupplyNeed.max_price,
            SupplyNeed.needed_by,
            SupplyNeed.buyer_kind,
            SupplyOrder.id,
            *_PARTY_COLUMNS,
        ).outerjoin(SupplyOrder, SupplyOrder.proposal_id == Proposal.id),
        Proposal.offer_id,
        Proposal.need_id,
    )


def _proposal_view(row: Any) -> ProposalView:
    """One proposal row as people read it."""
    proposal, price, available_from, max_price, needed_by, kind, order_id = row[:7]
    return ProposalView(
        id=proposal.id,
        match_run_id=proposal.match_run_id,
        offer_id=proposal.offer_id,
        need_id=proposal.need_id,
        parties=_parties(kind, row[7:]),
        quantity=proposal.quantity,
        price=price,
        max_price=max_price,
        distance_km=round(proposal.distance_km, 2),
        cost=round(proposal.cost, 1),
        priority=proposal.priority,
        status=proposal.status,
        producer_answer=proposal.producer_answer,
        producer_answered_at=proposal.producer_answered_at,
        buyer_answer=proposal.buyer_answer,
        buyer_answered_at=proposal.buyer_answered_at,
        available_from=available_from,
        needed_by=needed_by,
        order_id=order_id,
    )


def read_proposal(*, session: Session, principal: Principal, proposal_id: int) -> ProposalView:
    """One proposal a caller is party to (404 otherwise)."""
    row = session.execute(
        _proposal_query().where(Proposal.id == proposal_id, _deals_visible_to(principal))
    ).first()
    if row is None:
        raise NotFound("proposal {proposal} not found", proposal=proposal_id)
    return _proposal_view(row)


def list_proposals(
    *,
    session: Session,
    principal: Principal,
    status: Sequence[ProposalStatus] | None = None,
    match_run: int | None = None,
    awaiting: Side | None = None,
    limit: int,
    offset: int,
) -> PageOf[ProposalView]:
    """One page of the proposals a caller is party to, highest priority and newest run
    first; ``awaiting`` keeps those still waiting for that side's answer."""
    conditions: list[ColumnElement[bool]] = [_deals_visible_to(principal)]
    if status:
        conditions.append(Proposal.status.in_(list(status)))
    if match_run is not None:
        conditions.append(Proposal.match_run_id == match_run)
    if awaiting == "producer":
        conditions.append(
            and_(Proposal.status == ProposalStatus.proposed, Proposal.producer_answer.is_(None))
        )
    elif awaiting == "buyer":
        conditions.append(
            and_(Proposal.status == ProposalStatus.proposed, Proposal.buyer_answer.is_(None))
        )
    query = (
        _proposal_query()
        .where(*conditions)
        .order_by(Proposal.match_run_id.desc(), Proposal.priority.desc(), Proposal.id)
    )
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(
        items=[_proposal_view(row) for row in rows], total=total, limit=limit, offset=offset
    )


def _order_query() -> Select[*tuple[Any, ...]]:
    """Supply orders with the price both sides agreed, and parties."""
    return _with_parties(
        select(
            SupplyOrder,
            func.coalesce(SupplyOrder.price, SupplyOffer.price),
            SupplyNeed.buyer_kind,
            *_PARTY_COLUMNS,
        ),
        SupplyOrder.offer_id,
        SupplyOrder.need_id,
    )


def _order_views(session: Session, rows: Sequence[Any]) -> list[OrderView]:
    """Order rows as people read them, with every order's events in one query."""
    events: dict[int, list[OrderEventView]] = defaultdict(list)
    ids = [row[0].id for row in rows]
    if ids:
        for event in session.scalars(
            select(SupplyOrderEvent)
            .where(SupplyOrderEvent.order_id.in_(ids))
            .order_by(SupplyOrderEvent.at, SupplyOrderEvent.id)
        ):
            events[event.order_id].append(
                OrderEventView(
                    at=event.at,
                    actor=event.actor,
                    kind=event.kind,
                    quantity=event.quantity,
                    note=event.note,
                )
            )
    views = []
    for row in rows:
        order, price, kind = row[:3]
        views.append(
            OrderView(
                id=order.id,
                proposal_id=order.proposal_id,
                offer_id=order.offer_id,
                need_id=order.need_id,
                parties=_parties(kind, row[3:]),
                quantity=order.quantity,
                shipped_quantity=order.shipped_quantity,
                received_quantity=order.received_quantity,
                in_transit=round(order.shipped_quantity - order.received_quantity, 3),
                price=price,
                status=order.status,
                business_date=order.business_date,
                committed_at=order.committed_at,
                committed_by=order.committed_by,
                events=events.get(order.id, []),
            )
        )
    return views


def read_order(*, session: Session, principal: Principal, order_id: int) -> OrderView:
    """One supply order a caller is party to, with its audit trail (404 otherwise)."""
    row = session.execute(
        _order_query().where(SupplyOrder.id == order_id, _deals_visible_to(principal))
    ).first()
    if row is None:
        raise NotFound("supply order {order} not found", order=order_id)
    return _order_views(session, [row])[0]


def list_orders(
    *,
    session: Session,
    principal: Principal,
    status: Sequence[OrderStatus] | None = None,
    limit: int,
    offset: int,
) -> PageOf[OrderView]:
    """One page of the supply orders a caller is party to, the newest first."""
    conditions: list[ColumnElement[bool]] = [_deals_visible_to(principal)]
    if status:
        conditions.append(SupplyOrder.status.in_(list(status)))
    query = _order_query().where(*conditions).order_by(SupplyOrder.id.desc())
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(items=_order_views(session, rows), total=total, limit=limit, offset=offset)


def received_by_product(
    *, session: Session, store_id: int, start: datetime, end: datetime
) -> dict[str, float]:
    """What supply orders delivered to a store's needs from ``start`` to ``end`` (a
    business day's instants), by product code: the ``received`` its next report starts
    from."""
    rows = session.execute(
        select(Product.code, func.sum(SupplyOrderEvent.quantity))
        .join(SupplyOrder, SupplyOrder.id == SupplyOrderEvent.order_id)
        .join(SupplyNeed, SupplyNeed.id == SupplyOrder.need_id)
        .join(Product, Product.id == SupplyNeed.product_id)
        .where(
            SupplyNeed.store_id == store_id,
            SupplyOrderEvent.kind == OrderStatus.received,
            SupplyOrderEvent.at >= start,
            SupplyOrderEvent.at < end,
        )
        .group_by(Product.code)
    )
    return {str(code): round(float(quantity), 3) for code, quantity in rows}
