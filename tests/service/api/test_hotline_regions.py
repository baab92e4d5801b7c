"""The hotline for staff bound to a region: a city bureau files, lists, reads and works
only its own city's tickets, a district bureau only its district's, and a neighbour's
ticket, region or store is answered as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Region, RegionLevel, Role, Store, Ticket, TicketEvent
from tests.factories import make_key, make_region, make_store

URL = "/api/v1/hotline/tickets"


@dataclass
class TwoCities:
    city_a: Region
    district_a1: Region
    district_a2: Region
    city_b: Region
    district_b: Region
    store_a: Store
    store_b: Store
    national: dict[str, str]
    national_bureau: dict[str, str]
    bureau_a: dict[str, str]
    bureau_a1: dict[str, str]
    admin_a: dict[str, str]
    tickets: dict[str, str]
    """Ticket number by the district code it was filed in."""


def call(region: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "cannot_buy",
        "text": "No eggs in the supermarket for three days.",
        "region": region,
        "caller_name": "Wang Fang",
    }
    body.update(changes)
    return body


@pytest.fixture
def cities(client: TestClient, session: Session) -> TwoCities:
    city_a = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    district_a1 = make_region(session, code="410402", name="Xinhua", parent=city_a)
    district_a2 = make_region(session, code="410403", name="Weidong", parent=city_a)
    city_b = make_region(session, code="4105", name="Anyang", level=RegionLevel.city)
    district_b = make_region(session, code="410502", name="Wenfeng", parent=city_b)
    national = make_key(session, Role.operator)
    tickets = {}
    for district in (district_a1, district_a2, district_b):
        response = client.post(URL, json=call(district.code), headers=national)
        assert response.status_code == 201, response.text
        tickets[district.code] = response.json()["number"]
    return TwoCities(
        city_a=city_a,
        district_a1=district_a1,
        district_a2=district_a2,
        city_b=city_b,
        district_b=district_b,
        store_a=make_store(session, region=district_a1),
        store_b=make_store(session, region=district_b),
        national=national,
        national_bureau=make_key(session, Role.bureau),
        bureau_a=make_key(session, Role.bureau, region=city_a),
        bureau_a1=make_key(session, Role.bureau, region=district_a1),
        admin_a=make_key(session, Role.admin, region=city_a),
        tickets=tickets,
    )


def numbers(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    response = client.get(URL, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {item["number"] for item in body["items"]}


def test_city_bureau_lists_and_counts_only_its_own_citys_tickets(
    client: TestClient, cities: TwoCities
) -> None:
    own = {cities.tickets["410402"], cities.tickets["410403"]}
    assert numbers(client, cities.bureau_a) == own
    assert numbers(client, cities.bureau_a, open_only=True) == own
    assert numbers(client, cities.bureau_a, working_group="supply_coordination") == own
    assert numbers(client, cities.national) == own | {cities.tickets["410502"]}
    due = {"order": "due", "open": True}
    assert numbers(client, cities.bureau_a, **due) == own
    assert numbers(client, cities.bureau_a, working_group="supply_coordination", **due) == own
    assert numbers(client, cities.bureau_a, working_group="it's'; --", **due) == set()
    assert numbers(client, cities.national, **due) == own | {cities.tickets["410502"]}


def test_district_bureau_never_sees_its_citys_other_districts(
    client: TestClient, cities: TwoCities
) -> None:
    assert numbers(client, cities.bureau_a1) == {cities.tickets["410402"]}
    assert numbers(client, cities.bureau_a1, order="due") == {cities.tickets["410402"]}
    other = cities.tickets["410403"]
    response = client.get(f"{URL}/{other}", headers=cities.bureau_a1)
    assert response.status_code == 404
    assert response.json()["detail"] == f"ticket {other!r} not found"


def test_city_bureau_never_reads_a_neighbour_citys_ticket(
    client: TestClient, cities: TwoCities
) -> None:
    own, neighbour = cities.tickets["410402"], cities.tickets["410502"]
    assert client.get(f"{URL}/{own}", headers=cities.bureau_a).json()["number"] == own
    missing = client.get(f"{URL}/HL9999999", headers=cities.bureau_a)
    response = client.get(f"{URL}/{neighbour}", headers=cities.bureau_a)
    assert response.status_code == missing.status_code == 404
    assert response.json()["detail"] == f"ticket {neighbour!r} not found"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("assignment", {"working_group": "publicity", "level": "city"}),
        ("comments", {"text": "Called the store.", "to_caller": False}),
        ("call-backs", {"note": "Called back."}),
        ("waiting", {"waiting": True}),
        ("priority", {"priority": "urgent"}),
        ("links", {"alert": 1}),
        ("resolution", {"resolution": "Eggs delivered."}),
        ("reopening", {"reason": "Still none."}),
        ("merge", {"into": "HL0000001"}),
    ],
)
def test_city_bureau_cannot_work_a_neighbour_citys_ticket_and_nothing_changes(
    client: TestClient, session: Session, cities: TwoCities, action: str, body: dict[str, Any]
) -> None:
    neighbour = cities.tickets["410502"]
    ticket = session.scalars(select(Ticket).where(Ticket.number == neighbour)).one()
    before = (ticket.status, ticket.priority, ticket.working_group_id, ticket.updated_at)
    events = len(
        session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
    )
    response = client.post(f"{URL}/{neighbour}/{action}", json=body, headers=cities.bureau_a)
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"ticket {neighbour!r} not found"
    session.refresh(ticket)
    assert (ticket.status, ticket.priority, ticket.working_group_id, ticket.updated_at) == before
    assert (
        len(session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all())
        == events
    )


def test_city_bureau_works_its_own_ticket(client: TestClient, cities: TwoCities) -> None:
    own = cities.tickets["410402"]  # where store_a is: a link stays in the ticket's region
    response = client.post(
        f"{URL}/{own}/assignment",
        json={"working_group": "publicity", "level": "city"},
        headers=cities.bureau_a,
    )
    assert response.status_code == 200, response.text
    assert response.json()["working_group"] == "publicity"
    linked = client.post(
        f"{URL}/{own}/links", json={"store": cities.store_a.code}, headers=cities.bureau_a
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["store"] == cities.store_a.code
    resolved = client.post(
        f"{URL}/{own}/resolution", json={"resolution": "Eggs arrived."}, headers=cities.bureau_a
    )
    assert resolved.json()["status"] == "resolved"


def test_city_bureau_cannot_file_link_or_merge_into_a_neighbour_citys_places(
    client: TestClient, cities: TwoCities
) -> None:
    own, neighbour = cities.tickets["410402"], cities.tickets["410502"]
    filed = client.post(URL, json=call(cities.district_b.code), headers=cities.bureau_a)
    unknown = client.post(URL, json=call("999999"), headers=cities.bureau_a)
    assert filed.status_code == unknown.status_code == 422
    assert filed.json()["errors"][0]["loc"] == ["body", "region"]
    assert filed.json()["detail"] == f"unknown region {cities.district_b.code!r}"
    store = client.post(
        URL, json=call(cities.district_a1.code, store=cities.store_b.code), headers=cities.bureau_a
    )
    assert store.status_code == 422
    assert store.json()["errors"][0]["loc"] == ["body", "store"]
    link = client.post(
        f"{URL}/{own}/links", json={"store": cities.store_b.code}, headers=cities.bureau_a
    )
    assert link.status_code == 422
    merge = client.post(f"{URL}/{own}/merge", json={"into": neighbour}, headers=cities.bureau_a)
    assert merge.status_code == 422
    assert merge.json()["errors"][0]["loc"] == ["body", "into"]
    assert numbers(client, cities.bureau_a) == {own, cities.tickets["410403"]}
    filed_own = client.post(URL, json=call(cities.district_a1.code), headers=cities.bureau_a)
    assert filed_own.status_code == 201, filed_own.text


def test_city_bureau_routes_only_inside_its_city_and_leaves_shared_settings_alone(
    client: TestClient, cities: TwoCities
) -> None:
    rules = "/api/v1/hotline/routing-rules"
    rule = {"category": "cannot_buy", "working_group": "publicity", "level": "county"}
    outside = client.put(
        rules, json={**rule, "region": cities.district_b.code}, headers=cities.bureau_a
    )
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["loc"] == ["body", "region"]
    assert (
        client.put(rules, json={**rule, "region": None}, headers=cities.bureau_a).status_code == 403
    )
    inside = client.put(
        rules, json={**rule, "region": cities.district_a1.code}, headers=cities.bureau_a
    )
    assert inside.status_code == 200, inside.text
    national = client.put(
        rules, json={**rule, "region": cities.district_b.code}, headers=cities.national_bureau
    )
    assert national.status_code == 200, national.text
    seen = {(r["region"], r["category"]) for r in client.get(rules, headers=cities.bureau_a).json()}
    assert (cities.district_a1.code, "cannot_buy") in seen
    assert (cities.district_b.code, "cannot_buy") not in seen
    assert (None, "cannot_buy") in seen
    target = {"first_response_minutes": 10, "resolution_minutes": 60}
    assert (
        client.put(
            "/api/v1/hotline/sla-targets/urgent", json=target, headers=cities.bureau_a
        ).status_code
        == 403
    )
    assert client.post("/api/v1/hotline/escalations", headers=cities.bureau_a).status_code == 403


def test_city_admin_works_its_own_citys_tickets_and_never_a_neighbours(
    client: TestClient, cities: TwoCities
) -> None:
    own, neighbour = cities.tickets["410402"], cities.tickets["410502"]
    assert numbers(client, cities.admin_a) == {own, cities.tickets["410403"]}
    body = {"resolution": "Eggs delivered."}
    refused = client.post(f"{URL}/{neighbour}/resolution", json=body, headers=cities.admin_a)
    assert refused.status_code == 404
    assert client.get(f"{URL}/{neighbour}", headers=cities.national).json()["status"] != "resolved"
    resolved = client.post(f"{URL}/{own}/resolution", json=body, headers=cities.admin_a)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "resolved"
