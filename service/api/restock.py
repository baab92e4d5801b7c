"""Restock suggestions and region lockdowns.

``GET /restock`` lists the day's suggested quantities worst first:
``suggested = max(0, target_days x expected_daily_sales - stock - in_transit)``; one
suggestion comes with its candidate producers, and a shortage alert links to its own
(``/restock/alerts/{id}``). A need can be posted from a suggestion in one call. The
bureau records region lockdowns, which raise needs' priority and keep producers of a
sealed region off the candidate lists.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, status
from pydantic import Field

from models import ProducerKind, ScopeLevel, SupplyStatus
from service.api.supply_board import NeedRead
from service.configuration import board_limits, business_today
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep
from service.http.schemas import PROBLEM_RESPONSES, DatabaseId, Page, PageDep, ReadModel
from service.http.supply_network import Code, FiniteModel, Price
from supply_network import lockdowns, postings
from supply_network.queries import restock

router = APIRouter(tags=["supply network"], responses=PROBLEM_RESPONSES)

Level = Annotated[
    ScopeLevel, Path(description="store or district (restock is not suggested city-wide)")
]


class RestockRead(ReadModel):
    level: ScopeLevel
    scope: str = Field(description="The store's or district's code")
    scope_name: str
    scope_name_zh: str | None = Field(
        description="A district's Chinese name (null for a store, which has one name)"
    )
    district: str | None
    district_name: str | None
    district_name_zh: str | None
    product: str
    product_name: str
    product_name_zh: str | None
    category: str
    unit: str
    day: date
    stock: float | None
    expected_daily_sales: float | None
    days_of_supply: float | None
    status: SupplyStatus
    target_days: float = Field(description="Warning level + restock_extra_days")
    in_transit: float = Field(description="Shipped to it by supply orders, not yet received")
    suggested: float | None = Field(
        description="max(0, target_days x expected_daily_sales - stock - in_transit)"
    )
    cover_days: float | None = Field(description="(stock + in_transit) / expected_daily_sales")


class SourceRead(ReadModel):
    producer: str
    name: str
    kind: ProducerKind
    region_name: str
    region_name_zh: str | None
    latitude: float
    longitude: float
    distance_km: float | None = Field(description="Estimated road km (haversine x 1.3)")
    daily_capacity: float
    committed: float = Field(description="Committed by supply orders that day")
    free_capacity: float
    covers: bool = Field(description="Its free capacity alone fills the suggestion")
    lead_time_days: int
    minimum_lot: float | None
    contact_name: str | None
    contact_phone: str | None
    offer_id: int | None = Field(description="Its cheapest open offer of the product")
    offer_remaining: float | None
    offer_price: float | None


class RestockDetailRead(ReadModel):
    suggestion: RestockRead
    latitude: float | None
    longitude: float | None
    on_order: float = Field(description="Committed by orders and not shipped yet")
    on_board: float = Field(description="Asked by open needs not yet committed")
    to_post: float = Field(description="What a need from this suggestion would ask")
    sources: list[SourceRead]
    alert_id: int | None


class RestockNeedIn(FiniteModel):
    day: date | None = Field(default=None, description="The suggestion's day (default latest)")
    max_price: Price | None = Field(default=None, description="Default 1.3 x typical price")
    needed_by: date | None = Field(default=None, description="Default tomorrow")
    alert_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


class LockdownRead(ReadModel):
    id: int
    region: str
    region_name: str
    start_date: date
    end_date: date | None
    note: str | None
    recorded_by: str


class LockdownIn(FiniteModel):
    region: Code
    start_date: date = Field(description="At most a year before or after today")
    end_date: date | None = Field(default=None, description="At most a year from today")
    note: str | None = Field(default=None, max_length=300, description="One line")


class LockdownEnd(FiniteModel):
    end_date: date = Field(description="At most a year before or after today")


@router.get("/restock", summary="The day's restock suggestions, worst cover first")
def list_restock(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    level: Annotated[ScopeLevel, Query(description="store or district")] = ScopeLevel.district,
    category: Annotated[Code | None, Query()] = None,
    product: Annotated[Code | None, Query()] = None,
    region: Annotated[Code | None, Query(description="Scopes in this region")] = None,
    day: Annotated[date | None, Query(alias="date", description="Default: latest")] = None,
) -> Page[RestockRead]:
    found = restock.list_restock(
        session=session,
        principal=principal,
        level=level,
        day=day,
        category=category,
        product=product,
        region=region,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[RestockRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get(
    "/restock/alerts/{alert_id}",
    summary="The restock suggestion behind a low_supply or stockout alert",
)
def restock_for_alert(
    alert_id: DatabaseId, session: SessionDep, principal: PrincipalDep
) -> RestockDetailRead:
    detail = restock.restock_for_alert(session=session, principal=principal, alert_id=alert_id)
    return RestockDetailRead.model_validate(detail)


@router.get(
    "/restock/{level}/{scope}/{product}",
    summary="One suggestion with its candidate producers",
)
def read_restock(
    level: Level,
    scope: str,
    product: str,
    session: SessionDep,
    principal: PrincipalDep,
    day: Annotated[date | None, Query(alias="date")] = None,
) -> RestockDetailRead:
    detail = restock.read_restock(
        session=session, principal=principal, level=level, scope=scope, product=product, day=day
    )
    return RestockDetailRead.model_validate(detail)


@router.post(
    "/restock/{level}/{scope}/{product}/need",
    status_code=status.HTTP_201_CREATED,
    summary="Post the need a suggestion calls for, less what is on order or on the board",
)
def post_need_for_restock(
    level: Level,
    scope: str,
    product: str,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    body: Annotated[RestockNeedIn | None, Body()] = None,
) -> NeedRead:
    options = body or RestockNeedIn()
    need = postings.post_need_for_restock(
        session=session,
        principal=principal,
        today=business_today(settings),
        limits=board_limits(settings),
        level=level,
        scope=scope,
        product=product,
        day=options.day,
        max_price=options.max_price,
        needed_by=options.needed_by,
        alert_id=options.alert_id,
    )
    return NeedRead.model_validate(need)


@router.get("/lockdowns", summary="Recorded region lockdowns, the latest first")
def list_lockdowns(
    session: SessionDep,
    principal: PrincipalDep,
    on_date: Annotated[date | None, Query(alias="date", description="In force that day")] = None,
) -> list[LockdownRead]:
    return [
        LockdownRead.model_validate(view)
        for view in lockdowns.list_lockdowns(session=session, principal=principal, on_date=on_date)
    ]


@router.post("/lockdowns", status_code=status.HTTP_201_CREATED, summary="Record a lockdown")
def record_lockdown(
    body: LockdownIn, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> LockdownRead:
    view = lockdowns.record_lockdown(
        session=session, principal=principal, today=business_today(settings), **body.model_dump()
    )
    return LockdownRead.model_validate(view)


@router.post("/lockdowns/{lockdown_id}/end", summary="Lift a lockdown")
def end_lockdown(
    lockdown_id: DatabaseId,
    body: LockdownEnd,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> LockdownRead:
    view = lockdowns.end_lockdown(
        session=session,
        principal=principal,
        lockdown_id=lockdown_id,
        end_date=body.end_date,
        today=business_today(settings),
    )
    return LockdownRead.model_validate(view)
