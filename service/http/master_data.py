"""The request models that create master data and access rows: the API validates its
bodies with them and the admin pages their forms, so both refuse the same input."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from models import Role, StoreKind
from service.http.schemas import (
    CODE_PATTERN,
    Latitude,
    LocalName,
    Longitude,
    Name,
    OneLine,
    StrictModel,
)

UnitCode = Annotated[str, Field(min_length=1, max_length=16)]
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-@]{1,63}$"


class StoreCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["PDS-0001"])
    name: Name
    kind: StoreKind = StoreKind.supermarket
    region: str = Field(description="Code of the store's region")
    enterprise: str | None = Field(default=None, description="Code of the owning enterprise")
    address: Annotated[str | None, OneLine] = Field(default=None, max_length=300)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    key_supplier: bool = False
    service_officer: str | None = Field(default=None, max_length=200)


class StoreUpdate(StrictModel):
    name: Name | None = None
    kind: StoreKind | None = None
    region: str | None = None
    enterprise: str | None = None
    address: Annotated[str | None, OneLine] = Field(default=None, max_length=300)
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    key_supplier: bool | None = None
    service_officer: str | None = Field(default=None, max_length=200)
    active: bool | None = None


class ProductCreate(StrictModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["pork"])
    name: Name
    name_zh: LocalName | None = None
    category: str = Field(description="Category code, e.g. meat")
    unit: UnitCode = Field(description="Canonical unit every report is converted to")
    kg_per_unit: float = Field(gt=0, le=10_000, description="Weight of one unit, for truck loads")
    shelf_life_days: int | None = Field(default=None, ge=0, le=36_500)
    typical_price: float | None = Field(default=None, gt=0, le=100_000)
    conversions: dict[UnitCode, Annotated[float, Field(gt=0, le=1_000_000)]] = Field(
        default_factory=dict,
        description="Other units this product is reported in: how many canonical units one is",
    )


class UserCreate(StrictModel):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=8, max_length=256)
    role: Role
    full_name: Annotated[str | None, OneLine] = Field(default=None, max_length=200)
    store: str | None = None
    enterprise: str | None = None
    truck: str | None = Field(default=None, description="Plate, for a driver")
    compound: str | None = Field(default=None, description="Compound code, for a receiver")
    producer: str | None = Field(default=None, description="Producer code, for a producer")
    checkpoint: str | None = Field(
        default=None, description="Checkpoint code, for checkpoint staff"
    )
    region: str | None = Field(
        default=None,
        description="Region code, for admin or bureau staff who see only that region",
    )


class KeyCreate(StrictModel):
    name: Annotated[Name, Field(max_length=120, examples=["chain CH-01 ERP"])]
    role: Role
    store: str | None = Field(default=None, description="Store code, for a key bound to one store")
    enterprise: str | None = Field(
        default=None, description="Enterprise code, for a key bound to all its stores"
    )
    truck: str | None = Field(default=None, description="Plate, for a driver key")
    compound: str | None = Field(default=None, description="Compound code, for a receiver key")
    producer: str | None = Field(default=None, description="Producer code, for a producer key")
    checkpoint: str | None = Field(
        default=None, description="Checkpoint code, for a checkpoint key"
    )
    region: str | None = Field(
        default=None,
        description="Region code, for an admin or bureau key that sees only that region",
    )
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the key stops working (with a UTC offset)"
    )
