"""Typed factories for dispatch data; they flush, never commit."""

from __future__ import annotations

import itertools
import math
from datetime import date, time, timedelta

from sqlalchemy.orm import Session

from accounts.authentication import create_api_key
from core.access import Principal
from dispatch.demand import ItemInput, create_request
from models import (
    Compound,
    DeliveryRequest,
    Depot,
    LockdownStatus,
    Region,
    RequestPriority,
    Role,
    Truck,
    TruckStatus,
)
from tests.factories import business_today, make_product, make_region

PLAN_DAY = business_today() + timedelta(days=7)
"""The day the dispatch stories plan: a week ahead, inside the days a plan may be made
for (``dispatch.planning.PLAN_DAYS_AHEAD``)."""


def make_planner(session: Session) -> Principal:
    """A dispatcher key to queue the plan jobs the stories queue directly (a job is
    solved only while its submitter's key is active)."""
    key, _ = create_api_key(session, name="ops", role=Role.dispatcher)
    return Principal(kind="key", id=key.id, name="ops", role=Role.dispatcher)


_sequence = itertools.count(1)

CENTRE = (33.737, 113.282)
"""Xinhua district, Pingdingshan: where the test city sits."""


def make_compound(
    session: Session,
    *,
    code: str | None = None,
    region: Region | None = None,
    latitude: float = CENTRE[0],
    longitude: float = CENTRE[1],
    locked: bool = True,
) -> Compound:
    region = region or make_region(session)
    compound = Compound(
        code=code or f"CP-{next(_sequence):05d}",
        name="Compound",
        region_id=region.id,
        latitude=latitude,
        longitude=longitude,
        households=300,
        population=900,
        lockdown_status=LockdownStatus.locked if locked else LockdownStatus.open,
        contact_name="Wang Min",
        contact_phone="0375-5550000",
    )
    session.add(compound)
    session.flush()
    return compound


def make_depot(
    session: Session,
    *,
    code: str | None = None,
    latitude: float = CENTRE[0],
    longitude: float = CENTRE[1],
) -> Depot:
    depot = Depot(
        code=code or f"DEP-{next(_sequence):04d}",
        name="Depot",
        latitude=latitude,
        longitude=longitude,
        opens_at=time(0, 0),
        closes_at=time(23, 59, 59),
    )
    session.add(depot)
    session.flush()
    return depot


def make_truck(
    session: Session,
    *,
    depot: Depot,
    plate: str | None = None,
    capacity_kg: int = 2000,
    shift_start: time = time(7, 0),
    shift_end: time = time(19, 0),
    status: TruckStatus = TruckStatus.available,
) -> Truck:
    truck = Truck(
        plate=plate or f"TRK-{next(_sequence):04d}",
        capacity_kg=capacity_kg,
        depot_id=depot.id,
        status=status,
        crew="Li Lei, Han Meimei",
        crew_phone="138-0000-0000",
        shift_start=shift_start,
        shift_end=shift_end,
    )
    session.add(truck)
    session.flush()
    return truck


def make_request(
    session: Session,
    *,
    compound: Compound,
    delivery_date: date,
    kg: float = 100.0,
    priority: RequestPriority = RequestPriority.normal,
    window: tuple[time, time] = (time(8, 0), time(18, 0)),
) -> DeliveryRequest:
    """A request of ``kg`` kilograms of one 1 kg product."""
    product = make_product(session, category="grain", kg_per_unit=1.0)
    return create_request(
        session=session,
        compound=compound,
        delivery_date=delivery_date,
        priority=priority,
        window_start=window[0],
        window_end=window[1],
        items=[ItemInput(product.code, kg, None)],
        note=None,
        created_by="test",
    )


def _offset(index: int) -> tuple[float, float]:
    """A point a few km from the centre, spread around it."""
    angle = index * 2.4
    radius = 0.01 + 0.004 * (index % 5)
    return CENTRE[0] + radius * math.sin(angle), CENTRE[1] + radius * math.cos(angle)


def make_city(
    session: Session,
    *,
    day: date,
    trucks: list[int],
    loads: list[float],
    urgent: frozenset[int] = frozenset(),
    window: tuple[time, time] = (time(8, 0), time(18, 0)),
) -> list[DeliveryRequest]:
    """Depot DEP-A with trucks T-1.. of these capacities, and one request per load at
    compounds CP-1.. spread a few km around it (``urgent``: indexes of urgent ones)."""
    region = make_region(session)
    depot = make_depot(session, code="DEP-A")
    for index, capacity in enumerate(trucks):
        make_truck(session, depot=depot, plate=f"T-{index + 1}", capacity_kg=capacity)
    requests = []
    for index, kg in enumerate(loads):
        lat, lon = _offset(index)
        compound = make_compound(
            session, code=f"CP-{index + 1}", region=region, latitude=lat, longitude=lon
        )
        requests.append(
            make_request(
                session,
                compound=compound,
                delivery_date=day,
                kg=kg,
                priority=RequestPriority.urgent if index in urgent else RequestPriority.normal,
                window=window,
            )
        )
    return requests
