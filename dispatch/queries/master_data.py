"""Compounds, depots and trucks as dispatchers, the bureau, receivers and drivers read them.

Each view names its region, store and depot by code (what people and machines use),
never by database id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import Select, and_, or_, select, true
from sqlalchemy.orm import Session

from core.access import Principal, require_in_region, within_region
from core.lookups import PageOf, get_by_code, page, region_subtree_ids
from core.text import phrase
from dispatch.access import (
    require_compound_in_region,
    require_compound_reader,
    require_dispatch_reader,
    require_own_compound,
    require_truck_reader,
)
from dispatch.master_data import truck_by_plate
from models import Compound, Depot, LockdownStatus, Region, Role, Store, Truck, TruckStatus


@dataclass(frozen=True, slots=True)
class CompoundView:
    """A compound with its region and designated supplier store by code."""

    code: str
    name: str
    region: str
    address: str | None
    latitude: float
    longitude: float
    households: int | None
    population: int | None
    lockdown_status: LockdownStatus
    lockdown_start_date: date | None
    lockdown_end_date: date | None
    supplier_store: str | None
    contact_name: str | None
    contact_phone: str | None
    active: bool


def _compounds(principal: Principal) -> Select[Compound, str, str | None]:
    """Compounds with their region's and supplier store's codes; a supplier store outside
    the caller's region is left unnamed (None), as every other read hides it."""
    return (
        select(Compound, Region.code, Store.code)
        .join(Region, Compound.region_id == Region.id)
        .outerjoin(
            Store,
            and_(
                Compound.supplier_store_id == Store.id,
                within_region(principal, Store.region_id),
            ),
        )
    )


def _compound_view(compound: Compound, region: str, store: str | None) -> CompoundView:
    return CompoundView(
        code=compound.code,
        name=compound.name,
        region=region,
        address=compound.address,
        latitude=compound.latitude,
        longitude=compound.longitude,
        households=compound.households,
        population=compound.population,
        lockdown_status=compound.lockdown_status,
        lockdown_start_date=compound.lockdown_start_date,
        lockdown_end_date=compound.lockdown_end_date,
        supplier_store=store,
        contact_name=compound.contact_name,
        contact_phone=compound.contact_phone,
        active=compound.active,
    )


def compound_view(*, session: Session, principal: Principal, compound_id: int) -> CompoundView:
    """One compound's view, for a compound the caller was just allowed to create or change."""
    query = _compounds(principal).where(Compound.id == compound_id)
    compound, region, store = session.execute(query).one()
    return _compound_view(compound, region, store)


def list_compounds(
    *,
    session: Session,
    principal: Principal,
    region: str | None = None,
    lockdown_status: LockdownStatus | None = None,
    active: bool | None = None,
    search: str | None = None,
    limit: int,
    offset: int,
) -> PageOf[CompoundView]:
    """Compounds by code, in a region (with its subregions), by lockdown status or by code
    or name; a receiver sees only its own, staff bound to a region only those inside it
    (a region filter outside it is a 404, as for an unknown region)."""
    require_compound_reader(principal)
    query = _compounds(principal).where(within_region(principal, Compound.region_id))
    query = query.order_by(Compound.code)
    if principal.role is Role.receiver:
        query = query.where(Compound.id == principal.compound_id)
    if region is not None:
        scope = get_by_code(session, Region, region, label=phrase("region"))
        require_in_region(principal, scope.id, label=phrase("region"), code=region)
        query = query.where(Compound.region_id.in_(region_subtree_ids(session, scope.id)))
    if lockdown_status is not None:
        query = query.where(Compound.lockdown_status == lockdown_status)
    if active is not None:
        query = query.where(Compound.active == active)
    if search:
        query = query.where(
            or_(
                Compound.code.contains(search, autoescape=True),
                Compound.name.contains(search, autoescape=True),
            )
        )
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf([_compound_view(*row) for row in rows], total, limit, offset)


def read_compound(*, session: Session, principal: Principal, code: str) -> CompoundView:
    """One compound, or 404 (also when outside the caller's region); a receiver reads
    only its own (403)."""
    require_compound_reader(principal)
    compound = get_by_code(session, Compound, code, label=phrase("compound"))
    require_compound_in_region(principal, compound)
    require_own_compound(principal, compound)
    return compound_view(session=session, principal=principal, compound_id=compound.id)


