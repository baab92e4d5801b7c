"""Products, their categories and the units reports may use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from core.access import require_role
from core.errors import InvalidInput
from core.lookups import (
    add_with_unique_code,
    apply_changes,
    get_by_code,
    get_optional_by_code,
    page,
)
from models import Product, ProductCategory, ProductUnitConversion, Role, Unit, UnitDimension
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(tags=["master data"], responses=PROBLEM_RESPONSES)

UnitCode = Annotated[str, Field(min_length=1, max_length=16)]


class ProductCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["pork"])
    name: str = Field(min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    category: str = Field(description="Category code, e.g. meat")
    unit: UnitCode = Field(description="Canonical unit every report is converted to")
    kg_per_unit: float = Field(gt=0, le=10_000, description="Weight of one unit, for truck loads")
    shelf_life_days: int | None = Field(default=None, ge=0, le=36_500)
    typical_price: float | None = Field(default=None, gt=0, le=100_000)
    conversions: dict[UnitCode, Annotated[float, Field(gt=0, le=1_000_000)]] = Field(
        default_factory=dict,
        description="Other units this product is reported in: how many canonical units one is",
    )


class ProductUpdate(StrictModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_zh: str | None = Field(default=None, max_length=200)
    category: str | None = None
    kg_per_unit: float | None = Field(default=None, gt=0, le=10_000)
    shelf_life_days: int | None = Field(default=None, ge=0, le=36_500)
    typical_price: float | None = Field(default=None, gt=0, le=100_000)
    conversions: dict[UnitCode, Annotated[float, Field(gt=0, le=1_000_000)]] | None = None
    active: bool | None = None


class ProductRead(ReadModel):
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


class CategoryRead(ReadModel):
    code: str
    name: str
    name_zh: str | None


class UnitRead(ReadModel):
    code: str
    name: str
    name_zh: str | None
    dimension: UnitDimension
    to_base: float


def _read_one(session: Session, product: Product) -> ProductRead:
    category = session.scalar(
        select(ProductCategory.code).where(ProductCategory.id == product.category_id)
    )
    rows = session.execute(
        select(ProductUnitConversion.unit, ProductUnitConversion.factor).where(
            ProductUnitConversion.product_id == product.id
        )
    )
    conversions = {unit: factor for unit, factor in rows}  # noqa: C416 (rows are Row objects)
    return _read(product, str(category), conversions)


def _read(product: Product, category: str, conversions: dict[str, float]) -> ProductRead:
    return ProductRead(
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


def _set_conversions(session: Session, product: Product, conversions: dict[str, float]) -> None:
    known = set(session.scalars(select(Unit.code)))
    unknown = sorted(set(conversions) - known)
    if unknown:
        raise InvalidInput(
            f"unknown unit(s): {', '.join(unknown)}",
            errors=[{"loc": ["body", "conversions", u], "msg": "unknown unit"} for u in unknown],
        )
    if product.unit in conversions:
        raise InvalidInput(
            "the canonical unit needs no conversion",
            errors=[{"loc": ["body", "conversions", product.unit], "msg": "is the canonical unit"}],
        )
    session.execute(
        delete(ProductUnitConversion).where(ProductUnitConversion.product_id == product.id)
    )
    for unit, factor in conversions.items():
        session.add(ProductUnitConversion(product_id=product.id, unit=unit, factor=factor))
    session.flush()


@router.get("/products", summary="List products")
def list_products(
    session: SessionDep,
    _principal: PrincipalDep,
    paging: PageDep,
    category: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[ProductRead]:
    query = (
        select(Product, ProductCategory.code)
        .join(ProductCategory, Product.category_id == ProductCategory.id)
        .order_by(Product.code)
    )
    if category is not None:
        query = query.where(ProductCategory.code == category)
    if active is not None:
        query = query.where(Product.active == active)
    if q:
        query = query.where(
            or_(Product.code.contains(q), Product.name.contains(q), Product.name_zh.contains(q))
        )
    rows, total = page(session, query, limit=paging.limit, offset=paging.offset)
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
    return Page(
        items=[_read(p, c, conversions.get(p.id, {})) for p, c in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@router.post("/products", status_code=status.HTTP_201_CREATED, summary="Create a product")
def create_product(
    body: ProductCreate, session: SessionDep, principal: PrincipalDep
) -> ProductRead:
    require_role(principal, Role.bureau)
    category = get_optional_by_code(
        session, ProductCategory, body.category, label="category", field="category"
    )
    assert category is not None
    if session.get(Unit, body.unit) is None:
        raise InvalidInput(
            f"unknown unit {body.unit!r}",
            errors=[{"loc": ["body", "unit"], "msg": f"unknown unit {body.unit!r}"}],
        )
    product = Product(
        **body.model_dump(exclude={"category", "conversions"}), category_id=category.id
    )
    add_with_unique_code(session, product, label="product")
    _set_conversions(session, product, body.conversions)
    return _read_one(session, product)


@router.get("/products/{code}", summary="Read a product")
def read_product(code: str, session: SessionDep, _principal: PrincipalDep) -> ProductRead:
    return _read_one(session, get_by_code(session, Product, code, label="product"))


@router.patch("/products/{code}", summary="Update a product (its canonical unit is fixed)")
def update_product(
    code: str, body: ProductUpdate, session: SessionDep, principal: PrincipalDep
) -> ProductRead:
    require_role(principal, Role.bureau)
    product = get_by_code(session, Product, code, label="product")
    changes = body.model_dump(exclude_unset=True)
    if "category" in changes:
        category = get_optional_by_code(
            session, ProductCategory, changes.pop("category"), label="category", field="category"
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
    return _read_one(session, product)


@router.delete("/products/{code}", summary="Deactivate a product (its reports are kept)")
def deactivate_product(code: str, session: SessionDep, principal: PrincipalDep) -> ProductRead:
    require_role(principal, Role.bureau)
    product = get_by_code(session, Product, code, label="product")
    product.active = False
    session.flush()
    return _read_one(session, product)


@router.get("/categories", summary="List product categories")
def list_categories(session: SessionDep, _principal: PrincipalDep) -> list[CategoryRead]:
    rows = session.scalars(select(ProductCategory).order_by(ProductCategory.id))
    return [CategoryRead.model_validate(row) for row in rows]


@router.get("/units", summary="List the units reports may use")
def list_units(session: SessionDep, _principal: PrincipalDep) -> list[UnitRead]:
    rows = session.scalars(select(Unit).order_by(Unit.dimension, Unit.to_base))
    return [UnitRead.model_validate(row) for row in rows]
