"""Compounds, depots and trucks as the dispatcher manages them.

Plain functions over a session (they only flush): look-ups by human code or plate that
give the API's errors, the ordering rules of time windows and periods, and the commands
that create, change and retire the places deliveries go to and the fleet that makes
them. Only dispatchers (and admins) change them (``dispatch.access``); staff bound to a
region change only compounds inside it, and never the fleet (depots and trucks serve
every region).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, time
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal, require_national
from core.errors import Conflict, InvalidInput, NotFound
from core.lookups import add_with_unique_code, apply_changes, get_by_code, get_optional_by_code
from core.text import Text, field_problem, phrase
from dispatch.access import require_compound_in_region, require_dispatcher
from models import (
    Compound,
    Delivery,
    Depot,
    LockdownStatus,
    Region,
    Store,
    Truck,
    TruckStatus,
)
from models.delivery import ACTIVE_DELIVERY


def _field_error(field: str, message: Text) -> InvalidInput:
    return InvalidInput(
        "{where}: {problem}",
        errors=[field_problem(["body", field], message)],
        where=field,
        problem=message,
    )


Moment = TypeVar("Moment", time, date)


def check_ordered(start: Moment | None, end: Moment | None, *, end_field: str, what: Text) -> None:
    """Refuse a window, shift or period that ends before (or when) it starts."""
    if start is not None and end is not None and end <= start:
        raise _field_error(
            end_field,
            phrase(
                "{what} ends at {end}, not after its start {start}", what=what, end=end, start=start
            ),
        )


def seconds_of_day(moment: time) -> int:
    """Seconds from midnight: the solver's clock for windows and shifts."""
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def truck_by_plate(session: Session, plate: str) -> Truck:
    """The truck with this plate, or 404."""
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).first()
    if truck is None:
        raise NotFound("truck {plate!r} not found", plate=plate)
    return truck


def optional_truck(session: Session, plate: str | None, *, field: str) -> Truck | None:
    """Resolve a plate given in a request body; unknown plates are a 422 naming the field."""
    if plate is None:
        return None
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).first()
    if truck is None:
        raise _field_error(field, phrase("unknown truck {plate!r}", plate=plate))
    return truck


def _changed_codes(
    session: Session, changes: Mapping[str, Any], references: Mapping[str, tuple[type, Text, str]]
) -> dict[str, Any]:
    """A PATCH's fields with every code it names (region, store, depot) as that row's id;
    an unknown code is a 422 naming the field."""
    resolved = dict(changes)
    for field, (model, label, column) in references.items():
        if field in resolved:
            code = resolved.pop(field)
            row = get_optional_by_code(session, model, code, label=label, field=field)
            resolved[column] = row.id if row else None
    return resolved


def _unknown(field: str, label: Text, code: str) -> InvalidInput:
    return InvalidInput(
        "unknown {label} {code!r}",
        errors=[field_problem(["body", field], "unknown {label} {code!r}", label=label, code=code)],
        label=label,
        code=code,
    )


def _check_places_in_region(
    session: Session, principal: Principal, region_id: int | None, store_id: int | None
) -> None:
    """A compound's region and supplier store named by staff bound to a region must lie
    inside it; one outside is refused as unknown (422), so its existence is not confirmed."""
    if not principal.is_region_bound:
        return
    if region_id is not None and not principal.in_region(region_id):
        region = session.get_one(Region, region_id)
        raise _unknown("region", phrase("region"), region.code)
    if store_id is not None:
        store = session.get_one(Store, store_id)
        if not principal.in_region(store.region_id):
            raise _unknown("supplier_store", phrase("store"), store.code)


@dataclass(frozen=True, slots=True)
class CompoundInput:
    """A new compound as the dispatcher describes it (region and store by code)."""

    code: str
    name: str
    region: str
    latitude: float
    longitude: float
    address: str | None = None
    households: int | None = None
    population: int | None = None
    lockdown_status: LockdownStatus = LockdownStatus.open
    lockdown_start_date: date | None = None
    lockdown_end_date: date | None = None
    supplier_store: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None


