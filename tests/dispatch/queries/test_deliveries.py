"""Deliveries with their audit trail, and a truck's manifest as the driver, the
dispatcher and the API read it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Forbidden, NotFound
from dispatch.commitment import commit_plan
from dispatch.planning import PlanOptions, create_draft
from dispatch.queries.deliveries import (
    driver_manifest,
    list_deliveries,
    read_delivery,
    truck_manifest,
)
from models import Delivery, DeliveryStatus, Role, Truck
from tests.dispatch.factories import PLAN_DAY, make_city

DAY = PLAN_DAY
ZONE = ZoneInfo("Asia/Shanghai")
DISPATCHER = Principal(kind="user", id=1, name="ops", role=Role.dispatcher)


def _driver(truck: Truck | None) -> Principal:
    return Principal(
        kind="user", id=2, name="wang", role=Role.driver, truck_id=truck.id if truck else None
    )


@pytest.fixture
def trucks(session: Session) -> dict[str, Truck]:
    """Trucks T-1 and T-2 with the deliveries of a committed plan for four compounds."""
    make_city(session, day=DAY, trucks=[500, 500], loads=[200, 250, 150, 300])
    plan = create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="ops"
    )
    commit_plan(session=session, plan_id=plan.id, expected_version=1, actor="ops", zone=ZONE)
    return {truck.plate: truck for truck in session.scalars(select(Truck))}


def test_a_driver_lists_and_reads_only_its_trucks_deliveries(
    session: Session, trucks: dict[str, Truck]
) -> None:
    driver = _driver(trucks["T-1"])
    mine = list_deliveries(session=session, principal=driver, limit=50, offset=0)
    assert mine.total == len(mine.items) > 0
    assert {d.truck for d in mine.items} == {"T-1"}
    first = read_delivery(session=session, principal=driver, delivery_id=mine.items[0].id)
    assert [(e.from_status, e.to_status) for e in first.events] == [(None, DeliveryStatus.assigned)]
    theirs = session.scalars(select(Delivery).where(Delivery.truck_id == trucks["T-2"].id)).first()
    assert theirs is not None
    with pytest.raises(Forbidden):
        read_delivery(session=session, principal=driver, delivery_id=theirs.id)
    every = list_deliveries(
        session=session, principal=DISPATCHER, plan_date=DAY, limit=50, offset=0
    )
    assert every.total == 4
    with pytest.raises(NotFound):
        list_deliveries(session=session, principal=DISPATCHER, truck="T-404", limit=5, offset=0)


def test_a_manifest_lists_the_stops_in_driving_order_with_contacts_and_items(
    session: Session, trucks: dict[str, Truck]
) -> None:
    truck = trucks["T-1"]
    manifest = truck_manifest(session=session, principal=_driver(truck), truck=truck, day=DAY)
    assert manifest.plate == "T-1" and manifest.crew == "Li Lei, Han Meimei"
    arrivals = [stop.planned_arrival_at for stop in manifest.stops]
    assert arrivals == sorted(arrivals) and manifest.stops
    assert [stop.sequence for stop in manifest.stops] == list(range(1, len(manifest.stops) + 1))
    assert manifest.load_kg == sum(stop.load_kg for stop in manifest.stops)
    assert all(stop.contact_name == "Wang Min" and stop.items for stop in manifest.stops)
    with pytest.raises(Forbidden):
        truck_manifest(session=session, principal=_driver(trucks["T-2"]), truck=truck, day=DAY)
    empty = truck_manifest(
        session=session, principal=DISPATCHER, truck=truck, day=DAY + timedelta(days=17)
    )
    assert empty.stops == [] and empty.load_kg == 0


def test_the_driver_page_shows_the_drivers_own_truck_or_the_one_a_dispatcher_picks(
    session: Session, trucks: dict[str, Truck]
) -> None:
    own = driver_manifest(session=session, principal=_driver(trucks["T-2"]), plate="T-1", day=DAY)
    assert own is not None and own.plate == "T-2"
    assert driver_manifest(session=session, principal=_driver(None), plate=None, day=DAY) is None
    picked = driver_manifest(session=session, principal=DISPATCHER, plate="T-1", day=DAY)
    assert picked is not None and picked.plate == "T-1"
    assert driver_manifest(session=session, principal=DISPATCHER, plate="T-404", day=DAY) is None
    assert driver_manifest(session=session, principal=DISPATCHER, plate=None, day=DAY) is None
    bureau = Principal(kind="user", id=3, name="li", role=Role.bureau)
    with pytest.raises(Forbidden):
        driver_manifest(session=session, principal=bureau, plate="T-1", day=DAY)
