"""The bureau's pass office and an enterprise's applications, as people use them in the
pages: the enterprise applies and sees only its own, the bureau approves, rejects, issues,
revokes after confirming and issues from a file; a refused action writes nothing; the
stores' and checkpoints' people cannot open the office."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import Enterprise, PassEvent, PassStatus, Producer, Role, TransportPass
from service.web import pass_office
from tests.factories import make_enterprise, make_key, make_region, make_store
from tests.pass_office.factories import make_checkpoint
from tests.service.web.helpers import csrf, make_person, sign_in
from tests.supply_network.factories import make_producer

CITY = ZoneInfo("Asia/Shanghai")
CODE = re.compile(r"VP-\d{4}-\d{6}")


@dataclass(frozen=True)
class Office:
    district: str
    elsewhere: str


@pytest.fixture
def office(session: Session) -> Office:
    """Two districts, two chains with a person each, the bureau, a store and a checkpoint."""
    district = make_region(session, code="410402", name="Xinhua")
    elsewhere = make_region(session, code="410403", name="Weidong")
    lianhua = make_enterprise(session, code="LIANHUA")
    crv = make_enterprise(session, code="CRV")
    store = make_store(session, code="PDS-0001", region=district, enterprise=lianhua)
    gate = make_checkpoint(session, code="G310-W", region=district)
    for username, enterprise_id in (("lianhua", lianhua.id), ("crv", crv.id)):
        create_user(
            session,
            username=username,
            password=f"{username}-password",
            role=Role.store,
            enterprise_id=enterprise_id,
        )
    create_user(
        session,
        username="gate",
        password="gate-password",
        role=Role.checkpoint,
        checkpoint_id=gate.id,
    )
    farm = make_producer(session, code="FARM-01", region=district)
    create_user(
        session,
        username="farm",
        password="farm-password",
        role=Role.producer,
        producer_id=farm.id,
    )
    make_person(session, "bureau", Role.bureau)
    make_person(session, "shop", Role.store, store=store)
    session.commit()
    return Office(district.code, elsewhere.code)


def _as(client: TestClient, username: str) -> None:
    client.cookies.clear()
    assert sign_in(client, username, f"{username}-password").status_code == 303


def _local(instant: datetime) -> str:
    return instant.astimezone(CITY).strftime("%Y-%m-%dT%H:%M")


def _application(regions: list[str], **changes: str) -> dict[str, object]:
    start = datetime.now(CITY) - timedelta(hours=1)
    form: dict[str, object] = {
        "kind": "vehicle",
        "regions": regions,
        "valid_from": _local(start),
        "valid_to": _local(start + timedelta(days=7)),
        "plate": "豫D·12345",
        "vehicle_type": "refrigerated truck",
        "driver_name": "Wang Qiang",
        "driver_phone": "13800001111",
        "purpose": "restock supermarkets",
        "goods": "cabbage",
    }
    form.update(changes)
    return form


def _apply(client: TestClient, form: dict[str, object]) -> str:
    """Send the application form as the signed-in person; the new pass's code."""
    sent = client.post(
        "/passes/applications",
        data={**form, "csrf_token": csrf(client, "/passes/applications")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    found = CODE.search(location)
    assert found is not None
    return found.group(0)


def _status(session: Session, code: str) -> PassStatus:
    session.expire_all()
    row = session.scalars(select(TransportPass).where(TransportPass.code == code)).one()
    return row.status


def _events(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PassEvent)) or 0)


def test_an_enterprise_and_a_producer_apply_and_see_only_their_own_applications(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "lianhua")
    page = client.get("/passes/applications")
    assert page.status_code == 200
    assert 'href="/passes/applications"' in page.text  # in the navigation
    code = _apply(client, _application([office.district]))
    mine = client.get(f"/passes/applications/{code}")
    assert mine.status_code == 200
    assert "豫D·12345" in mine.text and "applied" in mine.text
    assert code in client.get("/passes/applications").text

    _as(client, "farm")
    farm_code = _apply(client, _application([office.district], plate="豫D·55555"))
    for username, own, other in (
        ("crv", None, code),
        ("farm", farm_code, code),
        ("lianhua", code, farm_code),
    ):
        _as(client, username)
        assert client.get(f"/passes/applications/{other}").status_code == 404
        listed = client.get("/passes/applications").text
        assert other not in listed
        if own is not None:
            assert own in listed


