"""The map pages load every district's outline from /maps/districts.geojson; a reload
whose copy is current costs a 304 and no body, and a changed outline a new copy."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import RegionLevel, Role
from tests.factories import make_key, make_region
from tests.service.web.helpers import make_person, sign_in

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[113.25, 33.70], [113.31, 33.70], [113.31, 33.76], [113.25, 33.70]]],
}
URL = "/maps/districts.geojson"


def test_a_signed_in_page_loads_the_district_outlines_and_revalidates_them(
    client: TestClient, session: Session
) -> None:
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    make_region(session, code="410402", name="Xinhua", parent=city)
    make_region(session, code="410403", name="Weidong", parent=city)
    admin = make_key(session, Role.admin)
    session.commit()
    assert client.put("/api/v1/regions/410402/outline", json=SQUARE, headers=admin).is_success
    assert client.put("/api/v1/regions/410400/outline", json=SQUARE, headers=admin).is_success
    sign_in(client, "wang", make_person(session, "wang", Role.dispatcher))

    first = client.get(URL)
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/geo+json")
    collection = first.json()
    assert collection["type"] == "FeatureCollection"
    # Districts only (the city's outline is no district); Weidong has none yet.
    assert [f["properties"]["code"] for f in collection["features"]] == ["410402"]
    assert collection["features"][0]["properties"]["name"] == "Xinhua"
    assert collection["features"][0]["geometry"] == SQUARE
    tag = first.headers["etag"]

    again = client.get(URL, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag

    moved = {
        "type": "Polygon",
        "coordinates": [[[113.3, 33.7], [113.4, 33.7], [113.4, 33.8], [113.3, 33.7]]],
    }
    assert client.put("/api/v1/regions/410403/outline", json=moved, headers=admin).is_success
    changed = client.get(URL, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert len(changed.json()["features"]) == 2


def test_the_outlines_need_a_signed_in_person(client: TestClient) -> None:
    response = client.get(URL, follow_redirects=False)
    assert response.status_code in (303, 401)
    assert b"FeatureCollection" not in response.content
