"""Region-bound staff and the master data: a city bureau or admin lists, reads and changes
only the regions and stores inside its city, a neighbour city's are unknown to it (the
same 404 as a code that names nothing), a district-bound bureau sees only its district,
and what every region shares (products, enterprises, new root cities) stays national."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Enterprise, Product, Region, RegionLevel, Role, Store
from tests.factories import make_enterprise, make_key, make_product, make_region, make_store

API = "/api/v1"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[113.25, 33.70], [113.31, 33.70], [113.31, 33.76], [113.25, 33.70]]],
}


@pytest.fixture
def cities(session: Session) -> dict[str, Any]:
    """City A with two districts and a store in each, city B with one district and store,
    and a chain with a store in both cities."""
    city_a = make_region(session, code="CITY-A", name="Aville", level=RegionLevel.city)
    a_north = make_region(session, code="A-NORTH", name="A North", parent=city_a)
    a_south = make_region(session, code="A-SOUTH", name="A South", parent=city_a)
    city_b = make_region(session, code="CITY-B", name="Beetown", level=RegionLevel.city)
    b_east = make_region(session, code="B-EAST", name="B East", parent=city_b)
    chain = make_enterprise(session, code="CHAIN", name="Both Cities Chain")
    make_store(session, code="A-N-1", region=a_north, enterprise=chain)
    make_store(session, code="A-S-1", region=a_south)
    make_store(session, code="B-E-1", region=b_east, enterprise=chain)
    return {"city_a": city_a, "a_north": a_north, "city_b": city_b, "b_east": b_east}


@pytest.fixture
def city_a_bureau(session: Session, cities: dict[str, Any]) -> dict[str, str]:
    return make_key(session, Role.bureau, region=cities["city_a"])


@pytest.fixture
def city_a_admin(session: Session, cities: dict[str, Any]) -> dict[str, str]:
    return make_key(session, Role.admin, region=cities["city_a"])


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


def assert_unknown(response: Any, what: str, code: str) -> None:
    """The refusal a code that names nothing gets: nothing says the neighbour's exists."""
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == f"{what} {code!r} not found"


def test_city_bureau_never_sees_a_neighbour_citys_stores(
    client: TestClient, city_a_bureau: dict[str, str]
) -> None:
    listed = client.get(f"{API}/stores", headers=city_a_bureau)
    assert codes(listed) == ["A-N-1", "A-S-1"]
    assert listed.json()["total"] == 2
    assert codes(client.get(f"{API}/stores?enterprise=CHAIN", headers=city_a_bureau)) == ["A-N-1"]
    assert codes(client.get(f"{API}/stores?q=1", headers=city_a_bureau)) == ["A-N-1", "A-S-1"]
    assert codes(client.get(f"{API}/stores?region=A-NORTH", headers=city_a_bureau)) == ["A-N-1"]
    assert client.get(f"{API}/stores/A-S-1", headers=city_a_bureau).json()["region"] == "A-SOUTH"
    assert_unknown(client.get(f"{API}/stores/B-E-1", headers=city_a_bureau), "store", "B-E-1")
    for region in ("CITY-B", "B-EAST"):
        assert_unknown(
            client.get(f"{API}/stores?region={region}", headers=city_a_bureau), "region", region
        )


def test_national_bureau_still_sees_every_citys_stores(
    client: TestClient, session: Session, cities: dict[str, Any]
) -> None:
    national = make_key(session, Role.bureau)
    assert codes(client.get(f"{API}/stores", headers=national)) == ["A-N-1", "A-S-1", "B-E-1"]
    assert codes(client.get(f"{API}/stores?region=CITY-B", headers=national)) == ["B-E-1"]
    assert client.get(f"{API}/stores/B-E-1", headers=national).status_code == 200


def test_district_bureau_does_not_see_its_citys_other_districts(
    client: TestClient, session: Session, cities: dict[str, Any]
) -> None:
    north = make_key(session, Role.bureau, region=cities["a_north"])
    assert codes(client.get(f"{API}/stores", headers=north)) == ["A-N-1"]
    assert_unknown(client.get(f"{API}/stores/A-S-1", headers=north), "store", "A-S-1")
    assert codes(client.get(f"{API}/regions", headers=north)) == ["A-NORTH"]
    assert_unknown(client.get(f"{API}/regions/A-SOUTH", headers=north), "region", "A-SOUTH")
    assert_unknown(client.get(f"{API}/regions/CITY-A", headers=north), "region", "CITY-A")


