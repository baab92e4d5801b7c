"""Answering proposals and moving supply orders: committed, shipped, received.

Both sides answer a proposal; when the second accepts, its quantity is committed from the
offer and to the need and a supply order is born. The commitment is one conditional
UPDATE per row (``committed + q <= quantity``), so two accepts racing for the last of an
offer cannot both win: PostgreSQL re-checks the condition on the row the first one
changed, SQLite's writers queue; the loser's request is a 409 and rolls back whole, and a
CHECK constraint in the table is the last guard. Every change of an order is kept as an
event: who, when, what and how much.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Conflict, Forbidden, InvalidInput, NotFound
from core.text import FieldProblem, control_character_problem, field_problem, phrase
from core.words import word
from models import (
    Answer,
    OrderStatus,
    Producer,
    Proposal,
    ProposalStatus,
    Role,
    Store,
    SupplyNeed,
    SupplyOffer,
    SupplyOrder,
    SupplyOrderEvent,
)
from models.base import utc_now
from supply_network.access import may_buy_for, need_inside
from supply_network.queries.deals import OrderView, ProposalView, Side, read_order, read_proposal
from supply_network.rules import TOLERANCE, changed_rows, quantity_problem, refuse

MAX_NOTE_CHARS = 2000


def _sides(
    session: Session, principal: Principal, offer: SupplyOffer, need: SupplyNeed
) -> set[Side]:
    """The sides of a deal ``principal`` may act for: none, for staff bound to a region,
    when the need lies outside it (they do not see the deal); an admin so bound answers
    for the producer only of a producer inside it."""
    sides: set[Side] = set()
    if not need_inside(session, principal, need):
        return sides
    if principal.role is Role.admin:
        region_id = session.scalar(
            select(Producer.region_id).where(Producer.id == offer.producer_id)
        )
        if principal.in_region(region_id):
            sides.add("producer")
    elif principal.role is Role.producer and principal.producer_id == offer.producer_id:
        sides.add("producer")
    if may_buy_for(session, principal, need):
        sides.add("buyer")
    return sides


def _deal(
    session: Session, principal: Principal, proposal_id: int
) -> tuple[Proposal, SupplyOffer, SupplyNeed, set[Side]]:
    """A proposal, its offer and need, and the sides the caller acts for (404 for none)."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("proposal {proposal} not found", proposal=proposal_id)
    offer = session.get(SupplyOffer, proposal.offer_id)
    need = session.get(SupplyNeed, proposal.need_id)
    assert offer is not None and need is not None
    sides = _sides(session, principal, offer, need)
    if not sides:
        raise NotFound("proposal {proposal} not found", proposal=proposal_id)
    return proposal, offer, need, sides


def _side(sides: set[Side], wanted: Side | None, *, code: str) -> Side:
    """The side an answer is given for: the one asked (when the caller acts for it), or
    the only one the caller acts for."""
    if wanted is not None:
        if wanted not in sides:
            if wanted == "producer":
                raise Forbidden("only producer {code} may answer for its offers", code=code)
            raise Forbidden("this key or user does not act for the buyer of this proposal")
        return wanted
    if len(sides) > 1:
        raise InvalidInput(
            "say which side you answer for: producer or buyer",
            errors=[field_problem(["body", "side"], "is required: you act for both sides")],
        )
    return next(iter(sides))


