"""The hotline desk works a ticket on its pages, as the API lets it: an operator files a
call from the phone, opens the ticket from the queue, replies to the caller (who reads it
through their private link), waits on the caller and goes on, hands it over, links what it
is about, resolves, reopens and merges a duplicate. A refused action names its field
beside the form it came from and writes nothing; a working group sees only its tickets."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from hotline.routing import add_member
from hotline.tickets import TicketInput, file_ticket
from models import (
    Region,
    Role,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketPriority,
    TicketStatus,
)
from service.web import hotline_desk
from tests.dispatch.factories import make_compound
from tests.factories import backdate_ticket, make_product, make_store
from tests.service.web.helpers import csrf, make_person, make_weidong, sign_in

ADMIN = Principal("key", 0, "admin", Role.admin)


@pytest.fixture(autouse=True)
def city(session: Session) -> None:
    make_weidong(session)


@pytest.fixture
def operator(client: TestClient, session: Session) -> TestClient:
    """The client signed in as operator "hu"."""
    sign_in(client, "hu", make_person(session, "hu", Role.operator))
    return client


def a_ticket(session: Session, text: str = "no eggs at the market", **more: object) -> str:
    """A ticket filed by the desk about Weidong; its number."""
    ticket, _ = file_ticket(
        session=session,
        new=TicketInput(
            category=TicketCategory.cannot_buy,
            text=text,
            region="410403",
            **more,  # type: ignore[arg-type]
        ),
        principal=Principal("key", 1, "operator", Role.operator),
    )
    session.commit()
    return ticket.number


def post(client: TestClient, path: str, data: dict[str, str], page: str) -> object:
    """Post a form of ``page`` as the browser does (its CSRF token, no redirect followed)."""
    return client.post(
        path, data={"csrf_token": csrf(client, page), **data}, follow_redirects=False
    )


def trail(session: Session, number: str) -> list[str]:
    session.expire_all()
    ticket = session.scalars(select(Ticket).where(Ticket.number == number)).one()
    return list(
        session.scalars(
            select(TicketEvent.kind)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
    )


def test_the_operator_files_a_call_from_the_phone_and_lands_on_the_routed_ticket(
    operator: TestClient, session: Session
) -> None:
    queue = operator.get("/hotline/queue").text
    assert 'id="file-call" href="/hotline/tickets/new"' in queue
    filed = post(
        operator,
        "/hotline/tickets/new",
        {
            "category": "delivery_late",
            "priority": "urgent",
            "caller_kind": "resident",
            "caller_name": "Li Na",
            "caller_phone": "138 0000 1111",
            "region": "Weidong",
            "text": "Our compound's vegetables did not come\n<b>two days</b>",
        },
        "/hotline/tickets/new",
    )
    assert filed.status_code == 303, filed.text  # type: ignore[attr-defined]
    location = filed.headers["location"]  # type: ignore[attr-defined]
    number = re.fullmatch(r"/hotline/tickets/(HL\d{7})\?done=filed", location)
    assert number is not None, location
    page = operator.get(location).text
    assert 'id="done"' in page and "its clocks are running" in page
    assert '<span class="badge" id="ticket-priority">urgent</span>' in page
    assert '<dd id="ticket-region">Weidong</dd>' in page
    assert "Logistics and delivery" in page  # routed by the delivery_late rule
    assert "&lt;b&gt;two days&lt;/b&gt;" in page and "<b>two days</b>" not in page
    assert 'href="tel:13800001111"' in page
    ticket = session.scalars(select(Ticket)).one()
    assert (ticket.channel, ticket.priority, ticket.caller_name) == (
        TicketChannel.phone,
        TicketPriority.urgent,
        "Li Na",
    )
    assert ticket.filed_by.endswith("hu")


def test_a_call_with_an_unknown_store_names_the_field_keeps_what_was_typed_and_files_nothing(
    operator: TestClient, session: Session
) -> None:
    refused = post(
        operator,
        "/hotline/tickets/new",
        {"category": "cannot_buy", "region": "410403", "store": "NOPE-1", "text": "no rice"},
        "/hotline/tickets/new",
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    page = refused.text  # type: ignore[attr-defined]
    assert 'id="store-error"' in page and "NOPE-1" in page
    assert ">no rice</textarea>" in page
    blank = post(
        operator,
        "/hotline/tickets/new",
        {"category": "cannot_buy", "region": "410403", "text": "   "},
        "/hotline/tickets/new",
    )
    assert blank.status_code == 422 and 'id="text-error"' in blank.text  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_reply_reaches_the_caller_through_their_link_and_an_internal_note_does_not(
    client: TestClient, session: Session
) -> None:
    filed = client.post(
        "/hotline/report",
        data={
            "csrf_token": csrf(client, "/hotline/report"),
            "category": "cannot_buy",
            "text": "no eggs for three days",
            "region": "410403",
        },
    )
    follow = re.search(r'id="follow-link" href="([^"]+)"', filed.text)
    assert follow is not None
    follow_path = follow.group(1).replace("&amp;", "&")
    number = session.scalars(select(Ticket.number)).one()
    sign_in(client, "hu", make_person(session, "hu", Role.operator))
    page = f"/hotline/tickets/{number}"
    assert "filed" in client.get(page).text
    replied = post(
        client,
        f"{page}/comments",
        {"text": "Eggs arrive at Jianshe Road market at 8:00", "to_caller": "yes"},
        page,
    )
    assert replied.headers["location"] == f"{page}?done=replied#done"  # type: ignore[attr-defined]
    noted = post(client, f"{page}/comments", {"text": "supplier says truck was late"}, page)
    assert noted.status_code == 303  # type: ignore[attr-defined]
    desk = client.get(f"{page}?done=noted").text
    assert 'id="clock-first-response" class="sla-met">met<' in desk
    assert "Internal note added." in desk
    assert "supplier says truck was late" in desk
    client.cookies.clear()
    resident = client.get(follow_path).text
    assert "Eggs arrive at Jianshe Road market at 8:00" in resident
    assert "supplier says truck was late" not in resident


def test_the_desk_waits_on_the_caller_then_goes_on_and_the_trail_says_so(
    operator: TestClient, session: Session
) -> None:
    number = a_ticket(session)
    page = f"/hotline/tickets/{number}"
    unasked = post(operator, f"{page}/waiting", {"waiting": "yes"}, page)
    assert unasked.status_code == 409  # type: ignore[attr-defined]
    assert "reply to or call back the caller first" in unasked.text  # type: ignore[attr-defined]
    question = {"text": "Which store did you try?", "to_caller": "yes"}
    post(operator, f"{page}/comments", question, page)
    post(operator, f"{page}/waiting", {"waiting": "yes", "note": "asked for the address"}, page)
    waiting = operator.get(page).text
    assert 'id="ticket-status">waiting on the caller<' in waiting
    assert "The caller answered: go on" in waiting
    assert "paused" in waiting
    post(operator, f"{page}/waiting", {"waiting": "no"}, page)
    assert 'id="ticket-status">assigned<' in operator.get(page).text
    assert trail(session, number)[-2:] == ["status_changed", "status_changed"]


def test_the_desk_raises_the_priority_and_hands_the_ticket_to_another_group(
    operator: TestClient, session: Session
) -> None:
    number = a_ticket(session)
    page = f"/hotline/tickets/{number}"
    post(operator, f"{page}/priority", {"priority": "high"}, page)
    handed = post(
        operator,
        f"{page}/assignment",
        {"working_group": "logistics_delivery", "level": "city", "note": "a delivery problem"},
        page,
    )
    assert handed.status_code == 303  # type: ignore[attr-defined]
    shown = operator.get(page).text
    assert '<span class="badge" id="ticket-priority">high</span>' in shown
    assert '<dd id="ticket-group">Logistics and delivery · city</dd>' in shown
    assert "Logistics and delivery · city · a delivery problem" in shown
    unknown = post(
        operator, f"{page}/assignment", {"working_group": "nobody", "level": "city"}, page
    )
    assert unknown.status_code == 422  # type: ignore[attr-defined]
    assert 'id="assign-working_group-error"' in unknown.text  # type: ignore[attr-defined]
    assert trail(session, number).count("assigned") == 2  # routing, then the hand-over


def test_a_ticket_names_its_product_in_the_readers_language(
    operator: TestClient, session: Session
) -> None:
    """The ticket showed the product's code ("chicken_legs") where it names its region."""
    legs = make_product(session, code="chicken_legs")
    legs.name, legs.name_zh = "Chicken legs", "鸡腿"
    session.commit()
    page = f"/hotline/tickets/{a_ticket(session, product='chicken_legs')}"
    assert '<dd id="ticket-product">Chicken legs</dd>' in operator.get(page).text
    chinese = operator.get(page, headers={"Accept-Language": "zh-CN"}).text
    assert '<dd id="ticket-product">鸡腿</dd>' in chinese


