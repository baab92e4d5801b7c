"""What a driver or receiver key or user is bound to: a truck plate or a compound code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.master_data import optional_truck
from models import Compound, Truck
from service.catalog import get_optional_by_code


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
