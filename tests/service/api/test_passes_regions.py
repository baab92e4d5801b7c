"""Transport passes for staff bound to a region: a city bureau lists, reads and prints the
passes valid in its city (also one valid in a neighbour city too), decides and revokes
only those wholly inside it, issues only for regions inside, sees only its city's
checkpoints and their scans, and a pass valid only in a neighbour city, or a neighbour's
checkpoint, is answered as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import PassEvent, PassStatus, Region, RegionLevel, Role, TransportPass
from service.settings import Settings
from tests.factories import make_enterprise, make_key, make_region
from tests.pass_office.factories import make_checkpoint, vehicle_body
from tests.supply_network.factories import make_producer

URL = "/api/v1/passes"


@dataclass
class TwoCities:
    district_a1: str
    district_a2: str
    district_b: str
    national: dict[str, str]
    bureau_a: dict[str, str]
    bureau_a1: dict[str, str]
    admin_a: dict[str, str]
    chain: dict[str, str]
    gate_a: dict[str, str]
    passes: dict[str, str]
    """Pass code by what it is valid in."""


def issue(client: TestClient, headers: dict[str, str], regions: list[str], **more: Any) -> Any:
    return client.post(
        URL, json=vehicle_body(regions=regions, enterprise="LIANHUA", **more), headers=headers
    )


@pytest.fixture
def cities(client: TestClient, session: Session) -> TwoCities:
    city_a = make_region(session, code="3101", name="Shanghai", level=RegionLevel.city)
    a1 = make_region(session, code="310115", name="Pudong", parent=city_a)
    a2 = make_region(session, code="310112", name="Minhang", parent=city_a)
    city_b = make_region(session, code="3205", name="Suzhou", level=RegionLevel.city)
    b = make_region(session, code="320505", name="Huqiu", parent=city_b)
    make_enterprise(session, code="LIANHUA")
    gate_a = make_checkpoint(session, code="G320-W", region=a1)
    make_checkpoint(session, code="G2-S", region=b)
    national = make_key(session, Role.bureau)
    chain = make_key(session, Role.store, enterprise=make_enterprise(session, code="CRV"))
    passes: dict[str, str] = {}
    for name, regions in {
        "a1": [a1.code],
        "a2": [a2.code],
        "a1+a2": [a1.code, a2.code],
        "b": [b.code],
        "a1+b": [a1.code, b.code],
    }.items():
        response = issue(client, national, regions, plate=f"沪A·{len(passes):05d}")
        assert response.status_code == 201, response.text
        passes[name] = response.json()["code"]
    applied = client.post(
        f"{URL}/applications",
        json=vehicle_body(regions=[b.code], plate="苏E·00001"),
        headers=chain,
    )
    assert applied.status_code == 201, applied.text
    passes["b applied"] = applied.json()["code"]
    return TwoCities(
        district_a1=a1.code,
        district_a2=a2.code,
        district_b=b.code,
        national=national,
        bureau_a=make_key(session, Role.bureau, region=city_a),
        bureau_a1=make_key(session, Role.bureau, region=a1),
        admin_a=make_key(session, Role.admin, region=city_a),
        chain=chain,
        gate_a=make_key(session, Role.checkpoint, checkpoint=gate_a),
        passes=passes,
    )


def listed(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    response = client.get(URL, params={"limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {item["code"] for item in body["items"]}


def test_city_bureau_lists_only_passes_valid_in_its_city(
    client: TestClient, cities: TwoCities
) -> None:
    own = {cities.passes[name] for name in ("a1", "a2", "a1+a2", "a1+b")}
    assert listed(client, cities.bureau_a) == own
    assert listed(client, cities.admin_a) == own
    assert listed(client, cities.bureau_a, kind="vehicle", state="approved") == own
    assert listed(client, cities.bureau_a, q="LIANHUA") == own
    assert listed(client, cities.bureau_a, state="applied") == set()
    assert listed(client, cities.national) == set(cities.passes.values())


def test_district_bureau_never_sees_a_pass_valid_only_in_its_citys_other_districts(
    client: TestClient, cities: TwoCities
) -> None:
    assert listed(client, cities.bureau_a1) == {
        cities.passes[name] for name in ("a1", "a1+a2", "a1+b")
    }
    other = cities.passes["a2"]
    response = client.get(f"{URL}/{other}", headers=cities.bureau_a1)
    assert response.status_code == 404
    assert response.json()["detail"] == f"pass {other!r} not found"


@pytest.mark.parametrize("name", ["b", "b applied"])
@pytest.mark.parametrize("path", ["", "/events", "/qr.svg", "/qr.png", "/pdf"])
def test_city_bureau_never_reads_or_prints_a_neighbour_citys_pass(
    client: TestClient, settings: Settings, cities: TwoCities, name: str, path: str
) -> None:
    code = cities.passes[name]
    response = client.get(f"{URL}/{code}{path}", headers=cities.bureau_a)
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"pass {code!r} not found"
    own = client.get(f"{URL}/{cities.passes['a1']}{path}", headers=cities.bureau_a)
    font_missing = path == "/pdf" and not settings.pdf_font_file.exists()
    assert own.status_code == (503 if font_missing else 200), own.text


@pytest.mark.parametrize(
    ("name", "action", "body"),
    [
        ("b", "revoke", {"reason": "forged goods"}),
        ("b applied", "approve", None),
        ("b applied", "reject", {"reason": "no"}),
    ],
)
def test_city_bureau_cannot_decide_or_revoke_a_neighbour_citys_pass_and_nothing_changes(
    client: TestClient, session: Session, cities: TwoCities, name: str, action: str, body: Any
) -> None:
    code = cities.passes[name]
    row = session.scalars(select(TransportPass).where(TransportPass.code == code)).one()
    status, events = row.status, session.scalar(select(func.count()).select_from(PassEvent))
    response = client.post(f"{URL}/{code}/{action}", json=body, headers=cities.bureau_a)
    assert response.status_code == 404, response.text
    assert response.json()["detail"] == f"pass {code!r} not found"
    session.refresh(row)
    assert row.status is status
    assert session.scalar(select(func.count()).select_from(PassEvent)) == events


def test_city_bureau_reads_but_cannot_alone_revoke_a_pass_valid_in_a_neighbour_city_too(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    code = cities.passes["a1+b"]
    assert client.get(f"{URL}/{code}", headers=cities.bureau_a).status_code == 200
    response = client.post(f"{URL}/{code}/revoke", json={"reason": "x"}, headers=cities.bureau_a)
    assert response.status_code == 403, response.text
    row = session.scalars(select(TransportPass).where(TransportPass.code == code)).one()
    session.refresh(row)
    assert row.status is PassStatus.approved


def test_city_bureau_revokes_its_own_citys_pass(client: TestClient, cities: TwoCities) -> None:
    code = cities.passes["a1+a2"]
    response = client.post(f"{URL}/{code}/revoke", json={"reason": "lost"}, headers=cities.bureau_a)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == PassStatus.revoked.value


def test_city_bureau_issues_passes_only_for_regions_inside_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    before = session.scalar(select(func.count()).select_from(TransportPass))
    for regions in ([cities.district_b], [cities.district_a1, cities.district_b]):
        response = issue(client, cities.bureau_a, regions)
        assert response.status_code == 422, response.text
        assert any(error["loc"] == ["body", "regions"] for error in response.json()["errors"])
        assert f"unknown region {cities.district_b!r}" in response.text
    assert session.scalar(select(func.count()).select_from(TransportPass)) == before
    inside = issue(client, cities.bureau_a, [cities.district_a1, cities.district_a2])
    assert inside.status_code == 201, inside.text
    assert inside.json()["code"] in listed(client, cities.bureau_a)


def test_a_bulk_file_naming_a_neighbour_citys_region_issues_nothing_and_names_row_and_column(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    start = datetime.now(UTC).date()
    end = start + timedelta(days=14)
    a1 = cities.district_a1
    header = "kind,enterprise,plate,driver_name,purpose,regions,valid_from,valid_to"
    lines = [
        f"vehicle,LIANHUA,沪B·00001,Li Lei,eggs,{cities.district_a1},{start},{end}",
        f"vehicle,LIANHUA,沪B·00002,Li Lei,eggs,{a1};{cities.district_b},{start},{end}",
    ]
    before = session.scalar(select(func.count()).select_from(TransportPass))
    response = client.post(
        f"{URL}/bulk",
        files={"file": ("passes.csv", "\n".join([header, *lines]).encode(), "text/csv")},
        headers=cities.bureau_a,
    )
    assert response.status_code == 422, response.text
    assert {(error["row"], error["column"]) for error in response.json()["errors"]} == {
        (3, "regions")
    }
    assert session.scalar(select(func.count()).select_from(TransportPass)) == before
    good = client.post(
        f"{URL}/bulk",
        files={"file": ("passes.csv", "\n".join([header, lines[0]]).encode(), "text/csv")},
        headers=cities.bureau_a,
    )
    assert good.status_code == 200, good.text
    assert good.json()["issued"] == 1


def test_city_bureau_names_only_its_own_citys_farm_as_a_holder_and_a_neighbours_reads_unknown(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    """A farm lies in a region: a city bureau issuing a pass for a neighbour city's farm
    would read its name back on the pass. It is answered as an unknown producer (the farm
    applies for its own pass), one file row or one pass alike, and nothing is issued."""
    a1 = session.scalars(select(Region).where(Region.code == cities.district_a1)).one()
    b = session.scalars(select(Region).where(Region.code == cities.district_b)).one()
    make_producer(session, code="FARM-A", region=a1)
    make_producer(session, code="FARM-B", region=b)
    session.commit()
    before = session.scalar(select(func.count()).select_from(TransportPass))
    body = vehicle_body(regions=[cities.district_a1], producer="FARM-B")
    refused = client.post(URL, json=body, headers=cities.bureau_a)
    assert refused.status_code == 422, refused.text
    assert [error["loc"] for error in refused.json()["errors"]] == [["body", "producer"]]
    assert "unknown producer 'FARM-B'" in refused.text
    start = datetime.now(UTC).date()
    header = "kind,producer,plate,driver_name,purpose,regions,valid_from,valid_to"
    end = start + timedelta(days=14)
    row = f"vehicle,FARM-B,沪B·00009,Li Lei,eggs,{cities.district_a1},{start},{end}"
    in_bulk = client.post(
        f"{URL}/bulk",
        files={"file": ("passes.csv", f"{header}\n{row}".encode(), "text/csv")},
        headers=cities.bureau_a,
    )
    assert in_bulk.status_code == 422, in_bulk.text
    assert [(error["row"], error["column"]) for error in in_bulk.json()["errors"]] == [
        (2, "producer")
    ]
    assert session.scalar(select(func.count()).select_from(TransportPass)) == before
    own = client.post(
        URL,
        json=vehicle_body(regions=[cities.district_a1], producer="FARM-A"),
        headers=cities.bureau_a,
    )
    assert own.status_code == 201, own.text
    national = client.post(URL, json=body, headers=cities.national)
    assert national.status_code == 201, national.text


def test_city_bureau_sees_only_its_citys_checkpoints_and_their_scans(
    client: TestClient, cities: TwoCities
) -> None:
    token = client.get(f"{URL}/{cities.passes['a1']}", headers=cities.national).json()["token"]
    scanned = client.post(f"{URL}/scans", json={"scans": [{"token": token}]}, headers=cities.gate_a)
    assert scanned.status_code == 201, scanned.text
    checkpoints = client.get("/api/v1/checkpoints", headers=cities.bureau_a).json()
    assert [checkpoint["code"] for checkpoint in checkpoints] == ["G320-W"]
    national = client.get("/api/v1/checkpoints", headers=cities.national).json()
    assert {checkpoint["code"] for checkpoint in national} == {"G320-W", "G2-S"}
    log = client.get(f"{URL}/scans", headers=cities.bureau_a).json()
    assert [item["checkpoint"] for item in log["items"]] == ["G320-W"]
    neighbour = client.get(f"{URL}/scans", params={"checkpoint": "G2-S"}, headers=cities.bureau_a)
    unknown = client.get(f"{URL}/scans", params={"checkpoint": "NOPE"}, headers=cities.bureau_a)
    assert neighbour.status_code == unknown.status_code == 404
    assert neighbour.json()["detail"] == "checkpoint 'G2-S' not found"
    body = {"code": "G2-N", "name": "north gate", "region": cities.district_b}
    refused = client.post("/api/v1/checkpoints", json=body, headers=cities.bureau_a)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["loc"] == ["body", "region"]
    inside = {**body, "region": cities.district_a2}
    assert (
        client.post("/api/v1/checkpoints", json=inside, headers=cities.bureau_a).status_code == 201
    )


def test_applicants_and_checkpoints_keep_working_as_before(
    client: TestClient, cities: TwoCities
) -> None:
    assert listed(client, cities.chain) == {cities.passes["b applied"]}
    checkpoints = client.get("/api/v1/checkpoints", headers=cities.gate_a).json()
    assert {checkpoint["code"] for checkpoint in checkpoints} == {"G320-W", "G2-S"}