def test_a_ticket_names_its_compound_beside_the_code_the_desk_quotes(
    operator: TestClient, session: Session
) -> None:
    """The ticket showed only "CP-00031" where the desk needs the compound's name."""
    weidong = session.scalars(select(Region).where(Region.code == "410403")).one()
    make_compound(session, code="CP-WD-1", region=weidong).name = "Jinshui Garden"
    session.commit()
    page = f"/hotline/tickets/{a_ticket(session, compound='CP-WD-1')}"
    shown = '<dd id="ticket-compound">Jinshui Garden <span class="muted">(CP-WD-1)</span></dd>'
    assert shown in operator.get(page).text


def test_linking_a_store_works_and_a_word_for_an_alert_number_is_refused_beside_it(
    operator: TestClient, session: Session
) -> None:
    weidong = session.scalars(select(Region).where(Region.code == "410403")).one()
    make_store(session, code="WD-01", region=weidong).name = "Weidong Market"
    session.commit()
    number = a_ticket(session)
    page = f"/hotline/tickets/{number}"
    linked = post(operator, f"{page}/links", {"store": "WD-01"}, page)
    assert linked.status_code == 303  # type: ignore[attr-defined]
    # named, with the code the desk quotes on the phone beside it
    shown = '<dd id="ticket-store">Weidong Market <span class="muted">(WD-01)</span></dd>'
    assert shown in operator.get(page).text
    refused = post(operator, f"{page}/links", {"alert": "the egg one"}, page)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'id="link-alert-error"' in refused.text  # type: ignore[attr-defined]
    assert '<details class="spaced-above" open>' in refused.text  # type: ignore[attr-defined]
    nothing = post(operator, f"{page}/links", {}, page)
    assert nothing.status_code == 422 and 'id="link-error"' in nothing.text  # type: ignore[attr-defined]
    assert trail(session, number).count("linked") == 1


