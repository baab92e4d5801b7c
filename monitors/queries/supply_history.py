"""Days of supply over time: one scope × product (or category) per business day the
monitor computed, read from the snapshots like :mod:`monitors.queries.supply`, with a
district's or city's price as the mean of its stores' prices.

A region-bound caller reads the history of a scope inside its region only (a store in
it, its own region or a district below it); any other scope is a 404 worded as for an
unknown code, so a neighbour's stores and districts are not even confirmed to exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.access import Principal, require_in_region, require_store_access
from core.errors import InvalidInput
from core.lookups import get_by_code
from core.text import field_problem, phrase
from core.words import word
from models import (
    Product,
    ProductCategory,
    Region,
    Role,
    ScopeLevel,
    Store,
    SupplySnapshot,
    SupplyStatus,
)
from monitors.queries.supply import (
    ScopeLabel,
    authorise_supply_reader,
    one_item_of,
    region_subtree,
    region_tree,
)

MAX_HISTORY_DAYS = 366
DEFAULT_HISTORY_DAYS = 30


@dataclass(frozen=True)
class SupplyHistoryPoint:
    """One business day of a scope × product's numbers; for a district or city the
    price is the mean of its stores' prices."""

    date: date
    days_of_supply: float | None
    stock: float | None
    expected_daily_sales: float | None
    status: SupplyStatus
    coverage: float | None
    price: float | None


@dataclass(frozen=True)
class SupplyHistory:
    """A scope × product (or category) over a range of days, oldest first."""

    level: ScopeLevel
    scope: ScopeLabel
    product: str | None
    category: str
    first_day: date
    last_day: date
    points: list[SupplyHistoryPoint]


def _history_range(first_day: date | None, last_day: date | None, today: date) -> tuple[date, date]:
    """The requested days, defaulting to the last 30 ending today; at most a year."""
    last = last_day or today
    span = timedelta(days=DEFAULT_HISTORY_DAYS - 1)
    if first_day is not None:
        first = first_day
    elif last - date.min < span:  # a date near year 1 must not overflow into a 500
        first = date.min
    else:
        first = last - span
    if first > last:
        raise InvalidInput(
            "the first day is after the last day",
            errors=[field_problem(["query", "from"], "is after the last day")],
        )
    if (last - first).days >= MAX_HISTORY_DAYS:
        raise InvalidInput(
            "a history covers at most {days} days",
            errors=[
                field_problem(
                    ["query", "from"], "more than {days} days before to", days=MAX_HISTORY_DAYS
                )
            ],
            days=MAX_HISTORY_DAYS,
        )
    return first, last


def _history_scope(
    session: Session, principal: Principal, level: ScopeLevel, code: str
) -> tuple[int, ScopeLabel, Region | None]:
    """The scope's id and label, and its region for district and city levels."""
    if level is ScopeLevel.store:
        store = get_by_code(session, Store, code, label=phrase("store"))
        require_in_region(principal, store.region_id, label=phrase("store"), code=code)
        if principal.role is Role.store:
            require_store_access(principal, store)
        return store.id, ScopeLabel(code=store.code, name=store.name), None
    region = get_by_code(session, Region, code, label=phrase("region"))
    require_in_region(principal, region.id, label=phrase("region"), code=code)
    if region.level.value != level.value:
        raise InvalidInput(
            "region {code!r} is a {level}, not a {wanted}",
            errors=[field_problem(["query", "scope"], "not a {wanted} region", wanted=word(level))],
            code=code,
            level=word(region.level),
            wanted=word(level),
        )
    return region.id, ScopeLabel(code=region.code, name=region.name), region


def _mean_store_price(
    session: Session,
    *,
    level: ScopeLevel,
    region: Region,
    product_id: int,
    first_day: date,
    last_day: date,
) -> Any:
    """Per day, the mean price of the scope's store snapshots of the product (AVG in SQL):
    district and city snapshots carry no price of their own, and a chart needs one."""
    stores = aliased(SupplySnapshot, name="store_snapshot")
    query = select(
        stores.business_date.label("business_date"), func.avg(stores.price).label("price")
    ).where(
        stores.scope_level == ScopeLevel.store,
        stores.item_kind == "product",
        stores.item_id == product_id,
        stores.business_date.between(first_day, last_day),
    )
    if level is ScopeLevel.district:
        query = query.where(stores.district_id == region.id)
    else:
        _, children = region_tree(session)
        in_city = select(Store.id).where(Store.region_id.in_(region_subtree(children, region.id)))
        query = query.where(stores.scope_id.in_(in_city))
    return query.group_by(stores.business_date).subquery("mean_price")


def supply_history(
    *,
    session: Session,
    principal: Principal,
    level: ScopeLevel,
    scope: str,
    product: str | None = None,
    category: str | None = None,
    first_day: date | None = None,
    last_day: date | None = None,
    today: date,
) -> SupplyHistory:
    """One scope × product (or category) per business day the monitor computed, oldest
    first, for the charts that show where a shortage is heading.

    ``scope`` is a store code for ``level=store``, else a district or city region code;
    exactly one of ``product`` and ``category`` (category history exists for districts
    and cities). Default range: the 30 days ending ``today``; at most a year.
    """
    authorise_supply_reader(principal, level)
    one_item_of(product, category, required=True)
    first, last = _history_range(first_day, last_day, today)
    scope_id, label, region = _history_scope(session, principal, level, scope)

    product_row: Product | None = None
    if product is not None:
        product_row = get_by_code(session, Product, product, label=phrase("product"))
        item_kind, item_id = "product", product_row.id
        category_row = session.get_one(ProductCategory, product_row.category_id)
    else:
        assert category is not None
        if level is ScopeLevel.store:
            raise InvalidInput(
                "stores have product history only; give a product",
                errors=[field_problem(["query", "category"], "not available for level=store")],
            )
        category_row = get_by_code(session, ProductCategory, category, label=phrase("category"))
        item_kind, item_id = "category", category_row.id

    # Store rows carry their own price; district and city rows get their stores' mean.
    price: Any = SupplySnapshot.price
    mean: Any = None
    if region is not None and product_row is not None:
        mean = _mean_store_price(
            session,
            level=level,
            region=region,
            product_id=product_row.id,
            first_day=first,
            last_day=last,
        )
        price = mean.c.price
    query = select(SupplySnapshot, price)
    if mean is not None:
        query = query.outerjoin(mean, mean.c.business_date == SupplySnapshot.business_date)
    query = query.where(
        SupplySnapshot.scope_level == level,
        SupplySnapshot.scope_id == scope_id,
        SupplySnapshot.item_kind == item_kind,
        SupplySnapshot.item_id == item_id,
        SupplySnapshot.business_date.between(first, last),
    ).order_by(SupplySnapshot.business_date)
    points = [
        SupplyHistoryPoint(
            date=snapshot.business_date,
            days_of_supply=snapshot.days_of_supply,
            stock=snapshot.stock,
            expected_daily_sales=snapshot.expected_daily_sales,
            status=snapshot.status,
            coverage=snapshot.coverage,
            price=None if point_price is None else float(point_price),
        )
        for snapshot, point_price in session.execute(query)
    ]
    return SupplyHistory(
        level=level,
        scope=label,
        product=product_row.code if product_row else None,
        category=category_row.code,
        first_day=first,
        last_day=last,
        points=points,
    )
