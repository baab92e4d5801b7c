"""Transport passes through the API: an enterprise applies, the bureau approves, rejects,
issues and revokes; anyone verifies against the published keys and revocation list;
checkpoint staff record scans; and no one sees or does more than their role allows."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import base45
import cbor2
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Compound,
    PassEvent,
    PassScan,
    PassStatus,
    Region,
    RegionLevel,
    Role,
    TransportPass,
)
from models import PassKind as StoredKind
from passes import (
    PassClaims,
    PassKind,
    PublicKeySet,
    SigningKey,
    issue_token,
    load_or_create_signing_key,
    read_revocation_list,
)
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import make_enterprise, make_key, make_region
from tests.pass_office.factories import make_checkpoint, staff_body, vehicle_body
from tests.passes.factories import token_of
from tests.supply_network.factories import make_producer

URL = "/api/v1/passes"


@dataclass(frozen=True)
class Office:
    bureau: dict[str, str]
    chain: dict[str, str]
    other_chain: dict[str, str]
    farm: dict[str, str]
    checkpoint: dict[str, str]
    district: str
    elsewhere: str


@pytest.fixture
def office(session: Session) -> Office:
    district = make_region(session, code="310115", name="Pudong")
    elsewhere = make_region(session, code="310112", name="Minhang")
    gate = make_checkpoint(session, code="G320-W", region=district)
    return Office(
        bureau=make_key(session, Role.bureau),
        chain=make_key(session, Role.store, enterprise=make_enterprise(session, code="LIANHUA")),
        other_chain=make_key(session, Role.store, enterprise=make_enterprise(session, code="CRV")),
        farm=make_key(
            session, Role.producer, producer=make_producer(session, code="FARM-01", region=district)
        ),
        checkpoint=make_key(session, Role.checkpoint, checkpoint=gate),
        district=district.code,
        elsewhere=elsewhere.code,
    )


def rows(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_refused(response: Any, *, status: int, loc: list[Any] | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if loc is not None:
        assert any(error["loc"] == loc for error in body["errors"]), body["errors"]
    return body


def issued(client: TestClient, office: Office, **changes: Any) -> dict[str, Any]:
    changes.setdefault("regions", [office.district])
    body = vehicle_body(enterprise="LIANHUA", **changes)
    response = client.post(URL, json=body, headers=office.bureau)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def verify(client: TestClient, token: str, **more: Any) -> dict[str, Any]:
    response = client.post(f"{URL}/verify", json={"token": token, **more})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_enterprise_applies_and_the_bureau_approves_a_signed_pass(
    client: TestClient, office: Office
) -> None:
    applied = client.post(
        f"{URL}/applications", json=vehicle_body(regions=[office.district]), headers=office.chain
    )
    assert applied.status_code == 201, applied.text
    code = applied.json()["code"]
    assert applied.json()["state"] == "applied"
    assert applied.json()["token"] is None
    assert verify(client, "SW1:")["status"] == "damaged"

    approved = client.post(f"{URL}/{code}/approve", headers=office.bureau)
    assert approved.status_code == 200, approved.text
    token = approved.json()["token"]
    assert approved.json()["state"] == "approved"
    assert token.startswith("SW1:")

    answer = verify(client, token, region=office.district)
    assert answer["status"] == "valid"
    assert answer["subject"] == "沪A·D12345"
    assert answer["pass_id"] == code
    events = client.get(f"{URL}/{code}/events", headers=office.chain).json()
    assert [(event["from_status"], event["to_status"]) for event in events] == [
        (None, "applied"),
        ("applied", "approved"),
    ]


def test_a_rejected_application_carries_its_reason_to_the_applicant(
    client: TestClient, office: Office
) -> None:
    code = client.post(
        f"{URL}/applications", json=vehicle_body(regions=[office.district]), headers=office.farm
    ).json()["code"]
    rejected = client.post(
        f"{URL}/{code}/reject", json={"reason": "plate not registered"}, headers=office.bureau
    )
    assert rejected.status_code == 200, rejected.text
    mine = client.get(f"{URL}/{code}", headers=office.farm).json()
    assert (mine["state"], mine["rejection_reason"], mine["token"]) == (
        "rejected",
        "plate not registered",
        None,
    )
    again = client.post(f"{URL}/{code}/approve", headers=office.bureau)
    assert_refused(again, status=409)


def test_a_rejection_or_revocation_must_give_a_reason_that_shows(
    client: TestClient, office: Office
) -> None:
    """A reason of only zero-width marks would tell the applicant nothing."""
    applied = client.post(
        f"{URL}/applications", json=vehicle_body(regions=[office.district]), headers=office.chain
    )
    pass_ = issued(client, office)
    for url in (f"{URL}/{applied.json()['code']}/reject", f"{URL}/{pass_['code']}/revoke"):
        refused = client.post(url, json={"reason": "\u200b \ufeff"}, headers=office.bureau)
        assert_refused(refused, status=422, loc=["body", "reason"])
    assert client.get(f"{URL}/{pass_['code']}", headers=office.bureau).json()["state"] == "approved"


def test_a_revoked_pass_verifies_red_and_is_on_the_signed_revocation_list(
    client: TestClient, office: Office
) -> None:
    before = client.get(f"{URL}/revocations")
    pass_ = issued(client, office)
    revoked = client.post(
        f"{URL}/{pass_['code']}/revoke", json={"reason": "truck sold"}, headers=office.bureau
    )
    assert revoked.json()["state"] == "revoked"
    assert verify(client, pass_["token"])["status"] == "revoked"

    keys = PublicKeySet.from_json(client.get(f"{URL}/keys").content)
    after = client.get(f"{URL}/revocations")
    assert after.headers["content-type"] == "application/cose"
    listed = read_revocation_list(
        after.content, public_keys=keys, known_version=int(before.headers["X-Revocation-Version"])
    )
    assert listed.is_revoked(pass_["code"])
    assert listed.version > int(before.headers["X-Revocation-Version"])
    readable = client.get(f"{URL}/revocations", params={"format": "json"}).json()
    assert pass_["code"] in readable["revoked_pass_ids"]
    events = client.get(f"{URL}/{pass_['code']}/events", headers=office.bureau).json()
    assert events[-1]["reason"] == "truck sold"


def test_an_enterprise_sees_only_its_own_applications(client: TestClient, office: Office) -> None:
    code = client.post(
        f"{URL}/applications", json=vehicle_body(regions=[office.district]), headers=office.chain
    ).json()["code"]
    client.post(f"{URL}/{code}/approve", headers=office.bureau)

    assert client.get(URL, headers=office.chain).json()["total"] == 1
    assert client.get(URL, headers=office.other_chain).json()["total"] == 0
    for path in (f"{URL}/{code}", f"{URL}/{code}/events", f"{URL}/{code}/qr.svg"):
        assert_refused(client.get(path, headers=office.other_chain), status=404)
    assert_refused(client.post(f"{URL}/{code}/approve", headers=office.chain), status=403)
    refused = client.post(f"{URL}/{code}/revoke", json={"reason": "x"}, headers=office.other_chain)
    assert_refused(refused, status=403)
    assert client.get(f"{URL}/{code}", headers=office.chain).json()["state"] == "approved"


def test_a_checkpoint_account_can_verify_and_record_scans_only(
    client: TestClient, office: Office, session: Session
) -> None:
    pass_ = issued(client, office)
    gate = office.checkpoint
    assert_refused(client.get(URL, headers=gate), status=403)
    assert_refused(client.get(f"{URL}/{pass_['code']}", headers=gate), status=403)
    assert_refused(
        client.post(URL, json=vehicle_body(regions=[office.district]), headers=gate), status=403
    )
    assert_refused(
        client.post(
            f"{URL}/applications", json=vehicle_body(regions=[office.district]), headers=gate
        ),
        status=403,
    )
    assert_refused(
        client.post(f"{URL}/{pass_['code']}/revoke", json={"reason": "x"}, headers=gate), status=403
    )
    assert_refused(client.get(f"{URL}/scans", headers=gate), status=403)

    scans = client.post(f"{URL}/scans", json={"scans": [{"token": pass_["token"]}]}, headers=gate)
    assert scans.status_code == 201, scans.text
    assert scans.json()[0]["result"] == "valid"
    assert scans.json()[0]["pass_code"] == pass_["code"]
    log = client.get(f"{URL}/scans", params={"checkpoint": "G320-W"}, headers=office.bureau).json()
    assert [(item["pass_code"], item["result"]) for item in log["items"]] == [
        (pass_["code"], "valid")
    ]


def test_only_checkpoint_staff_record_scans(
    client: TestClient, office: Office, session: Session
) -> None:
    pass_ = issued(client, office)
    for headers in (office.chain, office.bureau):
        refused = client.post(
            f"{URL}/scans", json={"scans": [{"token": pass_["token"]}]}, headers=headers
        )
        assert_refused(refused, status=403)
    assert rows(session, PassScan) == 0


def test_a_pass_for_another_district_is_red_at_the_checkpoint(
    client: TestClient, office: Office
) -> None:
    pass_ = issued(client, office, regions=[office.elsewhere])
    scans = client.post(
        f"{URL}/scans", json={"scans": [{"token": pass_["token"]}]}, headers=office.checkpoint
    )
    assert scans.json()[0]["result"] == "wrong_region"
    assert verify(client, pass_["token"], checkpoint="G320-W")["status"] == "wrong_region"


def test_a_city_wide_pass_holds_at_every_checkpoint_inside_the_city_and_nowhere_else(
    client: TestClient, office: Office, session: Session
) -> None:
    city = make_region(session, code="3101", name="Shanghai", level=RegionLevel.city)
    district = make_region(session, code="310101", name="Huangpu", parent=city)
    township = make_region(
        session, code="310101002", name="Bund", level=RegionLevel.township, parent=district
    )
    outside = make_region(session, code="3201", name="Nanjing", level=RegionLevel.city)
    gates = {
        "township": make_checkpoint(session, code="G-TOWN", region=township),
        "district": make_checkpoint(session, code="G-DIST", region=district),
        "outside": make_checkpoint(session, code="G-OUT", region=outside),
    }
    citywide = issued(client, office, regions=["3101"])
    for where, expected in (
        ("township", "valid"),
        ("district", "valid"),
        ("outside", "wrong_region"),
    ):
        gate_key = make_key(session, Role.checkpoint, checkpoint=gates[where])
        scans = client.post(
            f"{URL}/scans", json={"scans": [{"token": citywide["token"]}]}, headers=gate_key
        )
        assert scans.json()[0]["result"] == expected, where
        assert verify(client, citywide["token"], checkpoint=gates[where].code)["status"] == expected
    assert verify(client, citywide["token"], region="310101002")["status"] == "valid"
    assert verify(client, citywide["token"], region="3201")["status"] == "wrong_region"
    township_pass = issued(client, office, regions=["310101002"])
    district_gate = make_key(session, Role.checkpoint, checkpoint=gates["district"])
    scans = client.post(
        f"{URL}/scans", json={"scans": [{"token": township_pass["token"]}]}, headers=district_gate
    )
    assert scans.json()[0]["result"] == "wrong_region", "a township's pass is not the district's"


def test_offline_scans_uploaded_later_are_judged_at_their_scan_time(
    client: TestClient, office: Office
) -> None:
    pass_ = issued(client, office)
    revoked_later = issued(client, office, plate="沪B·99999")
    scanned_at = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    client.post(
        f"{URL}/{revoked_later['code']}/revoke", json={"reason": "stolen"}, headers=office.bureau
    )
    batch = {
        "scans": [
            {"token": pass_["token"], "scanned_at": scanned_at, "device_result": "valid"},
            {"token": revoked_later["token"], "scanned_at": scanned_at, "device_result": "valid"},
            {"token": "SW1:NOT A PASS", "scanned_at": scanned_at, "device_result": "damaged"},
        ]
    }
    recorded = client.post(f"{URL}/scans", json=batch, headers=office.checkpoint)
    assert recorded.status_code == 201, recorded.text
    assert [
        (scan["result"], scan["device_result"], scan["offline"]) for scan in recorded.json()
    ] == [
        ("valid", "valid", True),
        ("revoked", "valid", True),
        ("damaged", "damaged", True),
    ]
    too_old = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    refused = client.post(
        f"{URL}/scans",
        json={"scans": [{"token": pass_["token"], "scanned_at": too_old}]},
        headers=office.checkpoint,
    )
    problem = assert_refused(refused, status=422, loc=["body", "scans", 0, "scanned_at"])
    assert problem["detail"] == "scan 0: the time of the scan must lie within the last 30 days"
    log = client.get(f"{URL}/scans", headers=office.bureau).json()
    assert log["total"] == 3


def test_an_offline_batch_uploaded_twice_is_recorded_once(
    client: TestClient, office: Office
) -> None:
    """The checkpoint's page reloaded while its upload was on the way sends the same queued
    scans again: each scan (same person, checkpoint, moment and pass) counts once, and a
    new scan in the second batch is still recorded."""
    pass_ = issued(client, office)
    earlier = (datetime.now(UTC) - timedelta(minutes=30)).isoformat()
    later = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    first = {"scans": [{"token": pass_["token"], "scanned_at": earlier, "device_result": "valid"}]}
    again = {"scans": [*first["scans"], {"token": pass_["token"], "scanned_at": later}]}
    for batch in (first, again):
        recorded = client.post(f"{URL}/scans", json=batch, headers=office.checkpoint)
        assert recorded.status_code == 201, recorded.text
        assert [scan["result"] for scan in recorded.json()] == ["valid"] * len(batch["scans"])
    assert client.get(f"{URL}/scans", headers=office.bureau).json()["total"] == 2


def _other_token(key: SigningKey, *, code: str, start: datetime, end: datetime, region: str) -> str:
    claims = PassClaims(
        issuer="CN-310000-SWB",
        pass_id=code,
        kind=PassKind.VEHICLE,
        subject="沪A·D12345",
        regions=(region,),
        not_before=start,
        expires_at=end,
        issued_at=start,
    )
    return issue_token(claims=claims, signing_key=key)


def test_verify_answers_every_bad_token_without_a_server_error(
    client: TestClient, office: Office, pass_signing_key_file: Path
) -> None:
    token = issued(client, office)["token"]
    now = datetime.now(UTC)
    bureau_key = load_or_create_signing_key(path=pass_signing_key_file)
    region = office.district
    tail = token[4:]
    flipped = tail[:-3] + ("0" if tail[-3] != "0" else "1") + tail[-2:]
    cases = {
        "forged": issue_token_with_bureau_kid(token),
        "altered": "SW1:" + flipped,
        "unknown_key": _other_token(
            SigningKey.generate(),
            code="VP-X",
            start=now,
            end=now + timedelta(days=1),
            region=region,
        ),
        "expired": _other_token(
            bureau_key,
            code="VP-OLD",
            start=now - timedelta(days=9),
            end=now - timedelta(days=2),
            region=region,
        ),
        "not_yet_valid": _other_token(
            bureau_key,
            code="VP-NEW",
            start=now + timedelta(days=2),
            end=now + timedelta(days=9),
            region=region,
        ),
        "wrong_prefix": "HC1:" + tail,
        "truncated": token[: len(token) // 2],
        "non_base45": "SW1:abc~~~",
        "oversized": "SW1:" + "A" * 5000,
        "empty": "",
    }
    expected = {
        "forged": {"forged"},
        "altered": {"forged", "damaged"},
        "unknown_key": {"unknown_key"},
        "expired": {"expired"},
        "not_yet_valid": {"not_yet_valid"},
    }
    for name, text in cases.items():
        answer = verify(client, text, region=region)
        assert answer["status"] in expected.get(name, {"damaged"}), (name, answer)
        assert answer["valid"] is False
        if not answer["authentic"]:
            assert answer["subject"] is None and answer["pass_id"] is None, name


def issue_token_with_bureau_kid(token: str) -> str:
    """The bureau's token with its signature replaced by another key's over the same bytes."""
    message = cbor2.loads(zlib.decompress(base45.b45decode(token[4:])))
    protected, unprotected, payload, signature = message.value
    forged = cbor2.CBORTag(18, [protected, unprotected, payload, bytes(64)])
    return "SW1:" + base45.b45encode(zlib.compress(cbor2.dumps(forged), 9)).decode()


def test_public_verification_reveals_only_what_the_qr_carries(
    client: TestClient, office: Office
) -> None:
    body = staff_body(regions=[office.district], enterprise="LIANHUA")
    permit = client.post(URL, json=body, headers=office.bureau).json()
    assert permit["masked_holder"] == "张*丰 ****1234"
    assert "310101199001011234" not in str(permit)
    answer = verify(client, permit["token"])
    assert answer["subject"] == "张*丰 ****1234"
    assert set(answer) == {
        "status",
        "valid",
        "authentic",
        "reason",
        "pass_id",
        "kind",
        "subject",
        "regions",
        "valid_from",
        "valid_to",
        "issuer",
    }
    assert "张三丰" not in str(answer) and "Lianhua" not in str(answer)


def test_a_bad_application_names_its_fields_and_stores_nothing(
    client: TestClient, office: Office, session: Session
) -> None:
    before = rows(session, TransportPass)
    missing_plate = vehicle_body(regions=[office.district], plate=None)
    assert_refused(
        client.post(f"{URL}/applications", json=missing_plate, headers=office.chain),
        status=422,
        loc=["body", "plate"],
    )
    unknown_region = vehicle_body(regions=["999999"])
    assert_refused(
        client.post(f"{URL}/applications", json=unknown_region, headers=office.chain),
        status=422,
        loc=["body", "regions"],
    )
    backwards = vehicle_body(regions=[office.district], days=-1)
    assert_refused(
        client.post(f"{URL}/applications", json=backwards, headers=office.chain),
        status=422,
        loc=["body", "valid_to"],
    )
    too_long = vehicle_body(regions=[office.district], days=400)
    assert_refused(
        client.post(f"{URL}/applications", json=too_long, headers=office.chain),
        status=422,
        loc=["body", "valid_to"],
    )
    no_holder = vehicle_body(regions=[office.district])
    assert_refused(
        client.post(URL, json=no_holder, headers=office.bureau),
        status=422,
        loc=["body", "enterprise"],
    )
    assert rows(session, TransportPass) == before
    assert rows(session, PassEvent) == 0


def test_an_application_typed_with_an_input_methods_spaces_is_approved_and_signed(
    client: TestClient, office: Office
) -> None:
    """A plate typed with the ideographic space (U+3000) of a Chinese input method, or a
    no-break space, is kept with a plain space and approved into a signed pass."""
    body = vehicle_body(regions=[office.district], plate="豫D\u300099999")
    body["driver_name"] = "Wang\u00a0Wei"
    applied = client.post(f"{URL}/applications", json=body, headers=office.chain)
    assert applied.status_code == 201, applied.text
    assert (applied.json()["plate"], applied.json()["driver_name"]) == ("豫D 99999", "Wang Wei")
    approved = client.post(f"{URL}/{applied.json()['code']}/approve", headers=office.bureau)
    assert approved.status_code == 200, approved.text
    assert verify(client, approved.json()["token"])["status"] == "valid"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("plate", "豫D\u200b12345"),
        ("plate", "豫D\u00ad12345"),
        ("driver_name", "Wang\nWei"),
        ("purpose", "rice\u202eto market"),
    ],
)
def test_a_pass_field_with_an_invisible_mark_or_line_break_is_refused_by_name(
    client: TestClient, office: Office, session: Session, field: str, value: str
) -> None:
    """What a pass cannot print or sign is a 422 naming the field, on application and on
    the bureau's own issue, and nothing is stored."""
    before = rows(session, TransportPass)
    body = vehicle_body(regions=[office.district])
    body[field] = value
    for url, headers in ((f"{URL}/applications", office.chain), (URL, office.bureau)):
        sent = body if headers is office.chain else {**body, "enterprise": "LIANHUA"}
        problem = assert_refused(
            client.post(url, json=sent, headers=headers), status=422, loc=["body", field]
        )
        assert "invisible marks" in problem["errors"][0]["msg"], problem
    assert rows(session, TransportPass) == before


