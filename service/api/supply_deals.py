"""Match runs, proposals and supply orders: the bureau runs the matcher, both sides answer
each proposal, and an accepted proposal is a supply order the producer ships and the
buyer receives, in part or in full, every step audited."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query, status
from pydantic import Field

from models import Answer, BuyerKind, OrderStatus, ProposalStatus
from service.configuration import business_today
from service.http.dependencies import (
    LONG_WORK,
    PrincipalDep,
    SessionDep,
    SessionFactoryDep,
    SettingsDep,
)
from service.http.schemas import PROBLEM_RESPONSES, DatabaseId, Page, PageDep, ReadModel
from service.http.supply_network import FiniteModel
from supply_network import orders
from supply_network.board import MatchSettings
from supply_network.queries import deals
from supply_network.runs import run_matching

router = APIRouter(tags=["supply network"], responses=PROBLEM_RESPONSES)
Side = Literal["producer", "buyer"]


class MatchRunCreate(FiniteModel):
    maximum_distance_km: float = Field(
        default=MatchSettings().maximum_distance_km, gt=0, le=2000, description="Road km"
    )
    price_weight: float = Field(
        default=0.0, ge=0, le=1e9, description="kg x km that one CNY of price is worth (0: none)"
    )


class UnmetRead(ReadModel):
    need_id: int
    product: str
    unmet_quantity: float
    reason: str


class MatchRunRead(ReadModel):
    id: int
    business_date: date
    run_at: datetime
    requested_by: str
    maximum_distance_km: float
    price_weight: float
    offers: int
    needs: int
    proposals: int
    superseded: int = Field(description="Unanswered proposals of earlier runs it replaced")
    total_cost: float = Field(description="kg x road km of its proposals (plus the price term)")
    seconds: float
    unmet: list[UnmetRead]


class PartiesRead(ReadModel):
    product: str
    product_name: str
    unit: str
    producer: str
    producer_name: str
    buyer_kind: BuyerKind
    buyer: str
    buyer_name: str
    district: str
    district_name: str


class ProposalRead(ReadModel):
    id: int
    match_run_id: int
    offer_id: int
    need_id: int
    parties: PartiesRead
    quantity: float
    price: float
    max_price: float
    distance_km: float
    cost: float
    priority: int = Field(description="0 normal, 1 district under lockdown, 2 critical alert")
    status: ProposalStatus
    producer_answer: Answer | None
    producer_answered_at: datetime | None
    buyer_answer: Answer | None
    buyer_answered_at: datetime | None
    available_from: date
    needed_by: date
    order_id: int | None


class AnswerIn(FiniteModel):
    side: Side | None = Field(
        default=None, description="Needed only by a caller who acts for both sides"
    )


class OrderEventRead(ReadModel):
    at: datetime
    actor: str
    kind: OrderStatus
    quantity: float
    note: str | None


class OrderRead(ReadModel):
    id: int
    proposal_id: int
    offer_id: int
    need_id: int
    parties: PartiesRead
    quantity: float
    shipped_quantity: float
    received_quantity: float
    in_transit: float
    price: float
    status: OrderStatus
    business_date: date
    committed_at: datetime
    committed_by: str
    events: list[OrderEventRead]


class QuantityIn(FiniteModel):
    quantity: float = Field(gt=0, description="Shipped (or received) now, in the product's unit")
    note: str | None = Field(default=None, max_length=orders.MAX_NOTE_CHARS)


@router.post(
    "/match-runs",
    dependencies=[LONG_WORK],
    status_code=status.HTTP_201_CREATED,
    summary="Match the open board (optimal transportation problem) into proposals",
)
def create_match_run(
    session: SessionDep,
    session_factory: SessionFactoryDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: Annotated[MatchRunCreate | None, Body()] = None,
) -> MatchRunRead:
    options = body or MatchRunCreate()
    run = run_matching(
        session=session,
        read_in=session_factory,
        principal=principal,
        today=business_today(settings),
        settings=MatchSettings(
            maximum_distance_km=options.maximum_distance_km,
            price_weight_kg_km_per_cny=options.price_weight,
        ),
    )
    return MatchRunRead.model_validate(run)


@router.get("/match-runs", summary="List match runs, the latest first")
def list_match_runs(
    session: SessionDep, principal: PrincipalDep, paging: PageDep
) -> Page[MatchRunRead]:
    found = deals.list_match_runs(
        session=session, principal=principal, limit=paging.limit, offset=paging.offset
    )
    return Page(
        items=[MatchRunRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/match-runs/{run_id}", summary="Read a match run")
def read_match_run(
    run_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> MatchRunRead:
    return MatchRunRead.model_validate(
        deals.read_match_run(session=session, principal=principal, run_id=run_id)
    )


@router.get("/proposals", summary="List the proposals you are party to")
def list_proposals(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    status: Annotated[list[ProposalStatus] | None, Query()] = None,
    match_run: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    awaiting: Annotated[Side | None, Query(description="Still waiting for this side")] = None,
) -> Page[ProposalRead]:
    found = deals.list_proposals(
        session=session,
        principal=principal,
        status=status,
        match_run=match_run,
        awaiting=awaiting,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[ProposalRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/proposals/{proposal_id}", summary="Read a proposal")
def read_proposal(
    proposal_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> ProposalRead:
    return ProposalRead.model_validate(
        deals.read_proposal(session=session, principal=principal, proposal_id=proposal_id)
    )


def _answer(
    proposal_id: int,
    answer: Answer,
    body: AnswerIn | None,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> ProposalRead:
    view = orders.answer_proposal(
        session=session,
        principal=principal,
        proposal_id=proposal_id,
        answer=answer,
        today=business_today(settings),
        side=body.side if body else None,
    )
    return ProposalRead.model_validate(view)


@router.post(
    "/proposals/{proposal_id}/accept",
    summary="Accept a proposal for your side; the second acceptance commits a supply order",
)
def accept_proposal(
    proposal_id: DatabaseId,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: Annotated[AnswerIn | None, Body()] = None,
) -> ProposalRead:
    return _answer(proposal_id, Answer.accepted, body, session, principal, settings)


@router.post("/proposals/{proposal_id}/decline", summary="Decline a proposal for your side")
def decline_proposal(
    proposal_id: DatabaseId,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: Annotated[AnswerIn | None, Body()] = None,
) -> ProposalRead:
    return _answer(proposal_id, Answer.declined, body, session, principal, settings)


@router.get("/supply-orders", summary="List the supply orders you are party to")
def list_orders(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    status: Annotated[list[OrderStatus] | None, Query()] = None,
) -> Page[OrderRead]:
    found = deals.list_orders(
        session=session,
        principal=principal,
        status=status,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[OrderRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get("/supply-orders/{order_id}", summary="Read a supply order with its audit trail")
def read_order(order_id: DatabaseId, session: SessionDep, principal: PrincipalDep) -> OrderRead:
    return OrderRead.model_validate(
        deals.read_order(session=session, principal=principal, order_id=order_id)
    )


@router.post("/supply-orders/{order_id}/ship", summary="The producer ships (part of) an order")
def ship_order(
    order_id: DatabaseId, body: QuantityIn, session: SessionDep, principal: PrincipalDep
) -> OrderRead:
    view = orders.ship_order(
        session=session,
        principal=principal,
        order_id=order_id,
        quantity=body.quantity,
        note=body.note,
    )
    return OrderRead.model_validate(view)


@router.post(
    "/supply-orders/{order_id}/receive", summary="The buyer receives (part of) what was shipped"
)
def receive_order(
    order_id: DatabaseId, body: QuantityIn, session: SessionDep, principal: PrincipalDep
) -> OrderRead:
    view = orders.receive_order(
        session=session,
        principal=principal,
        order_id=order_id,
        quantity=body.quantity,
        note=body.note,
    )
    return OrderRead.model_validate(view)