def _commit(session: Session, proposal: Proposal, *, today: date, actor: str) -> None:
    """Commit the proposal's quantity from its offer and to its need, or a 409 saying
    what is left: both are conditional UPDATEs, so a concurrent commitment cannot slip in
    between the check and the write."""
    quantity = proposal.quantity
    offer_won = changed_rows(
        session,
        update(SupplyOffer)
        .where(
            SupplyOffer.id == proposal.offer_id,
            SupplyOffer.withdrawn_at.is_(None),
            SupplyOffer.available_to >= today,
            or_(
                SupplyOffer.minimum_lot.is_(None),
                SupplyOffer.minimum_lot <= quantity * (1 + TOLERANCE) + TOLERANCE,
            ),
            SupplyOffer.committed_quantity + quantity
            <= SupplyOffer.quantity * (1 + TOLERANCE) + TOLERANCE,
        )
        .values(
            committed_quantity=case(
                (
                    SupplyOffer.committed_quantity + quantity > SupplyOffer.quantity,
                    SupplyOffer.quantity,
                ),
                else_=SupplyOffer.committed_quantity + quantity,
            )
        ),
    )
    if not offer_won:
        offer = session.get(SupplyOffer, proposal.offer_id, populate_existing=True)
        assert offer is not None
        if offer.withdrawn_at is not None:
            raise Conflict("offer {offer} was withdrawn", offer=offer.id)
        if offer.available_to < today:
            raise Conflict("offer {offer} has expired", offer=offer.id)
        if offer.minimum_lot is not None and offer.minimum_lot > quantity * (1 + TOLERANCE):
            raise Conflict(
                "offer {offer} now sells in lots of at least {lot:g}, the proposal asks "
                "{quantity:g}",
                offer=offer.id,
                lot=offer.minimum_lot,
                quantity=quantity,
            )
        raise Conflict(
            "offer {offer} has only {left:g} left, the proposal asks {quantity:g}",
            offer=offer.id,
            left=round(offer.quantity - offer.committed_quantity, 3),
            quantity=quantity,
        )
    need_won = changed_rows(
        session,
        update(SupplyNeed)
        .where(
            SupplyNeed.id == proposal.need_id,
            SupplyNeed.withdrawn_at.is_(None),
            SupplyNeed.needed_by >= today,
            SupplyNeed.committed_quantity + quantity
            <= SupplyNeed.quantity * (1 + TOLERANCE) + TOLERANCE,
        )
        .values(
            committed_quantity=case(
                (
                    SupplyNeed.committed_quantity + quantity > SupplyNeed.quantity,
                    SupplyNeed.quantity,
                ),
                else_=SupplyNeed.committed_quantity + quantity,
            )
        ),
    )
    if not need_won:
        need = session.get(SupplyNeed, proposal.need_id, populate_existing=True)
        assert need is not None
        if need.withdrawn_at is not None:
            raise Conflict("need {need} was withdrawn", need=need.id)
        if need.needed_by < today:
            raise Conflict(
                "need {need} has expired: it was needed by {needed_by}",
                need=need.id,
                needed_by=need.needed_by.isoformat(),
            )
        raise Conflict(
            "need {need} has only {left:g} left to fill, the proposal brings {quantity:g}",
            need=need.id,
            left=round(need.quantity - need.committed_quantity, 3),
            quantity=quantity,
        )
    proposal.status = ProposalStatus.accepted
    agreed_price = proposal.price
    if agreed_price is None:  # proposed before prices were kept: the offer's price now
        agreed_price = session.scalar(
            select(SupplyOffer.price).where(SupplyOffer.id == proposal.offer_id)
        )
    order = SupplyOrder(
        proposal_id=proposal.id,
        offer_id=proposal.offer_id,
        need_id=proposal.need_id,
        quantity=quantity,
        price=agreed_price,
        shipped_quantity=0.0,
        received_quantity=0.0,
        status=OrderStatus.committed,
        business_date=today,
        committed_at=utc_now(),
        committed_by=actor,
    )
    session.add(order)
    session.flush()
    session.add(
        SupplyOrderEvent(
            order_id=order.id, actor=actor, kind=OrderStatus.committed, quantity=quantity
        )
    )
    session.flush()


def answer_proposal(
    *,
    session: Session,
    principal: Principal,
    proposal_id: int,
    answer: Answer,
    today: date,
    side: Side | None = None,
) -> ProposalView:
    """Record one side's answer. A decline closes the proposal; the second acceptance
    commits it into a supply order. Answering twice, or a closed proposal, is a 409."""
    proposal, offer, need, sides = _deal(session, principal, proposal_id)
    producer_code, producer_active = session.execute(
        select(Producer.code, Producer.active).where(Producer.id == offer.producer_id)
    ).one()
    chosen = _side(sides, side, code=str(producer_code))
    if answer is Answer.accepted and not producer_active:
        # Deactivation takes a producer off the board and out of the matcher: no new
        # deal may be agreed with it (orders already agreed can still ship and arrive).
        raise Conflict(
            "producer {producer} is deactivated: proposal {proposal} can only be declined",
            producer=producer_code,
            proposal=proposal.id,
        )
    if answer is Answer.accepted and need.store_id is not None:
        store_code, store_active = session.execute(
            select(Store.code, Store.active).where(Store.id == need.store_id)
        ).one()
        if not store_active:
            # A closed store takes no delivery: nothing new is ordered for it.
            raise Conflict(
                "store {store} is deactivated: proposal {proposal} can only be declined",
                store=store_code,
                proposal=proposal.id,
            )
    if chosen == "producer":
        answered = {
            Proposal.producer_answer: answer,
            Proposal.producer_answered_at: utc_now(),
            Proposal.producer_answered_by: principal.label,
        }
        unanswered = Proposal.producer_answer.is_(None)
    else:
        answered = {
            Proposal.buyer_answer: answer,
            Proposal.buyer_answered_at: utc_now(),
            Proposal.buyer_answered_by: principal.label,
        }
        unanswered = Proposal.buyer_answer.is_(None)
    if answer is Answer.declined:
        answered[Proposal.status] = ProposalStatus.declined
    won = changed_rows(
        session,
        update(Proposal)
        .where(
            Proposal.id == proposal.id,
            Proposal.status == ProposalStatus.proposed,
            unanswered,
        )
        .values(answered),
    )
    session.refresh(proposal)
    if not won:
        if proposal.status is not ProposalStatus.proposed:
            raise Conflict(
                "proposal {proposal} is {status}: it takes no more answers",
                proposal=proposal.id,
                status=word(proposal.status),
            )
        raise Conflict(
            "the {side} has already answered proposal {proposal}",
            side=phrase(chosen),
            proposal=proposal.id,
        )
    if proposal.producer_answer is Answer.accepted and proposal.buyer_answer is Answer.accepted:
        _commit(session, proposal, today=today, actor=principal.label)
    return read_proposal(session=session, principal=principal, proposal_id=proposal.id)