def test_an_application_with_problems_is_shown_again_and_stores_nothing(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "lianhua")
    before = int(session.scalar(select(func.count()).select_from(TransportPass)) or 0)
    refused = client.post(
        "/passes/applications",
        data={
            **_application(["NOWHERE"], plate="", valid_to="tomorrow"),
            "csrf_token": csrf(client, "/passes/applications"),
        },
    )
    assert refused.status_code == 422
    assert 'id="valid_to-error"' in refused.text
    refused = client.post(
        "/passes/applications",
        data={
            **_application(["NOWHERE"], plate=""),
            "csrf_token": csrf(client, "/passes/applications"),
        },
    )
    assert refused.status_code == 422
    assert 'id="plate-error"' in refused.text and 'id="regions-error"' in refused.text
    assert "NOWHERE" in refused.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TransportPass)) == before


def _beside(page: str, field: str) -> str:
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    return found.group(1) if found else ""


def test_an_applicant_sees_every_bad_field_of_a_pass_application_at_once_in_chinese(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "lianhua")
    refused = client.post(
        "/passes/applications",
        data={
            **_application(["NOWHERE"], plate="", valid_from="", valid_to="tomorrow"),
            "csrf_token": csrf(client, "/passes/applications"),
        },
        headers={"Accept-Language": "zh"},
    )
    assert refused.status_code == 422
    assert _beside(refused.text, "valid_from") == "必填"
    assert _beside(refused.text, "valid_to") == "不是日期或时间"
    assert _beside(refused.text, "plate") == "车辆通行证必须填写"
    assert _beside(refused.text, "regions") == "未知地区 &#39;NOWHERE&#39;"
    headline = re.search(r'<p class="error" role="alert" id="problem">([^<]*)</p>', refused.text)
    assert headline is not None
    assert headline.group(1) == "请更正下方标出的栏目后重新提交。"  # no raw valid_from
    assert 'value="tomorrow"' in refused.text and 'value="restock supermarkets"' in refused.text
    assert session.scalar(select(func.count()).select_from(TransportPass)) == 0


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "must be after the start of validity"), ("zh", "须晚于生效时间")],
)
def test_an_applicant_whose_pass_ends_before_it_starts_is_told_so_in_words(
    client: TestClient, session: Session, office: Office, language: str, said: str
) -> None:
    _as(client, "lianhua")
    start = datetime.now(CITY) + timedelta(days=2)
    refused = client.post(
        "/passes/applications",
        data={
            **_application(
                [office.district],
                valid_from=_local(start),
                valid_to=_local(start - timedelta(days=1)),
            ),
            "csrf_token": csrf(client, "/passes/applications"),
        },
        headers={"Accept-Language": language},
    )
    assert refused.status_code == 422
    assert _beside(refused.text, "valid_to") == said  # not "must be after valid_from"
    assert session.scalar(select(func.count()).select_from(TransportPass)) == 0


def test_an_applicant_is_told_the_application_was_sent_with_regions_by_name_not_code(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "lianhua")
    code = _apply(client, _application([office.district, office.elsewhere]))
    page = client.get(
        f"/passes/applications/{code}?done=applied", headers={"Accept-Language": "zh"}
    )
    assert "申请已提交：由局审批或驳回。" in page.text
    regions = re.search(r'<dd id="regions">([^<]*)</dd>', page.text)
    assert regions is not None and regions.group(1) == "Xinhua、Weidong"  # not 410402, 410403
    history = page.text[page.text.index('id="history"') :]
    assert "user:" not in page.text and ">lianhua</td>" in history
    listed = client.get("/passes/applications", headers={"Accept-Language": "zh"}).text
    row = listed[listed.index(f'<tr id="pass-{code}">') :]
    assert '<td data-label="区域">Xinhua、Weidong</td>' in row[: row.index("</tr>")]
    assert '<span class="muted">410402</span>' not in listed  # the form names regions too
    _as(client, "bureau")
    office_page = client.get("/pass-office").text
    waiting = office_page[office_page.index(f'<tr id="application-{code}">') :]
    assert '<td data-label="Regions">Xinhua, Weidong</td>' in waiting[: waiting.index("</tr>")]


