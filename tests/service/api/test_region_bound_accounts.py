"""Staff bound to a region: a city's admin issues keys and adds people only inside its
city, and never learns of a neighbour city's accounts; national admins see them all."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accounts.authentication import authenticate_token, create_user
from models import Region, RegionLevel, Role, Store
from tests.factories import make_key, make_region, make_store


@dataclass
class TwoCities:
    city_a: Region
    district_a: Region
    other_district_a: Region
    city_b: Region
    district_b: Region
    store_a: Store
    store_b: Store


@pytest.fixture
def cities(session: Session) -> TwoCities:
    city_a = make_region(session, code="CITY-A", name="Alpha", level=RegionLevel.city)
    district_a = make_region(session, code="A-D1", parent=city_a)
    other_district_a = make_region(session, code="A-D2", parent=city_a)
    township_a = make_region(session, code="A-D1-T1", level=RegionLevel.township, parent=district_a)
    city_b = make_region(session, code="CITY-B", name="Beta", level=RegionLevel.city)
    district_b = make_region(session, code="B-D1", parent=city_b)
    return TwoCities(
        city_a=city_a,
        district_a=district_a,
        other_district_a=other_district_a,
        city_b=city_b,
        district_b=district_b,
        store_a=make_store(session, code="A-STORE", region=township_a),
        store_b=make_store(session, code="B-STORE", region=district_b),
    )


def test_a_key_bound_to_a_city_carries_the_city_and_every_region_below_it(
    session: Session, cities: TwoCities
) -> None:
    headers = make_key(session, Role.bureau, region=cities.city_a)
    caller = authenticate_token(session, headers["Authorization"].removeprefix("Bearer "))
    assert caller.region_id == cities.city_a.id
    assert caller.region_ids is not None
    assert {cities.city_a.id, cities.district_a.id, cities.other_district_a.id} <= (
        caller.region_ids
    )
    assert cities.store_a.region_id in caller.region_ids
    assert cities.city_b.id not in caller.region_ids
    assert cities.district_b.id not in caller.region_ids
    assert caller.can_access_store(cities.store_a)
    assert not caller.can_access_store(cities.store_b)


def test_a_national_admin_binds_a_bureau_key_to_a_city_and_it_shows_in_the_key(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    national = make_key(session, Role.admin)
    created = client.post(
        "/api/v1/keys",
        json={"name": "alpha bureau", "role": "bureau", "region": "CITY-A"},
        headers=national,
    )
    assert created.status_code == 201, created.text
    assert created.json()["region"] == "CITY-A"
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {created.json()['key']}"})
    assert me.status_code == 200
    assert (me.json()["role"], me.json()["region_id"]) == ("bureau", cities.city_a.id)


def test_only_admin_and_bureau_staff_can_be_bound_to_a_region(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    national = make_key(session, Role.admin)
    refused = client.post(
        "/api/v1/keys",
        json={"name": "x", "role": "dispatcher", "region": "CITY-A"},
        headers=national,
    )
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [error["loc"] for error in refused.json()["errors"]] == [["body", "region"]]
    unknown = client.post(
        "/api/v1/keys", json={"name": "x", "role": "bureau", "region": "NOWHERE"}, headers=national
    )
    assert unknown.status_code == 422
    assert [error["loc"] for error in unknown.json()["errors"]] == [["body", "region"]]


def test_a_city_admin_issues_keys_inside_its_city_and_by_default_binds_staff_to_it(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    city_admin = make_key(session, Role.admin, region=cities.city_a)
    store_key = client.post(
        "/api/v1/keys",
        json={"name": "till", "role": "store", "store": "A-STORE"},
        headers=city_admin,
    )
    assert store_key.status_code == 201, store_key.text
    district_bureau = client.post(
        "/api/v1/keys",
        json={"name": "district desk", "role": "bureau", "region": "A-D1"},
        headers=city_admin,
    )
    assert district_bureau.status_code == 201 and district_bureau.json()["region"] == "A-D1"
    unnamed = client.post(
        "/api/v1/keys", json={"name": "city desk", "role": "bureau"}, headers=city_admin
    )
    assert unnamed.status_code == 201 and unnamed.json()["region"] == "CITY-A"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "role": "store", "store": "B-STORE"},
        {"name": "x", "role": "bureau", "region": "CITY-B"},
        {"name": "x", "role": "admin", "region": "B-D1"},
        {"name": "x", "role": "dispatcher"},
    ],
    ids=["neighbour-store", "neighbour-city", "neighbour-district", "unconfined-role"],
)
def test_a_city_admin_cannot_issue_a_key_outside_its_city(
    client: TestClient, session: Session, cities: TwoCities, body: dict[str, str]
) -> None:
    city_admin = make_key(session, Role.admin, region=cities.city_a)
    refused = client.post("/api/v1/keys", json=body, headers=city_admin)
    assert refused.status_code == 403, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    listed = client.get("/api/v1/keys", headers=make_key(session, Role.admin)).json()
    assert "x" not in [key["name"] for key in listed["items"]]


def test_a_city_admin_never_sees_or_revokes_a_neighbour_citys_keys(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    national = make_key(session, Role.admin)
    neighbour = client.post(
        "/api/v1/keys",
        json={"name": "beta till", "role": "store", "store": "B-STORE"},
        headers=national,
    ).json()
    own = client.post(
        "/api/v1/keys",
        json={"name": "alpha till", "role": "store", "store": "A-STORE"},
        headers=national,
    ).json()
    city_admin = make_key(session, Role.admin, region=cities.city_a)

    names = [
        key["name"]
        for key in client.get("/api/v1/keys?limit=500", headers=city_admin).json()["items"]
    ]
    assert "alpha till" in names and "beta till" not in names
    assert client.get(f"/api/v1/keys/{own['id']}", headers=city_admin).status_code == 200
    unseen = client.get(f"/api/v1/keys/{neighbour['id']}", headers=city_admin)
    assert unseen.status_code == 404
    assert client.delete(f"/api/v1/keys/{neighbour['id']}", headers=city_admin).status_code == 404
    still = client.get(f"/api/v1/keys/{neighbour['id']}", headers=national).json()
    assert still["active"] is True
    national_names = [
        key["name"]
        for key in client.get("/api/v1/keys?limit=500", headers=national).json()["items"]
    ]
    assert {"alpha till", "beta till"} <= set(national_names)


def test_a_city_admin_manages_only_the_people_of_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    create_user(
        session,
        username="beta-clerk",
        password="a-long-password",
        role=Role.store,
        store_id=cities.store_b.id,
    )
    create_user(
        session,
        username="alpha-clerk",
        password="a-long-password",
        role=Role.store,
        store_id=cities.store_a.id,
    )
    create_user(
        session,
        username="beta-desk",
        password="a-long-password",
        role=Role.bureau,
        region_id=cities.city_b.id,
    )
    city_admin = make_key(session, Role.admin, region=cities.city_a)

    usernames = [
        user["username"]
        for user in client.get("/api/v1/users?limit=500", headers=city_admin).json()["items"]
    ]
    assert "alpha-clerk" in usernames
    assert not {"beta-clerk", "beta-desk"} & set(usernames)
    for username in ("beta-clerk", "beta-desk"):
        assert client.get(f"/api/v1/users/{username}", headers=city_admin).status_code == 404
        changed = client.patch(
            f"/api/v1/users/{username}", json={"password": "taken-over-now"}, headers=city_admin
        )
        assert changed.status_code == 404
    added = client.post(
        "/api/v1/users",
        json={"username": "alpha-desk", "password": "a-long-password", "role": "bureau"},
        headers=city_admin,
    )
    assert added.status_code == 201, added.text
    assert added.json()["region"] == "CITY-A"
    outside = client.post(
        "/api/v1/users",
        json={
            "username": "beta-spy",
            "password": "a-long-password",
            "role": "store",
            "store": "B-STORE",
        },
        headers=city_admin,
    )
    assert outside.status_code == 403


def test_a_person_bound_to_a_district_signs_in_bound_to_it(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    create_user(
        session,
        username="district-desk",
        password="a-long-password",
        role=Role.bureau,
        region_id=cities.district_a.id,
    )
    signed_in = client.post(
        "/api/v1/auth/login", json={"username": "district-desk", "password": "a-long-password"}
    )
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["token"]
    caller = authenticate_token(session, token)
    assert caller.region_id == cities.district_a.id
    assert caller.region_ids is not None and cities.other_district_a.id not in caller.region_ids


def test_a_province_sized_region_filters_in_the_query_with_the_same_answer(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch, cities: TwoCities
) -> None:
    """A region with more regions below it than a filter lists walks the tree in SQL; the
    bureau bound to it sees exactly what a short list would show."""
    for number in range(30):
        make_region(session, code=f"A-C{number:03d}", level=RegionLevel.community,
                    parent=cities.district_a)  # fmt: skip
    headers = make_key(session, Role.bureau, region=cities.city_a)
    listed = client.get("/api/v1/stores?limit=500", headers=headers).json()["items"]
    monkeypatch.setattr("core.access.LISTED_REGIONS", 5)
    walked = client.get("/api/v1/stores?limit=500", headers=headers).json()["items"]
    assert [store["code"] for store in walked] == [store["code"] for store in listed]
    assert [store["code"] for store in walked] == ["A-STORE"]


def test_a_province_bureau_sees_the_cities_of_its_province_and_no_other(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    henan = make_region(session, code="HENAN", name="Henan", level=RegionLevel.province)
    cities.city_a.parent_id = henan.id
    cities.city_b.parent_id = henan.id
    jiangsu = make_region(session, code="JIANGSU", name="Jiangsu", level=RegionLevel.province)
    suzhou = make_region(session, code="SUZHOU", level=RegionLevel.city, parent=jiangsu)
    make_store(session, code="SZ-STORE", region=make_region(session, code="SZ-D1", parent=suzhou))
    session.flush()
    province = make_key(session, Role.bureau, region=henan)
    listed = client.get("/api/v1/stores?limit=500", headers=province).json()["items"]
    assert sorted(store["code"] for store in listed) == ["A-STORE", "B-STORE"]
    assert client.get("/api/v1/stores/SZ-STORE", headers=province).status_code == 404
    national = client.get("/api/v1/stores?limit=500", headers=make_key(session, Role.bureau))
    assert {"A-STORE", "B-STORE", "SZ-STORE"} <= {s["code"] for s in national.json()["items"]}
