"""The map pages load every district's outline from /maps/districts.geojson; a reload
whose copy is current costs a 304 and no body, and a changed outline a new copy."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import RegionLevel, RegionOutline, Role
from tests.factories import make_key, make_region
from tests.service.web.helpers import csrf, make_person, sign_in

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


def test_an_admin_uploads_a_districts_outline_and_a_bad_file_is_refused_naming_the_field(
    client: TestClient, session: Session
) -> None:
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    make_region(session, code="410402", name="Xinhua", parent=city)
    sign_in(client, "zhao", make_person(session, "zhao", Role.admin))
    page = client.get("/admin/outlines")
    assert page.status_code == 200 and "no outline" in page.text

    token = csrf(client, "/admin/outlines")
    bad = {"type": "Polygon", "coordinates": [[[113.2, 33.7], [113.3, 33.7], [113.2, 33.7]]]}
    refused = client.post(
        "/admin/outlines",
        data={"region": "410402", "csrf_token": token},
        files={"file": ("xinhua.geojson", json.dumps(bad).encode(), "application/geo+json")},
    )
    assert refused.status_code == 422
    assert "coordinates › 0" in refused.text and "at least 4 positions" in refused.text
    not_json = client.post(
        "/admin/outlines",
        data={"region": "410402", "csrf_token": token},
        files={"file": ("xinhua.geojson", b"<kml/>", "application/geo+json")},
    )
    assert not_json.status_code == 422 and "is not GeoJSON" in not_json.text
    assert "no outline" in client.get("/admin/outlines").text

    saved = client.post(
        "/admin/outlines",
        data={"region": "410402", "csrf_token": token},
        files={"file": ("xinhua.geojson", json.dumps(SQUARE).encode(), "application/geo+json")},
    )
    assert saved.status_code == 200 and saved.url.path == "/admin/outlines"
    assert '<td class="num">4</td>' in saved.text
    assert client.get(URL).json()["features"][0]["geometry"] == SQUARE

    removed = client.post("/admin/outlines/410402/delete", data={"csrf_token": token})
    assert removed.status_code == 200 and "no outline" in removed.text
    assert client.get(URL).json()["features"] == []


def test_the_bureau_cannot_upload_outlines(client: TestClient, session: Session) -> None:
    make_region(session, code="410402", name="Xinhua")
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    response = client.post(
        "/admin/outlines",
        data={"region": "410402", "csrf_token": csrf(client, "/dashboard")},
        files={"file": ("x.geojson", json.dumps(SQUARE).encode(), "application/geo+json")},
    )
    assert response.status_code == 403
    assert client.get(URL).json()["features"] == []


def test_an_admin_bound_to_a_district_cannot_upload_its_own_districts_outline(
    client: TestClient, session: Session
) -> None:
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    xinhua = make_region(session, code="410402", name="Xinhua", parent=city)
    create_user(
        session, username="xu", password="xu-password", role=Role.admin, region_id=xinhua.id
    )
    session.commit()
    sign_in(client, "xu", "xu-password")
    page = client.get("/admin/outlines")
    assert page.status_code == 200 and "Xinhua" in page.text
    assert '<option value="410402"' not in page.text
    refused = client.post(
        "/admin/outlines",
        data={"region": "410402", "csrf_token": csrf(client, "/admin/outlines")},
        files={"file": ("xinhua.geojson", json.dumps(SQUARE).encode(), "application/geo+json")},
    )
    assert refused.status_code == 403
    assert "cannot change its outline" in refused.text
    assert session.scalars(select(RegionOutline)).all() == []
