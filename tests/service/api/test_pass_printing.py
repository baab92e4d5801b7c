"""Printed passes for cars without a phone holder: the pass's PDF carries its QR code and
its plate or holder, validity and regions in Chinese and English; only those who may
read the pass may print it; a committed dispatch plan prints a page per truck, with the
pass its fleet holds for the route, never another holder's pass naming the plate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Compound, PassKind, PassStatus, Region, Role, TransportPass
from passes import pass_qr_code
from service.app import create_app
from service.settings import Settings
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import make_enterprise, make_key, make_region
from tests.pass_office.factories import staff_body, vehicle_body
from tests.pdfs import pdf_images, pdf_pages, pdf_text, require_cjk_font
from tests.service.web.helpers import make_person, sign_in
from tests.supply_network.factories import make_producer

URL = "/api/v1/passes"
PLANS = "/api/v1/dispatch/plans"


@pytest.fixture(autouse=True)
def cjk_font() -> Path:
    return require_cjk_font()


@pytest.fixture
def district(session: Session) -> str:
    region = make_region(session, code="310115", name="Pudong")
    region.name_zh = "浦东新区"
    session.flush()
    return region.code


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


@pytest.fixture
def chain(session: Session) -> dict[str, str]:
    return make_key(
        session, Role.store, enterprise=make_enterprise(session, code="LIANHUA", name="联华超市")
    )


def _city_day(instant: str) -> str:
    """The day the pass prints for an instant: its date in the city, not in UTC."""
    return datetime.fromisoformat(instant).astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()


def issue(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_vehicle_pass_prints_with_its_qr_code_plate_validity_and_regions(
    client: TestClient, bureau: dict[str, str], chain: dict[str, str], district: str
) -> None:
    pass_ = issue(
        client,
        bureau,
        vehicle_body(regions=[district], enterprise="LIANHUA", purpose="蔬菜保供 vegetables"),
    )
    printed = client.get(f"{URL}/{pass_['code']}/pdf", headers=chain)
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf"
    (page,) = pdf_pages(printed.content)
    for expected in (
        "应急运输车辆通行证",
        "Emergency transport vehicle pass",
        pass_["code"],
        "沪A·D12345",
        "联华超市",
        "蔬菜保供",
        "浦东新区 Pudong (310115)",
        "车牌 / Plate",
        "有效期 / Valid",
        _city_day(pass_["valid_to"]),
    ):
        assert expected in page, (expected, page)
    assert pdf_images(printed.content) == 1


def test_a_staff_permit_prints_the_masked_id_never_the_full_number(
    client: TestClient, bureau: dict[str, str], chain: dict[str, str], district: str
) -> None:
    permit = issue(client, bureau, staff_body(regions=[district], enterprise="LIANHUA"))
    text = pdf_text(client.get(f"{URL}/{permit['code']}/pdf", headers=bureau).content)
    assert "保供企业人员通行证" in text
    assert "张三丰" in text
    assert permit["masked_holder"] in text
    assert "310101199001011234" not in text


def test_only_those_who_may_read_a_pass_may_print_it(
    client: TestClient,
    session: Session,
    bureau: dict[str, str],
    chain: dict[str, str],
    district: str,
) -> None:
    pass_ = issue(client, bureau, vehicle_body(regions=[district], enterprise="LIANHUA"))
    assert client.get(f"{URL}/{pass_['code']}/pdf", headers=chain).status_code == 200
    stranger = make_key(session, Role.store, enterprise=make_enterprise(session, code="CRV"))
    other_holder = client.get(f"{URL}/{pass_['code']}/pdf", headers=stranger)
    assert other_holder.status_code == 404
    assert other_holder.headers["content-type"] == "application/problem+json"
    assert client.get(f"{URL}/{pass_['code']}/pdf").status_code == 401
    dispatcher = make_key(session, Role.dispatcher)
    assert client.get(f"{URL}/{pass_['code']}/pdf", headers=dispatcher).status_code == 403


def test_a_revoked_pass_or_an_application_is_not_printed(
    client: TestClient, bureau: dict[str, str], chain: dict[str, str], district: str
) -> None:
    applied = client.post(
        f"{URL}/applications", json=vehicle_body(regions=[district]), headers=chain
    ).json()
    refused = client.get(f"{URL}/{applied['code']}/pdf", headers=chain)
    assert refused.status_code == 409
    assert "applied" in refused.json()["detail"]
    pass_ = issue(client, bureau, vehicle_body(regions=[district], enterprise="LIANHUA"))
    client.post(f"{URL}/{pass_['code']}/revoke", json={"reason": "sold"}, headers=bureau)
    revoked = client.get(f"{URL}/{pass_['code']}/pdf", headers=chain)
    assert revoked.status_code == 409
    assert "revoked" in revoked.json()["detail"]


def test_without_the_cjk_font_a_pdf_is_refused_with_503_naming_the_setting(
    settings: Settings,
    session_factory: Any,
    bureau: dict[str, str],
    chain: dict[str, str],
    tmp_path: Path,
    district: str,
) -> None:
    missing = tmp_path / "no-such-font.ttc"
    app = create_app(
        settings.model_copy(update={"pdf_font_file": missing}), session_factory=session_factory
    )
    with TestClient(app) as client:
        pass_ = issue(client, bureau, vehicle_body(regions=[district], enterprise="LIANHUA"))
        refused = client.get(f"{URL}/{pass_['code']}/pdf", headers=bureau)
    assert refused.status_code == 503
    assert refused.headers["content-type"] == "application/problem+json"
    assert str(missing) in refused.json()["detail"]
    assert "SUPPLYWATCH_PDF_FONT_FILE" in refused.json()["detail"]


def test_a_file_that_is_no_font_is_refused_with_503_not_a_broken_pdf(
    settings: Settings,
    session_factory: Any,
    bureau: dict[str, str],
    chain: dict[str, str],
    tmp_path: Path,
    district: str,
) -> None:
    broken = tmp_path / "broken.ttc"
    broken.write_bytes(b"ttcf" + b"\x00" * 64)
    app = create_app(
        settings.model_copy(update={"pdf_font_file": broken}), session_factory=session_factory
    )
    with TestClient(app) as client:
        pass_ = issue(client, bureau, vehicle_body(regions=[district], enterprise="LIANHUA"))
        refused = client.get(f"{URL}/{pass_['code']}/pdf", headers=bureau)
    assert refused.status_code == 503
    assert "cannot be read as a font" in refused.json()["detail"]


def test_a_committed_plan_prints_one_pass_page_per_truck(
    client: TestClient, session: Session
) -> None:
    dispatcher = make_key(session, Role.dispatcher)
    day = PLAN_DAY
    make_city(session, day=day, trucks=[300, 300], loads=[250, 250])
    plan = client.post(
        PLANS, json={"date": day.isoformat(), "time_limit_s": 1}, headers=dispatcher
    ).json()
    draft = client.get(f"{PLANS}/{plan['id']}/passes/pdf", headers=dispatcher)
    assert draft.status_code == 409
    committed = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    printed = client.get(f"{PLANS}/{plan['id']}/passes/pdf", headers=dispatcher)
    assert printed.status_code == 200, printed.text
    pages = pdf_pages(printed.content)
    plates = sorted(route["truck"] for route in committed.json()["routes"])
    assert plates == ["T-1", "T-2"]
    assert len(pages) == len(plates)
    for page, plate in zip(pages, plates, strict=True):
        assert f"调度计划 {plan['id']}" in page
        assert plate in page
        assert "应急车队 / Emergency fleet" in page
    assert pdf_images(printed.content) == len(plates)
    store = make_key(session, Role.store, enterprise=make_enterprise(session))
    assert client.get(f"{PLANS}/{plan['id']}/passes/pdf", headers=store).status_code == 403


def _fleet_pass_elsewhere(session: Session, fleet: dict[str, Any], region: str) -> dict[str, str]:
    """A fleet pass for the same truck and day issued after ``fleet``, naming only
    ``region`` (the bureau issues fleet passes only by committing plans, so it is stored)."""
    row = TransportPass(
        code="VP-TEST-000001",
        kind=PassKind.vehicle,
        status=PassStatus.approved,
        plate=fleet["plate"],
        regions=[region],
        valid_from=datetime.fromisoformat(fleet["valid_from"]),
        valid_to=datetime.fromisoformat(fleet["valid_to"]),
        applied_by="test",
        issued_at=datetime.now(UTC) + timedelta(minutes=1),
        signing_kid="test",
        token="FLEET-TOKEN-" + region,
    )
    session.add(row)
    session.commit()
    return {"code": "VP-TEST-000001", "token": str(row.token)}


def test_a_plan_prints_its_trucks_fleet_pass_not_a_pass_another_holder_got_for_its_plate(
    client: TestClient, session: Session, bureau: dict[str, str]
) -> None:
    """After the plan is committed a farm gets a pass for truck T-1's plate in the route's
    own district, and the fleet a later pass for T-1 valid only elsewhere: the printed
    passes and the manifests still show the fleet's pass for the route."""
    dispatcher = make_key(session, Role.dispatcher)
    (first, _) = make_city(session, day=PLAN_DAY, trucks=[1000], loads=[100, 200])
    route_district = session.get_one(Region, session.get_one(Compound, first.compound_id).region_id)
    elsewhere = make_region(session, code="310112", name="Minhang").code
    farm = make_key(session, Role.producer, producer=make_producer(session, code="FARM-01"))
    plan = client.post(
        PLANS, json={"date": PLAN_DAY.isoformat(), "time_limit_s": 1}, headers=dispatcher
    ).json()
    committed = client.post(
        f"{PLANS}/{plan['id']}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text
    (fleet,) = client.get(URL, params={"q": "T-1"}, headers=bureau).json()["items"]
    assert (fleet["enterprise"], fleet["producer"]) == (None, None)

    applied = client.post(
        f"{URL}/applications",
        json=vehicle_body(regions=[route_district.code], plate="T-1", days=10),
        headers=farm,
    )
    assert applied.status_code == 201, applied.text
    farms = client.post(f"{URL}/{applied.json()['code']}/approve", headers=bureau).json()
    assert farms["state"] == "approved" and farms["producer"] == "FARM-01"
    other_route = _fleet_pass_elsewhere(session, fleet, elsewhere)

    text = pdf_text(client.get(f"{PLANS}/{plan['id']}/passes/pdf", headers=dispatcher).content)
    assert fleet["code"] in text
    assert farms["code"] not in text and other_route["code"] not in text
    assert "应急车队 / Emergency fleet" in text

    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    manifests = client.get(f"/dispatch/plans/{plan['id']}/manifests").text
    assert pass_qr_code(token=fleet["token"], scale=2).svg in manifests
    for other in (farms, other_route):
        assert pass_qr_code(token=other["token"], scale=2).svg not in manifests
