"""Products, their categories and the units reports may use."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from masterdata import products
from models import UnitDimension
from service.http.dependencies import PrincipalDep, SessionDep
from service.http.master_data import ProductCreate, UnitCode
from service.http.schemas import (
    PROBLEM_RESPONSES,
    LocalName,
    Name,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(tags=["master data"], responses=PROBLEM_RESPONSES)


class ProductUpdate(StrictModel):
    name: Name | None = None
    name_zh: LocalName | None = None
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


@router.get("/products", summary="List products")
def list_products(
    session: SessionDep,
    _principal: PrincipalDep,
    paging: PageDep,
    category: Annotated[str | None, Query(max_length=64)] = None,
    active: bool | None = None,
    q: Annotated[str | None, Query(max_length=100, description="Code or name contains")] = None,
) -> Page[ProductRead]:
    found = products.list_products(
        session=session,
        category=category,
        active=active,
        contains=q,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(
        items=[ProductRead.model_validate(view) for view in found.items],
        total=found.total,
        limit=found.limit,
        offset=found.offset,
    )


@router.post("/products", status_code=status.HTTP_201_CREATED, summary="Create a product")
def create_product(
    body: ProductCreate, session: SessionDep, principal: PrincipalDep
) -> ProductRead:
    created = products.create_product(session=session, principal=principal, **body.model_dump())
    return ProductRead.model_validate(created)


@router.get("/products/{code}", summary="Read a product")
def read_product(code: str, session: SessionDep, _principal: PrincipalDep) -> ProductRead:
    return ProductRead.model_validate(products.read_product(session=session, code=code))


@router.patch("/products/{code}", summary="Update a product (its canonical unit is fixed)")
def update_product(
    code: str, body: ProductUpdate, session: SessionDep, principal: PrincipalDep
) -> ProductRead:
    updated = products.update_product(
        session=session,
        principal=principal,
        code=code,
        changes=body.model_dump(exclude_unset=True),
    )
    return ProductRead.model_validate(updated)


@router.delete("/products/{code}", summary="Deactivate a product (its reports are kept)")
def deactivate_product(code: str, session: SessionDep, principal: PrincipalDep) -> ProductRead:
    return ProductRead.model_validate(
        products.deactivate_product(session=session, principal=principal, code=code)
    )


@router.get("/categories", summary="List product categories")
def list_categories(session: SessionDep, _principal: PrincipalDep) -> list[CategoryRead]:
    return [CategoryRead.model_validate(view) for view in products.list_categories(session=session)]


@router.get("/units", summary="List the units reports may use")
def list_units(session: SessionDep, _principal: PrincipalDep) -> list[UnitRead]:
    return [UnitRead.model_validate(view) for view in products.list_units(session=session)]
