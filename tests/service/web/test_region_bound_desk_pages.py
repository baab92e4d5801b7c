"""The hotline queue and the pass office pages for a person bound to a city: they show
only the city's tickets, passes and checkpoints, and a neighbour's pass page is a 404."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import RegionLevel, Role
from tests.factories import make_enterprise, make_key, make_region
from tests.pass_office.factories import make_checkpoint, vehicle_body
from tests.service.web.helpers import sign_in


@dataclass
class Desk:
    tickets: dict[str, str]
    passes: dict[str, str]


@pytest.fixture
def desk(client: TestClient, session: Session) -> Desk:
    city_a = make_region(session, code="3101", name="Shanghai", level=RegionLevel.city)
    district_a = make_region(session, code="310115", name="Pudong", parent=city_a)
    city_b = make_region(session, code="3205", name="Suzhou", level=RegionLevel.city)
    district_b = make_region(session, code="320505", name="Huqiu", parent=city_b)
    make_enterprise(session, code="LIANHUA")
    make_checkpoint(session, code="GATE-A", region=district_a)
    make_checkpoint(session, code="GATE-B", region=district_b)
    national = make_key(session, Role.bureau)
    tickets: dict[str, str] = {}
    passes: dict[str, str] = {}
    for name, district in (("a", district_a), ("b", district_b)):
        ticket = client.post(
            "/api/v1/hotline/tickets",
            json={"category": "cannot_buy", "text": "No eggs.", "region": district.code},
            headers=national,
        )
        assert ticket.status_code == 201, ticket.text
        tickets[name] = ticket.json()["number"]
        issued = client.post(
            "/api/v1/passes",
            json=vehicle_body(
                regions=[district.code], enterprise="LIANHUA", plate=f"沪A·0000{len(passes)}"
            ),
            headers=national,
        )
        assert issued.status_code == 201, issued.text
        passes[name] = issued.json()["code"]
    create_user(
        session,
        username="city-a",
        password="city-a-password",
        role=Role.bureau,
        region_id=city_a.id,
    )
    session.commit()
    assert sign_in(client, "city-a", "city-a-password").status_code == 303
    return Desk(tickets=tickets, passes=passes)


def test_a_city_bureau_person_sees_only_the_citys_tickets_in_the_queue(
    client: TestClient, desk: Desk
) -> None:
    queue = client.get("/hotline/queue")
    assert queue.status_code == 200
    assert desk.tickets["a"] in queue.text
    assert desk.tickets["b"] not in queue.text


def test_a_city_bureau_person_sees_only_the_citys_passes_and_checkpoints(
    client: TestClient, desk: Desk
) -> None:
    office = client.get("/pass-office", params={"q": "LIANHUA"})
    assert office.status_code == 200
    assert desk.passes["a"] in office.text
    assert desk.passes["b"] not in office.text
    assert client.get(f"/pass-office/passes/{desk.passes['a']}").status_code == 200
    assert client.get(f"/pass-office/passes/{desk.passes['b']}").status_code == 404
    assert client.get(f"/passes/{desk.passes['b']}/print").status_code == 404
    scans = client.get("/pass-office/scans")
    assert scans.status_code == 200
    assert "GATE-A" in scans.text
    assert "GATE-B" not in scans.text
