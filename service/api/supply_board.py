"""The supply/demand board: producers' offers, buyers' needs, and the public board.

A producer posts and manages its own offers, a store its own needs (a chain also its
stores' and its own), the bureau anything and a district's needs. ``GET /board`` is
public: the open offers and needs by product, without contacts unless signed in.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Field

from accounts.authentication import authenticate_token
from models import BuyerKind, PostingStatus, ProducerKind
from service.configuration import board_limits, business_today
from service.http.dependencies import PrincipalDep, ReplicaSessionDep, SessionDep, SettingsDep
from service.http.schemas import PROBLEM_RESPONSES, DatabaseId, Page, PageDep, ReadModel
from service.http.supply_network import Code, NeedCreate, OfferCreate, OfferUpdate
from supply_network import postings
from supply_network.queries import postings as queries

router = APIRouter(tags=["supply network"], responses=PROBLEM_RESPONSES)
optional_bearer = HTTPBearer(auto_error=False, description="Signed in: contacts are shown")


class OfferRead(ReadModel):
    id: int
    producer: str
    producer_name: str
    producer_kind: ProducerKind
    region: str
    region_name: str
    product: str
    product_name: str
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
    contact_name: str | None = Field(description="Shown to signed-in callers only")
    contact_phone: str | None = Field(description="Shown to signed-in callers only")
    created_by: str | None
    created_at: datetime


class NeedRead(ReadModel):
    id: int
    buyer_kind: BuyerKind
    buyer: str = Field(description="The store's, chain's or district's code")
    buyer_name: str
    store: str | None
    enterprise: str | None
    district: str
    district_name: str
    product: str
    product_name: str
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


class ProductOnBoardRead(ReadModel):
    product: str
    product_name: str
    category: str
    unit: str
    offered: float = Field(description="Open quantity offered")
    needed: float = Field(description="Open quantity needed")
    offers: list[OfferRead]
    needs: list[NeedRead]


class BoardRead(ReadModel):
    day: date
    contacts: bool = Field(description="Whether producers' contacts are shown")
    products: list[ProductOnBoardRead]


StatusQuery = Annotated[
    list[PostingStatus] | None, Query(description="Keep these states (repeat the parameter)")
]


@router.get("/offers", summary="List offers (a producer its own, the bureau all)")
def list_offers(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    paging: PageDep,
    product: Annotated[Code | None, Query()] = None,
    category: Annotated[Code | None, Query()] = None,
    producer: Annotated[Code | None, Query()] = None,
    status: StatusQuery = None,
) -> Page[OfferRead]:
    found = queries.list_offers(
        session=session,
        principal=principal,
        today=business_today(settings),
        product=product,
        category=category,
        producer=producer,
        status=status,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[OfferRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post("/offers", status_code=status.HTTP_201_CREATED, summary="Post an offer")
def post_offer(
    body: OfferCreate, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> OfferRead:
    created = postings.post_offer(
        session=session,
        principal=principal,
        today=business_today(settings),
        limits=board_limits(settings),
        **body.model_dump(),
    )
    return OfferRead.model_validate(created)


@router.get("/offers/{offer_id}", summary="Read an offer")
def read_offer(
    offer_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> OfferRead:
    view = queries.read_offer(
        session=session, principal=principal, offer_id=offer_id, today=business_today(settings)
    )
    return OfferRead.model_validate(view)


@router.patch(
    "/offers/{offer_id}",
    summary="Change an offer's quantity (not below what is committed), price, window or lot",
)
def update_offer(
    offer_id: DatabaseId,
    body: OfferUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> OfferRead:
    view = postings.update_offer(
        session=session,
        principal=principal,
        offer_id=offer_id,
        today=business_today(settings),
        limits=board_limits(settings),
        changes=body.model_dump(exclude_unset=True),
    )
    return OfferRead.model_validate(view)


@router.post("/offers/{offer_id}/withdraw", summary="Withdraw an offer (commitments stay)")
def withdraw_offer(
    offer_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> OfferRead:
    view = postings.withdraw_offer(
        session=session, principal=principal, offer_id=offer_id, today=business_today(settings)
    )
    return OfferRead.model_validate(view)


@router.get("/needs", summary="List needs (a store its own, a chain its stores', the bureau all)")
def list_needs(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    paging: PageDep,
    product: Annotated[Code | None, Query()] = None,
    category: Annotated[Code | None, Query()] = None,
    district: Annotated[Code | None, Query()] = None,
    status: StatusQuery = None,
) -> Page[NeedRead]:
    found = queries.list_needs(
        session=session,
        principal=principal,
        today=business_today(settings),
        product=product,
        category=category,
        district=district,
        status=status,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[NeedRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post("/needs", status_code=status.HTTP_201_CREATED, summary="Post a need")
def post_need(
    body: NeedCreate, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> NeedRead:
    created = postings.post_need(
        session=session,
        principal=principal,
        today=business_today(settings),
        limits=board_limits(settings),
        **body.model_dump(),
    )
    return NeedRead.model_validate(created)


@router.get("/needs/{need_id}", summary="Read a need")
def read_need(
    need_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> NeedRead:
    view = queries.read_need(
        session=session, principal=principal, need_id=need_id, today=business_today(settings)
    )
    return NeedRead.model_validate(view)


@router.post("/needs/{need_id}/withdraw", summary="Withdraw a need (commitments stay)")
def withdraw_need(
    need_id: DatabaseId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> NeedRead:
    view = postings.withdraw_need(
        session=session, principal=principal, need_id=need_id, today=business_today(settings)
    )
    return NeedRead.model_validate(view)


@router.get(
    "/board",
    summary="The public board: open offers and needs by product (contacts when signed in)",
)
def public_board(
    session: SessionDep,
    replica: ReplicaSessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(optional_bearer)],
    product: Annotated[Code | None, Query()] = None,
    category: Annotated[Code | None, Query()] = None,
    region: Annotated[Code | None, Query(description="Producers' and needs' region")] = None,
) -> BoardRead:
    viewer = None
    if credentials is not None and credentials.credentials:
        viewer = authenticate_token(session, credentials.credentials)
    board = queries.public_board(
        session=replica,
        today=business_today(settings),
        signed_in=viewer is not None,
        product=product,
        category=category,
        region=region,
        principal=viewer,
    )
    return BoardRead.model_validate(board)
