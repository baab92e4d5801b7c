"""Restock suggestions as the bureau and the stores read them: the day's list worst first,
one suggestion with its candidate sources, and the suggestion behind a shortage alert.

The numbers come from the monitor's snapshots (``monitors.queries.supply``), never
recomputed, so a suggestion always matches the alert that links to it; the formula and
the ranking are in ``supply_network.restock``. The bureau reads every scope; a store
reads its own stores' suggestions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from core.access import Principal, require_role, require_store_access, within_region
from core.errors import Forbidden, InvalidInput, NotFound
from core.lookups import PageOf, region_subtree_ids
from core.text import field_problem
from models import (
    Alert,
    AlertRule,
    OrderStatus,
    Product,
    ProductCategory,
    Region,
    RegionLevel,
    Role,
    ScopeLevel,
    Store,
    SupplyNeed,
    SupplyOrder,
    SupplyStatus,
)
from monitors.alerting.rule_settings import load_alert_rules
from monitors.queries.alert_rules import describe_alert_rules
from monitors.queries.supply import latest_supply_day, supply_positions
from supply_network.codes import resolve_codes
from supply_network.queries.postings import need_status
from supply_network.queries.sources import CandidateSource, candidate_sources
from supply_network.restock import suggest, worst_first

RESTOCK_LEVELS = (ScopeLevel.store, ScopeLevel.district)
RESTOCK_RULES = (AlertRule.low_supply, AlertRule.stockout)
"""Alerts that link to a restock suggestion: the shortage rules."""
SOURCES_SHOWN = 10


@dataclass(frozen=True)
class RestockView:
    """A scope x product's position on a day and the quantity to order."""

    level: ScopeLevel
    scope: str
    scope_name: str
    district: str | None
    district_name: str | None
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
    target_days: float
    in_transit: float
    suggested: float | None
    cover_days: float | None
    scope_name_zh: str | None = None
    """A district's Chinese name (None for a store, which has one name)."""
    district_name_zh: str | None = None
    """The district's Chinese name, where it has one."""


@dataclass(frozen=True)
class RestockDetail:
    """One suggestion with what is already on its way (committed orders not yet shipped,
    needs on the board not yet committed), what is left to post, and the ranked sources."""

    suggestion: RestockView
    latitude: float | None
    longitude: float | None
    on_order: float
    on_board: float
    to_post: float
    sources: list[CandidateSource]
    alert_id: int | None = None


def _finite(value: Any) -> float | None:
    """A number JSON can carry: None for a missing or endless value."""
    return float(value) if value is not None and np.isfinite(value) else None


def _authorise(principal: Principal, level: ScopeLevel) -> None:
    """The bureau reads every suggestion, a store only its own stores'."""
    require_role(principal, Role.bureau, Role.store)
    if level not in RESTOCK_LEVELS:
        raise InvalidInput(
            "restock suggestions are made for stores and districts",
            errors=[field_problem(["query", "level"], "must be store or district")],
        )
    if principal.role is Role.store and level is not ScopeLevel.store:
        raise Forbidden("a store key or user reads only its own stores' suggestions (level=store)")


def target_days_by_product(session: Session) -> pd.Series:
    """Days of cover each product is restocked to (warning level + restock_extra_days of
    its category, or of its own override), by product id."""
    thresholds = describe_alert_rules(session=session, config=load_alert_rules(session)).thresholds
    rows = session.execute(
        select(Product.id, Product.code, ProductCategory.code).join(
            ProductCategory, ProductCategory.id == Product.category_id
        )
    ).all()
    days = {}
    for product_id, code, category in rows:
        found = thresholds.products.get(code) or thresholds.categories.get(category)
        days[product_id] = found.restock_target_days if found else np.nan
    return pd.Series(days, dtype="float64")


def _buyer_column(level: ScopeLevel) -> Any:
    """The need column that names a scope of ``level``: its store or its district."""
    return SupplyNeed.store_id if level is ScopeLevel.store else SupplyNeed.district_id


def in_transit(session: Session, *, level: ScopeLevel) -> pd.Series:
    """What supply orders shipped to each scope and it has not received, by (scope id,
    product id)."""
    column = _buyer_column(level)
    rows = session.execute(
        select(
            column,
            SupplyNeed.product_id,
            func.sum(SupplyOrder.shipped_quantity - SupplyOrder.received_quantity),
        )
        .join(SupplyNeed, SupplyNeed.id == SupplyOrder.need_id)
        .where(column.is_not(None), SupplyOrder.status == OrderStatus.shipped)
        .group_by(column, SupplyNeed.product_id)
    ).all()
    frame = pd.DataFrame(rows, columns=["scope_id", "product_id", "in_transit"])
    return frame.set_index(["scope_id", "product_id"])["in_transit"].astype("float64")


