"""An admin gives a district its outline (GeoJSON) for the maps; a bad outline is refused
naming the field, and others may only read."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from masterdata.outlines import MAX_OUTLINE_POSITIONS
from models import RegionLevel, RegionOutline, Role
from tests.factories import make_key, make_region

URL = "/api/v1/regions/410402/outline"
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[113.25, 33.70], [113.31, 33.70], [113.31, 33.76], [113.25, 33.70]]],
}
CHANGED = {
    "type": "Polygon",
    "coordinates": [[[113.20, 33.70], [113.31, 33.70], [113.31, 33.80], [113.20, 33.70]]],
}


@pytest.fixture
def district(session: Session) -> None:
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    make_region(session, code="410402", name="Xinhua", parent=city, level=RegionLevel.district)


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    return make_key(session, Role.admin)


def assert_refused(response: Any, *, status: int, loc: list[Any] | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if loc is not None:
        assert any(error["loc"] == loc for error in body["errors"]), body["errors"]
    return body


def outlines_stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RegionOutline)) or 0


@pytest.mark.usefixtures("district")
def test_admin_sets_replaces_reads_and_removes_a_districts_outline(
    client: TestClient, admin: dict[str, str]
) -> None:
    created = client.put(URL, json=SQUARE, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["region"] == "410402" and created.json()["positions"] == 4
    bigger = {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]] * 2}
    replaced = client.put(URL, json=bigger, headers=admin)
    assert replaced.status_code == 200, replaced.text
    read = client.get(URL, headers=admin).json()
    assert read["geometry"] == bigger and read["positions"] == 8
    assert client.delete(URL, headers=admin).status_code == 204
    assert_refused(client.get(URL, headers=admin), status=404)
    assert_refused(client.delete(URL, headers=admin), status=404)


@pytest.mark.usefixtures("district")
def test_a_feature_exported_from_a_gis_tool_is_taken_as_its_geometry(
    client: TestClient, admin: dict[str, str]
) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"name": "Xinhua"}, "geometry": SQUARE}],
    }
    assert client.put(URL, json=collection, headers=admin).status_code == 201
    assert client.get(URL, headers=admin).json()["geometry"] == SQUARE


BAD_OUTLINES: list[tuple[str, Any, list[Any]]] = [
    ("a point", {"type": "Point", "coordinates": [113.2, 33.7]}, ["body", "type"]),
    ("no rings", {"type": "Polygon", "coordinates": []}, ["body", "coordinates"]),
    (
        "a ring of three positions",
        {"type": "Polygon", "coordinates": [[[113.2, 33.7], [113.3, 33.7], [113.2, 33.7]]]},
        ["body", "coordinates", 0],
    ),
    (
        "an open ring",
        {
            "type": "Polygon",
            "coordinates": [[[113.2, 33.7], [113.3, 33.7], [113.3, 33.8], [113.2, 33.8]]],
        },
        ["body", "coordinates", 0],
    ),
    (
        "latitude and longitude swapped past 90",
        {
            "type": "Polygon",
            "coordinates": [[[33.7, 113.2], [33.7, 113.3], [33.8, 113.3], [33.7, 113.2]]],
        },
        ["body", "coordinates", 0, 0],
    ),
    (
        "a text for a number",
        {
            "type": "MultiPolygon",
            "coordinates": [
                [[[113.2, 33.7], [113.3, "33.7"], [113.3, 33.8], [113.2, 33.7]]],
            ],
        },
        ["body", "coordinates", 0, 0, 1],
    ),
    (
        "a collection of two features",
        {"type": "FeatureCollection", "features": [SQUARE, SQUARE]},
        ["body", "features"],
    ),
    (
        "a feature without geometry",
        {"type": "Feature", "properties": {}, "geometry": None},
        ["body", "geometry", "type"],
    ),
]


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize(("case", "outline", "loc"), BAD_OUTLINES, ids=[c[0] for c in BAD_OUTLINES])
def test_a_bad_outline_is_refused_naming_the_field_and_writes_nothing(
    client: TestClient,
    session: Session,
    admin: dict[str, str],
    case: str,
    outline: Any,
    loc: list[Any],
) -> None:
    assert_refused(client.put(URL, json=outline, headers=admin), status=422, loc=loc)
    assert outlines_stored(session) == 0


@pytest.mark.usefixtures("district")
def test_an_outline_too_detailed_for_a_city_map_is_refused(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    steps = MAX_OUTLINE_POSITIONS + 10
    ring = [[113.0 + i / steps, 33.7 + (i % 2) / 1000] for i in range(steps)]
    ring.append(ring[0])
    body = assert_refused(
        client.put(URL, json={"type": "Polygon", "coordinates": [ring]}, headers=admin),
        status=422,
        loc=["body", "coordinates"],
    )
    assert "simplify" in body["detail"]
    assert outlines_stored(session) == 0


@pytest.mark.usefixtures("district")
def test_the_outline_of_an_unknown_region_is_a_404(
    client: TestClient, admin: dict[str, str]
) -> None:
    assert_refused(
        client.put("/api/v1/regions/999999/outline", json=SQUARE, headers=admin), status=404
    )


@pytest.mark.usefixtures("district")
@pytest.mark.parametrize("role", [Role.bureau, Role.dispatcher, Role.driver])
def test_only_an_admin_writes_outlines_and_others_read_them(
    client: TestClient, session: Session, admin: dict[str, str], role: Role
) -> None:
    other = make_key(session, role)
    assert_refused(client.put(URL, json=SQUARE, headers=other), status=403)
    assert outlines_stored(session) == 0
    assert client.put(URL, json=SQUARE, headers=admin).status_code == 201
    assert_refused(client.delete(URL, headers=other), status=403)
    assert client.get(URL, headers=other).json()["geometry"] == SQUARE
    assert_refused(client.get(URL), status=401)


def test_an_admin_bound_to_a_district_draws_inside_it_but_not_its_own_bound(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    xinhua = make_region(
        session, code="410402", name="Xinhua", parent=city, level=RegionLevel.district
    )
    make_region(session, code="410402-001", name="Kuangshan", parent=xinhua)
    district_admin = make_key(session, Role.admin, region=xinhua)
    city_admin = make_key(session, Role.admin, region=city)
    assert client.put(URL, json=SQUARE, headers=admin).status_code == 201

    body = assert_refused(client.put(URL, json=CHANGED, headers=district_admin), status=403)
    assert "an admin of a region above it or a national admin" in body["detail"]
    assert_refused(client.delete(URL, headers=district_admin), status=403)
    assert client.get(URL, headers=district_admin).json()["geometry"] == SQUARE

    township = "/api/v1/regions/410402-001/outline"
    assert client.put(township, json=SQUARE, headers=district_admin).status_code == 201
    assert client.delete(township, headers=district_admin).status_code == 204
    assert client.put(URL, json=CHANGED, headers=city_admin).status_code == 200
    assert client.get(URL, headers=admin).json()["geometry"] == CHANGED
    assert_refused(
        client.put("/api/v1/regions/410400/outline", json=SQUARE, headers=city_admin), status=403
    )