def test_the_bureau_issuing_a_pass_sees_every_bad_field_at_once(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "bureau")
    refused = client.post(
        "/pass-office/issue",
        data={
            **_application([], plate="", valid_to="2020-01-01T00:00", valid_from="soon"),
            "enterprise": "LIANHUA",
            "csrf_token": csrf(client, "/pass-office/issue"),
        },
    )
    assert refused.status_code == 422
    assert _beside(refused.text, "valid_from") == "not a date or time"
    assert _beside(refused.text, "valid_to") == "must be in the future"
    assert _beside(refused.text, "plate") == "is required for a vehicle pass"
    assert _beside(refused.text, "regions") == "name 1 to 16 regions"
    assert session.scalar(select(func.count()).select_from(TransportPass)) == 0


@pytest.mark.parametrize("username", ["shop", "gate", "lianhua"])
def test_only_the_bureau_opens_the_pass_office(
    client: TestClient, office: Office, username: str
) -> None:
    _as(client, username)
    for path in ("/pass-office", "/pass-office/issue", "/pass-office/bulk", "/pass-office/scans"):
        assert client.get(path).status_code == 403, path


def test_the_checkpoint_cannot_apply_for_passes(client: TestClient, office: Office) -> None:
    _as(client, "gate")
    assert client.get("/passes/applications").status_code == 403