@dataclass(frozen=True, slots=True)
class DepotView:
    """A depot with the store it is (if any) by code."""

    code: str
    name: str
    latitude: float
    longitude: float
    store: str | None
    opens_at: time
    closes_at: time
    active: bool


def _depots(principal: Principal | None = None) -> Select[Depot, str | None]:
    """Depots with the code of the store each is; a store outside the caller's region is
    left unnamed (None): the fleet is shared, the stores are not."""
    inside = true() if principal is None else within_region(principal, Store.region_id)
    return select(Depot, Store.code).outerjoin(Store, and_(Depot.store_id == Store.id, inside))


def _depot_view(depot: Depot, store: str | None) -> DepotView:
    return DepotView(
        code=depot.code,
        name=depot.name,
        latitude=depot.latitude,
        longitude=depot.longitude,
        store=store,
        opens_at=depot.opens_at,
        closes_at=depot.closes_at,
        active=depot.active,
    )


def depot_view(*, session: Session, depot_id: int) -> DepotView:
    """One depot's view, for a depot the caller was just allowed to create or change."""
    return _depot_view(*session.execute(_depots().where(Depot.id == depot_id)).one())


def list_depots(
    *, session: Session, principal: Principal, active: bool | None = None, limit: int, offset: int
) -> PageOf[DepotView]:
    """Depots by code (only active or inactive ones when asked)."""
    require_dispatch_reader(principal)
    query = _depots(principal).order_by(Depot.code)
    if active is not None:
        query = query.where(Depot.active == active)
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf([_depot_view(*row) for row in rows], total, limit, offset)


def read_depot(*, session: Session, principal: Principal, code: str) -> DepotView:
    """One depot, or 404."""
    require_dispatch_reader(principal)
    depot = get_by_code(session, Depot, code, label=phrase("depot"))
    return _depot_view(*session.execute(_depots(principal).where(Depot.id == depot.id)).one())


@dataclass(frozen=True, slots=True)
class TruckView:
    """A truck of the fleet with its depot by code."""

    plate: str
    capacity_kg: int
    volume_m3: float | None
    depot: str
    status: TruckStatus
    crew: str | None
    crew_phone: str | None
    shift_start: time
    shift_end: time
    max_route_minutes: int | None


def _trucks() -> Select[Truck, str]:
    return select(Truck, Depot.code).join(Depot, Truck.depot_id == Depot.id)


def _truck_view(truck: Truck, depot: str) -> TruckView:
    return TruckView(
        plate=truck.plate,
        capacity_kg=truck.capacity_kg,
        volume_m3=truck.volume_m3,
        depot=depot,
        status=truck.status,
        crew=truck.crew,
        crew_phone=truck.crew_phone,
        shift_start=truck.shift_start,
        shift_end=truck.shift_end,
        max_route_minutes=truck.max_route_minutes,
    )


def truck_view(*, session: Session, truck_id: int) -> TruckView:
    """One truck's view, for a truck the caller was just allowed to create or change."""
    return _truck_view(*session.execute(_trucks().where(Truck.id == truck_id)).one())


def list_trucks(
    *,
    session: Session,
    principal: Principal,
    depot: str | None = None,
    status: TruckStatus | None = None,
    limit: int,
    offset: int,
) -> PageOf[TruckView]:
    """The fleet by plate, of one depot or in one status when asked."""
    require_dispatch_reader(principal)
    query = _trucks().order_by(Truck.plate)
    if depot is not None:
        query = query.where(Depot.code == depot)
    if status is not None:
        query = query.where(Truck.status == status)
    rows, total = page(session, query, limit=limit, offset=offset)
    return PageOf([_truck_view(*row) for row in rows], total, limit, offset)


def read_truck(*, session: Session, principal: Principal, plate: str) -> TruckView:
    """One truck, or 404; a driver reads only the truck it is bound to (403)."""
    truck = truck_by_plate(session, plate)
    require_truck_reader(principal, truck)
    return truck_view(session=session, truck_id=truck.id)


def truck_plates(*, session: Session, principal: Principal) -> list[str]:
    """Every truck's plate in order, to pick a truck by."""
    require_dispatch_reader(principal)
    return list(session.scalars(select(Truck.plate).order_by(Truck.plate)))