def test_the_qr_code_comes_as_svg_and_png(client: TestClient, office: Office) -> None:
    pass_ = issued(client, office)
    svg = client.get(f"{URL}/{pass_['code']}/qr.svg", headers=office.chain)
    assert svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg")
    png = client.get(f"{URL}/{pass_['code']}/qr.png", headers=office.bureau)
    assert png.content.startswith(b"\x89PNG")


def test_the_signing_key_is_owner_only_and_only_its_public_half_is_published(
    client: TestClient, pass_signing_key_file: Path
) -> None:
    published = client.get(f"{URL}/keys").json()
    assert pass_signing_key_file.stat().st_mode & 0o777 == 0o600
    (entry,) = published["keys"].values()
    assert set(entry) == {"alg", "crv", "kty", "x"}


def test_a_checkpoint_user_is_bound_to_a_checkpoint(
    client: TestClient, office: Office, session: Session
) -> None:
    admin = make_key(session, Role.admin)
    user = {"username": "gate1", "password": "a-long-password", "role": "checkpoint"}
    assert_refused(
        client.post("/api/v1/users", json=user, headers=admin),
        status=422,
        loc=["body", "checkpoint"],
    )
    created = client.post("/api/v1/users", json={**user, "checkpoint": "G320-W"}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["checkpoint"] == "G320-W"


BULK_HEADER = (
    "kind,enterprise,producer,plate,driver_name,purpose,person_name,id_number,employer,"
    "workplace,regions,valid_from,valid_to"
)


def bulk_csv(lines: list[str]) -> bytes:
    return ("\n".join([BULK_HEADER, *lines]) + "\n").encode("utf-8")


def vehicle_line(
    number: int, *, regions: str = "310115;310112", valid_to: str | None = None
) -> str:
    start = datetime.now(UTC).date()
    end = valid_to or (start + timedelta(days=14)).isoformat()
    return (
        f"vehicle,LIANHUA,,沪A·{number:05d},Driver {number},vegetables,,,,,{regions},"
        f"{start.isoformat()},{end}"
    )


def test_the_bureau_issues_800_passes_from_one_file(
    client: TestClient, office: Office, session: Session
) -> None:
    lines = [vehicle_line(number) for number in range(800)]
    start = datetime.now(UTC).date()
    end = start + timedelta(days=30)
    lines.append(f"staff,,FARM-01,,,,李四,4401011990,Farm,Greenhouse 3,310115,{start},{end}")
    response = client.post(
        f"{URL}/bulk",
        files={"file": ("passes.csv", bulk_csv(lines), "text/csv")},
        headers=office.bureau,
    )
    assert response.status_code == 200, response.text[:2000]
    assert response.json()["issued"] == 801
    codes = response.json()["codes"]
    last = client.get(f"{URL}/{codes[-1]}", headers=office.farm).json()
    assert (last["kind"], last["masked_holder"], last["producer"]) == (
        "staff",
        "李* ****1990",
        "FARM-01",
    )
    first = client.get(f"{URL}/{codes[0]}", headers=office.chain).json()
    assert verify(client, first["token"], region="310112")["status"] == "valid"
    assert rows(session, TransportPass) == 801


def test_a_bulk_file_with_bad_cells_issues_nothing_and_names_row_and_column(
    client: TestClient, office: Office, session: Session
) -> None:
    lines = [vehicle_line(number) for number in range(5)]
    lines[1] = vehicle_line(1, regions="310115;999999")
    lines[3] = vehicle_line(3, valid_to="not a date")
    lines.append("lorry,LIANHUA,,沪A·1,D,p,,,,,310115,2026-12-01,2026-12-02")
    response = client.post(
        f"{URL}/bulk",
        files={"file": ("passes.csv", bulk_csv(lines), "text/csv")},
        headers=office.bureau,
    )
    body = assert_refused(response, status=422)
    cells = {(error["row"], error["column"]) for error in body["errors"]}
    assert {(3, "regions"), (5, "valid_to"), (7, "kind")} <= cells
    assert body["detail"].startswith("nothing was stored")
    assert rows(session, TransportPass) == 0


def test_the_bureau_issues_passes_from_an_xlsx_file(client: TestClient, office: Office) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(BULK_HEADER.split(","))
    for number in range(3):
        sheet.append(vehicle_line(number).split(","))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(
        f"{URL}/bulk", files={"file": ("passes.xlsx", buffer.getvalue())}, headers=office.bureau
    )
    assert response.status_code == 200, response.text
    assert response.json()["issued"] == 3


def fleet_day(session: Session) -> str:
    """A day of deliveries for one truck (T-1); the district of its stops."""
    requests = make_city(session, day=PLAN_DAY, trucks=[1000], loads=[100, 200])
    compound = session.get(Compound, requests[0].compound_id)
    assert compound is not None
    region = session.get(Region, compound.region_id)
    assert region is not None
    return region.code


def commit_a_plan(client: TestClient, session: Session) -> None:
    dispatcher = make_key(session, Role.dispatcher)
    plan = client.post(
        "/api/v1/dispatch/plans",
        json={"date": PLAN_DAY.isoformat(), "time_limit_s": 1},
        headers=dispatcher,
    ).json()
    committed = client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/commit",
        json={"expected_version": 1},
        headers=dispatcher,
    )
    assert committed.status_code == 200, committed.text


