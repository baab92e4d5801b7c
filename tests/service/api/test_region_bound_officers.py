"""Region-bound staff and the service officers: a city bureau assigns officers only to
stores inside its city, lists only the assignments, visits, portfolio stores and
coverage gaps of stores inside it, and a neighbour city's store is unknown to it;
assigning a whole enterprise, which spans cities, is for national staff."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import OfficerAssignment, OfficerVisit, RegionLevel, Role, Store, User
from tests.factories import days_ago, make_enterprise, make_key, make_region, make_store

URL = "/api/v1/officers"


def person(client: TestClient, session: Session, username: str, role: Role) -> dict[str, str]:
    create_user(session, username=username, password=f"{username}-password-1", role=role)
    session.commit()
    token = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": f"{username}-password-1"},
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def cities(session: Session) -> dict[str, Any]:
    """Key stores of one chain in city A (two districts) and city B, and a national bureau
    that has given officer wang a store in each city."""
    city_a = make_region(session, code="CITY-A", level=RegionLevel.city)
    a_north = make_region(session, code="A-NORTH", parent=city_a)
    a_south = make_region(session, code="A-SOUTH", parent=city_a)
    city_b = make_region(session, code="CITY-B", level=RegionLevel.city)
    b_east = make_region(session, code="B-EAST", parent=city_b)
    chain = make_enterprise(session, code="CHAIN")
    for code, region in (("A-N-1", a_north), ("A-S-1", a_south), ("B-E-1", b_east)):
        make_store(session, code=code, region=region, enterprise=chain).key_supplier = True
    session.commit()
    return {"city_a": city_a, "a_north": a_north, "b_east": b_east}


@pytest.fixture
def wang(client: TestClient, session: Session, cities: dict[str, Any]) -> dict[str, str]:
    """Officer wang, in charge of a store in each city, who visited both."""
    headers = person(client, session, "wang", Role.service_officer)
    national = make_key(session, Role.bureau)
    for store in ("A-N-1", "B-E-1"):
        put = client.put(
            f"{URL}/assignments", json={"officer": "wang", "store": store}, headers=national
        )
        assert put.status_code == 200, put.text
        logged = client.post(
            f"{URL}/me/visits",
            json={
                "visit_date": days_ago(1).isoformat(),
                "mode": "on_site",
                "contact": f"manager of {store}",
                "notes": "Checked the shelves.",
                "store": store,
            },
            headers=headers,
        )
        assert logged.status_code == 201, logged.text
    return headers


@pytest.fixture
def city_a_bureau(session: Session, cities: dict[str, Any]) -> dict[str, str]:
    return make_key(session, Role.bureau, region=cities["city_a"])


@pytest.mark.usefixtures("wang")
def test_city_bureau_never_sees_a_neighbour_citys_officer_assignments_or_visits(
    client: TestClient, city_a_bureau: dict[str, str]
) -> None:
    roster = client.get(f"{URL}/assignments", headers=city_a_bureau)
    assert [(a["officer"], a["store"]) for a in roster.json()] == [("wang", "A-N-1")]
    visits = client.get(f"{URL}/wang/visits", headers=city_a_bureau)
    assert [v["contact"] for v in visits.json()] == ["manager of A-N-1"]
    portfolio = client.get(f"{URL}/wang/portfolio", headers=city_a_bureau).json()
    assert [s["code"] for s in portfolio["stores"]] == ["A-N-1"]
    coverage = client.get(f"{URL}/coverage", headers=city_a_bureau).json()
    assert [s["code"] for s in coverage["stores_without_officer"]] == ["A-S-1"]
    assert [o["username"] for o in coverage["officers_without_visit"]] == []


def test_national_bureau_still_sees_every_citys_officer_work(
    client: TestClient, session: Session, wang: dict[str, str]
) -> None:
    national = make_key(session, Role.bureau)
    roster = client.get(f"{URL}/assignments", headers=national)
    assert [a["store"] for a in roster.json()] == ["A-N-1", "B-E-1"]
    assert len(client.get(f"{URL}/wang/visits", headers=national).json()) == 2
    portfolio = client.get(f"{URL}/wang/portfolio", headers=national).json()
    assert sorted(s["code"] for s in portfolio["stores"]) == ["A-N-1", "B-E-1"]


def test_district_bureau_sees_only_its_districts_officer_work(
    client: TestClient, session: Session, cities: dict[str, Any], wang: dict[str, str]
) -> None:
    elsewhere = make_key(session, Role.bureau, region=make_region(session, code="A-S-X"))
    north = make_key(session, Role.bureau, region=cities["a_north"])
    assert [a["store"] for a in client.get(f"{URL}/assignments", headers=north).json()] == ["A-N-1"]
    assert client.get(f"{URL}/assignments", headers=elsewhere).json() == []
    coverage = client.get(f"{URL}/coverage", headers=north).json()
    assert coverage["stores_without_officer"] == []


@pytest.mark.usefixtures("wang")
def test_city_bureau_assigns_officers_only_to_stores_inside_its_city(
    client: TestClient, session: Session, city_a_bureau: dict[str, str]
) -> None:
    def assign(**target: str) -> Any:
        body = {"officer": "wang", **target}
        return client.put(f"{URL}/assignments", json=body, headers=city_a_bureau)

    assert assign(store="A-S-1").status_code == 200
    before = int(session.scalar(select(func.count()).select_from(OfficerAssignment)) or 0)
    outside = assign(store="B-E-1")
    assert outside.status_code == 422, outside.text
    assert outside.json()["detail"] == "unknown store 'B-E-1'"
    assert assign(enterprise="CHAIN").status_code == 403
    taken_back = client.delete(f"{URL}/assignments/store/B-E-1", headers=city_a_bureau)
    assert taken_back.status_code == 422, taken_back.text
    assert (
        client.delete(f"{URL}/assignments/enterprise/CHAIN", headers=city_a_bureau).status_code
        == 403
    )
    assert int(session.scalar(select(func.count()).select_from(OfficerAssignment)) or 0) == before
    assert client.delete(f"{URL}/assignments/store/A-S-1", headers=city_a_bureau).status_code == 200


@pytest.mark.usefixtures("wang")
def test_city_bureau_cannot_log_a_visit_to_a_neighbour_citys_store(
    client: TestClient, city_a_bureau: dict[str, str]
) -> None:
    body = {
        "visit_date": days_ago(1).isoformat(),
        "mode": "phone",
        "contact": "someone",
        "notes": "Called about eggs.",
        "store": "B-E-1",
    }
    refused = client.post(f"{URL}/wang/visits", json=body, headers=city_a_bureau)
    assert refused.status_code == 422, refused.text
    body["store"] = "A-N-1"
    assert client.post(f"{URL}/wang/visits", json=body, headers=city_a_bureau).status_code == 201


def test_city_bureau_does_not_know_the_bureau_staff_of_a_neighbour_city(
    client: TestClient, session: Session, cities: dict[str, Any], city_a_bureau: dict[str, str]
) -> None:
    city_b = make_region(session, code="CITY-B2", level=RegionLevel.city)
    for username, region_id in (("zhao", city_b.id), ("qian", cities["city_a"].id)):
        create_user(
            session,
            username=username,
            password="x-password-1",
            role=Role.bureau,
            region_id=region_id,
        )
    session.commit()
    unknown = client.get(f"{URL}/zhao/portfolio", headers=city_a_bureau)
    assert unknown.status_code == 404, unknown.text
    assert unknown.json()["detail"] == "service officer 'zhao' not found"
    assert client.get(f"{URL}/zhao/visits", headers=city_a_bureau).status_code == 404
    refused = client.put(
        f"{URL}/assignments", json={"officer": "zhao", "store": "A-N-1"}, headers=city_a_bureau
    )
    assert refused.status_code == 422, refused.text
    assert client.get(f"{URL}/qian/portfolio", headers=city_a_bureau).status_code == 200
    given = client.put(
        f"{URL}/assignments", json={"officer": "qian", "store": "A-N-1"}, headers=city_a_bureau
    )
    assert given.status_code == 200, given.text
    national = make_key(session, Role.bureau)
    assert client.get(f"{URL}/zhao/portfolio", headers=national).status_code == 200


def test_city_bureau_cannot_log_a_visit_to_an_enterprise_with_no_store_in_its_city(
    client: TestClient, session: Session, cities: dict[str, Any], wang: dict[str, str]
) -> None:
    """An enterprise all of whose stores lie in city B is unknown to city A's bureau: it
    may not write a visit to it into wang's log (where it would show city B's bureau and
    the coverage a visit that never happened), as it may not log one at a store there."""
    b_east = cities["b_east"]
    make_store(
        session, code="B-E-2", region=b_east, enterprise=make_enterprise(session, code="B-ONLY")
    )
    session.commit()
    national = make_key(session, Role.bureau)
    for enterprise in ("B-ONLY", "CHAIN"):
        given = client.put(
            f"{URL}/assignments",
            json={"officer": "wang", "enterprise": enterprise},
            headers=national,
        )
        assert given.status_code == 200, given.text
    city_a_bureau = make_key(session, Role.bureau, region=cities["city_a"])
    body = {
        "visit_date": days_ago(1).isoformat(),
        "mode": "phone",
        "contact": "someone",
        "notes": "Called about eggs.",
        "enterprise": "B-ONLY",
    }
    before = int(session.scalar(select(func.count()).select_from(OfficerVisit)) or 0)
    refused = client.post(f"{URL}/wang/visits", json=body, headers=city_a_bureau)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["loc"] == ["body", "enterprise"]
    assert refused.json()["detail"] == "unknown enterprise 'B-ONLY'"
    assert int(session.scalar(select(func.count()).select_from(OfficerVisit)) or 0) == before
    body["enterprise"] = "CHAIN"
    inside = client.post(f"{URL}/wang/visits", json=body, headers=city_a_bureau)
    assert inside.status_code == 201, inside.text
    body["enterprise"] = "B-ONLY"
    assert client.post(f"{URL}/wang/visits", json=body, headers=national).status_code == 201


def test_adopting_free_text_names_never_hands_a_store_to_a_neighbour_citys_bureau_staff(
    client: TestClient, session: Session, cities: dict[str, Any], city_a_bureau: dict[str, str]
) -> None:
    """A store's old free-text officer name that happens to be the username of bureau
    staff of city B is left as text when city A's bureau adopts the names: assigning it
    by hand is refused, and adopting must not do it (nor name the neighbour's user)."""
    city_b = make_region(session, code="CITY-B3", level=RegionLevel.city)
    create_user(
        session, username="zhao", password="x-password-1", role=Role.bureau, region_id=city_b.id
    )
    create_user(session, username="wu", password="x-password-1", role=Role.service_officer)
    stores = {store.code: store for store in session.scalars(select(Store))}
    stores["A-N-1"].service_officer = "Zhao"
    stores["A-S-1"].service_officer = "wu"
    session.commit()
    adopted = client.post(f"{URL}/assignments/adopt", headers=city_a_bureau)
    assert adopted.status_code == 200, adopted.text
    assert adopted.json() == [{"store": "A-S-1", "officer": "wu"}]
    assert "zhao" not in adopted.text
    officers = session.scalars(select(OfficerAssignment.officer_id)).all()
    zhao = session.scalars(select(User.id).where(User.username == "zhao")).one()
    assert zhao not in officers


def test_city_bureau_reads_a_chain_visit_without_the_tickets_it_raised_in_a_neighbour_city(
    client: TestClient, session: Session, cities: dict[str, Any], wang: dict[str, str]
) -> None:
    """A visit to a chain with stores in both cities shows in city A's log of wang's work,
    but a problem it raised at the chain's city B store is city B's ticket: city A's
    bureau sees neither its number nor its store, while the national bureau sees both."""
    national = make_key(session, Role.bureau)
    given = client.put(
        f"{URL}/assignments", json={"officer": "wang", "enterprise": "CHAIN"}, headers=national
    )
    assert given.status_code == 200, given.text
    problems = [
        {"category": "store_closed_or_short", "text": f"Short of eggs at {store}.", "store": store}
        for store in ("A-N-1", "B-E-1")
    ]
    logged = client.post(
        f"{URL}/me/visits",
        json={
            "visit_date": days_ago(1).isoformat(),
            "mode": "phone",
            "contact": "the chain's buyer",
            "notes": "Called about eggs.",
            "enterprise": "CHAIN",
            "problems": problems,
        },
        headers=wang,
    )
    assert logged.status_code == 201, logged.text
    assert [t["store"] for t in logged.json()["tickets"]] == ["A-N-1", "B-E-1"]
    city_a_bureau = make_key(session, Role.bureau, region=cities["city_a"])
    for headers, stores in ((city_a_bureau, ["A-N-1"]), (national, ["A-N-1", "B-E-1"])):
        visits = client.get(f"{URL}/wang/visits", headers=headers).json()
        chain_visit = next(visit for visit in visits if visit["enterprise"] == "CHAIN")
        assert [ticket["store"] for ticket in chain_visit["tickets"]] == stores