def _labels(session: Session, level: ScopeLevel, frame: pd.DataFrame) -> list[RestockView]:
    """Views of suggestion rows, codes and names in place of ids (a few queries)."""
    scope_model: Any = Store if level is ScopeLevel.store else Region
    chinese_name = Region.name_zh if level is not ScopeLevel.store else literal(None)
    scopes = {
        ident: (code, name, name_zh)
        for ident, code, name, name_zh in session.execute(
            select(scope_model.id, scope_model.code, scope_model.name, chinese_name).where(
                scope_model.id.in_(frame["scope_id"].astype(int).tolist())
            )
        )
    }
    districts = {
        ident: (code, name, name_zh)
        for ident, code, name, name_zh in session.execute(
            select(Region.id, Region.code, Region.name, Region.name_zh).where(
                Region.level == RegionLevel.district
            )
        )
    }
    products = {
        ident: (code, name, name_zh, category, unit)
        for ident, code, name, name_zh, category, unit in session.execute(
            select(
                Product.id,
                Product.code,
                Product.name,
                Product.name_zh,
                ProductCategory.code,
                Product.unit,
            ).join(ProductCategory, ProductCategory.id == Product.category_id)
        )
    }
    views = []
    for row in frame.to_dict("records"):
        scope_code, scope_name, scope_name_zh = scopes[int(row["scope_id"])]
        district = districts.get(int(row["district_id"])) if pd.notna(row["district_id"]) else None
        code, name, name_zh, category, unit = products[int(row["product_id"])]
        views.append(
            RestockView(
                level=level,
                scope=scope_code,
                scope_name=scope_name,
                district=district[0] if district else None,
                district_name=district[1] if district else None,
                district_name_zh=district[2] if district else None,
                scope_name_zh=scope_name_zh,
                product=code,
                product_name=name,
                product_name_zh=name_zh,
                category=category,
                unit=unit,
                day=row["day"],
                stock=_finite(row["stock"]),
                expected_daily_sales=_finite(row["expected_daily_sales"]),
                days_of_supply=_finite(row["days_of_supply"]),
                status=SupplyStatus(row["status"]),
                target_days=float(row["target_days"]),
                in_transit=float(row["in_transit"]),
                suggested=_finite(row["suggested"]),
                cover_days=_finite(row["cover_days"]),
            )
        )
    return views


def _day(session: Session, day: date | None, level: ScopeLevel) -> date:
    """The day asked for, or the monitor's latest (404 before any run)."""
    found = day or latest_supply_day(session=session, level=level)
    if found is None:
        raise NotFound("no supply snapshots yet: the monitor has not computed any day")
    return found


