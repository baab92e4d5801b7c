"""A district's bureau and its passes: it reads every pass valid in its district (naming
the district, a region inside it, or the city above it), also one valid in other districts
too, and every scan at its checkpoints of such a pass opens; it approves, rejects and
revokes only a pass wholly inside its district (one valid elsewhere too is also another
bureau's: a 403, and nothing changes); a pass valid nowhere in its district, or in another
city only, stays a 404 by every route."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import PassEvent, PassStatus, RegionLevel, Role, TransportPass
from tests.factories import make_enterprise, make_key, make_region
from tests.pass_office.factories import make_checkpoint, vehicle_body

URL = "/api/v1/passes"
VALID_IN_WEIDONG = ("weidong", "xinhua+weidong", "city", "weidong+huqiu")
"""The issued passes that hold somewhere in Weidong (and so at its checkpoint G310-W)."""


@dataclass
class Pingdingshan:
    national: dict[str, str]
    city: dict[str, str]
    weidong: dict[str, str]
    gate: dict[str, str]
    passes: dict[str, str]
    """Pass code by what it is valid in."""


@pytest.fixture
def pingdingshan(client: TestClient, session: Session) -> Pingdingshan:
    """The city 4104 with Xinhua and Weidong, Suzhou's Huqiu beside it, and passes."""
    city = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    xinhua = make_region(session, code="410402", name="Xinhua", parent=city)
    weidong = make_region(session, code="410403", name="Weidong", parent=city)
    suzhou = make_region(session, code="3205", name="Suzhou", level=RegionLevel.city)
    huqiu = make_region(session, code="320505", name="Huqiu", parent=suzhou)
    make_enterprise(session, code="LIANHUA")
    chain = make_key(session, Role.store, enterprise=make_enterprise(session, code="CRV"))
    gate = make_checkpoint(session, code="G310-W", region=weidong)
    national = make_key(session, Role.bureau)
    passes: dict[str, str] = {}
    for name, regions in {
        "weidong": [weidong.code],
        "xinhua+weidong": [xinhua.code, weidong.code],
        "xinhua": [xinhua.code],
        "city": [city.code],
        "huqiu": [huqiu.code],
        "weidong+huqiu": [weidong.code, huqiu.code],
        "suzhou": [suzhou.code],
    }.items():
        body = vehicle_body(regions=regions, enterprise="LIANHUA", plate=f"豫D·{len(passes):05d}")
        response = client.post(URL, json=body, headers=national)
        assert response.status_code == 201, response.text
        passes[name] = response.json()["code"]
    for name, regions in {
        "weidong applied": [weidong.code],
        "xinhua+weidong applied": [xinhua.code, weidong.code],
        "huqiu applied": [huqiu.code],
    }.items():
        body = vehicle_body(regions=regions, plate=f"豫D·{len(passes):05d}")
        response = client.post(f"{URL}/applications", json=body, headers=chain)
        assert response.status_code == 201, response.text
        passes[name] = response.json()["code"]
    return Pingdingshan(
        national=national,
        city=make_key(session, Role.bureau, region=city),
        weidong=make_key(session, Role.bureau, region=weidong),
        gate=make_key(session, Role.checkpoint, checkpoint=gate),
        passes=passes,
    )


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    response = client.get(URL, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {item["code"] for item in body["items"]}


def codes(town: Pingdingshan, *names: str) -> set[str]:
    return {town.passes[name] for name in names}


def test_a_district_bureau_lists_every_pass_valid_in_its_district_and_its_applications(
    client: TestClient, pingdingshan: Pingdingshan
) -> None:
    town = pingdingshan
    applied = ("weidong applied", "xinhua+weidong applied")
    assert listed(client, town.weidong) == codes(town, *VALID_IN_WEIDONG, *applied)
    assert listed(client, town.weidong, state="applied") == codes(town, *applied)
    assert listed(client, town.weidong, q="豫D·00001") == codes(town, "xinhua+weidong")
    city_wide = set(VALID_IN_WEIDONG) | {"xinhua", *applied}
    assert listed(client, town.city) == codes(town, *city_wide)
    assert listed(client, town.national) == set(town.passes.values())


@pytest.mark.parametrize("path", ["", "/events", "/qr.svg", "/qr.png"])
def test_a_district_bureau_reads_a_pass_valid_in_its_district_and_in_others(
    client: TestClient, pingdingshan: Pingdingshan, path: str
) -> None:
    for name in VALID_IN_WEIDONG:
        code = pingdingshan.passes[name]
        response = client.get(f"{URL}/{code}{path}", headers=pingdingshan.weidong)
        assert response.status_code == 200, (name, response.text)


@pytest.mark.parametrize("name", ["xinhua", "huqiu", "suzhou", "huqiu applied"])
@pytest.mark.parametrize("path", ["", "/events", "/qr.svg", "/qr.png", "/pdf"])
def test_a_pass_valid_nowhere_in_the_district_is_unknown_to_it(
    client: TestClient, pingdingshan: Pingdingshan, name: str, path: str
) -> None:
    code = pingdingshan.passes[name]
    response = client.get(f"{URL}/{code}{path}", headers=pingdingshan.weidong)
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"pass {code!r} not found"


@pytest.mark.parametrize("name", ["huqiu", "suzhou", "huqiu applied"])
@pytest.mark.parametrize("path", ["", "/events", "/qr.svg", "/qr.png", "/pdf"])
def test_a_city_bureau_never_reads_another_citys_pass(
    client: TestClient, pingdingshan: Pingdingshan, name: str, path: str
) -> None:
    code = pingdingshan.passes[name]
    response = client.get(f"{URL}/{code}{path}", headers=pingdingshan.city)
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"pass {code!r} not found"
    assert code not in listed(client, pingdingshan.city, q=code)


def test_every_scan_at_the_districts_checkpoint_of_a_pass_valid_there_opens(
    client: TestClient, pingdingshan: Pingdingshan
) -> None:
    """The walk: the district saw 4 scans at G310-W and every pass they named was a 404."""
    town = pingdingshan
    scanned = ("xinhua+weidong", "city", "weidong", "xinhua")
    tokens = [
        client.get(f"{URL}/{town.passes[name]}", headers=town.national).json()["token"]
        for name in scanned
    ]
    recorded = client.post(
        f"{URL}/scans", json={"scans": [{"token": token} for token in tokens]}, headers=town.gate
    )
    assert recorded.status_code == 201, recorded.text
    assert [scan["result"] for scan in recorded.json()] == [
        "valid",
        "valid",
        "valid",
        "wrong_region",
    ]
    log = client.get(f"{URL}/scans", headers=town.weidong)
    assert log.status_code == 200, log.text
    seen = {scan["pass_code"]: scan["result"] for scan in log.json()["items"]}
    assert set(seen) == codes(town, *scanned)
    for code, result in seen.items():
        opened = client.get(f"{URL}/{code}", headers=town.weidong)
        assert opened.status_code == (200 if result == "valid" else 404), (code, opened.text)


def _unchanged(session: Session, code: str) -> tuple[PassStatus, int]:
    session.expire_all()
    row = session.scalars(select(TransportPass).where(TransportPass.code == code)).one()
    return row.status, session.scalar(select(func.count()).select_from(PassEvent)) or 0


@pytest.mark.parametrize(
    ("name", "action", "body"),
    [
        ("xinhua+weidong", "revoke", {"reason": "truck reported stolen"}),
        ("city", "revoke", {"reason": "truck reported stolen"}),
        ("weidong+huqiu", "revoke", {"reason": "truck reported stolen"}),
        ("xinhua+weidong applied", "approve", None),
        ("xinhua+weidong applied", "reject", {"reason": "no such goods"}),
    ],
)
def test_a_district_bureau_cannot_alone_decide_or_revoke_a_pass_valid_beyond_it(
    client: TestClient,
    session: Session,
    pingdingshan: Pingdingshan,
    name: str,
    action: str,
    body: Any,
) -> None:
    code = pingdingshan.passes[name]
    before = _unchanged(session, code)
    response = client.post(f"{URL}/{code}/{action}", json=body, headers=pingdingshan.weidong)
    assert response.status_code == 403, response.text
    assert response.json()["detail"] == (
        f"pass {code!r} is valid outside your region too: a bureau whose region holds "
        "every region it names decides or revokes it"
    )
    assert _unchanged(session, code) == before


def test_the_bureau_whose_region_holds_every_region_decides_and_revokes(
    client: TestClient, pingdingshan: Pingdingshan
) -> None:
    town = pingdingshan
    refused = client.post(
        f"{URL}/{town.passes['weidong+huqiu']}/revoke", json={"reason": "x"}, headers=town.city
    )
    assert refused.status_code == 403, refused.text
    for name, action, body, headers, state in (
        ("weidong", "revoke", {"reason": "lost"}, town.weidong, "revoked"),
        ("weidong applied", "approve", None, town.weidong, "approved"),
        ("xinhua+weidong", "revoke", {"reason": "lost"}, town.city, "revoked"),
        ("xinhua+weidong applied", "reject", {"reason": "no"}, town.city, "rejected"),
        ("weidong+huqiu", "revoke", {"reason": "lost"}, town.national, "revoked"),
    ):
        code = town.passes[name]
        response = client.post(f"{URL}/{code}/{action}", json=body, headers=headers)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["state"] == state
