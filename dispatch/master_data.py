"""Compounds, depots, trucks and delivery requests as the dispatcher manages them.

Plain functions over a session (they only flush): look-ups by human code or plate that
give the API's errors, the ordering rules of time windows and periods, and the weight of
a request computed from its items and the catalogue's unit weights, so a truck's load is
always what the products weigh rather than what somebody typed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.catalog import Catalog
from core.errors import InvalidInput, NotFound
from models import (
    Compound,
    DeliveryRequest,
    DeliveryRequestItem,
    Product,
    RequestPriority,
    Truck,
)

MAX_REQUEST_WEIGHT_KG = 1_000_000.0
"""A thousand tonnes: far beyond a compound's daily need, so a typo is refused."""


def _field_error(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", errors=[{"loc": ["body", field], "msg": message}])


Moment = TypeVar("Moment", time, date)


def check_ordered(start: Moment | None, end: Moment | None, *, end_field: str, what: str) -> None:
    """Refuse a window, shift or period that ends before (or when) it starts."""
    if start is not None and end is not None and end <= start:
        raise _field_error(end_field, f"{what} ends at {end}, not after its start {start}")


def seconds_of_day(moment: time) -> int:
    """Seconds from midnight: the solver's clock for windows and shifts."""
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def truck_by_plate(session: Session, plate: str) -> Truck:
    """The truck with this plate, or 404."""
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).first()
    if truck is None:
        raise NotFound(f"truck {plate!r} not found")
    return truck


def optional_truck(session: Session, plate: str | None, *, field: str) -> Truck | None:
    """Resolve a plate given in a request body; unknown plates are a 422 naming the field."""
    if plate is None:
        return None
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).first()
    if truck is None:
        raise _field_error(field, f"unknown truck {plate!r}")
    return truck


def request_by_id(session: Session, request_id: int) -> DeliveryRequest:
    """The delivery request with this id, or 404."""
    found = session.get(DeliveryRequest, request_id)
    if found is None:
        raise NotFound(f"delivery request {request_id} not found")
    return found


@dataclass(frozen=True, slots=True)
class ItemInput:
    """One ordered line as the caller gave it; ``unit`` None means the product's own."""

    product: str
    quantity: float
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class WeighedItem:
    product_id: int
    quantity: float
    unit: str
    weight_kg: float


def weigh_items(session: Session, items: Sequence[ItemInput]) -> list[WeighedItem]:
    """Each item's weight: quantity → product unit (via the unit tables) x kg per unit.

    Every unknown product or unit is reported (``items.<i>.product`` / ``.unit``), not
    just the first; nothing is returned unless all items are good.
    """
    if not items:
        raise _field_error("items", "a request needs at least one item")
    catalog = Catalog.load(session, store_codes=[])
    kg_per_unit = _kg_per_unit(session)
    errors: list[dict[str, Any]] = []
    weighed: list[WeighedItem] = []
    for index, item in enumerate(items):
        product = catalog.products.get(item.product)
        if product is None:
            errors.append(
                {
                    "loc": ["body", "items", index, "product"],
                    "msg": f"unknown product {item.product!r}",
                }
            )
            continue
        product_id, canonical = product.id, product.unit
        unit = item.unit or canonical
        factor = catalog.conversion_factor(product_id, canonical, unit)
        if isinstance(factor, str):
            errors.append({"loc": ["body", "items", index, "unit"], "msg": factor})
            continue
        if not (math.isfinite(item.quantity) and item.quantity > 0):
            errors.append({"loc": ["body", "items", index, "quantity"], "msg": "must be positive"})
            continue
        weight = item.quantity * factor * kg_per_unit[product_id]
        weighed.append(WeighedItem(product_id, item.quantity, unit, round(weight, 3)))
    if errors:
        raise InvalidInput(
            f"{len(errors)} item(s) cannot be weighed: {errors[0]['msg']}", errors=errors
        )
    return weighed


def _kg_per_unit(session: Session) -> dict[int, float]:
    return {int(i): float(kg) for i, kg in session.execute(select(Product.id, Product.kg_per_unit))}


def create_request(
    *,
    session: Session,
    compound: Compound,
    delivery_date: date,
    priority: RequestPriority,
    window_start: time,
    window_end: time,
    items: Sequence[ItemInput],
    note: str | None,
    created_by: str,
) -> DeliveryRequest:
    """A new open request whose weight is the sum of its weighed items."""
    check_ordered(window_start, window_end, end_field="window_end", what="the delivery window")
    weighed = weigh_items(session, items)
    total = round(sum(item.weight_kg for item in weighed), 3)
    if total > MAX_REQUEST_WEIGHT_KG:
        raise _field_error("items", f"{total} kg is more than {MAX_REQUEST_WEIGHT_KG:g} kg")
    request = DeliveryRequest(
        compound_id=compound.id,
        delivery_date=delivery_date,
        priority=priority,
        window_start=window_start,
        window_end=window_end,
        weight_kg=total,
        note=note,
        created_by=created_by,
        items=[
            DeliveryRequestItem(
                product_id=item.product_id,
                quantity=item.quantity,
                unit=item.unit,
                weight_kg=item.weight_kg,
            )
            for item in weighed
        ],
    )
    session.add(request)
    session.flush()
    return request