def test_a_resolved_ticket_takes_no_reply_until_it_is_reopened(
    operator: TestClient, session: Session
) -> None:
    number = a_ticket(session)
    page = f"/hotline/tickets/{number}"
    post(operator, f"{page}/resolution", {"resolution": "Eggs restocked on Monday"}, page)
    resolved = operator.get(page).text
    assert '<dd id="resolution">Eggs restocked on Monday</dd>' in resolved
    assert 'id="reopen-form"' in resolved and 'id="comment-form"' not in resolved
    late = post(operator, f"{page}/comments", {"text": "one more thing", "to_caller": "yes"}, page)
    assert late.status_code == 409  # type: ignore[attr-defined]
    assert "reopen it before changing it" in late.text  # type: ignore[attr-defined]
    blank = post(operator, f"{page}/reopening", {"reason": " "}, page)
    assert blank.status_code == 422 and 'id="reopen-reason-error"' in blank.text  # type: ignore[attr-defined]
    post(
        operator, f"{page}/reopening", {"reason": "the caller says the shelf is empty again"}, page
    )
    assert 'id="comment-form"' in operator.get(page).text
    assert trail(session, number)[-2:] == ["resolved", "reopened"]


def test_a_duplicate_is_merged_by_the_number_the_caller_quotes_and_an_unknown_one_is_refused(
    operator: TestClient, session: Session
) -> None:
    first = a_ticket(session, "no eggs")
    duplicate = a_ticket(session, "no eggs again")
    page = f"/hotline/tickets/{duplicate}"
    refused = post(operator, f"{page}/merge", {"into": "HL9999999"}, page)
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'id="merge-into-error"' in refused.text  # type: ignore[attr-defined]
    assert 'value="HL9999999"' in refused.text  # type: ignore[attr-defined]
    merged = post(operator, f"{page}/merge", {"into": first.lower()}, page)
    assert merged.status_code == 303  # type: ignore[attr-defined]
    shown = operator.get(page).text
    assert f'<a href="/hotline/tickets/{first}">{first}</a>' in shown
    assert 'id="resolve-form"' not in shown and 'id="reopen-form"' not in shown
    session.expire_all()
    statuses = {
        row.number: row.status for row in session.execute(select(Ticket.number, Ticket.status))
    }
    assert statuses == {first: TicketStatus.assigned, duplicate: TicketStatus.merged}


