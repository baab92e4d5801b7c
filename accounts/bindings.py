"""What a key or a person is bound to: a store or an enterprise (store role), a truck
(driver), a compound (receiver) or a producer (producer role), named by code or plate in
requests and views."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import InvalidInput
from core.lookups import get_optional_by_code
from core.text import field_problem, phrase
from models import Checkpoint, Compound, Enterprise, Producer, Store, Truck


@dataclass(frozen=True)
class Binding:
    """The ids a key or person is bound to (None where it is not)."""

    store_id: int | None = None
    enterprise_id: int | None = None
    truck_id: int | None = None
    compound_id: int | None = None
    producer_id: int | None = None
    checkpoint_id: int | None = None


@dataclass(frozen=True)
class BindingNames:
    """The codes (and plate) of a binding, as people and machines read it."""

    store: str | None
    enterprise: str | None
    truck: str | None
    compound: str | None
    producer: str | None = None
    checkpoint: str | None = None


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
) -> Binding:
    """The ids behind the store, enterprise, compound, producer and checkpoint codes and
    the truck plate a key or person is given; an unknown one is a 422 naming its field."""
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
    return Binding(
        store_id=found_store.id if found_store else None,
        enterprise_id=found_enterprise.id if found_enterprise else None,
        truck_id=truck_id,
        compound_id=found_compound.id if found_compound else None,
        producer_id=found_producer.id if found_producer else None,
        checkpoint_id=found_checkpoint.id if found_checkpoint else None,
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
    )