def _order(session: Session, principal: Principal, order_id: int) -> tuple[SupplyOrder, set[Side]]:
    """An order and the sides the caller acts for (404 when none)."""
    order = session.get(SupplyOrder, order_id)
    if order is None:
        raise NotFound("supply order {order} not found", order=order_id)
    offer = session.get(SupplyOffer, order.offer_id)
    need = session.get(SupplyNeed, order.need_id)
    assert offer is not None and need is not None
    sides = _sides(session, principal, offer, need)
    if not sides:
        raise NotFound("supply order {order} not found", order=order_id)
    return order, sides


def _checked_note(note: str | None) -> None:
    """Refuse a note longer than an audit trail keeps."""
    if note is not None and len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(
            "the note is too long",
            errors=[
                field_problem(["body", "note"], "at most {limit} characters", limit=MAX_NOTE_CHARS)
            ],
        )


def _stored_note(note: str | None) -> str | None:
    """A note as the trail keeps it: none for a blank one (a form's empty box), so the
    trail and its pages do not show an empty note."""
    return note if note is not None and note.strip() else None


def _note_problem(note: str | None) -> FieldProblem | None:
    """A note holding a control character (line breaks and tabs aside), which would reach
    the other side's pages and the order's audit trail."""
    if note is None:
        return None
    return control_character_problem(note, ["body", "note"], multiline=True)


def ship_order(
    *,
    session: Session,
    principal: Principal,
    order_id: int,
    quantity: float,
    note: str | None = None,
) -> OrderView:
    """The producer ships part or all of what is left of an order (never more than was
    committed); a 409 says how much is left when it is less."""
    order, sides = _order(session, principal, order_id)
    if "producer" not in sides:
        raise Forbidden("only the order's producer marks it shipped")
    refuse(
        [
            quantity_problem(["body", "quantity"], quantity, limit=order.quantity),
            _note_problem(note),
        ],
        what=phrase("shipment"),
    )
    _checked_note(note)
    won = changed_rows(
        session,
        update(SupplyOrder)
        .where(
            SupplyOrder.id == order.id,
            SupplyOrder.shipped_quantity + quantity
            <= SupplyOrder.quantity * (1 + TOLERANCE) + TOLERANCE,
        )
        .values(
            shipped_quantity=case(
                (
                    SupplyOrder.shipped_quantity + quantity > SupplyOrder.quantity,
                    SupplyOrder.quantity,
                ),
                else_=SupplyOrder.shipped_quantity + quantity,
            ),
            status=case(
                (SupplyOrder.status == OrderStatus.committed, OrderStatus.shipped.value),
                else_=SupplyOrder.status,
            ),
            updated_at=utc_now(),
        ),
    )
    session.refresh(order)
    if not won:
        raise Conflict(
            "order {order} has only {left:g} left to ship",
            order=order.id,
            left=round(order.quantity - order.shipped_quantity, 3),
        )
    session.add(
        SupplyOrderEvent(
            order_id=order.id,
            actor=principal.label,
            kind=OrderStatus.shipped,
            quantity=quantity,
            note=_stored_note(note),
        )
    )
    session.flush()
    return read_order(session=session, principal=principal, order_id=order.id)


def receive_order(
    *,
    session: Session,
    principal: Principal,
    order_id: int,
    quantity: float,
    note: str | None = None,
) -> OrderView:
    """The buyer receives part or all of what was shipped (never more); the order is
    received when all of it has arrived."""
    order, sides = _order(session, principal, order_id)
    if "buyer" not in sides:
        raise Forbidden("only the order's buyer marks it received")
    refuse(
        [
            quantity_problem(["body", "quantity"], quantity, limit=order.quantity),
            _note_problem(note),
        ],
        what=phrase("receipt"),
    )
    _checked_note(note)
    received = SupplyOrder.received_quantity + quantity
    won = changed_rows(
        session,
        update(SupplyOrder)
        .where(
            SupplyOrder.id == order.id,
            received <= SupplyOrder.shipped_quantity * (1 + TOLERANCE) + TOLERANCE,
        )
        .values(
            received_quantity=case(
                (received > SupplyOrder.shipped_quantity, SupplyOrder.shipped_quantity),
                else_=received,
            ),
            status=case(
                (
                    received >= SupplyOrder.quantity * (1 - TOLERANCE),
                    OrderStatus.received.value,
                ),
                else_=SupplyOrder.status,
            ),
            updated_at=utc_now(),
        ),
    )
    session.refresh(order)
    if not won:
        raise Conflict(
            "order {order} has only {left:g} shipped and not yet received",
            order=order.id,
            left=round(order.shipped_quantity - order.received_quantity, 3),
        )
    session.add(
        SupplyOrderEvent(
            order_id=order.id,
            actor=principal.label,
            kind=OrderStatus.received,
            quantity=quantity,
            note=_stored_note(note),
        )
    )
    session.flush()
    return read_order(session=session, principal=principal, order_id=order.id)
