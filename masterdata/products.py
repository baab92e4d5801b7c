"""Products, their categories and the units reports may use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from core.access import Principal, require_national, require_role
from core.errors import InvalidInput
from core.lookups import (
    PageOf,
    add_with_unique_code,
    apply_changes,
    get_by_code,
    get_optional_by_code,
    page,
)
from core.text import field_problem, phrase
from models import Product, ProductCategory, ProductUnitConversion, Role, Unit, UnitDimension


@dataclass(frozen=True)
class ProductView:
    """A product as people and machines read it: its category by code, and how many
    canonical units one of each other unit it is reported in makes."""

    code: str
    name: str
    name_zh: str | None
    category: str
    unit: str
    kg_per_unit: float
    shelf_life_days: int | None
    typical_price: float | None
    conversions: dict[str, float]
    active: bool


@dataclass(frozen=True)
class CategoryView:
    """A product category (grain, meat, vegetables …)."""

    code: str
    name: str
    name_zh: str | None


@dataclass(frozen=True)
class UnitView:
    """A unit a report may use, and its factor to its dimension's base unit."""

    code: str
    name: str
    name_zh: str | None
    dimension: UnitDimension
    to_base: float


def _view(product: Product, category: str, conversions: dict[str, float]) -> ProductView:
    return ProductView(
        code=product.code,
        name=product.name,
        name_zh=product.name_zh,
        category=category,
        unit=product.unit,
        kg_per_unit=product.kg_per_unit,
        shelf_life_days=product.shelf_life_days,
        typical_price=product.typical_price,
        conversions=conversions,
        active=product.active,
    )


def _view_of(session: Session, product: Product) -> ProductView:
    category = session.scalar(
        select(ProductCategory.code).where(ProductCategory.id == product.category_id)
    )
    rows = session.execute(
        select(ProductUnitConversion.unit, ProductUnitConversion.factor).where(
            ProductUnitConversion.product_id == product.id
        )
    )
    conversions = {unit: factor for unit, factor in rows}  # noqa: C416 (rows are Row objects)
    return _view(product, str(category), conversions)


def _set_conversions(session: Session, product: Product, conversions: Mapping[str, float]) -> None:
    known = set(session.scalars(select(Unit.code)))
    unknown = sorted(set(conversions) - known)
    if unknown:
        raise InvalidInput(
            "unknown unit(s): {units}",
            errors=[field_problem(["body", "conversions", u], "unknown unit") for u in unknown],
            units=", ".join(unknown),
        )
    if product.unit in conversions:
        raise InvalidInput(
            "the canonical unit needs no conversion",
            errors=[field_problem(["body", "conversions", product.unit], "is the canonical unit")],
        )
    session.execute(
        delete(ProductUnitConversion).where(ProductUnitConversion.product_id == product.id)
    )
    for unit, factor in conversions.items():
        session.add(ProductUnitConversion(product_id=product.id, unit=unit, factor=factor))
    session.flush()


def list_products(
    *,
    session: Session,
    category: str | None = None,
    active: bool | None = None,
    contains: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[ProductView]:
    """One page of products by code, filtered by category code, activity and a text the
    code, name or Chinese name contains, each with its unit conversions."""
    query = (
        select(Product, ProductCategory.code)
        .join(ProductCategory, Product.category_id == ProductCategory.id)
        .order_by(Product.code)
    )
    if category is not None:
        query = query.where(ProductCategory.code == category)
    if active is not None:
        query = query.where(Product.active == active)
    if contains:
        query = query.where(
            or_(
                Product.code.contains(contains, autoescape=True),
                Product.name.contains(contains, autoescape=True),
                Product.name_zh.contains(contains, autoescape=True),
            )
        )
    rows, total = page(session, query, limit=limit, offset=offset)
    ids = [product.id for product, _ in rows]
    conversions: dict[int, dict[str, float]] = {}
    if ids:
        for product_id, unit, factor in session.execute(
            select(
                ProductUnitConversion.product_id,
                ProductUnitConversion.unit,
                ProductUnitConversion.factor,
            ).where(ProductUnitConversion.product_id.in_(ids))
        ):
            conversions.setdefault(product_id, {})[unit] = factor
    return PageOf(
        items=[_view(p, c, conversions.get(p.id, {})) for p, c in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


def read_product(*, session: Session, code: str) -> ProductView:
    """The product with this code, or a 404."""
    return _view_of(session, get_by_code(session, Product, code, label=phrase("product")))


def create_product(
    *,
    session: Session,
    principal: Principal,
    code: str,
    name: str,
    category: str,
    unit: str,
    kg_per_unit: float,
    name_zh: str | None = None,
    shelf_life_days: int | None = None,
    typical_price: float | None = None,
    conversions: Mapping[str, float] | None = None,
) -> ProductView:
    """Add a product in a category (by code) with its canonical unit and the other units
    it may be reported in; the bureau's, and a taken code is a 409."""
    require_role(principal, Role.bureau)
    require_national(principal)
    found_category = get_optional_by_code(
        session, ProductCategory, category, label=phrase("category"), field="category"
    )
    assert found_category is not None
    if session.get(Unit, unit) is None:
        raise InvalidInput(
            "unknown unit {unit!r}",
            errors=[field_problem(["body", "unit"], "unknown unit {unit!r}", unit=unit)],
            unit=unit,
        )
    product = Product(
        code=code,
        name=name,
        name_zh=name_zh,
        unit=unit,
        kg_per_unit=kg_per_unit,
        shelf_life_days=shelf_life_days,
        typical_price=typical_price,
        category_id=found_category.id,
    )
    add_with_unique_code(session, product, label=phrase("product"))
    _set_conversions(session, product, conversions or {})
    return _view_of(session, product)


def update_product(
    *, session: Session, principal: Principal, code: str, changes: Mapping[str, Any]
) -> ProductView:
    """Change the fields in ``changes`` (only those a caller sent; the category by code,
    conversions replaced whole); the canonical unit is fixed, since reports are in it."""
    require_role(principal, Role.bureau)
    require_national(principal)
    product = get_by_code(session, Product, code, label=phrase("product"))
    changes = dict(changes)
    if "category" in changes:
        category = get_optional_by_code(
            session,
            ProductCategory,
            changes.pop("category"),
            label=phrase("category"),
            field="category",
        )
        if category is None:
            changes["category_id"] = None
        else:
            product.category_id = category.id
    conversions = changes.pop("conversions", None)
    apply_changes(product, changes, required=("name", "category_id", "kg_per_unit", "active"))
    if conversions is not None:
        _set_conversions(session, product, conversions)
    session.flush()
    return _view_of(session, product)


def deactivate_product(*, session: Session, principal: Principal, code: str) -> ProductView:
    """Mark a product inactive; its reports are kept."""
    require_role(principal, Role.bureau)
    require_national(principal)
    product = get_by_code(session, Product, code, label=phrase("product"))
    product.active = False
    session.flush()
    return _view_of(session, product)


def list_categories(*, session: Session) -> list[CategoryView]:
    """Every product category, in the catalogue's order."""
    rows = session.scalars(select(ProductCategory).order_by(ProductCategory.id))
    return [CategoryView(code=row.code, name=row.name, name_zh=row.name_zh) for row in rows]


def list_units(*, session: Session) -> list[UnitView]:
    """Every unit a report may use, by dimension and size."""
    rows = session.scalars(select(Unit).order_by(Unit.dimension, Unit.to_base))
    return [
        UnitView(
            code=row.code,
            name=row.name,
            name_zh=row.name_zh,
            dimension=row.dimension,
            to_base=row.to_base,
        )
        for row in rows
    ]
