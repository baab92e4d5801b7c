"""Days of supply as the monitor stored them: the one place supply snapshots are read.

Reads ``supply_snapshots`` only (never recomputes), so what the API, the pages and the
metrics show is exactly what the alerts were raised on; history over a range of days is
its companion :mod:`monitors.queries.supply_history`; ``supply_positions`` hands a day's
numbers as a frame to the domains that compute on them (restock suggestions). Bureau,
admin and dispatchers read every scope; a store-bound caller reads only store-level rows
of its own store(s), because district and city numbers describe other stores' stock.

A region-bound bureau or admin reads only scopes inside its region: stores in it, and the
district and city figures of its own region and the regions below it. The monitor's
district and city rows sum every store of that district or city, so a district-bound
bureau reads its district's rows and never its city's figure (which counts the
neighbouring districts' stock), and a township-bound one reads store rows only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Select, and_, case, false, func, select, true
from sqlalchemy.orm import Session, aliased

from core.access import Principal, require_in_region, require_role, within_region
from core.errors import Forbidden, InvalidInput, NotFound
from core.lookups import PageOf, get_by_code, page
from core.text import field_problem, phrase
from models import (
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Role,
    ScopeLevel,
    Store,
    SupplySnapshot,
    SupplyStatus,
)
from monitors.computing.status_bands import SUPPLY_STATUSES

BELOW_THRESHOLD: tuple[str, ...] = ("stocked_out", "critical", "low")
"""Status bands that count as below threshold on the dashboard's tiles and map."""

_STATUS_RANK = case(
    *[(SupplySnapshot.status == status, rank) for rank, status in enumerate(SUPPLY_STATUSES)],
    else_=len(SUPPLY_STATUSES),
)
"""Worst band first (stocked out … unknown), so the bulletin opens with what needs help."""


