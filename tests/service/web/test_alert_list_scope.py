"""The bureau narrows its alert list to one scope level (stores, districts or the city), on
the page and in its export, through the same query as ``GET /api/v1/alerts?scope=``."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import RegionLevel, Role
from tests.factories import make_product, make_region, make_store
from tests.service.api.test_alerts import make_alert
from tests.service.web.helpers import make_person, sign_in


def _listed_ids(html: str) -> set[int]:
    return {int(number) for number in re.findall(r'<tr id="alert-(\d+)">', html)}


def test_the_bureau_lists_only_the_district_alerts_and_exports_them(
    client: TestClient, session: Session
) -> None:
    city = make_region(session, code="CITY", level=RegionLevel.city)
    east = make_region(session, code="EAST", name="Weidong", parent=city)
    shop = make_store(session, code="E-1", region=east)
    rice = make_product(session, code="rice", category="grain")
    on_store = make_alert(session, store=shop, district=east, product=rice)
    on_district = make_alert(session, district=east, product=rice)
    on_city = make_alert(session, city=city, product=rice)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))

    everything = client.get("/alerts/list")
    assert _listed_ids(everything.text) == {on_store.id, on_district.id, on_city.id}

    districts = client.get("/alerts/list", params={"scope": "district"})
    assert districts.status_code == 200
    assert _listed_ids(districts.text) == {on_district.id}
    assert '<option value="district" selected>' in districts.text
    assert "status=open&amp;severity=&amp;rule=&amp;scope=district" in districts.text

    exported = client.get(
        "/alerts/list/export", params={"format": "csv", "status": "open", "scope": "city"}
    )
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [int(row[0]) for row in rows[1:]] == [on_city.id]

    unknown = client.get("/alerts/list", params={"scope": "province"})
    assert unknown.status_code == 200
    assert _listed_ids(unknown.text) == {on_store.id, on_district.id, on_city.id}
