"""A ticket's SLA alert reads in the reader's language on the alert list and the row an
acknowledgement swaps in; the API and the English pages keep the English
the alert was raised with."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from tests.factories import backdate_ticket, make_key
from tests.service.api.test_hotline import URL, call, city
from tests.service.web.helpers import csrf, make_person, sign_in

__all__ = ["city"]  # the API tests' city, a fixture here too

ZH = {"Accept-Language": "zh-CN"}
HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def late_ticket(client: TestClient, session: Session, city: object) -> str:
    """An urgent ticket unanswered for 12 of its 15 first-response minutes, escalated."""
    operator, bureau = make_key(session, Role.operator), make_key(session, Role.bureau)
    number = str(client.post(URL, json=call(priority="urgent"), headers=operator).json()["number"])
    backdate_ticket(session, number, minutes=12)
    assert client.post("/api/v1/hotline/escalations", headers=bureau).json()["alerts_opened"] == 1
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    return number


def test_the_bureau_reads_a_tickets_sla_alert_in_chinese_on_the_alert_list(
    client: TestClient, late_ticket: str
) -> None:
    said = f"工单 {late_ticket}：首次响应时限已用 80%（目标 15 分钟）"
    listed = client.get("/alerts/list", params={"rule": "ticket_sla"}, headers=ZH)
    assert listed.status_code == 200
    assert said in listed.text
    assert "clock at" not in listed.text


def test_the_english_page_and_the_api_keep_the_summary_the_alert_was_raised_with(
    client: TestClient, session: Session, late_ticket: str
) -> None:
    english = f"ticket {late_ticket}: first response clock at 80% of its 15 min target"
    api = client.get(
        "/api/v1/alerts",
        params={"rule": "ticket_sla"},
        headers={**make_key(session, Role.bureau), **ZH},
    ).json()
    assert [alert["summary"] for alert in api["items"]] == [english]
    assert english in client.get("/alerts/list", params={"rule": "ticket_sla"}, headers=EN).text


def test_the_row_an_acknowledgement_swaps_in_reads_in_chinese(
    client: TestClient, late_ticket: str
) -> None:
    listed = client.get("/alerts/list", params={"rule": "ticket_sla"}, headers=ZH).text
    alert_id = listed.split('<tr id="alert-', 1)[1].split('"', 1)[0]
    row = client.post(
        f"/alerts/{alert_id}/ack",
        data={"csrf_token": csrf(client, "/alerts/list"), "note": "Calling back"},
        headers={**ZH, "HX-Request": "true"},
    )
    assert row.status_code == 200
    assert f"工单 {late_ticket}：首次响应时限已用 80%（目标 15 分钟）" in row.text


def test_a_situation_shows_a_tickets_sla_alert_as_the_share_of_its_target_used(
    client: TestClient, late_ticket: str
) -> None:
    group = json.dumps({"district": "410403", "category": None})
    expanded = client.get("/alerts/groups/alerts", params={"group": group}, headers={**ZH, **HTMX})
    assert expanded.status_code == 200, expanded.text
    row = expanded.text.split('id="group-alert-', 1)[1].split("</tr>", 1)[0]
    assert ">80 %</td>" in row and ">75 %</td>" in row  # used, and the escalation level
    assert "天" not in row  # not days of supply