def test_committing_a_dispatch_plan_gives_its_truck_a_pass_for_the_shift(
    client: TestClient, office: Office, session: Session
) -> None:
    district = fleet_day(session)
    commit_a_plan(client, session)
    passes = client.get(URL, params={"q": "T-1"}, headers=office.bureau).json()["items"]
    assert len(passes) == 1
    (fleet,) = passes
    assert (fleet["plate"], fleet["regions"], fleet["enterprise"]) == ("T-1", [district], None)
    assert datetime.fromisoformat(fleet["valid_from"]).date() <= PLAN_DAY
    assert datetime.fromisoformat(fleet["valid_to"]).date() >= PLAN_DAY
    assert verify(client, fleet["token"])["status"] == "not_yet_valid"


def covering_body(district: str, **changes: Any) -> dict[str, Any]:
    """A vehicle pass for truck T-1 in ``district`` valid from the day before the plan's day
    to the day after it."""
    start = datetime.combine(PLAN_DAY - timedelta(days=1), time(0), tzinfo=UTC)
    body = vehicle_body(regions=[district], plate="T-1", **changes)
    body.update(valid_from=start.isoformat(), valid_to=(start + timedelta(days=3)).isoformat())
    return body


def test_a_truck_that_holds_a_covering_fleet_pass_keeps_it(
    client: TestClient, office: Office, session: Session
) -> None:
    district = fleet_day(session)
    body = covering_body(district)
    held = TransportPass(
        code="VP-FLEET-000001",
        kind=StoredKind.vehicle,
        status=PassStatus.approved,
        plate="T-1",
        regions=[district],
        valid_from=datetime.fromisoformat(body["valid_from"]),
        valid_to=datetime.fromisoformat(body["valid_to"]),
        applied_by="an earlier plan",
        issued_at=datetime.now(UTC),
        signing_kid="test",
        token="FLEET-TOKEN",
    )
    session.add(held)  # the fleet holds it: no enterprise, no producer
    session.commit()
    commit_a_plan(client, session)
    passes = client.get(URL, params={"q": "T-1"}, headers=office.bureau).json()["items"]
    assert [item["code"] for item in passes] == ["VP-FLEET-000001"]


