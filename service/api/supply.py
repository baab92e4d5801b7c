"""Days of supply as the monitor stored them: one business day's bulletin, and history.

Reads ``supply_snapshots`` only (never recomputes), so what the API shows is exactly
what the alerts were raised on. Bureau, admin and dispatchers read every scope; a
store-bound caller reads only store-level rows of its own store(s), because district
and city numbers describe other stores' stock.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from models import ScopeLevel, SupplyStatus
from monitors.queries import supply
from monitors.queries import supply_history as history_queries
from monitors.queries.supply_history import DEFAULT_HISTORY_DAYS, MAX_HISTORY_DAYS
from service.configuration import business_today
from service.http.dependencies import PrincipalDep, ReplicaSessionDep, SettingsDep
from service.http.schemas import PROBLEM_RESPONSES, Page, PageDep, ReadModel

router = APIRouter(prefix="/supply", tags=["supply"], responses=PROBLEM_RESPONSES)

CodeQuery = Annotated[str | None, Query(min_length=1, max_length=64)]


class ScopeRef(ReadModel):
    code: str
    name: str


class SupplyRead(ReadModel):
    date: dt.date
    level: ScopeLevel
    scope: ScopeRef
    district: str | None = Field(description="Code of the district (null for city rows)")
    product: str | None = Field(description="Product code; null for a category row")
    category: str
    stock: float | None
    expected_daily_sales: float | None
    days_of_supply: float | None = Field(description="Σ stock ÷ Σ expected daily sales")
    status: SupplyStatus
    stale: bool
    trusted: bool
    stores_total: int | None
    stores_reporting: int | None
    stores_stocked_out: int | None
    coverage: float | None = Field(description="Share of the scope's stores that reported")
    price: float | None
    sales: float | None


class HistoryPoint(ReadModel):
    date: dt.date
    days_of_supply: float | None
    stock: float | None
    expected_daily_sales: float | None
    status: SupplyStatus
    coverage: float | None
    price: float | None = Field(
        description="The store's price; for a district or city, the mean of its stores' prices"
    )


class SupplyHistory(ReadModel):
    level: ScopeLevel
    scope: ScopeRef
    product: str | None
    category: str
    first_day: dt.date = Field(serialization_alias="from")
    last_day: dt.date = Field(serialization_alias="to")
    points: list[HistoryPoint]


@router.get(
    "",
    summary="Days of supply of one business day, worst first",
    description=(
        "One business day's snapshots (default: the latest day the monitor computed) at "
        "one level. `region` selects the scopes in (or, for district and city, around) a "
        "region; `product` one product's rows; `category` the category rows of district "
        "and city scopes, or the product rows of its products for stores; with neither, "
        "product rows. Ordered by status (stocked_out first), then days of supply, then "
        "scope code. A store key reads only `level=store` rows of its own store(s)."
    ),
)
def list_supply(
    session: ReplicaSessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    level: Annotated[ScopeLevel, Query(description="Scope level of the rows")],
    region: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Region code")
    ] = None,
    product: CodeQuery = None,
    category: CodeQuery = None,
    status: Annotated[
        list[SupplyStatus] | None, Query(description="Status bands (repeat for several)")
    ] = None,
    day: Annotated[
        dt.date | None, Query(alias="date", description="Business day (default: the latest)")
    ] = None,
) -> Page[SupplyRead]:
    found = supply.list_supply(
        session=session,
        principal=principal,
        level=level,
        region=region,
        product=product,
        category=category,
        status=status,
        day=day,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[SupplyRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.get(
    "/history",
    summary="Days of supply of one scope × product (or category) over a range of days",
    description=(
        "One point per business day the monitor computed, oldest first (default: the last "
        f"{DEFAULT_HISTORY_DAYS} days; at most {MAX_HISTORY_DAYS}). `scope` is a store code "
        "for `level=store`, else a district or city region code. Exactly one of `product` "
        "and `category`; category history exists for districts and cities. The price of a "
        "district or city is the mean of its stores' prices (null for a category)."
    ),
)
def supply_history(
    session: ReplicaSessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    level: Annotated[ScopeLevel, Query(description="Scope level")],
    scope: Annotated[str, Query(min_length=1, max_length=64, description="Store or region code")],
    product: CodeQuery = None,
    category: CodeQuery = None,
    first_day: Annotated[
        dt.date | None, Query(alias="from", description="First day (default: 29 days before to)")
    ] = None,
    last_day: Annotated[
        dt.date | None, Query(alias="to", description="Last day (default: today)")
    ] = None,
) -> SupplyHistory:
    history = history_queries.supply_history(
        session=session,
        principal=principal,
        level=level,
        scope=scope,
        product=product,
        category=category,
        first_day=first_day,
        last_day=last_day,
        today=business_today(settings),
    )
    return SupplyHistory.model_validate(history)
