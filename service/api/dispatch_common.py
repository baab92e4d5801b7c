"""Shared by the dispatch routers: local clock times, and the truck or compound a driver
or receiver key or user is bound to."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.lookups import get_optional_by_code
from dispatch.master_data import optional_truck
from models import Compound, Truck

CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


def _local_clock(value: time) -> time:
    """Windows and shifts are clock times of the city's day; an offset would be misread."""
    if value.tzinfo is not None:
        raise ValueError("give a local clock time HH:MM[:SS] without a UTC offset")
    return value


ClockTime = Annotated[
    time,
    AfterValidator(_local_clock),
    PlainSerializer(lambda value: value.strftime("%H:%M:%S"), return_type=str, when_used="json"),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": CLOCK_PATTERN,
            "examples": ["08:00"],
            "description": "Local clock time in the city's time zone, HH:MM[:SS]",
        }
    ),
]
"""A time of day in the city's time zone (JSON: "08:00"), never with a UTC offset."""


def resolve_binding(
    session: Session, *, truck: str | None, compound: str | None
) -> tuple[int | None, int | None]:
    """(truck id, compound id) named in a key or user body; unknown ones are a 422."""
    found_truck = optional_truck(session, truck, field="truck")
    found_compound = get_optional_by_code(
        session, Compound, compound, label="compound", field="compound"
    )
    return (
        found_truck.id if found_truck else None,
        found_compound.id if found_compound else None,
    )


def binding_names(
    session: Session, *, truck_id: int | None, compound_id: int | None
) -> tuple[str | None, str | None]:
    """(plate, compound code) of a binding, for the public view of a key or user."""
    plate = session.scalar(select(Truck.plate).where(Truck.id == truck_id)) if truck_id else None
    code = (
        session.scalar(select(Compound.code).where(Compound.id == compound_id))
        if compound_id
        else None
    )
    return plate, code