@pytest.mark.parametrize("holder", ["enterprise", "producer"])
def test_a_pass_another_holder_got_for_a_fleet_trucks_plate_is_not_the_trucks(
    client: TestClient, office: Office, session: Session, holder: str
) -> None:
    """A chain or a farm holds a pass naming the fleet truck's plate that covers its shift
    and districts: the truck is still issued its own fleet pass, so revoking theirs does
    not stop it."""
    district = fleet_day(session)
    if holder == "enterprise":
        theirs = client.post(
            URL, json=covering_body(district, enterprise="LIANHUA"), headers=office.bureau
        )
    else:
        theirs = client.post(
            f"{URL}/applications", json=covering_body(district), headers=office.farm
        )
        assert theirs.status_code == 201, theirs.text
        theirs = client.post(f"{URL}/{theirs.json()['code']}/approve", headers=office.bureau)
    assert theirs.status_code in (200, 201), theirs.text
    commit_a_plan(client, session)
    passes = client.get(URL, params={"q": "T-1"}, headers=office.bureau).json()["items"]
    fleet = [item for item in passes if item["code"] != theirs.json()["code"]]
    assert [(item["enterprise"], item["producer"]) for item in fleet] == [(None, None)]
    assert (
        client.post(
            f"{URL}/{theirs.json()['code']}/revoke",
            json={"reason": "not theirs"},
            headers=office.bureau,
        ).status_code
        == 200
    )
    assert verify(client, fleet[0]["token"])["status"] == "not_yet_valid"


