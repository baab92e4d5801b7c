"""Request models of the supply network the API and the pages both validate with: a
producer's record and product lines, an offer, a need."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import ConfigDict, Field

from models import ProducerKind
from service.http.schemas import CODE_PATTERN, Latitude, Longitude, Name, StrictModel
from supply_network.registry import MAX_LEAD_TIME_DAYS, CapacityLine

Code = Annotated[str, Field(min_length=1, max_length=64)]
Quantity = Annotated[float, Field(gt=0, allow_inf_nan=False, description="In the product's unit")]
Price = Annotated[float, Field(gt=0, allow_inf_nan=False, description="CNY per unit")]


class FiniteModel(StrictModel):
    """Request bodies whose numbers must be finite (JSON has no NaN, but Python does)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class CapacityIn(FiniteModel):
    product: Code = Field(examples=["pork"])
    daily_capacity: Quantity = Field(description="Usual quantity per day, in the product's unit")
    lead_time_days: int = Field(default=0, ge=0, le=MAX_LEAD_TIME_DAYS)
    minimum_lot: float | None = Field(default=None, ge=0, description="Smallest lot sold")

    def as_line(self) -> CapacityLine:
        """The domain's product line."""
        return CapacityLine(
            product=self.product,
            daily_capacity=self.daily_capacity,
            lead_time_days=self.lead_time_days,
            minimum_lot=self.minimum_lot,
        )


class ProducerCreate(FiniteModel):
    code: str = Field(pattern=CODE_PATTERN, examples=["FARM-0001"])
    name: Name
    kind: ProducerKind
    region: Code = Field(description="Code of the producer's region (district or township)")
    latitude: Latitude
    longitude: Longitude
    address: str | None = Field(default=None, max_length=300)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=64)
    products: list[CapacityIn] = Field(default_factory=list, max_length=200)


class ProducerUpdate(FiniteModel):
    name: Name | None = None
    kind: ProducerKind | None = None
    region: Code | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    address: str | None = Field(default=None, max_length=300)
    contact_name: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=64)
    active: bool | None = None
    products: list[CapacityIn] | None = Field(
        default=None, max_length=200, description="Replaces every product line"
    )


class OfferCreate(FiniteModel):
    producer: Code | None = Field(
        default=None, description="Producer code; a producer's own key may leave it out"
    )
    product: Code = Field(examples=["cabbage"])
    quantity: Quantity
    price: Price
    available_from: date
    available_to: date
    minimum_lot: float | None = Field(default=None, ge=0)
    latitude: Latitude | None = Field(default=None, description="Pickup; default the producer's")
    longitude: Longitude | None = None
    address: str | None = Field(default=None, max_length=300)


class OfferUpdate(FiniteModel):
    quantity: Quantity | None = None
    price: Price | None = None
    available_to: date | None = None
    minimum_lot: float | None = Field(default=None, ge=0)


class NeedCreate(FiniteModel):
    product: Code = Field(examples=["cabbage"])
    quantity: Quantity
    max_price: Price = Field(description="Highest acceptable price, CNY per unit")
    needed_by: date
    store: Code | None = Field(default=None, description="For a store's need")
    enterprise: Code | None = Field(default=None, description="For a chain's need (with district)")
    district: Code | None = Field(
        default=None, description="District the goods are for (a chain's or the bureau's need)"
    )
    latitude: Latitude | None = Field(default=None, description="Delivery; default the buyer's")
    longitude: Longitude | None = None
    address: str | None = Field(default=None, max_length=300)
    alert_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