def create_compound(*, session: Session, principal: Principal, new: CompoundInput) -> Compound:
    """A new compound; its lockdown must end after it starts, its code be unused, and its
    region and store lie inside the caller's region."""
    require_dispatcher(principal)
    check_ordered(
        new.lockdown_start_date,
        new.lockdown_end_date,
        end_field="lockdown_end_date",
        what=phrase("the lockdown"),
    )
    region = get_optional_by_code(
        session, Region, new.region, label=phrase("region"), field="region"
    )
    assert region is not None
    store = get_optional_by_code(
        session, Store, new.supplier_store, label=phrase("store"), field="supplier_store"
    )
    _check_places_in_region(session, principal, region.id, store.id if store else None)
    fields = {k: v for k, v in asdict(new).items() if k not in ("region", "supplier_store")}
    compound = Compound(
        **fields, region_id=region.id, supplier_store_id=store.id if store else None
    )
    add_with_unique_code(session, compound, label=phrase("compound"))
    return compound


def update_compound(
    *, session: Session, principal: Principal, code: str, changes: Mapping[str, Any]
) -> Compound:
    """Change the fields a PATCH sent (lock a compound down, lift the lockdown, ...); a
    compound outside the caller's region is a 404, and it cannot be moved out of it."""
    require_dispatcher(principal)
    compound = get_by_code(session, Compound, code, label=phrase("compound"))
    require_compound_in_region(principal, compound)
    resolved = _changed_codes(
        session,
        changes,
        {
            "region": (Region, phrase("region"), "region_id"),
            "supplier_store": (Store, phrase("store"), "supplier_store_id"),
        },
    )
    _check_places_in_region(
        session, principal, resolved.get("region_id"), resolved.get("supplier_store_id")
    )
    apply_changes(
        compound,
        resolved,
        required=("name", "region_id", "latitude", "longitude", "lockdown_status", "active"),
    )
    check_ordered(
        compound.lockdown_start_date,
        compound.lockdown_end_date,
        end_field="lockdown_end_date",
        what=phrase("the lockdown"),
    )
    session.flush()
    return compound


def deactivate_compound(*, session: Session, principal: Principal, code: str) -> Compound:
    """Take a compound out of planning; its requests and deliveries are kept (a compound
    outside the caller's region is a 404)."""
    require_dispatcher(principal)
    compound = get_by_code(session, Compound, code, label=phrase("compound"))
    require_compound_in_region(principal, compound)
    compound.active = False
    session.flush()
    return compound


@dataclass(frozen=True, slots=True)
class DepotInput:
    """A new depot (the store it is, by code, if any)."""

    code: str
    name: str
    latitude: float
    longitude: float
    store: str | None = None
    opens_at: time = time(0, 0)
    closes_at: time = time(23, 59, 59)


def create_depot(*, session: Session, principal: Principal, new: DepotInput) -> Depot:
    """A new depot; it must close after it opens and its code be unused."""
    require_dispatcher(principal)
    require_national(principal)
    check_ordered(
        new.opens_at, new.closes_at, end_field="closes_at", what=phrase("the opening hours")
    )
    store = get_optional_by_code(session, Store, new.store, label=phrase("store"), field="store")
    fields = {k: v for k, v in asdict(new).items() if k != "store"}
    depot = Depot(**fields, store_id=store.id if store else None)
    add_with_unique_code(session, depot, label=phrase("depot"))
    return depot


def update_depot(
    *, session: Session, principal: Principal, code: str, changes: Mapping[str, Any]
) -> Depot:
    """Change the fields a PATCH sent; the opening hours stay in order."""
    require_dispatcher(principal)
    require_national(principal)
    depot = get_by_code(session, Depot, code, label=phrase("depot"))
    resolved = _changed_codes(session, changes, {"store": (Store, phrase("store"), "store_id")})
    apply_changes(
        depot,
        resolved,
        required=("name", "latitude", "longitude", "opens_at", "closes_at", "active"),
    )
    check_ordered(
        depot.opens_at, depot.closes_at, end_field="closes_at", what=phrase("the opening hours")
    )
    session.flush()
    return depot


