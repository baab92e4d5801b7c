"""The pass office as a district's bureau uses it in the pages: the scans at its own
checkpoint each open the pass they name (or show a code without a link, for a pass not
valid in the district), the checkpoints' region reads by its name, the applications and
passes valid in the district are listed, and one valid beyond it is read but not decided
or revoked there (a refused post changes nothing)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import PassEvent, PassStatus, RegionLevel, Role, TransportPass
from tests.factories import make_enterprise, make_key, make_region
from tests.pass_office.factories import make_checkpoint, vehicle_body
from tests.service.web.helpers import csrf, sign_in

URL = "/api/v1/passes"
LINK = re.compile(r'href="/pass-office/passes/([^"?]+)"')


@dataclass
class District:
    passes: dict[str, str]
    """Pass code by what it is valid in."""


@pytest.fixture
def weidong(client: TestClient, session: Session) -> District:
    """Pingdingshan (4104) with Xinhua and Weidong, the checkpoint G310-W in Weidong, the
    `district` person bound to Weidong, passes issued by the national bureau, two
    applications, and four scans at G310-W."""
    city = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    xinhua = make_region(session, code="410402", name="Xinhua", parent=city)
    district = make_region(session, code="410403", name="Weidong", parent=city)
    district.name_zh = "卫东区"
    make_enterprise(session, code="LIANHUA")
    chain = make_key(session, Role.store, enterprise=make_enterprise(session, code="CRV"))
    gate = make_checkpoint(session, code="G310-W", region=district)
    national = make_key(session, Role.bureau)
    gate_key = make_key(session, Role.checkpoint, checkpoint=gate)
    create_user(
        session,
        username="district",
        password="district-password",
        role=Role.bureau,
        region_id=district.id,
    )
    session.commit()
    passes: dict[str, str] = {}
    for name, regions in {
        "weidong": [district.code],
        "xinhua+weidong": [xinhua.code, district.code],
        "city": [city.code],
        "xinhua": [xinhua.code],
    }.items():
        body = vehicle_body(regions=regions, enterprise="LIANHUA", plate=f"豫D·{len(passes):05d}")
        issued = client.post(URL, json=body, headers=national)
        assert issued.status_code == 201, issued.text
        passes[name] = issued.json()["code"]
    for name, regions in {
        "weidong applied": [district.code],
        "xinhua+weidong applied": [xinhua.code, district.code],
    }.items():
        body = vehicle_body(regions=regions, plate=f"豫D·{len(passes):05d}")
        applied = client.post(f"{URL}/applications", json=body, headers=chain)
        assert applied.status_code == 201, applied.text
        passes[name] = applied.json()["code"]
    tokens = [
        client.get(f"{URL}/{passes[name]}", headers=national).json()["token"]
        for name in ("xinhua+weidong", "city", "weidong", "xinhua")
    ]
    scanned = client.post(
        f"{URL}/scans", json={"scans": [{"token": token} for token in tokens]}, headers=gate_key
    )
    assert scanned.status_code == 201, scanned.text
    assert sign_in(client, "district", "district-password").status_code == 303
    return District(passes)


def _events(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PassEvent)) or 0)


def _status(session: Session, code: str) -> PassStatus:
    session.expire_all()
    return session.scalars(select(TransportPass).where(TransportPass.code == code)).one().status


def test_every_scan_link_on_the_districts_scan_page_opens_its_pass(
    client: TestClient, weidong: District
) -> None:
    """The walk: 4 scans at G310-W linked to passes that all answered 404."""
    page = client.get("/pass-office/scans")
    assert page.status_code == 200
    log = page.text[page.text.index('id="scan-log"') :]
    linked = set(LINK.findall(log))
    valid_here = {weidong.passes[name] for name in ("xinhua+weidong", "city", "weidong")}
    assert linked == valid_here
    for code in linked:
        opened = client.get(f"/pass-office/passes/{code}")
        assert opened.status_code == 200, (code, opened.text)
        assert code in opened.text
    not_here = weidong.passes["xinhua"]
    assert f"<td>{not_here}</td>" in log  # shown, not linked: it is not the district's pass
    assert client.get(f"/pass-office/passes/{not_here}").status_code == 404


@pytest.mark.parametrize(("language", "name"), [("en", "Weidong"), ("zh", "卫东区")])
def test_the_checkpoints_region_reads_by_its_name(
    client: TestClient, weidong: District, language: str, name: str
) -> None:
    client.cookies.set("supplywatch_lang", language)
    page = client.get("/pass-office/scans").text
    row = re.search(r'<tr id="checkpoint-G310-W">(.*?)</tr>', page)
    assert row is not None
    assert f"<td>{name}</td>" in row.group(1)
    assert "410403" not in row.group(1)


def test_the_district_sees_the_applications_and_passes_valid_in_it(
    client: TestClient, weidong: District
) -> None:
    page = client.get("/pass-office").text
    waiting = page[page.index('id="applications"') : page.index('id="passes-title"')]
    own, shared = weidong.passes["weidong applied"], weidong.passes["xinhua+weidong applied"]
    assert f'id="application-{own}"' in waiting and f'id="application-{shared}"' in waiting
    assert f'action="/pass-office/passes/{own}/approve"' in waiting
    assert f'action="/pass-office/passes/{shared}/approve"' not in waiting
    assert "decided by a bureau whose region holds every region it names" in waiting
    listed = page[page.index('id="passes-title"') :]
    for name in ("weidong", "xinhua+weidong", "city"):
        assert f'id="pass-{weidong.passes[name]}"' in listed
    assert weidong.passes["xinhua"] not in page


def test_the_district_reads_a_pass_valid_beyond_it_but_cannot_revoke_or_decide_it(
    client: TestClient, session: Session, weidong: District
) -> None:
    code = weidong.passes["xinhua+weidong"]
    page = client.get(f"/pass-office/passes/{code}").text
    assert 'id="not-changeable"' in page
    assert f'action="/pass-office/passes/{code}/revoke"' not in page
    token = csrf(client, "/pass-office/issue")
    events = _events(session)
    refused = client.post(
        f"/pass-office/passes/{code}/revoke",
        data={"reason": "truck reported stolen", "confirmed": "yes", "csrf_token": token},
    )
    assert refused.status_code == 403, refused.text
    assert "valid outside your region too" in refused.text
    assert _status(session, code) is PassStatus.approved
    shared = weidong.passes["xinhua+weidong applied"]
    for action, data in (("approve", {}), ("reject", {"reason": "no"})):
        refused = client.post(
            f"/pass-office/passes/{shared}/{action}", data={**data, "csrf_token": token}
        )
        assert refused.status_code == 403, refused.text
        assert _status(session, shared) is PassStatus.applied
    assert _events(session) == events


def test_the_district_revokes_and_decides_its_own_passes(
    client: TestClient, session: Session, weidong: District
) -> None:
    code = weidong.passes["weidong"]
    page = client.get(f"/pass-office/passes/{code}").text
    assert f'action="/pass-office/passes/{code}/revoke"' in page
    token = csrf(client, "/pass-office/issue")
    done = client.post(
        f"/pass-office/passes/{code}/revoke",
        data={"reason": "truck reported stolen", "confirmed": "yes", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert _status(session, code) is PassStatus.revoked
    own = weidong.passes["weidong applied"]
    approved = client.post(
        f"/pass-office/passes/{own}/approve", data={"csrf_token": token}, follow_redirects=False
    )
    assert approved.status_code == 303, approved.text
    assert _status(session, own) is PassStatus.approved
