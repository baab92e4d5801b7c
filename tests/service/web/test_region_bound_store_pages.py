"""Region-bound staff on the pages: a city admin's stores section lists, creates, edits and
deactivates only stores inside its city, its region pick-list and outline page offer only
regions inside, and a city bureau's store pages, district map and officer coverage never
show a neighbour city's store or district."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import Region, RegionLevel, Role, Store
from tests.factories import make_key, make_region, make_store
from tests.service.web.helpers import csrf, sign_in

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[113.25, 33.70], [113.31, 33.70], [113.31, 33.76], [113.25, 33.70]]],
}


@pytest.fixture
def cities(session: Session) -> dict[str, Region]:
    """City A with two districts and a store in each, city B with one district and store."""
    city_a = make_region(session, code="CITY-A", name="Aville", level=RegionLevel.city)
    a_north = make_region(session, code="A-NORTH", name="A North", parent=city_a)
    a_south = make_region(session, code="A-SOUTH", name="A South", parent=city_a)
    city_b = make_region(session, code="CITY-B", name="Beetown", level=RegionLevel.city)
    b_east = make_region(session, code="B-EAST", name="B East", parent=city_b)
    for code, region in (("A-N-1", a_north), ("A-S-1", a_south), ("B-E-1", b_east)):
        make_store(session, code=code, region=region).key_supplier = True
    session.commit()
    return {"city_a": city_a, "a_north": a_north}


def signed_in(client: TestClient, session: Session, role: Role, region: Region) -> None:
    """Sign in a person of ``role`` bound to ``region``."""
    username = f"{role.value}-{region.code.lower()}"
    password = f"{username}-password"
    create_user(session, username=username, password=password, role=role, region_id=region.id)
    session.commit()
    assert sign_in(client, username, password).status_code == 303


def store_named(session: Session, code: str) -> Store | None:
    return session.scalar(
        select(Store).where(Store.code == code).execution_options(populate_existing=True)
    )


def test_city_admin_stores_section_never_shows_a_neighbour_citys_store_or_region(
    client: TestClient, session: Session, cities: dict[str, Region]
) -> None:
    signed_in(client, session, Role.admin, cities["city_a"])
    page = client.get("/admin/stores").text
    assert '<a href="/admin/stores/A-N-1/edit">A-N-1</a>' in page
    assert '<a href="/admin/stores/A-S-1/edit">A-S-1</a>' in page
    assert "B-E-1" not in page
    assert '<option value="A-NORTH"' in page
    assert '<option value="B-EAST"' not in page
    assert '<option value="CITY-B"' not in page
    assert "B-E-1" not in client.get("/admin/stores", params={"q": "E-1"}).text
    assert client.get("/admin/stores/B-E-1/edit").status_code == 404
    edit_form = client.get("/admin/stores/A-N-1/edit").text
    assert '<option value="A-SOUTH"' in edit_form
    assert '<option value="B-EAST"' not in edit_form


def test_city_admin_creates_edits_and_deactivates_only_stores_inside_its_city(
    client: TestClient, session: Session, cities: dict[str, Region]
) -> None:
    signed_in(client, session, Role.admin, cities["city_a"])
    token = csrf(client, "/admin/stores")
    made = client.post(
        "/admin/stores",
        data={"csrf_token": token, "code": "A-N-2", "name": "New", "region": "A-NORTH"},
    )
    assert made.status_code == 200, made.text
    assert store_named(session, "A-N-2") is not None
    refused = client.post(
        "/admin/stores",
        data={"csrf_token": token, "code": "B-E-2", "name": "New", "region": "B-EAST"},
    )
    assert refused.status_code == 422
    assert store_named(session, "B-E-2") is None

    edited = client.post(
        "/admin/stores/B-E-1/edit",
        data={"csrf_token": token, "name": "Mine", "kind": "supermarket", "region": "A-NORTH"},
    )
    assert edited.status_code == 404
    gone = client.post("/admin/stores/B-E-1/deactivate", data={"csrf_token": token})
    assert gone.status_code == 404
    neighbour = store_named(session, "B-E-1")
    assert neighbour is not None
    assert (neighbour.name, neighbour.active) == ("Store", True)
    own = client.post(
        "/admin/stores/A-S-1/deactivate", data={"csrf_token": token}, follow_redirects=False
    )
    assert own.status_code == 303
    own_store = store_named(session, "A-S-1")
    assert own_store is not None and own_store.active is False


def test_city_bureau_store_pages_list_and_open_only_stores_inside_its_city(
    client: TestClient, session: Session, cities: dict[str, Region]
) -> None:
    signed_in(client, session, Role.bureau, cities["city_a"])
    listing = client.get("/store").text
    assert "A-N-1" in listing and "A-S-1" in listing
    assert "B-E-1" not in listing
    assert client.get("/store/A-N-1").status_code == 200
    assert client.get("/store/B-E-1").status_code == 404
    coverage = client.get("/officers/coverage").text
    assert "A-S-1" in coverage
    assert "B-E-1" not in coverage


def test_district_admin_stores_section_shows_only_its_district(
    client: TestClient, session: Session, cities: dict[str, Any]
) -> None:
    signed_in(client, session, Role.admin, cities["a_north"])
    page = client.get("/admin/stores").text
    assert "A-N-1" in page
    assert "A-S-1" not in page
    assert '<option value="A-SOUTH"' not in page


def test_city_admin_outline_page_and_district_map_leave_out_a_neighbour_citys_districts(
    client: TestClient, session: Session, cities: dict[str, Region]
) -> None:
    national = make_key(session, Role.admin)
    for district in ("A-NORTH", "B-EAST"):
        put = client.put(f"/api/v1/regions/{district}/outline", json=SQUARE, headers=national)
        assert put.status_code == 201, put.text
    signed_in(client, session, Role.admin, cities["city_a"])
    page = client.get("/admin/outlines").text
    assert "A-NORTH" in page and "A-SOUTH" in page
    assert "B-EAST" not in page
    features = client.get("/maps/districts.geojson").json()["features"]
    assert [feature["id"] for feature in features] == ["A-NORTH"]
