"""Bulletins per region: a city's bureau drafts, edits, publishes and reads only its own
city's bulletins, whose figures count only the stores inside it, and never learns that a
neighbour's exist; a district's bureau sees only its district's; national staff draft for
the region they choose; the public reads every region's, each naming its region."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import Bulletin, BulletinStatus, Region, RegionLevel, Role
from reports.upsert import store_report_lines
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.service.web.helpers import csrf, sign_in

ATOM = "{http://www.w3.org/2005/Atom}"
PORK = {"410401": 20.0, "410402": 30.0, "420101": 100.0}
"""Pork's price in each district's store: city A's two districts, city B's one."""


@dataclass(frozen=True)
class TwoCities:
    city_a: Region
    east_a: Region
    city_b: Region
    bureau_a: dict[str, str]
    east_bureau: dict[str, str]
    bureau_b: dict[str, str]
    admin_a: dict[str, str]
    national: dict[str, str]


@pytest.fixture
def cities(session: Session) -> TwoCities:
    """City A (4104) with districts East (one store, pork at 20) and West (one store, at
    30); city B (4201) with one district and one store (pork at 100); ten days of reports."""
    city_a = make_region(session, code="4104", name="Anyang", level=RegionLevel.city)
    city_b = make_region(session, code="4201", name="Wuhan", level=RegionLevel.city)
    city_a.name_zh, city_b.name_zh = "安阳", "武汉"
    east_a = make_region(session, code="410401", name="East", parent=city_a)
    west_a = make_region(session, code="410402", name="West", parent=city_a)
    district_b = make_region(session, code="420101", name="Jiang'an", parent=city_b)
    pork = make_product(session, code="pork", category="meat")
    today = business_today()
    rows = []
    for district in (east_a, west_a, district_b):
        store = make_store(session, region=district)
        for days_ago in range(10):
            rows.append(
                {
                    "store_id": store.id,
                    "report_date": today - timedelta(days=days_ago),
                    "product_id": pork.id,
                    "stock": 50.0,
                    "sales": 10.0,
                    "price": PORK[district.code],
                    "received": 10.0,
                }
            )
    store_report_lines(session, pd.DataFrame(rows), submitted_by="test")
    found = TwoCities(
        city_a=city_a,
        east_a=east_a,
        city_b=city_b,
        bureau_a=make_key(session, Role.bureau, region=city_a),
        east_bureau=make_key(session, Role.bureau, region=east_a),
        bureau_b=make_key(session, Role.bureau, region=city_b),
        admin_a=make_key(session, Role.admin, region=city_a),
        national=make_key(session, Role.bureau),
    )
    session.commit()
    return found


def _draft(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    answer = client.post(
        "/api/v1/bulletins", json={"date": business_today().isoformat(), **body}, headers=headers
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _publish(client: TestClient, headers: dict[str, str], bulletin: dict[str, Any]) -> None:
    answer = client.post(f"/api/v1/bulletin-revisions/{bulletin['id']}/publish", headers=headers)
    assert answer.status_code == 200, answer.text


def _pork(bulletin: dict[str, Any]) -> dict[str, Any]:
    [row] = [row for row in bulletin["figures"]["prices"] if row["product"] == "pork"]
    return dict(row)


def _stored(session: Session) -> list[tuple[int | None, int, BulletinStatus, str]]:
    session.expire_all()
    return list(
        session.execute(
            select(
                Bulletin.region_id, Bulletin.revision, Bulletin.status, Bulletin.summary_en
            ).order_by(Bulletin.id)
        )
    )


def test_a_city_bureau_drafts_its_citys_bulletin_from_the_stores_inside_it_only(
    client: TestClient, cities: TwoCities
) -> None:
    mine = _draft(client, cities.bureau_a)
    assert (mine["region"], mine["region_name"], mine["region_name_zh"]) == (
        "4104",
        "Anyang",
        "安阳",
    )
    assert _pork(mine)["average_price"] == pytest.approx(25.0)  # 20 and 30, never B's 100
    assert (_pork(mine)["min_price"], _pork(mine)["max_price"]) == (20.0, 30.0)
    assert mine["figures"]["city_coverage"]["expected_outlets"] == 2
    assert {row["district"] for row in mine["figures"]["district_coverage"]} == {
        "410401",
        "410402",
    }
    theirs = _draft(client, cities.bureau_b)
    assert theirs["region"] == "4201"
    assert _pork(theirs)["average_price"] == pytest.approx(100.0)
    assert theirs["figures"]["city_coverage"]["expected_outlets"] == 1
    assert theirs["revision"] == mine["revision"] == 1  # each region counts its own


def test_a_city_bureau_never_reads_or_touches_a_neighbour_citys_bulletin(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    theirs = _draft(client, cities.bureau_b)
    mine = _draft(client, cities.bureau_a)
    before = _stored(session)
    missing = theirs["id"] + mine["id"] + 1000
    unknown = client.patch(
        f"/api/v1/bulletin-revisions/{missing}", json={"summary_en": "x"}, headers=cities.bureau_a
    )
    assert unknown.status_code == 404
    for key in (cities.bureau_a, cities.admin_a):
        edited = client.patch(
            f"/api/v1/bulletin-revisions/{theirs['id']}", json={"summary_en": "ours"}, headers=key
        )
        assert edited.status_code == 404, edited.text
        assert edited.json()["detail"] == unknown.json()["detail"].replace(
            str(missing), str(theirs["id"])
        )
        published = client.post(f"/api/v1/bulletin-revisions/{theirs['id']}/publish", headers=key)
        assert published.status_code == 404, published.text
    unknown_region = client.get(
        f"/api/v1/bulletins/{business_today()}/revisions",
        params={"region": "9999"},
        headers=cities.bureau_a,
    )
    assert unknown_region.status_code == 404
    neighbours = client.get(
        f"/api/v1/bulletins/{business_today()}/revisions",
        params={"region": "4201"},
        headers=cities.bureau_a,
    )
    assert neighbours.status_code == 404
    assert neighbours.json()["detail"] == unknown_region.json()["detail"].replace("9999", "4201")
    drafted_for_them = client.post(
        "/api/v1/bulletins",
        json={"date": business_today().isoformat(), "region": "4201"},
        headers=cities.bureau_a,
    )
    assert drafted_for_them.status_code == 404
    assert _stored(session) == before  # nothing written for any refusal

    own = client.get(f"/api/v1/bulletins/{business_today()}/revisions", headers=cities.bureau_a)
    assert [(item["id"], item["region"]) for item in own.json()] == [(mine["id"], "4104")]
    edited = client.patch(
        f"/api/v1/bulletin-revisions/{mine['id']}",
        json={"summary_en": "ours"},
        headers=cities.admin_a,
    )
    assert edited.status_code == 200 and edited.json()["summary_en"] == "ours"
    _publish(client, cities.bureau_a, mine)
    assert (
        client.get(
            f"/api/v1/bulletins/{business_today()}/revisions", headers=cities.bureau_b
        ).json()[0]["id"]
        == theirs["id"]
    )


def test_a_district_bureau_sees_only_its_districts_bulletin_not_its_citys(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    city = _draft(client, cities.bureau_a)
    district = _draft(client, cities.east_bureau)
    assert district["region"] == "410401"
    assert _pork(district)["average_price"] == pytest.approx(20.0)  # West's 30 is not in it
    assert district["figures"]["city_coverage"]["expected_outlets"] == 1
    own = client.get(f"/api/v1/bulletins/{business_today()}/revisions", headers=cities.east_bureau)
    assert [item["id"] for item in own.json()] == [district["id"]]
    above = client.get(
        f"/api/v1/bulletins/{business_today()}/revisions",
        params={"region": "4104"},
        headers=cities.east_bureau,
    )
    assert above.status_code == 404
    before = _stored(session)
    edited = client.patch(
        f"/api/v1/bulletin-revisions/{city['id']}",
        json={"summary_en": "x"},
        headers=cities.east_bureau,
    )
    assert edited.status_code == 404
    assert _stored(session) == before
    # the city's bureau may draft for a district inside its city
    for_east = _draft(client, cities.bureau_a, region="410401")
    assert for_east["id"] == district["id"] and for_east["region"] == "410401"


def test_national_staff_draft_for_the_region_they_choose(
    client: TestClient, cities: TwoCities
) -> None:
    chosen = _draft(client, cities.national, region="4201")
    assert chosen["region"] == "4201"
    assert _pork(chosen)["average_price"] == pytest.approx(100.0)
    # two root cities: by default a national bulletin covers the whole deployment
    whole = _draft(client, cities.national)
    assert (whole["region"], whole["region_name"]) == (None, None)
    assert whole["figures"]["city_coverage"]["expected_outlets"] == 3
    assert _pork(whole)["average_price"] == pytest.approx(50.0)
    unknown = client.post(
        "/api/v1/bulletins",
        json={"date": business_today().isoformat(), "region": "9999"},
        headers=cities.national,
    )
    assert unknown.status_code == 404
    assert "9999" in unknown.json()["detail"]
    listed = client.get(
        f"/api/v1/bulletins/{business_today()}/revisions",
        params={"region": "4201"},
        headers=cities.national,
    )
    assert [item["id"] for item in listed.json()] == [chosen["id"]]
    # a region-bound bureau cannot touch the whole deployment's bulletin
    touched = client.post(
        f"/api/v1/bulletin-revisions/{whole['id']}/publish", headers=cities.bureau_a
    )
    assert touched.status_code == 404


def test_with_one_root_city_a_national_bulletin_is_that_citys_as_before(
    client: TestClient, session: Session
) -> None:
    root = make_region(session, code="4104", name="Anyang", level=RegionLevel.city)
    make_store(session, region=make_region(session, code="410401", parent=root))
    national = make_key(session, Role.bureau)
    session.commit()
    drafted = _draft(client, national)
    assert drafted["region"] == "4104"
    _publish(client, national, drafted)
    assert client.get(f"/api/v1/bulletins/{business_today()}").json()["region"] == "4104"
    assert client.get("/api/v1/bulletins").json()["items"][0]["region_name"] == "Anyang"


def test_the_public_reads_every_regions_published_bulletins_each_naming_its_region(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    mine = _draft(client, cities.bureau_a)
    theirs = _draft(client, cities.bureau_b)
    _draft(client, cities.east_bureau)  # a draft: never public
    _publish(client, cities.bureau_a, mine)
    _publish(client, cities.bureau_b, theirs)
    day = business_today().isoformat()

    listed = client.get("/api/v1/bulletins").json()
    assert listed["total"] == 2
    assert sorted((item["region"], item["region_name"]) for item in listed["items"]) == [
        ("4104", "Anyang"),
        ("4201", "Wuhan"),
    ]
    only_b = client.get("/api/v1/bulletins", params={"region": "4201"}).json()
    assert [item["id"] for item in only_b["items"]] == [theirs["id"]] and only_b["total"] == 1
    assert client.get("/api/v1/bulletins", params={"region": "9999"}).status_code == 404
    read_a = client.get(f"/api/v1/bulletins/{day}", params={"region": "4104"}).json()
    assert (read_a["id"], _pork(read_a)["average_price"]) == (mine["id"], pytest.approx(25.0))
    assert client.get(f"/api/v1/bulletins/{day}", params={"region": "410401"}).status_code == 404
    table = client.get(f"/api/v1/bulletins/{day}/tables/prices", params={"region": "4201"})
    assert table.status_code == 200, table.text
    [row] = list(csv.DictReader(io.StringIO(table.text.lstrip("\ufeff"))))
    assert float(row["average_price"]) == pytest.approx(100.0)
    prices = client.get("/api/v1/bulletin-products/pork/prices", params={"region": "4201"})
    assert [point["average_price"] for point in prices.json()["points"]] == [100.0]

    archive = client.get("/bulletin/archive", headers={"Accept-Language": "zh"})
    assert archive.status_code == 200
    assert "安阳" in archive.text and "武汉" in archive.text
    assert f'href="/bulletin/{day}?region=4104"' in archive.text
    assert f'href="/bulletin/{day}?region=4201"' in archive.text
    page_b = client.get(f"/bulletin/{day}", params={"region": "4201"})
    assert page_b.status_code == 200
    assert '<span id="bulletin-region">Wuhan</span>' in page_b.text
    assert "Anyang" not in page_b.text
    chart = client.get("/bulletin/products/pork", params={"region": "4104"})
    assert chart.status_code == 200 and "Anyang" in chart.text
    feed = ElementTree.fromstring(client.get("/bulletin/feed.atom").content)
    terms = sorted(
        str(category.get("term"))
        for entry in feed.findall(f"{ATOM}entry")
        for category in entry.findall(f"{ATOM}category")
    )
    assert terms == ["4104", "4201"]
    assert session.scalar(select(func.count()).select_from(Bulletin)) == 3


def _person(session: Session, username: str, region: Region) -> str:
    create_user(
        session,
        username=username,
        password=f"{username}-password",
        role=Role.bureau,
        region_id=region.id,
    )
    session.commit()
    return f"{username}-password"


def test_a_city_bureau_at_its_desk_drafts_and_publishes_only_its_citys_bulletin(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    theirs = _draft(client, cities.bureau_b)
    sign_in(client, "li", _person(session, "li", cities.city_a))
    desk = "/bulletins/editor"
    page = client.get(desk)
    assert page.status_code == 200
    assert '<span id="bulletin-region">Anyang</span>' in page.text
    assert f'id="revision-{theirs["id"]}"' not in page.text
    assert client.get(desk, params={"region": "4201"}).status_code == 404
    before = _stored(session)
    refused = client.post(
        f"{desk}/drafts",
        data={"csrf_token": csrf(client, desk), "day": str(business_today()), "region": "4201"},
    )
    assert refused.status_code == 404
    published = client.post(
        f"{desk}/{theirs['id']}/publish",
        data={"csrf_token": csrf(client, desk), "day": str(business_today())},
    )
    assert published.status_code == 404
    assert _stored(session) == before

    drafted = client.post(
        f"{desk}/drafts", data={"csrf_token": csrf(client, desk), "day": str(business_today())}
    )
    assert drafted.status_code == 200, drafted.text
    mine = session.scalars(select(Bulletin).where(Bulletin.region_id == cities.city_a.id)).one()
    client.post(
        f"{desk}/{mine.id}/publish",
        data={"csrf_token": csrf(client, desk), "day": str(business_today()), "region": "4104"},
    )
    assert [status for region, _, status, _ in _stored(session) if region == cities.city_a.id] == [
        BulletinStatus.published
    ]
    assert [status for region, _, status, _ in _stored(session) if region == cities.city_b.id] == [
        BulletinStatus.draft
    ]
