"""A plan as dispatchers read it, and what the plan page shows beside it: the map's
places, the trucks a stop may move to, delivery progress and the manifests' contacts."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal
from core.errors import Forbidden
from dispatch.commitment import commit_plan
from dispatch.planning import PlanOptions, create_draft
from dispatch.queries.plans import (
    delivery_statuses,
    list_plans,
    plan_places,
    plan_truck_plates,
    plans_of_day,
    read_plan,
    route_contacts,
)
from models import DeliveryStatus, Depot, DispatchPlan, PlanStatus, Role
from tests.dispatch.factories import PLAN_DAY, make_city, make_compound, make_truck

DAY = PLAN_DAY
ZONE = ZoneInfo("Asia/Shanghai")
BUREAU = Principal(kind="user", id=1, name="li", role=Role.bureau)


@pytest.fixture
def plan(session: Session) -> DispatchPlan:
    """A committed plan of three trucks (one left idle) serving three compounds."""
    make_city(session, day=DAY, trucks=[1000, 1000, 1000], loads=[200, 300, 250])
    draft = create_draft(
        session=session, options=PlanOptions(plan_date=DAY, time_limit_s=1), created_by="ops"
    )
    commit_plan(session=session, plan_id=draft.id, expected_version=1, actor="ops", zone=ZONE)
    return draft


def test_a_plan_reads_with_routes_in_local_time_and_totals_that_add_up(
    session: Session, plan: DispatchPlan
) -> None:
    view = read_plan(session=session, principal=BUREAU, plan_id=plan.id, zone=ZONE)
    assert view.status is PlanStatus.committed and view.version == 2
    assert view.distance_source == "haversine" and view.unassigned == []
    stops = [stop for route in view.routes for stop in route.stops]
    assert {stop.compound for stop in stops} == {"CP-1", "CP-2", "CP-3"}
    assert all(stop.arrival.tzinfo == ZONE and stop.arrival.date() == DAY for stop in stops)
    assert view.totals.stops == len(stops) == view.totals.requests_served == 3
    assert view.totals.load_kg == sum(route.load_kg for route in view.routes) == 750
    assert view.totals.trucks_available == 3 and view.totals.trucks_used == len(view.routes)
    listed = list_plans(
        session=session, principal=BUREAU, plan_date=DAY, zone=ZONE, limit=5, offset=0
    )
    assert listed.total == 1 and listed.items == [view]
    assert [p.id for p in plans_of_day(session=session, principal=BUREAU, day=DAY)] == [plan.id]
    driver = Principal(kind="user", id=2, name="wang", role=Role.driver)
    with pytest.raises(Forbidden):
        read_plan(session=session, principal=driver, plan_id=plan.id, zone=ZONE)


def test_the_plan_page_reads_its_places_trucks_progress_and_contacts(
    session: Session, plan: DispatchPlan
) -> None:
    elsewhere = make_compound(session, code="CP-ELSEWHERE")
    view = read_plan(session=session, principal=BUREAU, plan_id=plan.id, zone=ZONE)

    places = plan_places(session=session, plan=view)
    assert {code for code, place in places.items() if place.kind == "depot"} == {"DEP-A"}
    assert {code for code, place in places.items() if place.kind == "compound"} == {
        "CP-1",
        "CP-2",
        "CP-3",
    }
    assert plan_truck_plates(session=session, plan_id=plan.id) == ["T-1", "T-2", "T-3"]
    statuses = delivery_statuses(session=session, plan_id=plan.id)
    assert set(statuses.values()) == {DeliveryStatus.assigned}
    assert set(statuses) == {
        (stop.request_id, stop.part) for route in view.routes for stop in route.stops
    }

    contacts = route_contacts(session=session, plan=view)
    assert set(contacts.compounds) == {"CP-1", "CP-2", "CP-3"}
    assert elsewhere.code not in contacts.compounds
    assert contacts.compounds["CP-1"].contact_phone == "0375-5550000"
    assert set(contacts.crews) == {route.truck for route in view.routes}
    assert {crew.crew for crew in contacts.crews.values()} == {"Li Lei, Han Meimei"}


def test_a_truck_added_later_is_not_one_of_the_plans_trucks(
    session: Session, plan: DispatchPlan
) -> None:
    depot = session.scalars(select(Depot).where(Depot.code == "DEP-A")).one()
    make_truck(session, depot=depot, plate="T-9")
    assert "T-9" not in plan_truck_plates(session=session, plan_id=plan.id)