@dataclass(frozen=True)
class ScopeLabel:
    """A store's or a region's code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class SupplyView:
    """One snapshot with codes in place of ids: a scope × product (or category) on a day."""

    date: date
    level: ScopeLevel
    scope: ScopeLabel
    district: str | None
    product: str | None
    category: str
    stock: float | None
    expected_daily_sales: float | None
    days_of_supply: float | None
    status: SupplyStatus
    stale: bool
    trusted: bool
    stores_total: int | None
    stores_reporting: int | None
    stores_stocked_out: int | None
    coverage: float | None
    price: float | None
    sales: float | None


@dataclass(frozen=True)
class DistrictCategorySupply:
    """One district × category cell of a day (a ratio of sums over the category)."""

    district_code: str
    district_name: str
    district_name_zh: str | None
    category_code: str
    category_name: str
    category_name_zh: str | None
    days_of_supply: float | None
    status: SupplyStatus


@dataclass(frozen=True)
class BelowThreshold:
    """How many products (city-wide) and districts have a product below threshold."""

    products: int
    districts: int


def authorise_supply_reader(principal: Principal, level: ScopeLevel) -> None:
    """Admin, bureau and dispatchers read all; a store caller only store-level rows."""
    require_role(principal, Role.bureau, Role.dispatcher, Role.store)
    if principal.role is Role.store and level is not ScopeLevel.store:
        raise Forbidden("a store key or user may read only its own stores' supply (level=store)")


def _own_stores(principal: Principal) -> ColumnElement[bool]:
    """The stores a store-bound caller may see (nothing when it has no binding)."""
    if principal.store_id is not None:
        return Store.id == principal.store_id
    if principal.enterprise_id is not None:
        return Store.enterprise_id == principal.enterprise_id
    return false()


def region_tree(session: Session) -> tuple[dict[int, int | None], dict[int | None, list[int]]]:
    """Parent and children maps of the whole region tree (small: read it once)."""
    parents: dict[int, int | None] = dict(
        session.execute(select(Region.id, Region.parent_id)).all()
    )
    children: dict[int | None, list[int]] = {}
    for identifier, parent in parents.items():
        children.setdefault(parent, []).append(identifier)
    return parents, children


def region_subtree(children: dict[int | None, list[int]], region_id: int) -> set[int]:
    """A region and everything below it; the guard against revisits survives a cycle."""
    found: set[int] = set()
    stack = [region_id]
    while stack:
        current = stack.pop()
        if current not in found:
            found.add(current)
            stack.extend(children.get(current, []))
    return found


def _ancestors(parents: dict[int, int | None], region_id: int) -> set[int]:
    """Every region above ``region_id`` (its district, city …), cycle-safe."""
    found: set[int] = set()
    current = parents.get(region_id)
    while current is not None and current not in found:
        found.add(current)
        current = parents.get(current)
    return found


def _scope_region_ids(session: Session, region: Region, level: ScopeLevel) -> set[int]:
    """Regions whose scopes ``region`` selects: for stores, the region's subtree; for
    districts and cities also its ancestors, so a township finds its district and a
    district its city (the snapshot's level then keeps only scopes of that level)."""
    parents, children = region_tree(session)
    ids = region_subtree(children, region.id)
    if level is not ScopeLevel.store:
        ids |= _ancestors(parents, region.id)
    return ids


def _scope_inside(principal: Principal, level: ScopeLevel) -> ColumnElement[bool]:
    """A WHERE clause keeping snapshots of ``level`` whose scope lies inside the caller's
    region (a store by its region, a district or city by itself); none for national staff."""
    if level is ScopeLevel.store:
        stores = select(Store.id).where(within_region(principal, Store.region_id))
        return SupplySnapshot.scope_id.in_(stores) if principal.is_region_bound else true()
    return within_region(principal, SupplySnapshot.scope_id)


def _snapshot_query(level: ScopeLevel) -> tuple[Select[Any], Any, Any]:
    """Snapshots of ``level`` with the codes people read; also the scope's code and the
    row's item code columns, for filters and ordering."""
    district = aliased(Region, name="district_region")
    scope: Any = Store if level is ScopeLevel.store else aliased(Region, name="scope_region")
    item_code = func.coalesce(Product.code, ProductCategory.code)
    query = (
        select(
            SupplySnapshot,
            scope.code,
            scope.name,
            district.code,
            Product.code,
            ProductCategory.code,
        )
        .join(scope, scope.id == SupplySnapshot.scope_id)
        .join(ProductCategory, ProductCategory.id == SupplySnapshot.category_id)
        .outerjoin(
            Product,
            and_(SupplySnapshot.item_kind == "product", Product.id == SupplySnapshot.item_id),
        )
        .outerjoin(district, district.id == SupplySnapshot.district_id)
        .where(SupplySnapshot.scope_level == level)
    )
    return query, scope, item_code


def _view(
    snapshot: SupplySnapshot,
    scope_code: str,
    scope_name: str,
    district_code: str | None,
    product_code: str | None,
    category_code: str,
) -> SupplyView:
    """One listing row, with codes in place of the snapshot's ids."""
    return SupplyView(
        date=snapshot.business_date,
        level=snapshot.scope_level,
        scope=ScopeLabel(code=scope_code, name=scope_name),
        district=district_code,
        product=product_code,
        category=category_code,
        stock=snapshot.stock,
        expected_daily_sales=snapshot.expected_daily_sales,
        days_of_supply=snapshot.days_of_supply,
        status=snapshot.status,
        stale=snapshot.stale,
        trusted=snapshot.trusted,
        stores_total=snapshot.stores_total,
        stores_reporting=snapshot.stores_reporting,
        stores_stocked_out=snapshot.stores_stocked_out,
        coverage=snapshot.coverage,
        price=snapshot.price,
        sales=snapshot.sales,
    )


def one_item_of(product: str | None, category: str | None, *, required: bool) -> None:
    """Refuse a product and a category together (which rows would win is unclear), and
    neither when the read needs one item to follow."""
    if product is not None and category is not None:
        raise InvalidInput(
            "give product or category, not both",
            errors=[field_problem(["query", "category"], "not together with product")],
        )
    if required and product is None and category is None:
        raise InvalidInput(
            "give a product or a category",
            errors=[field_problem(["query", "product"], "product or category is required")],
        )


def latest_supply_day(*, session: Session, level: ScopeLevel | None = None) -> date | None:
    """The latest business day the monitor computed (at ``level``), None before any run:
    the day the bulletin and the tiles describe when no day is asked for."""
    query = select(func.max(SupplySnapshot.business_date))
    if level is not None:
        query = query.where(SupplySnapshot.scope_level == level)
    return session.scalar(query)


def list_supply(
    *,
    session: Session,
    principal: Principal,
    level: ScopeLevel,
    region: str | None = None,
    product: str | None = None,
    category: str | None = None,
    status: Sequence[SupplyStatus] | None = None,
    day: date | None = None,
    limit: int,
    offset: int,
) -> PageOf[SupplyView]:
    """One business day's snapshots at one level, worst first, as the bulletin lists them.

    ``region`` selects the scopes in (or, for district and city, around) a region;
    ``product`` one product's rows; ``category`` the category rows of district and city
    scopes, or the product rows of its products for stores; with neither, product rows.
    Ordered by status (stocked_out first), then days of supply, then scope code. ``day``
    defaults to the latest the monitor computed (404 before any run).
    """
    authorise_supply_reader(principal, level)
    one_item_of(product, category, required=False)
    query, scope, item_code = _snapshot_query(level)
    if principal.role is Role.store:
        query = query.where(_own_stores(principal))
    query = query.where(_scope_inside(principal, level))
    if region is not None:
        target = get_by_code(session, Region, region, label=phrase("region"))
        require_in_region(principal, target.id, label=phrase("region"), code=region)
        region_ids = _scope_region_ids(session, target, level)
        if level is ScopeLevel.store:
            query = query.where(Store.region_id.in_(region_ids))
        else:
            query = query.where(SupplySnapshot.scope_id.in_(region_ids))
    if product is not None:
        found = get_by_code(session, Product, product, label=phrase("product"))
        query = query.where(
            SupplySnapshot.item_kind == "product", SupplySnapshot.item_id == found.id
        )
    elif category is not None:
        group = get_by_code(session, ProductCategory, category, label=phrase("category"))
        if level is ScopeLevel.store:
            query = query.where(
                SupplySnapshot.item_kind == "product", SupplySnapshot.category_id == group.id
            )
        else:
            query = query.where(
                SupplySnapshot.item_kind == "category", SupplySnapshot.item_id == group.id
            )
    else:
        query = query.where(SupplySnapshot.item_kind == "product")
    if status:
        query = query.where(SupplySnapshot.status.in_(status))
    if day is None:
        day = latest_supply_day(session=session)
        if day is None:
            raise NotFound("no supply snapshots yet: the monitor has not computed any day")
    query = query.where(SupplySnapshot.business_date == day).order_by(
        _STATUS_RANK,
        SupplySnapshot.days_of_supply.is_(None),
        SupplySnapshot.days_of_supply,
        scope.code,
        item_code,
        SupplySnapshot.scope_id,
        SupplySnapshot.item_id,
    )
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf(items=[_view(*row) for row in rows], total=total, limit=limit, offset=offset)


def district_category_supply(
    *, session: Session, day: date, principal: Principal | None = None
) -> list[DistrictCategorySupply]:
    """Every district × category cell of ``day`` (inside ``principal``'s region, when
    given), by district and category code: the heatmap people scan for the district that
    runs out first, and the metrics' gauges (columns, not objects: a province has
    thousands of cells)."""
    rows = session.execute(
        select(
            Region.code,
            Region.name,
            Region.name_zh,
            ProductCategory.code,
            ProductCategory.name,
            ProductCategory.name_zh,
            SupplySnapshot.days_of_supply,
            SupplySnapshot.status,
        )
        .join(Region, Region.id == SupplySnapshot.scope_id)
        .join(ProductCategory, ProductCategory.id == SupplySnapshot.item_id)
        .where(
            SupplySnapshot.business_date == day,
            SupplySnapshot.scope_level == ScopeLevel.district,
            SupplySnapshot.item_kind == "category",
            _scope_inside(principal, ScopeLevel.district) if principal else true(),
        )
        .order_by(Region.code, ProductCategory.code)
    )
    return [DistrictCategorySupply(*row) for row in rows]


def widest_level_inside(session: Session, principal: Principal | None) -> ScopeLevel:
    """The level of the widest figure that lies wholly inside the caller's region: the
    city for national staff and a city's staff, the district for a district's, else the
    stores (a township has no figure of its own)."""
    if principal is None or principal.region_id is None:
        return ScopeLevel.city
    level = session.scalar(select(Region.level).where(Region.id == principal.region_id))
    if level is RegionLevel.city:
        return ScopeLevel.city
    return ScopeLevel.district if level is RegionLevel.district else ScopeLevel.store


def below_threshold(
    *, session: Session, day: date, principal: Principal | None = None
) -> BelowThreshold:
    """How many products are below threshold city-wide (for region-bound staff, in the
    widest figure inside its region), and how many districts have a product below
    threshold, on ``day``: the two numbers on the dashboard's first tiles."""
    counts: dict[str, int] = {}
    levels = {"products": widest_level_inside(session, principal), "districts": ScopeLevel.district}
    for name, level in levels.items():
        column = SupplySnapshot.item_id if name == "products" else SupplySnapshot.scope_id
        counts[name] = (
            session.scalar(
                select(func.count(func.distinct(column))).where(
                    SupplySnapshot.business_date == day,
                    SupplySnapshot.scope_level == level,
                    SupplySnapshot.item_kind == "product",
                    SupplySnapshot.status.in_(BELOW_THRESHOLD),
                    _scope_inside(principal, level) if principal else true(),
                )
            )
            or 0
        )
    return BelowThreshold(products=counts["products"], districts=counts["districts"])


def store_status_counts(
    *, session: Session, day: date, principal: Principal | None = None
) -> dict[int, dict[str, int]]:
    """Per store id (inside ``principal``'s region, when given), how many of its products
    are in each status band on ``day`` (one GROUP BY): what the store map colours a store
    by."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for store_id, status, count in session.execute(
        select(SupplySnapshot.scope_id, SupplySnapshot.status, func.count())
        .where(
            SupplySnapshot.business_date == day,
            SupplySnapshot.scope_level == ScopeLevel.store,
            SupplySnapshot.item_kind == "product",
            _scope_inside(principal, ScopeLevel.store) if principal else true(),
        )
        .group_by(SupplySnapshot.scope_id, SupplySnapshot.status)
    ):
        counts[store_id][status.value] = count
    return counts


POSITION_COLUMNS = (
    "scope_id",
    "product_id",
    "category_id",
    "district_id",
    "stock",
    "expected_daily_sales",
    "days_of_supply",
    "status",
)


def supply_positions(
    *,
    session: Session,
    day: date,
    level: ScopeLevel,
    product_ids: Sequence[int] | None = None,
    category_id: int | None = None,
    scope_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """One day's product snapshots at one level as a frame (``POSITION_COLUMNS``, ids as
    stored): stock and expected sales exactly as the alerts saw them, for the domains that
    compute on them (restock suggestions), in one query."""
    query = select(
        SupplySnapshot.scope_id,
        SupplySnapshot.item_id,
        SupplySnapshot.category_id,
        SupplySnapshot.district_id,
        SupplySnapshot.stock,
        SupplySnapshot.expected_daily_sales,
        SupplySnapshot.days_of_supply,
        SupplySnapshot.status,
    ).where(
        SupplySnapshot.business_date == day,
        SupplySnapshot.scope_level == level,
        SupplySnapshot.item_kind == "product",
    )
    if product_ids is not None:
        query = query.where(SupplySnapshot.item_id.in_(list(product_ids)))
    if category_id is not None:
        query = query.where(SupplySnapshot.category_id == category_id)
    if scope_ids is not None:
        query = query.where(SupplySnapshot.scope_id.in_(list(scope_ids)))
    frame = pd.DataFrame(session.execute(query).all(), columns=list(POSITION_COLUMNS))
    frame["status"] = frame["status"].map(lambda status: SupplyStatus(status).value)
    return frame.astype({"stock": "float64", "expected_daily_sales": "float64"})
