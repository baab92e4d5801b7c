"""The bureau's alerts page shows situations: one row per district × category, by name,
expandable to its alerts with units and ¥, acted on as one, exported in the reader's
language."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Alert, AlertRule, AlertStatus, Role, Silence
from service.web import alert_groups
from tests.service.api.test_alert_groups import City, build_city
from tests.service.api.test_alerts import make_alert
from tests.service.web.helpers import csrf, make_person, sign_in

ZH = {"Accept-Language": "zh-CN"}
HTMX = {"HX-Request": "true"}
WEIDONG_MEAT = json.dumps({"district": "410403", "category": "meat"})


@pytest.fixture
def city(session: Session) -> City:
    return build_city(session)


def _bureau(client: TestClient, session: Session) -> None:
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))


def test_the_bureau_sees_situations_by_name_not_rows_of_codes(
    client: TestClient, session: Session, city: City
) -> None:
    _bureau(client, session)
    page = client.get("/alerts")
    assert page.status_code == 200
    rows = page.text.split('class="situation"')[1:]
    assert len(rows) == 3
    assert "Weidong" in rows[0] and "Meat, poultry and fish" in rows[0]
    assert "2 of 4 (50 %)" in rows[0] and "120,000" in rows[0]
    assert "nobody yet" in rows[0]
    assert 'href="/alerts/list"' in page.text
    chinese = client.get("/alerts", headers=ZH).text
    assert "猪肉" in client.get("/alerts?group_by=product", headers=ZH).text
    assert "处置情况" in chinese and "尚无人处置" in chinese
    # The grouped columns' headings are capitalized like the others ("district" and
    # "category" used to sit lower-case beside "Open alerts").
    assert "<th>District</th><th>Category</th><th>Open alerts</th>" in page.text
    assert "<th>区县</th><th>品类</th>" in chinese


@pytest.mark.parametrize(
    ("language", "district", "category", "chain"),
    [("en", "District", "Category", "Chain"), ("zh-CN", "区县", "品类", "连锁企业")],
)
def test_a_situation_card_on_a_phone_labels_its_district_and_category_as_headings(
    client: TestClient,
    session: Session,
    city: City,
    language: str,
    district: str,
    category: str,
    chain: str,
) -> None:
    """On a phone each situation is a card whose cells show their column's name: the
    grouped ones read "district" and "category", lower-case beside "Open alerts"."""
    _bureau(client, session)
    for path in ("/alerts", "/alerts?group_by=chain,district"):
        page = client.get(path, headers={"Accept-Language": language}).text
        row = page.split('class="situation"', 1)[1].split("</tr>", 1)[0]
        assert f'<td data-label="{district}" class="label">' in row
        grouped = chain if "chain" in path else category
        assert f'<td data-label="{grouped}" class="label">' in row
        assert 'data-label="district"' not in row and 'data-label="category"' not in row


def test_a_situation_expands_to_its_alerts_with_names_units_and_yuan(
    client: TestClient, session: Session, city: City
) -> None:
    spike = city.alerts["x1_pork"]
    spike.value, spike.threshold = 31.5, 26.0
    _bureau(client, session)
    expanded = client.get(
        "/alerts/groups/alerts",
        params={"group": json.dumps({"district": "410402", "category": "meat"})},
        headers=HTMX,
    )
    assert expanded.status_code == 200
    assert "¥31.50/kg" in expanded.text and "¥26.00/kg" in expanded.text
    assert "Pork" in expanded.text and "Xinhua" in expanded.text
    weidong = client.get("/alerts/groups/alerts", params={"group": WEIDONG_MEAT}, headers=HTMX).text
    assert "1.2 days" in weidong and "2.0 days" in weidong
    assert "=Dennis Weidong" in weidong


def test_the_bureau_acknowledges_and_assigns_a_whole_situation(
    client: TestClient, session: Session, city: City
) -> None:
    make_person(session, "wang", Role.bureau)
    _bureau(client, session)
    actions = client.get(
        "/alerts/groups/actions", params={"group": WEIDONG_MEAT}, headers=HTMX
    ).text
    assert "Acknowledge all" in actions and '<option value="wang">' in actions
    token = csrf(client, "/alerts/list")
    acknowledged = client.post(
        "/alerts/groups/ack",
        data={"csrf_token": token, "group": WEIDONG_MEAT, "note": "Depot truck at noon"},
    )
    assert acknowledged.status_code == 200
    assert "Alerts acknowledged: 3" in acknowledged.text
    assigned = client.post(
        "/alerts/groups/assign",
        data={"csrf_token": token, "group": WEIDONG_MEAT, "assignee": "wang"},
    )
    assert "Alerts assigned: 3" in assigned.text
    first = assigned.text.split('class="situation"')[1]
    assert "Assigned to wang" in first and "Acknowledged by li" in first
    session.expire_all()
    statuses = session.scalars(
        select(Alert.status).where(Alert.district_id == city.weidong.id, Alert.assignee == "wang")
    ).all()
    assert statuses == [AlertStatus.acknowledged] * 3


def test_silencing_a_situation_asks_to_confirm_first(
    client: TestClient, session: Session, city: City
) -> None:
    _bureau(client, session)
    token = csrf(client, "/alerts/list")
    form = {"csrf_token": token, "group": WEIDONG_MEAT, "hours": "6", "comment": "Known"}
    asked = client.post("/alerts/groups/silence", data=form)
    assert asked.status_code == 200
    assert "mutes the notifications of 3 open alerts for 6 hours" in asked.text
    assert session.scalar(select(func.count()).select_from(Silence)) == 0
    done = client.post("/alerts/groups/silence", data={**form, "confirmed": "yes"})
    assert "Alerts silenced: 3" in done.text
    silence = session.scalars(select(Silence)).one()
    assert silence.matchers == {"region": "410403", "category": "meat"}


def test_a_bad_group_action_shows_the_problem_and_writes_nothing(
    client: TestClient, session: Session, city: City
) -> None:
    _bureau(client, session)
    token = csrf(client, "/alerts/list")
    empty_note = client.post(
        "/alerts/groups/ack", data={"csrf_token": token, "group": WEIDONG_MEAT, "note": " "}
    )
    assert empty_note.status_code == 422
    nobody = client.post(
        "/alerts/groups/assign",
        data={"csrf_token": token, "group": WEIDONG_MEAT, "assignee": "ghost"},
    )
    assert nobody.status_code == 422 and "ghost" in nobody.text
    garbled = client.post(
        "/alerts/groups/ack", data={"csrf_token": token, "group": "{not json", "note": "x"}
    )
    assert garbled.status_code == 422
    assert session.scalar(select(func.count()).where(Alert.acknowledged_by.is_not(None))) == 0
    assert session.scalar(select(func.count()).where(Alert.assignee.is_not(None))) == 0
    unknown = client.get("/alerts", params={"group_by": "weather"})
    assert unknown.status_code == 422 and "weather" in unknown.text


def test_the_view_exports_in_the_readers_language(
    client: TestClient, session: Session, city: City
) -> None:
    make_alert(session, store=city.stores["w3"], rule=AlertRule.missing_report)
    _bureau(client, session)
    english = client.get("/alerts/groups/export", params={"format": "csv", "district": "410403"})
    rows = list(csv.reader(io.StringIO(english.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "District",
        "Category",
        "Open alerts",
        "Worst severity",
        "Stores affected",
        "Stores in scope",
        "Share of stores (%)",
        "People",
        "Since",
        "Acknowledged by",
        "Assigned to",
    ]
    assert [row[:3] for row in rows[1:]] == [
        ["Weidong", "Meat, poultry and fish", "3"],
        ["Weidong", "Vegetables", "1"],
        ["Weidong", "", "1"],
    ]
    chinese = client.get("/alerts/groups/export", params={"format": "csv"}, headers=ZH)
    header = next(csv.reader(io.StringIO(chinese.content.decode("utf-8-sig"))))
    assert header[:3] == ["区县", "品类", "未关闭预警"]
    xlsx = client.get("/alerts/groups/export", params={"format": "xlsx"})
    assert xlsx.headers["content-disposition"].endswith('alert-groups.xlsx"')


def test_the_list_of_every_alert_stays_reachable(
    client: TestClient, session: Session, city: City
) -> None:
    _bureau(client, session)
    listed = client.get("/alerts/list")
    assert listed.status_code == 200
    assert listed.text.count('<tr id="alert-') == 6


def test_a_large_situation_opens_a_page_at_a_time_and_says_how_many_are_shown(
    client: TestClient, session: Session, city: City, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alert_groups, "GROUP_ROWS", 2)
    _bureau(client, session)
    first = client.get("/alerts/groups/alerts", params={"group": WEIDONG_MEAT}, headers=HTMX).text
    shown = re.findall(r'<tr id="group-alert-(\d+)"', first)
    assert len(shown) == 2 and '<table class="group-alerts">' in first
    assert "2 of 3 shown" in first
    next_url = html.unescape(re.search(r'hx-get="([^"]+)"', first).group(1))  # type: ignore[union-attr]
    assert "offset=2" in next_url and "status=open" in next_url
    rest = client.get(next_url, headers=HTMX).text
    more = re.findall(r'<tr id="group-alert-(\d+)"', rest)
    assert len(more) == 1 and more[0] not in shown
    assert "<table" not in rest and "more-alerts" not in rest
    assert (
        "3 条中已显示 2 条"
        in client.get(
            "/alerts/groups/alerts", params={"group": WEIDONG_MEAT}, headers={**ZH, **HTMX}
        ).text
    )