def test_the_queue_filters_by_status_and_opens_a_ticket_by_the_number_a_caller_quotes(
    operator: TestClient, session: Session
) -> None:
    open_one = a_ticket(session, "still open")
    closed = a_ticket(session, "long solved")
    page = f"/hotline/tickets/{closed}"
    post(operator, f"{page}/resolution", {"resolution": "done"}, page)
    open_queue = operator.get("/hotline/queue").text
    assert f'id="ticket-{open_one}"' in open_queue and f'id="ticket-{closed}"' not in open_queue
    resolved_queue = operator.get("/hotline/queue", params={"status": "resolved"}).text
    assert (
        f'id="ticket-{closed}"' in resolved_queue
        and f'id="ticket-{open_one}"' not in resolved_queue
    )
    everything = operator.get("/hotline/queue", params={"status": "all"}).text
    assert f'id="ticket-{open_one}"' in everything and f'id="ticket-{closed}"' in everything
    quoted = operator.get(
        "/hotline/find", params={"number": str(int(open_one[2:]))}, follow_redirects=False
    )
    assert quoted.headers["location"] == f"/hotline/tickets/{open_one}"
    assert operator.get("/hotline/find", params={"number": "HL0999999"}).status_code == 404


def test_a_working_group_member_works_only_their_groups_tickets_and_files_no_calls(
    client: TestClient, session: Session
) -> None:
    ours = a_ticket(session)  # cannot_buy: supply coordination
    theirs, _ = file_ticket(
        session=session,
        new=TicketInput(category=TicketCategory.price_complaint, text="eggs ¥30", region="410403"),
        principal=ADMIN,
    )
    password = make_person(session, "wang", Role.working_group)
    add_member(session=session, principal=ADMIN, code="supply_coordination", username="wang")
    session.commit()
    sign_in(client, "wang", password)
    queue = client.get("/hotline/queue").text
    assert f'id="ticket-{ours}"' in queue and f'id="ticket-{theirs.number}"' not in queue
    assert 'id="file-call"' not in queue
    page = f"/hotline/tickets/{ours}"
    post(client, f"{page}/comments", {"text": "checked the market", "to_caller": "yes"}, page)
    assert "checked the market" in client.get(page).text
    assert client.get(f"/hotline/tickets/{theirs.number}").status_code == 403
    assert client.get("/hotline/tickets/new").status_code == 403
    store = make_store(session, code="S-9")
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=store))
    assert client.get(page).status_code == 403


def test_the_ticket_page_reads_in_chinese(operator: TestClient, session: Session) -> None:
    number = a_ticket(session)
    operator.cookies.set("supplywatch_lang", "zh")
    page = f"/hotline/tickets/{number}"
    post(operator, f"{page}/comments", {"text": "已联系超市", "to_caller": "yes"}, page)
    shown = operator.get(f"{page}?done=replied").text
    assert f"工单 {number}" in shown
    assert '<dd id="ticket-group">供应协调组 · 县（区）</dd>' in shown
    assert ">supply_coordination<" not in shown
    assert 'id="done"' in shown and "Reply sent" not in shown
    assert re.search(r'id="clock-resolution" class="sla-running">剩余 \d+ (天|小时)', shown), shown
    assert "分派规则" in shown and ">routing rules<" not in shown
    for english in ("Answer", "Resolve", "History", "Hand over", "reply to the caller"):
        assert f">{english}<" not in shown, english