def test_city_admin_creates_edits_and_deactivates_only_stores_inside_its_city(
    client: TestClient, session: Session, city_a_admin: dict[str, str]
) -> None:
    made = client.post(
        f"{API}/stores",
        json={"code": "A-N-2", "name": "New in A", "region": "A-NORTH"},
        headers=city_a_admin,
    )
    assert made.status_code == 201, made.text
    outside = client.post(
        f"{API}/stores",
        json={"code": "B-E-2", "name": "New in B", "region": "B-EAST"},
        headers=city_a_admin,
    )
    assert outside.status_code == 422, outside.text
    assert outside.json()["detail"] == "unknown region 'B-EAST'"
    assert session.scalar(select(Store).where(Store.code == "B-E-2")) is None

    moved = client.patch(f"{API}/stores/A-N-2", json={"region": "A-SOUTH"}, headers=city_a_admin)
    assert moved.status_code == 200, moved.text
    assert moved.json()["region"] == "A-SOUTH"
    away = client.patch(f"{API}/stores/A-N-2", json={"region": "B-EAST"}, headers=city_a_admin)
    assert away.status_code == 422, away.text
    assert client.get(f"{API}/stores/A-N-2", headers=city_a_admin).json()["region"] == "A-SOUTH"

    neighbour = session.scalars(select(Store).where(Store.code == "B-E-1")).one()
    assert_unknown(
        client.patch(f"{API}/stores/B-E-1", json={"name": "Mine now"}, headers=city_a_admin),
        "store",
        "B-E-1",
    )
    assert_unknown(client.delete(f"{API}/stores/B-E-1", headers=city_a_admin), "store", "B-E-1")
    session.refresh(neighbour)
    assert neighbour.name != "Mine now"
    assert neighbour.active is True
    gone = client.delete(f"{API}/stores/A-N-2", headers=city_a_admin)
    assert gone.status_code == 200
    assert gone.json()["active"] is False


def test_city_bureau_lists_and_reads_only_the_regions_of_its_own_city(
    client: TestClient, city_a_bureau: dict[str, str]
) -> None:
    listed = client.get(f"{API}/regions", headers=city_a_bureau)
    assert codes(listed) == ["A-NORTH", "A-SOUTH", "CITY-A"]
    assert listed.json()["total"] == 3
    assert codes(client.get(f"{API}/regions?parent=CITY-A", headers=city_a_bureau)) == [
        "A-NORTH",
        "A-SOUTH",
    ]
    assert codes(client.get(f"{API}/regions?level=city", headers=city_a_bureau)) == ["CITY-A"]
    assert codes(client.get(f"{API}/regions?q=B", headers=city_a_bureau)) == []
    assert client.get(f"{API}/regions/A-NORTH", headers=city_a_bureau).status_code == 200
    for code in ("CITY-B", "B-EAST"):
        assert_unknown(client.get(f"{API}/regions/{code}", headers=city_a_bureau), "region", code)
    assert_unknown(
        client.get(f"{API}/regions?parent=CITY-B", headers=city_a_bureau), "region", "CITY-B"
    )


@pytest.mark.parametrize("staff", ["city_a_admin", "city_a_bureau"])
def test_staff_bound_to_a_city_cannot_rename_or_close_the_city_itself(
    client: TestClient, session: Session, staff: str, request: pytest.FixtureRequest
) -> None:
    """A district's bureau renamed and deactivated its own district: it left every
    region picker, the public forms' and the national staff's too."""
    headers = request.getfixturevalue(staff)
    for change in ({"name": "Renamed by the city"}, {"active": False}):
        refused = client.patch(f"{API}/regions/CITY-A", json=change, headers=headers)
        assert refused.status_code == 403, refused.text
        assert "national staff" in refused.json()["detail"]
    assert client.delete(f"{API}/regions/CITY-A", headers=headers).status_code == 403
    city = session.scalars(select(Region).where(Region.code == "CITY-A")).one()
    session.refresh(city)
    assert (city.name, city.active) == ("Aville", True)
    inside = client.patch(f"{API}/regions/A-NORTH", json={"name": "North"}, headers=headers)
    assert inside.status_code == 200, inside.text  # the districts inside stay theirs
    national = make_key(session, Role.bureau)
    renamed = client.patch(f"{API}/regions/CITY-A", json={"name": "A-City"}, headers=national)
    assert renamed.status_code == 200, renamed.text


def test_a_region_lies_below_a_region_of_a_higher_level(
    client: TestClient, session: Session, city_a_admin: dict[str, str]
) -> None:
    """A "city" made inside a district passed every check that takes a district or a
    city (a silence's or a webhook's region); a district moved into a township likewise."""

    def create(code: str, parent: str, level: str) -> Any:
        body = {"code": code, "name": code, "level": level, "parent": parent}
        return client.post(f"{API}/regions", json=body, headers=city_a_admin)

    for code, parent, level in (("FAKE-CITY", "A-NORTH", "city"), ("TWIN", "A-NORTH", "district")):
        refused = create(code, parent, level)
        assert refused.status_code == 422, refused.text
        assert [error["loc"] for error in refused.json()["errors"]] == [["body", "level"]]
    assert create("A-N-T1", "A-NORTH", "township").status_code == 201
    sunk = client.patch(f"{API}/regions/A-SOUTH", json={"parent": "A-N-T1"}, headers=city_a_admin)
    assert sunk.status_code == 422, sunk.text  # a district inside a township
    assert [error["loc"] for error in sunk.json()["errors"]] == [["body", "parent"]]
    assert session.scalar(select(Region.code).where(Region.code == "FAKE-CITY")) is None