def test_the_bureau_approves_rejects_and_revokes_through_the_pages(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "lianhua")
    approved = _apply(client, _application([office.district]))
    rejected = _apply(client, _application([office.district], plate="豫D·99999"))

    _as(client, "bureau")
    desk = client.get("/pass-office")
    assert desk.status_code == 200
    assert f'id="application-{approved}"' in desk.text
    token = csrf(client, "/pass-office")

    refused = client.post(
        f"/pass-office/passes/{rejected}/reject", data={"reason": " ", "csrf_token": token}
    )
    assert refused.status_code == 422
    assert _status(session, rejected) is PassStatus.applied

    done = client.post(
        f"/pass-office/passes/{approved}/approve",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _status(session, approved) is PassStatus.approved
    shown = client.get(done.headers["location"])
    assert "<svg" in shown.text and 'id="qr"' in shown.text

    again = client.post(f"/pass-office/passes/{approved}/approve", data={"csrf_token": token})
    assert again.status_code == 409

    client.post(
        f"/pass-office/passes/{rejected}/reject",
        data={"reason": "no goods named", "csrf_token": token},
    )
    assert _status(session, rejected) is PassStatus.rejected

    events = _events(session)
    empty = client.post(f"/pass-office/passes/{approved}/revoke", data={"csrf_token": token})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    asked = client.post(
        f"/pass-office/passes/{approved}/revoke",
        data={"reason": "truck reported stolen", "csrf_token": token},
    )
    assert asked.status_code == 200 and "Yes, revoke it" in asked.text
    assert _status(session, approved) is PassStatus.approved and _events(session) == events
    revoked = client.post(
        f"/pass-office/passes/{approved}/revoke",
        data={"reason": "truck reported stolen", "confirmed": "yes", "csrf_token": token},
    )
    assert revoked.status_code == 200
    assert _status(session, approved) is PassStatus.revoked
    history = client.get(f"/pass-office/passes/{approved}").text
    assert "truck reported stolen" in history
    events = _events(session)
    twice = client.post(
        f"/pass-office/passes/{approved}/revoke",
        data={"reason": "once more", "csrf_token": token},
    )
    assert twice.status_code == 409 and "Yes, revoke it" not in twice.text
    assert _events(session) == events

    _as(client, "lianhua")
    assert "no goods named" in client.get(f"/passes/applications/{rejected}").text
    assert "revoked" in client.get(f"/passes/applications/{approved}").text


def test_the_bureau_issues_a_pass_and_finds_it_by_plate(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "bureau")
    issued = client.post(
        "/pass-office/issue",
        data={
            **_application([office.district, office.elsewhere], plate="豫D·77777"),
            "enterprise": "LIANHUA",
            "csrf_token": csrf(client, "/pass-office/issue"),
        },
        follow_redirects=False,
    )
    assert issued.status_code == 303, issued.text
    found = CODE.search(issued.headers["location"])
    assert found is not None
    assert _status(session, found.group(0)) is PassStatus.approved
    search = client.get("/pass-office", params={"q": "77777"})
    assert f'id="pass-{found.group(0)}"' in search.text
    assert "pass-" + found.group(0) not in client.get("/pass-office", params={"q": "88888"}).text


def _bulk_file(rows: list[str]) -> bytes:
    header = "kind,regions,valid_from,valid_to,enterprise,plate,driver_name,purpose"
    return ("\n".join([header, *rows]) + "\n").encode()


def test_the_bureau_issues_passes_from_a_file_all_or_nothing(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "bureau")
    token = csrf(client, "/pass-office/bulk")
    today = datetime.now(CITY).date()
    good = f"vehicle,{office.district},{today},{today + timedelta(days=7)},LIANHUA"
    before = int(session.scalar(select(func.count()).select_from(TransportPass)) or 0)
    refused = client.post(
        "/pass-office/bulk",
        data={"csrf_token": token},
        files={
            "file": (
                "passes.csv",
                _bulk_file([f"{good},豫D·10001,Li Ming,vegetables", f"{good},,Li Ming,eggs"]),
                "text/csv",
            )
        },
    )
    assert refused.status_code == 422
    problems = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td>", refused.text)
    assert ("3", "plate") in problems
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TransportPass)) == before

    issued = client.post(
        "/pass-office/bulk",
        data={"csrf_token": token},
        files={
            "file": (
                "passes.csv",
                _bulk_file([f"{good},豫D·10001,Li Ming,vegetables", f"{good},豫D·10002,Li,eggs"]),
                "text/csv",
            )
        },
    )
    assert issued.status_code == 200
    assert "2 passes issued and signed." in issued.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(TransportPass)) == before + 2