def test_a_validity_that_ends_too_early_or_too_late_is_worded_not_keyed(
    client: TestClient, office: Office
) -> None:
    """The problem points at valid_to, but its sentence names the start of validity in
    words, not by its key valid_from."""
    for days, said in (
        (-1, "must be after the start of validity"),
        (400, "days after the start of validity"),
    ):
        body = vehicle_body(regions=[office.district], days=days)
        refused = assert_refused(
            client.post(f"{URL}/applications", json=body, headers=office.chain),
            status=422,
            loc=["body", "valid_to"],
        )
        messages = [e["msg"] for e in refused["errors"] if e["loc"] == ["body", "valid_to"]]
        assert any(message.endswith(said) for message in messages), messages
        assert not any("valid_from" in message for message in messages), messages


@pytest.mark.parametrize(
    "message",
    [
        bytes.fromhex("c4821b7fffffffffffffff01"),  # a decimal fraction cbor2 cannot build
        bytes.fromhex("c482fb7ff000000000000001"),  # a decimal with a float exponent
        b"\x9f",  # an array that never ends
    ],
)
def test_a_token_that_is_not_cbor_is_damaged_with_a_reason_free_of_library_internals(
    client: TestClient, message: bytes
) -> None:
    answer = verify(client, token_of(message))
    assert answer["status"] == "damaged"
    assert answer["reason"] == "not a COSE_Sign1 pass: not valid CBOR", answer
