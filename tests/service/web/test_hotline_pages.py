"""The hotline's public pages: a resident files from the form without signing in, in
English or Chinese, reads their ticket through the private link with their own text
shown escaped, and a guessed link or a bad form shows nothing and writes nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from hotline.tickets import TicketInput, file_ticket
from models import Region, Role, Ticket, TicketCategory
from models.base import utc_now
from tests.factories import make_store
from tests.service.web.helpers import csrf, make_person, make_weidong, sign_in

FORM = "/hotline/report"


@pytest.fixture(autouse=True)
def city(session: Session) -> None:
    make_weidong(session)


def send(client: TestClient, **fields: str) -> Any:
    """Send the public form as the browser does, with its CSRF token."""
    return client.post(FORM, data={"csrf_token": csrf(client, FORM), **fields})


def tickets(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)


def test_a_resident_files_from_the_form_and_follows_the_private_link(
    client: TestClient, session: Session
) -> None:
    text = "<b>No eggs</b> at the market <script>alert(1)</script>"
    filed = send(client, category="cannot_buy", text=text, region="410403")
    assert filed.status_code == 201, filed.text
    link = re.search(r'id="follow-link" href="([^"]+)"', filed.text)
    assert link is not None
    followed = client.get(link.group(1).replace("&amp;", "&"))
    assert followed.status_code == 200
    assert 'id="ticket-status">assigned<' in followed.text
    assert session.scalars(select(Ticket.text)).one() == text


def test_a_guessed_follow_link_shows_nothing(client: TestClient) -> None:
    guessed = client.get("/hotline/follow/HL0000001", params={"token": "guess"})
    assert guessed.status_code == 404
    assert "no ticket with this number and follow link" in guessed.text


def test_the_form_in_chinese_names_the_unknown_region_and_files_nothing(
    client: TestClient, session: Session
) -> None:
    client.cookies.set("supplywatch_lang", "zh")
    assert "供应热线" in client.get(FORM).text
    refused = send(
        client,
        category="cannot_buy",
        text="没有鸡蛋<script>alert(1)</script>",
        region="999999",
    )
    assert refused.status_code == 422
    assert 'id="region-error"' in refused.text
    assert "没有鸡蛋&lt;script&gt;alert(1)&lt;/script&gt;" in refused.text
    assert "<script>alert(1)</script>" not in refused.text
    assert tickets(session) == 0


def test_the_operator_signs_in_to_the_queue_overdue_tickets_first_text_escaped(
    client: TestClient, session: Session
) -> None:
    password = make_person(session, "hu", Role.operator)
    operator = Principal("key", 1, "operator", Role.operator)
    for text, minutes_ago in (("fresh <i>call</i>", 1), ("overdue call", 300)):
        file_ticket(
            session=session,
            new=TicketInput(category=TicketCategory.cannot_buy, text=text, region="410403"),
            principal=operator,
            now=utc_now() - timedelta(minutes=minutes_ago),
        )
    session.commit()
    signed_in = sign_in(client, "hu", password)
    assert signed_in.headers["location"] == "/hotline/queue"
    client.cookies.set("supplywatch_lang", "zh")
    page = client.get("/hotline/queue")
    assert page.status_code == 200
    assert "热线工单" in page.text
    assert page.text.index("overdue call") < page.text.index("fresh &lt;i&gt;call&lt;/i&gt;")
    assert "<i>call</i>" not in page.text


def operator_with_a_ticket(session: Session, filed_at: datetime | None = None) -> str:
    """An operator "hu" who filed a ticket about Weidong (at ``filed_at``); their password."""
    password = make_person(session, "hu", Role.operator)
    file_ticket(
        session=session,
        new=TicketInput(category=TicketCategory.cannot_buy, text="no eggs", region="410403"),
        principal=Principal("key", 1, "operator", Role.operator),
        now=filed_at,
    )
    return password


def test_the_operator_reads_each_tickets_region_and_working_group_by_name_on_a_phone(
    client: TestClient, session: Session
) -> None:
    password = operator_with_a_ticket(session)
    weidong = session.scalars(select(Region).where(Region.code == "410403")).one()
    weidong.name_zh = "卫东区"
    session.commit()
    assert session.scalars(select(Ticket.working_group_id)).one() is not None
    sign_in(client, "hu", password)
    client.cookies.set("supplywatch_lang", "zh")
    page = client.get("/hotline/queue").text
    assert '<td data-label="地区">卫东区</td>' in page and ">410403</td>" not in page
    assert '<td data-label="工作组">供应协调组</td>' in page and ">supply_coordination<" not in page
    # on a phone each ticket is a card, each value under its column's name (nine columns
    # used to squeeze into one character each inside a sideways-scrolling card)
    assert '<div class="scroll"><table id="queue" class="cards">' in page


def test_the_operator_reads_the_open_count_after_a_full_width_colon_in_chinese(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "hu", operator_with_a_ticket(session))
    english = client.get("/hotline/queue", headers={"Accept-Language": "en"}).text
    assert 'Open tickets: <strong id="open-total">1</strong> · ' in english
    client.cookies.set("supplywatch_lang", "zh")
    chinese = client.get("/hotline/queue").text
    # the count, not its markup, and no ASCII full stop inside Chinese
    assert '待办工单：<strong id="open-total">1</strong> · ' in chinese


def test_the_operator_reads_an_overdue_clock_as_overdue_not_as_negative_minutes_left(
    client: TestClient, session: Session
) -> None:
    password = operator_with_a_ticket(session, filed_at=utc_now() - timedelta(days=3))
    session.commit()
    sign_in(client, "hu", password)
    queue = client.get("/hotline/queue").text.split('id="queue"', 1)[1]
    # days and hours, not "4,290 min overdue" (minutes by the thousand meant nothing)
    overdue = re.findall(r">(\d+) d (\d+) h overdue<", queue)
    assert len(overdue) == 2 and all(int(days) >= 1 for days, _ in overdue), queue
    assert " left<" not in queue and " min overdue" not in queue  # both ran out days ago
    client.cookies.set("supplywatch_lang", "zh")
    chinese = client.get("/hotline/queue").text
    assert len(re.findall(r">已超时 \d+ 天 \d+ 小时<", chinese)) == 2, chinese
    assert "剩余" not in chinese


def test_the_operator_reads_a_clock_with_time_left_in_hours_and_minutes(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "hu", operator_with_a_ticket(session))
    queue = client.get("/hotline/queue", headers={"Accept-Language": "en"}).text
    left = re.findall(r">(?:(\d+) h )?(\d+) min left<", queue.split('id="queue"', 1)[1])
    assert left, queue
    client.cookies.set("supplywatch_lang", "zh")
    chinese = client.get("/hotline/queue").text
    assert re.search(r">剩余 (\d+ 小时 )?\d+ 分钟<", chinese), chinese


def test_a_store_user_cannot_open_the_queue(client: TestClient, session: Session) -> None:
    store = make_store(session)
    password = make_person(session, "shop", Role.store, store=store)
    sign_in(client, "shop", password)
    assert client.get("/hotline/queue").status_code == 403


def test_a_resident_names_their_district_rather_than_typing_its_code(
    client: TestClient, session: Session
) -> None:
    """The form asked for a "region code" and refused 卫东区, the district's own name, as
    an unknown region: a resident knows the name, not 410403. A name borne by one region
    files the ticket there; the form asks for the district and offers it by its name."""
    weidong = session.scalars(select(Region).where(Region.code == "410403")).one()
    weidong.name_zh = "卫东区"
    session.commit()
    client.cookies.set("supplywatch_lang", "zh")
    form = client.get(FORM).text
    assert '<label for="region">区县或社区</label>' in form
    assert '<option value="410403" label="卫东区 · ' in form
    for typed in ("卫东区", " weidong "):
        filed = send(client, category="cannot_buy", text="没有鸡蛋", region=typed)
        assert filed.status_code == 201, filed.text
    regions = session.scalars(select(Ticket.region_id)).all()
    assert regions == [weidong.id, weidong.id]
    refused = send(client, category="cannot_buy", text="没有鸡蛋", region="东城区")
    assert refused.status_code == 422 and "未知地区 &#39;东城区&#39;" in refused.text


def form_error(page: str) -> str:
    """The message above the form."""
    found = re.search(r'id="form-error">([^<]*)<', page)
    assert found, page
    return found.group(1)


def test_a_form_sent_with_its_text_and_place_empty_comes_back_with_what_was_typed(
    client: TestClient, session: Session
) -> None:
    """A client that skips the browser's ``required`` sent the form with the text and the
    district empty: the resident got a bare error page reading "text: Field required;
    region: Field required" and lost what they typed. The form comes back, each problem
    beside its field, the top naming the fields by their labels, nothing filed."""
    client.cookies.set("supplywatch_lang", "zh")
    refused = send(
        client,
        category="",
        text="",
        region="",
        caller_name="李娜",
        caller_phone="13800001111",
    )
    assert refused.status_code == 422, refused.text
    page = refused.text
    for field in ("category", "text", "region"):
        assert f'id="{field}-error"' in page, field
    assert 'value="李娜"' in page and 'value="13800001111"' in page
    assert "Field required" not in page
    top = form_error(page)
    assert "发生了什么" in top and "区县或社区" in top, top
    assert "text" not in top and "region" not in top, top
    assert tickets(session) == 0


def test_a_blank_text_is_named_at_the_top_by_its_label_not_its_code(
    client: TestClient, session: Session
) -> None:
    client.cookies.set("supplywatch_lang", "zh")
    refused = send(client, category="cannot_buy", text="   ", region="Weidong")
    assert refused.status_code == 422
    top = form_error(refused.text)
    assert "发生了什么" in top and "text" not in top, top
    assert 'id="text-error"' in refused.text and 'value="Weidong"' in refused.text
    assert tickets(session) == 0