def test_city_admin_adds_regions_only_below_its_own_and_no_new_city(
    client: TestClient, session: Session, city_a_admin: dict[str, str]
) -> None:
    def create(code: str, parent: str | None, level: str = "township") -> Any:
        body = {"code": code, "name": code, "level": level, "parent": parent}
        return client.post(f"{API}/regions", json=body, headers=city_a_admin)

    assert create("A-N-T1", "A-NORTH").status_code == 201
    assert_unknown(create("B-E-T1", "B-EAST"), "region", "B-EAST")
    root = create("CITY-C", None, level="city")
    assert root.status_code == 403, root.text
    assert (
        session.scalars(select(Region.code).where(Region.code.in_(["B-E-T1", "CITY-C"]))).all()
        == []
    )

    renamed = client.patch(f"{API}/regions/A-N-T1", json={"name": "Renamed"}, headers=city_a_admin)
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Renamed"
    moved_out = client.patch(
        f"{API}/regions/A-N-T1", json={"parent": "B-EAST"}, headers=city_a_admin
    )
    assert_unknown(moved_out, "region", "B-EAST")
    assert client.patch(
        f"{API}/regions/CITY-A", json={"parent": "B-EAST"}, headers=city_a_admin
    ).status_code in (403, 404)
    assert (
        client.patch(
            f"{API}/regions/CITY-A", json={"parent": None}, headers=city_a_admin
        ).status_code
        == 403
    )
    assert_unknown(
        client.patch(f"{API}/regions/B-EAST", json={"name": "Mine"}, headers=city_a_admin),
        "region",
        "B-EAST",
    )
    assert_unknown(client.delete(f"{API}/regions/CITY-B", headers=city_a_admin), "region", "CITY-B")
    city_b = session.scalars(select(Region).where(Region.code == "CITY-B")).one()
    session.refresh(city_b)
    assert city_b.active is True


def test_city_admin_draws_and_reads_outlines_only_inside_its_city(
    client: TestClient, city_a_admin: dict[str, str]
) -> None:
    own = client.put(f"{API}/regions/A-NORTH/outline", json=SQUARE, headers=city_a_admin)
    assert own.status_code == 201, own.text
    assert client.get(f"{API}/regions/A-NORTH/outline", headers=city_a_admin).status_code == 200
    assert_unknown(
        client.put(f"{API}/regions/B-EAST/outline", json=SQUARE, headers=city_a_admin),
        "region",
        "B-EAST",
    )
    assert_unknown(
        client.get(f"{API}/regions/B-EAST/outline", headers=city_a_admin), "region", "B-EAST"
    )
    assert_unknown(
        client.delete(f"{API}/regions/B-EAST/outline", headers=city_a_admin), "region", "B-EAST"
    )


def test_city_bureau_reads_the_shared_catalogue_and_enterprises_but_only_national_staff_change_them(
    client: TestClient, session: Session, city_a_bureau: dict[str, str]
) -> None:
    make_product(session, code="pork")
    assert "pork" in codes(client.get(f"{API}/products", headers=city_a_bureau))
    assert client.get(f"{API}/products/pork", headers=city_a_bureau).status_code == 200
    assert "CHAIN" in codes(client.get(f"{API}/enterprises", headers=city_a_bureau))
    assert client.get(f"{API}/enterprises/CHAIN", headers=city_a_bureau).status_code == 200

    product = {"code": "eggs", "name": "Eggs", "category": "meat", "unit": "kg", "kg_per_unit": 1}
    refused = [
        client.post(f"{API}/products", json=product, headers=city_a_bureau),
        client.patch(f"{API}/products/pork", json={"name": "Pig"}, headers=city_a_bureau),
        client.delete(f"{API}/products/pork", headers=city_a_bureau),
        client.post(
            f"{API}/enterprises", json={"code": "NEW", "name": "New"}, headers=city_a_bureau
        ),
        client.patch(f"{API}/enterprises/CHAIN", json={"name": "Mine"}, headers=city_a_bureau),
        client.delete(f"{API}/enterprises/CHAIN", headers=city_a_bureau),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    assert session.scalar(select(Product).where(Product.code == "eggs")) is None
    assert session.scalar(select(Enterprise).where(Enterprise.code == "NEW")) is None
    national = make_key(session, Role.bureau)
    assert (
        client.patch(f"{API}/products/pork", json={"name": "Pig"}, headers=national).status_code
        == 200
    )