def deactivate_depot(*, session: Session, principal: Principal, code: str) -> Depot:
    """Mark a depot inactive (its trucks and history are kept); a depot whose trucks still
    carry committed stops stays open until they are made or re-planned (a breakdown of
    each truck), since new plans no longer send its trucks out."""
    require_dispatcher(principal)
    require_national(principal)
    depot = get_by_code(session, Depot, code, label=phrase("depot"))
    waiting = sorted(
        session.scalars(
            select(Truck.plate)
            .join(Delivery, Delivery.truck_id == Truck.id)
            .where(Truck.depot_id == depot.id, Delivery.status.in_(ACTIVE_DELIVERY))
            .distinct()
        )
    )
    if waiting:
        raise Conflict(
            "depot {depot}'s truck(s) {plates} still carry committed stops: let them be "
            "made or report each truck's breakdown before closing the depot",
            extra={"trucks": waiting},
            depot=depot.code,
            plates=", ".join(waiting),
        )
    depot.active = False
    session.flush()
    return depot


@dataclass(frozen=True, slots=True)
class TruckInput:
    """A new truck of the fleet (its depot by code)."""

    plate: str
    capacity_kg: int
    depot: str
    volume_m3: float | None = None
    status: TruckStatus = TruckStatus.available
    crew: str | None = None
    crew_phone: str | None = None
    shift_start: time = time(7, 0)
    shift_end: time = time(19, 0)
    max_route_minutes: int | None = None


def create_truck(*, session: Session, principal: Principal, new: TruckInput) -> Truck:
    """A new truck; its shift must end after it starts and its plate be unused."""
    require_dispatcher(principal)
    require_national(principal)
    check_ordered(new.shift_start, new.shift_end, end_field="shift_end", what=phrase("the shift"))
    depot = get_optional_by_code(session, Depot, new.depot, label=phrase("depot"), field="depot")
    assert depot is not None
    if session.scalars(select(Truck.id).where(Truck.plate == new.plate)).first() is not None:
        raise Conflict("truck {plate!r} already exists", plate=new.plate)
    fields = {k: v for k, v in asdict(new).items() if k != "depot"}
    truck = Truck(**fields, depot_id=depot.id)
    session.add(truck)
    session.flush()
    return truck


ROUTE_FIELDS = ("status", "capacity_kg", "depot", "shift_start", "shift_end")
"""A truck's fields its committed routes were planned with."""


def _refuse_change_under_committed_stops(
    session: Session, truck: Truck, changes: Mapping[str, Any]
) -> None:
    """A truck still carrying a committed plan's stops keeps what they were planned with:
    taking it off the road or changing its capacity, depot or shift would leave them on a
    truck that cannot drive them. A breakdown re-plans them instead."""
    depot = session.get(Depot, truck.depot_id)
    current = {
        "status": truck.status,
        "capacity_kg": truck.capacity_kg,
        "depot": depot.code if depot else None,
        "shift_start": truck.shift_start,
        "shift_end": truck.shift_end,
    }
    changed = [
        field for field in ROUTE_FIELDS if field in changes and changes[field] != current[field]
    ]
    if not changed:
        return
    waiting = session.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.truck_id == truck.id, Delivery.status.in_(ACTIVE_DELIVERY))
    )
    if waiting:
        raise Conflict(
            "truck {plate} still carries {count} committed stop(s): report a breakdown "
            "(POST /api/v1/trucks/{plate}/breakdown) to re-plan them before changing {fields}",
            plate=truck.plate,
            count=int(waiting),
            fields=", ".join(changed),
        )


def update_truck(
    *, session: Session, principal: Principal, plate: str, changes: Mapping[str, Any]
) -> Truck:
    """Change the fields a PATCH sent (capacity, depot, crew, shift, status)."""
    require_dispatcher(principal)
    require_national(principal)
    truck = truck_by_plate(session, plate)
    _refuse_change_under_committed_stops(session, truck, changes)
    resolved = _changed_codes(session, changes, {"depot": (Depot, phrase("depot"), "depot_id")})
    apply_changes(
        truck,
        resolved,
        required=("capacity_kg", "depot_id", "status", "shift_start", "shift_end"),
    )
    check_ordered(
        truck.shift_start, truck.shift_end, end_field="shift_end", what=phrase("the shift")
    )
    session.flush()
    return truck


def retire_truck(*, session: Session, principal: Principal, plate: str) -> Truck:
    """Take a truck out of service (plans no longer use it)."""
    require_dispatcher(principal)
    require_national(principal)
    truck = truck_by_plate(session, plate)
    _refuse_change_under_committed_stops(session, truck, {"status": TruckStatus.out_of_service})
    truck.status = TruckStatus.out_of_service
    session.flush()
    return truck