def test_a_call_sent_with_nothing_filled_in_names_the_category_and_files_nothing(
    operator: TestClient, session: Session
) -> None:
    empty = post(operator, "/hotline/tickets/new", {}, "/hotline/tickets/new")
    assert empty.status_code == 422  # type: ignore[attr-defined]
    assert 'id="category-error"' in empty.text  # type: ignore[attr-defined]
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_the_oldest_overdue_ticket_heads_the_queue_however_many_newer_calls_came_in(
    operator: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hotline_desk, "QUEUE_PAGE_SIZE", 2)
    overdue = a_ticket(session, "waiting for three days")
    backdate_ticket(session, overdue, minutes=3 * 24 * 60)
    session.commit()
    newer = [a_ticket(session, f"call {n}") for n in range(3)]
    first = operator.get("/hotline/queue").text
    shown = re.findall(r'<tr id="ticket-(HL\d+)"', first)
    assert shown[0] == overdue and len(shown) == 2
    assert "1 / 2" in first and 'id="open-total">4<' in first
    second = operator.get("/hotline/queue", params={"page": 2}).text
    rest = re.findall(r'<tr id="ticket-(HL\d+)"', second)
    assert sorted(shown[1:] + rest) == sorted(newer)
    assert "2 / 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    everything = operator.get("/hotline/queue", params={"status": "all"}).text
    assert re.findall(r'<tr id="ticket-(HL\d+)"', everything) == newer[::-1][:2]
    assert "/hotline/queue?status=all&amp;group=&amp;page=2" in everything


def test_a_ticket_from_the_public_form_names_its_filer_in_the_readers_words(
    client: TestClient, session: Session
) -> None:
    """The history of a ticket a resident filed read "public web form" on the Chinese desk
    page (the record keeps those words; the page now says them in the reader's)."""
    filed = client.post(
        "/hotline/report",
        data={
            "csrf_token": csrf(client, "/hotline/report"),
            "category": "cannot_buy",
            "text": "no eggs for three days",
            "region": "410403",
        },
    )
    assert filed.status_code == 201
    number = session.scalars(select(Ticket.number)).one()
    sign_in(client, "hu", make_person(session, "hu", Role.operator))
    page = f"/hotline/tickets/{number}"
    chinese = client.get(page, headers={"Accept-Language": "zh"}).text
    history = chinese.split('id="trail"', 1)[1].split("</table>", 1)[0]
    assert ">公众网页表单<" in history and "public web form" not in history
    english = client.get(page, headers={"Accept-Language": "en"}).text
    assert ">public web form<" in english.split('id="trail"', 1)[1].split("</table>", 1)[0]
    assert session.scalars(select(Ticket.filed_by)).one() == "public web form"


def test_a_call_with_many_bad_fields_names_every_one_at_once_and_files_nothing(
    operator: TestClient, session: Session
) -> None:
    """A call with no category, a blank text, an unknown district, store and product named
    one problem per try, so the operator fixed and sent it five times while the caller
    waited. Every field is named beside it at once, the top naming each by its label."""
    operator.cookies.set("supplywatch_lang", "zh")
    refused = post(
        operator,
        "/hotline/tickets/new",
        {
            "category": "",
            "text": "   ",
            "region": "Nowhere",
            "store": "NOPE-1",
            "product": "unobtainium",
            "caller_name": "Li Na",
        },
        "/hotline/tickets/new",
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    page = refused.text  # type: ignore[attr-defined]
    for field in ("category", "text", "region", "store", "product"):
        assert f'id="{field}-error"' in page, field
    assert 'value="Li Na"' in page and 'value="unobtainium"' in page
    top = re.search(r'id="problem">([^<]*)<', page)
    assert top is not None
    assert "来电内容" in top.group(1) and "text" not in top.group(1), top.group(1)
    assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_finding_an_empty_number_goes_back_to_the_queue(operator: TestClient) -> None:
    """The find box sent empty answered an error page "ticket '' not found"."""
    assert 'id="find-number" required' in operator.get("/hotline/queue").text
    for typed in ("", "   "):
        found = operator.get("/hotline/find", params={"number": typed}, follow_redirects=False)
        assert found.status_code == 303, found.text
        assert found.headers["location"] == "/hotline/queue"
