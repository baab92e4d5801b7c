"""What people type into the hotline is plain text for other people to read: a ticket's
text, a reply, a note, a resolution, a reason and the caller's name and phone took any
character, so a resident on the public form (no sign-in) or anyone at the desk could
write a terminal escape, a NUL-free control character or a mark that shows the rest of
the line reversed (U+202E) into the operators' queue, the ticket page and the caller's
follow page, or a text of nothing but zero-width spaces. They are refused as the rest of
the service refuses them (``core.text.control_character_problem``, ``is_blank``), naming
the field, on the API and the pages alike, and nothing is written; line breaks and tabs
in a text, and right-to-left scripts, are kept."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Role, Ticket, TicketEvent
from tests.factories import make_key
from tests.service.web.helpers import csrf, make_person, make_weidong, sign_in

TICKETS = "/api/v1/hotline/tickets"
PUBLIC = "/api/v1/public/tickets"
BAD_TEXTS = {
    "a terminal escape": "no eggs \x1b[2J\x1b[31mat the market",
    "a bell and a backspace": "no eggs\x07\x08",
    "a reversing mark": "price of eggs \u202e03¥ was",
    "an isolate mark": "eggs \u2066hidden\u2069",
    "only zero-width spaces": "\u200b\u200b\u200d",
}
BAD_LINES = {
    "a line break": "Wang\r\nX-Injected: 1",
    "a terminal escape": "Wang\x1b]0;owned\x07",
    "a reversing mark": "\u202e0110",
    "a line separator": "Wang\u2028Li",
}


@pytest.fixture(autouse=True)
def city(session: Session) -> None:
    make_weidong(session)


@pytest.fixture
def operator(session: Session) -> dict[str, str]:
    headers = make_key(session, Role.operator)
    session.commit()
    return headers


def _call(**more: Any) -> dict[str, Any]:
    return {"category": "cannot_buy", "text": "no eggs", "region": "410403", **more}


def _counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        int(session.scalar(select(func.count()).select_from(Ticket)) or 0),
        int(session.scalar(select(func.count()).select_from(TicketEvent)) or 0),
    )


def _refused(answer: Any, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert ["body", field] in [error["loc"] for error in answer.json()["errors"]], answer.text


@pytest.mark.parametrize("text", BAD_TEXTS.values(), ids=BAD_TEXTS.keys())
def test_a_ticket_text_with_control_characters_is_refused_at_the_desk_and_on_the_public_form(
    client: TestClient, session: Session, operator: dict[str, str], text: str
) -> None:
    before = _counts(session)
    _refused(client.post(TICKETS, json=_call(text=text), headers=operator), "text")
    _refused(client.post(PUBLIC, json=_call(text=text)), "text")
    assert _counts(session) == before


@pytest.mark.parametrize("field", ["caller_name", "caller_phone"])
@pytest.mark.parametrize("value", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_a_callers_name_or_phone_broken_over_lines_is_refused_naming_it(
    client: TestClient, session: Session, operator: dict[str, str], field: str, value: str
) -> None:
    before = _counts(session)
    _refused(client.post(TICKETS, json=_call(**{field: value}), headers=operator), field)
    _refused(client.post(PUBLIC, json=_call(**{field: value})), field)
    assert _counts(session) == before


def test_every_action_refuses_control_characters_in_what_it_writes(
    client: TestClient, session: Session, operator: dict[str, str]
) -> None:
    number = client.post(TICKETS, json=_call(), headers=operator).json()["number"]
    bad = BAD_TEXTS["a reversing mark"]
    url = f"{TICKETS}/{number}"
    before = _counts(session)
    for action, body, field in (
        ("comments", {"text": bad, "to_caller": True}, "text"),
        ("call-backs", {"note": bad}, "note"),
        ("waiting", {"waiting": True, "note": bad}, "note"),
        ("assignment", {"working_group": "publicity", "level": "city", "note": bad}, "note"),
        ("resolution", {"resolution": bad}, "resolution"),
    ):
        _refused(client.post(f"{url}/{action}", json=body, headers=operator), field)
    assert _counts(session) == before
    resolved = client.post(f"{url}/resolution", json={"resolution": "done"}, headers=operator)
    assert resolved.status_code == 200, resolved.text
    before = _counts(session)
    _refused(client.post(f"{url}/reopening", json={"reason": bad}, headers=operator), "reason")
    assert _counts(session) == before


def test_line_breaks_tabs_and_right_to_left_script_are_kept(
    client: TestClient, operator: dict[str, str]
) -> None:
    text = "第一行\n\tsecond line\r\nمرحبا، لا يوجد بيض"
    filed = client.post(
        TICKETS,
        json=_call(text=text, caller_name="王 丽", caller_phone="+86 139 0000 0000"),
        headers=operator,
    )
    assert filed.status_code == 201, filed.text
    assert filed.json()["text"] == text


def test_the_desk_pages_and_the_public_form_show_the_refusal_beside_the_field(
    client: TestClient, session: Session
) -> None:
    before = _counts(session)
    public = client.post(
        "/hotline/report",
        data={
            "csrf_token": csrf(client, "/hotline/report"),
            **_call(text=BAD_TEXTS["a terminal escape"]),
        },
    )
    assert public.status_code == 422, public.text
    assert '<p class="error" id="text-error">holds a control character</p>' in public.text
    public = client.post(
        "/hotline/report",
        data={"csrf_token": csrf(client, "/hotline/report"), **_call(caller_name="Wang\r\nLi")},
    )
    assert public.status_code == 422, public.text
    assert 'id="caller_name-error">must be one line without control characters<' in public.text
    sign_in(client, "hu", make_person(session, "hu", Role.operator))
    new = "/hotline/tickets/new"
    for field, value in (("caller_name", "Wang\r\nLi"), ("caller_phone", "\u202e0110")):
        page = client.post(
            new,
            data={"csrf_token": csrf(client, new), **_call(**{field: value})},
            follow_redirects=False,
        )
        assert page.status_code == 422, page.text
        assert f'<span class="field-error" id="{field}-error">must be one line' in page.text
    assert _counts(session) == before
    filed = client.post(
        new, data={"csrf_token": csrf(client, new), **_call()}, follow_redirects=False
    )
    number = filed.headers["location"].split("/")[-1].split("?")[0]
    before = _counts(session)
    page = f"/hotline/tickets/{number}"
    commented = client.post(
        f"{page}/comments",
        data={
            "csrf_token": csrf(client, page),
            "text": BAD_TEXTS["a reversing mark"],
            "to_caller": "yes",
        },
        follow_redirects=False,
    )
    assert commented.status_code == 422, commented.text
    assert 'id="comment-text-error">holds a control character</span>' in commented.text
    assert _counts(session) == before