def test_the_bulk_template_names_every_column_with_two_examples(
    client: TestClient, office: Office
) -> None:
    _as(client, "bureau")
    csv = client.get("/pass-office/bulk/template.csv")
    assert csv.status_code == 200
    assert csv.text.splitlines()[0].startswith("kind,regions,valid_from,valid_to,enterprise")
    xlsx = client.get("/pass-office/bulk/template.xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [cell.value for cell in sheet[1]][:4] == ["kind", "regions", "valid_from", "valid_to"]
    assert sheet.max_row == 3


def test_the_scan_map_counts_each_checkpoints_valid_and_refused_scans(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "bureau")
    issued = client.post(
        "/pass-office/issue",
        data={
            **_application([office.district]),
            "enterprise": "LIANHUA",
            "csrf_token": csrf(client, "/pass-office/issue"),
        },
    )
    token = re.search(r'<code class="token" id="token">([^<]+)</code>', issued.text)
    assert token is not None

    _as(client, "gate")
    page = client.get("/checkpoint").text
    gate_csrf = re.search(r'data-csrf="([^"]+)"', page)
    assert gate_csrf is not None
    tampered = token.group(1)[:-4] + ("AAAA" if token.group(1)[-4:] != "AAAA" else "BBBB")
    recorded = client.post(
        "/checkpoint/scans",
        json={"scans": [{"token": token.group(1)}, {"token": tampered}]},
        headers={"X-CSRF-Token": gate_csrf.group(1)},
    )
    assert recorded.status_code == 201, recorded.text

    _as(client, "bureau")
    page = client.get("/pass-office/scans").text
    row = re.search(r'<tr id="checkpoint-G310-W">(.*?)</tr>', page)
    assert row is not None
    counts = re.findall(r'<td class="num">(\d+)</td>', row.group(1))
    assert counts == ["2", "1", "1"]
    assert '"code": "G310-W"' in page and "/static/js/pass-scans.js" in page
    log = client.get("/pass-office/scans", params={"checkpoint": "G310-W"}).text
    assert log.count('class="badge scan-') == 2


def test_the_pass_office_names_each_applicant_and_holder_not_by_its_code(
    client: TestClient, session: Session, office: Office
) -> None:
    """The walk saw "FARM-01" and "LIANHUA" in the applicant and holder columns of the
    Chinese pass office: a code no clerk knows; each now reads by its name, code aside."""
    farm = session.scalars(select(Producer).where(Producer.code == "FARM-01")).one()
    farm.name = "绿谷农场"
    chain = session.scalars(select(Enterprise).where(Enterprise.code == "LIANHUA")).one()
    chain.name = "联华超市"
    session.commit()
    _as(client, "farm")
    farm_pass = _apply(client, _application([office.district]))
    _as(client, "lianhua")
    chain_pass = _apply(client, _application([office.district], plate="豫D·55555"))
    _as(client, "bureau")
    client.cookies.set("supplywatch_lang", "zh")
    desk = client.get("/pass-office").text
    applications = desk[desk.index('id="applications"') : desk.index('id="passes-title"')]
    assert '绿谷农场 <span class="muted">(FARM-01)</span>' in applications, applications
    assert '联华超市 <span class="muted">(LIANHUA)</span>' in applications
    passes = desk[desk.index('id="passes"') :]
    farm_row = passes[passes.index(f'id="pass-{farm_pass}"') :]
    assert farm_row[: farm_row.index("</tr>")].count("绿谷农场") == 1, farm_row
    chain_row = passes[passes.index(f'id="pass-{chain_pass}"') :]
    assert '联华超市 <span class="muted">(LIANHUA)</span>' in chain_row[: chain_row.index("</tr>")]
    detail = client.get(f"/pass-office/passes/{farm_pass}").text
    assert '<dd>绿谷农场 <span class="muted">(FARM-01)</span></dd>' in detail, detail


def test_the_application_waiting_longest_is_on_the_office_page_however_many_came_after(
    client: TestClient, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pass_office, "LISTED", 2)
    _as(client, "lianhua")
    codes = [
        _apply(client, _application([office.district], plate=f"豫D·1000{n}")) for n in range(3)
    ]
    _as(client, "bureau")
    page = client.get("/pass-office").text
    waiting = re.findall(r'<tr id="application-(VP-\d{4}-\d{6})"', page)
    assert waiting == codes[:2]
    assert 'id="waiting-more"' in page and "(3)" in page
    sent = client.post(
        f"/pass-office/passes/{codes[0]}/approve",
        data={"csrf_token": csrf(client, "/pass-office")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    page = client.get("/pass-office").text
    assert re.findall(r'<tr id="application-(VP-\d{4}-\d{6})"', page) == codes[1:]
    assert 'id="waiting-more"' not in page


def test_the_api_lists_applications_oldest_first_when_asked(
    client: TestClient, session: Session, office: Office
) -> None:
    _as(client, "lianhua")
    codes = [
        _apply(client, _application([office.district], plate=f"豫D·2000{n}")) for n in range(3)
    ]
    bureau = make_key(session, Role.bureau)
    session.commit()
    listed = client.get(
        "/api/v1/passes", params={"state": "applied", "order": "oldest"}, headers=bureau
    )
    assert listed.status_code == 200, listed.text
    assert [item["code"] for item in listed.json()["items"]] == codes
    newest = client.get("/api/v1/passes", params={"state": "applied"}, headers=bureau).json()[
        "items"
    ]
    assert [item["code"] for item in newest] == codes[::-1]
    refused = client.get("/api/v1/passes", params={"order": "random"}, headers=bureau)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["query", "order"]
