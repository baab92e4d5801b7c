"""What a key or a person is bound to: a store or an enterprise (store role), a truck
(driver), a compound (receiver), a producer (producer role) or a region (admin and bureau
staff), named by code or plate in requests and views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from core.access import REGION_BOUND_ROLES, Principal
from core.errors import Forbidden, InvalidInput
from core.lookups import get_optional_by_code
from core.text import field_problem, phrase
from models import (
    ApiKey,
    Checkpoint,
    Compound,
    Enterprise,
    Producer,
    Region,
    Role,
    Store,
    Truck,
    User,
)


@dataclass(frozen=True)
class Binding:
    """The ids a key or person is bound to (None where it is not)."""

    store_id: int | None = None
    enterprise_id: int | None = None
    truck_id: int | None = None
    compound_id: int | None = None
    producer_id: int | None = None
    checkpoint_id: int | None = None
    region_id: int | None = None


@dataclass(frozen=True)
class BindingNames:
    """The codes (and plate) of a binding, as people and machines read it."""

    store: str | None
    enterprise: str | None
    truck: str | None
    compound: str | None
    producer: str | None = None
    checkpoint: str | None = None
    region: str | None = None


def _truck_id(session: Session, plate: str | None) -> int | None:
    if plate is None:
        return None
    found = session.scalar(select(Truck.id).where(Truck.plate == plate))
    if found is None:
        message = phrase("unknown truck {plate!r}", plate=plate)
        raise InvalidInput(
            "truck: {problem}", errors=[field_problem(["body", "truck"], message)], problem=message
        )
    return found


def resolve_binding(
    *,
    session: Session,
    store: str | None = None,
    enterprise: str | None = None,
    truck: str | None = None,
    compound: str | None = None,
    producer: str | None = None,
    checkpoint: str | None = None,
    region: str | None = None,
) -> Binding:
    """The ids behind the store, enterprise, compound, producer, checkpoint and region
    codes and the truck plate a key or person is given; an unknown one is a 422 naming its
    field."""
    found_store = get_optional_by_code(session, Store, store, label=phrase("store"), field="store")
    found_enterprise = get_optional_by_code(
        session, Enterprise, enterprise, label=phrase("enterprise"), field="enterprise"
    )
    truck_id = _truck_id(session, truck)
    found_compound = get_optional_by_code(
        session, Compound, compound, label=phrase("compound"), field="compound"
    )
    found_producer = get_optional_by_code(
        session, Producer, producer, label=phrase("producer"), field="producer"
    )
    found_checkpoint = get_optional_by_code(
        session, Checkpoint, checkpoint, label=phrase("checkpoint"), field="checkpoint"
    )
    found_region = get_optional_by_code(
        session, Region, region, label=phrase("region"), field="region"
    )
    return Binding(
        store_id=found_store.id if found_store else None,
        enterprise_id=found_enterprise.id if found_enterprise else None,
        truck_id=truck_id,
        compound_id=found_compound.id if found_compound else None,
        producer_id=found_producer.id if found_producer else None,
        checkpoint_id=found_checkpoint.id if found_checkpoint else None,
        region_id=found_region.id if found_region else None,
    )


def binding_names(
    *,
    session: Session,
    store_id: int | None,
    enterprise_id: int | None,
    truck_id: int | None,
    compound_id: int | None,
    producer_id: int | None = None,
    checkpoint_id: int | None = None,
    region_id: int | None = None,
) -> BindingNames:
    """The codes and plate of a binding, for the public view of a key or person."""
    return BindingNames(
        store=session.scalar(select(Store.code).where(Store.id == store_id)) if store_id else None,
        enterprise=session.scalar(select(Enterprise.code).where(Enterprise.id == enterprise_id))
        if enterprise_id
        else None,
        truck=session.scalar(select(Truck.plate).where(Truck.id == truck_id)) if truck_id else None,
        compound=session.scalar(select(Compound.code).where(Compound.id == compound_id))
        if compound_id
        else None,
        producer=session.scalar(select(Producer.code).where(Producer.id == producer_id))
        if producer_id
        else None,
        checkpoint=session.scalar(select(Checkpoint.code).where(Checkpoint.id == checkpoint_id))
        if checkpoint_id
        else None,
        region=session.scalar(select(Region.code).where(Region.id == region_id))
        if region_id
        else None,
    )


def binding_region(session: Session, binding: Binding) -> int | None:
    """The region an account with ``binding`` is confined to: its own region, or that of
    the store, compound, producer or checkpoint it is bound to; None when nothing
    confines it (an enterprise, a truck, or a national role)."""
    if binding.region_id is not None:
        return binding.region_id
    for model, identifier in (
        (Store, binding.store_id),
        (Compound, binding.compound_id),
        (Producer, binding.producer_id),
        (Checkpoint, binding.checkpoint_id),
    ):
        if identifier is not None:
            region_id: int | None = session.scalar(
                select(model.region_id).where(model.id == identifier)
            )
            return region_id
    return None


def confine_to_admin_region(
    session: Session, principal: Principal, binding: Binding, role: Role
) -> Binding:
    """The binding a region-bound admin may give: an admin or bureau account is bound to
    the admin's region when none is named, and every account must lie inside it. Accounts
    no region confines (an enterprise, a driver, a dispatcher) need a national admin."""
    if principal.region_ids is None:
        return binding
    named_region = binding.region_id is not None
    if (
        not named_region
        and role in REGION_BOUND_ROLES
        and all(
            value is None
            for value in (
                binding.store_id,
                binding.enterprise_id,
                binding.truck_id,
                binding.compound_id,
                binding.producer_id,
                binding.checkpoint_id,
            )
        )
    ):
        binding = Binding(region_id=principal.region_id)
    region_id = binding_region(session, binding)
    if region_id is None or not principal.in_region(region_id):
        raise Forbidden(
            "an admin bound to a region may only create accounts inside it",
            errors=[
                field_problem(
                    ["body", "region" if named_region else "role"],
                    "outside the region this admin is bound to",
                )
            ],
        )
    return binding


def account_in_region(
    principal: Principal, model: type[ApiKey] | type[User]
) -> ColumnElement[bool]:
    """A WHERE clause keeping the keys or people a region-bound admin manages: those
    confined (by region, store, compound, producer or checkpoint) inside its region."""
    if principal.region_ids is None:
        return true()
    inside = sorted(principal.region_ids)
    bound: list[tuple[Any, Any]] = [
        (model.store_id, select(Store.id).where(Store.region_id.in_(inside))),
        (model.compound_id, select(Compound.id).where(Compound.region_id.in_(inside))),
        (model.producer_id, select(Producer.id).where(Producer.region_id.in_(inside))),
        (model.checkpoint_id, select(Checkpoint.id).where(Checkpoint.region_id.in_(inside))),
    ]
    return or_(model.region_id.in_(inside), *(column.in_(ids) for column, ids in bound))