def list_restock(
    *,
    session: Session,
    principal: Principal,
    level: ScopeLevel,
    day: date | None = None,
    category: str | None = None,
    product: str | None = None,
    region: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[RestockView]:
    """The day's suggestions with something to order at one level, worst cover first
    (counting what is on the road); ``day`` defaults to the monitor's latest."""
    _authorise(principal, level)
    rows = resolve_codes(
        session, principal=principal, category=category, product=product, region=region
    )
    day = _day(session, day, level)
    scope_ids: list[int] | None = None
    if principal.role is Role.store:
        query = select(Store.id)
        query = query.where(
            Store.id == principal.store_id
            if principal.store_id is not None
            else Store.enterprise_id == principal.enterprise_id
        )
        scope_ids = list(session.scalars(query))
    if principal.is_region_bound:
        scope_ids = list(
            session.scalars(
                select(Store.id).where(within_region(principal, Store.region_id))
                if level is ScopeLevel.store
                else select(Region.id).where(within_region(principal, Region.id))
            )
        )
    if "region" in rows:
        subtree = region_subtree_ids(session, rows["region"].id)
        within = (
            list(session.scalars(select(Store.id).where(Store.region_id.in_(subtree))))
            if level is ScopeLevel.store
            else subtree
        )
        scope_ids = within if scope_ids is None else sorted(set(scope_ids) & set(within))
    positions = supply_positions(
        session=session,
        day=day,
        level=level,
        product_ids=[rows["product"].id] if "product" in rows else None,
        category_id=rows["category"].id if "category" in rows else None,
        scope_ids=scope_ids,
    )
    suggestions = worst_first(
        suggest(
            positions,
            target_days=target_days_by_product(session),
            in_transit=in_transit(session, level=level),
        )
    ).assign(day=day)
    window = suggestions.iloc[offset : offset + limit]
    return PageOf(
        items=_labels(session, level, window),
        total=len(suggestions),
        limit=limit,
        offset=offset,
    )


def _scope(
    session: Session, principal: Principal, level: ScopeLevel, code: str
) -> tuple[int, float | None, float | None]:
    """The id and location of a store or district named by code (404 when unknown or
    outside a region-bound caller's region, 403 for another store's)."""
    if level is ScopeLevel.store:
        store = session.scalars(select(Store).where(Store.code == code)).first()
        if store is None or not principal.in_region(store.region_id):
            raise NotFound("store {code!r} not found", code=code)
        require_store_access(principal, store)
        return store.id, store.latitude, store.longitude
    region = session.scalars(
        select(Region).where(Region.code == code, Region.level == RegionLevel.district)
    ).first()
    if region is None or not principal.in_region(region.id):
        raise NotFound("district {code!r} not found", code=code)
    return region.id, region.latitude, region.longitude


def _covered(
    session: Session, *, level: ScopeLevel, scope_id: int, product_id: int, day: date
) -> tuple[float, float]:
    """What is committed and not shipped yet, and what open needs still ask, for a scope
    and product: what a new need from the suggestion must not ask again."""
    column = _buyer_column(level)
    on_order = session.scalar(
        select(func.coalesce(func.sum(SupplyOrder.quantity - SupplyOrder.shipped_quantity), 0.0))
        .join(SupplyNeed, SupplyNeed.id == SupplyOrder.need_id)
        .where(column == scope_id, SupplyNeed.product_id == product_id)
    )
    on_board = session.scalar(
        select(
            func.coalesce(func.sum(SupplyNeed.quantity - SupplyNeed.committed_quantity), 0.0)
        ).where(
            column == scope_id,
            SupplyNeed.product_id == product_id,
            need_status(day).in_(("open", "partly_matched")),
        )
    )
    return round(float(on_order or 0.0), 3), round(float(on_board or 0.0), 3)


def read_restock(
    *,
    session: Session,
    principal: Principal,
    level: ScopeLevel,
    scope: str,
    product: str,
    day: date | None = None,
    shown: int = SOURCES_SHOWN,
    alert_id: int | None = None,
) -> RestockDetail:
    """One scope x product's suggestion on a day (default the monitor's latest) with its
    candidate sources; a 404 when the monitor has no snapshot of it that day."""
    _authorise(principal, level)
    scope_id, latitude, longitude = _scope(session, principal, level, scope)
    product_row = resolve_codes(session, product=product)["product"]
    day = _day(session, day, level)
    positions = supply_positions(
        session=session, day=day, level=level, product_ids=[product_row.id], scope_ids=[scope_id]
    )
    if positions.empty:
        raise NotFound(
            "no supply snapshot of {product} at {scope} on {day}",
            product=product,
            scope=scope,
            day=day.isoformat(),
        )
    suggestion = suggest(
        positions,
        target_days=target_days_by_product(session),
        in_transit=in_transit(session, level=level),
    ).assign(day=day)
    view = _labels(session, level, suggestion)[0]
    on_order, on_board = _covered(
        session, level=level, scope_id=scope_id, product_id=product_row.id, day=day
    )
    wanted = view.suggested or 0.0
    return RestockDetail(
        suggestion=view,
        latitude=latitude,
        longitude=longitude,
        on_order=on_order,
        on_board=on_board,
        to_post=round(max(0.0, wanted - on_order - on_board), 3),
        sources=candidate_sources(
            session,
            product_id=product_row.id,
            day=day,
            latitude=latitude,
            longitude=longitude,
            suggested=wanted,
            shown=shown,
            principal=principal,
        ),
        alert_id=alert_id,
    )


def restock_for_alert(
    *, session: Session, principal: Principal, alert_id: int, shown: int = SOURCES_SHOWN
) -> RestockDetail:
    """The suggestion behind a ``low_supply`` or ``stockout`` alert of a store or a
    district, on the alert's last day: where "find supply" leads."""
    require_role(principal, Role.bureau)
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("alert {alert} not found", alert=alert_id)
    level = ScopeLevel(alert.scope_level) if alert.scope_level in ("store", "district") else None
    if alert.rule not in RESTOCK_RULES or level is None or alert.product_id is None:
        raise NotFound(
            "alert {alert} has no restock suggestion: only a store's or a district's "
            "shortage alerts have one",
            alert=alert_id,
        )
    model: Any = Store if level is ScopeLevel.store else Region
    region_column = Store.region_id if level is ScopeLevel.store else Region.id
    found = session.execute(
        select(model.code, region_column).where(model.id == alert.scope_id)
    ).first()
    scope, region_id = found if found is not None else (None, None)
    if not principal.in_region(region_id):
        raise NotFound("alert {alert} not found", alert=alert_id)
    product = session.scalar(select(Product.code).where(Product.id == alert.product_id))
    return read_restock(
        session=session,
        principal=principal,
        level=level,
        scope=str(scope),
        product=str(product),
        day=alert.last_date,
        shown=shown,
        alert_id=alert.id,
    )
