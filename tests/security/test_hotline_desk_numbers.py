"""A number the desk types to find a ticket (``/hotline/find``) or to link a delivery
request or an alert is read as the digits 0 to 9 only. Python's ``str.isdigit`` also
takes superscripts and other digit signs (``²``, ``①``) that ``int`` cannot read: the
find box and the link form answered 500 to an operator who pasted one."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal
from hotline.tickets import TicketInput, file_ticket
from models import Role, Ticket, TicketCategory, TicketEvent
from tests.service.web.helpers import csrf, make_person, make_weidong, sign_in

DIGIT_SIGNS = ("²", "HL²", "hl00001²", "①", "⑴", "𝟗", "1²3")
"""Characters ``str.isdigit`` calls digits that ``int`` does not read."""


@pytest.fixture
def desk(client: TestClient, session: Session) -> TestClient:
    """The app as the operator's browser sees it (a server error is an answer)."""
    make_weidong(session)
    browser = TestClient(client.app, raise_server_exceptions=False)
    sign_in(browser, "hu", make_person(session, "hu", Role.operator))
    return browser


def _ticket(session: Session) -> str:
    ticket, _ = file_ticket(
        session=session,
        new=TicketInput(category=TicketCategory.cannot_buy, text="no eggs", region="410403"),
        principal=Principal("key", 1, "operator", Role.operator),
    )
    session.commit()
    return ticket.number


def _events(session: Session, number: str) -> int:
    session.expire_all()
    return int(
        session.scalar(
            select(func.count())
            .select_from(TicketEvent)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.number == number)
        )
        or 0
    )


@pytest.mark.parametrize("typed", DIGIT_SIGNS)
def test_a_ticket_number_typed_with_a_digit_sign_is_not_found_not_a_server_error(
    desk: TestClient, session: Session, typed: str
) -> None:
    _ticket(session)
    answer = desk.get("/hotline/find", params={"number": typed}, follow_redirects=False)
    assert answer.status_code == 404, answer.text
    assert "not found" in answer.text


def test_the_find_box_still_reads_a_number_as_a_caller_quotes_it(
    desk: TestClient, session: Session
) -> None:
    number = _ticket(session)
    for typed in (number, number.lower(), str(int(number[2:])), f" hl{int(number[2:])} "):
        answer = desk.get("/hotline/find", params={"number": typed}, follow_redirects=False)
        assert answer.status_code == 303, typed
        assert answer.headers["location"] == f"/hotline/tickets/{number}"


@pytest.mark.parametrize("field", ["delivery_request", "alert"])
@pytest.mark.parametrize("typed", ["²", "#²", "①", "1²"])
def test_a_link_number_typed_with_a_digit_sign_is_refused_beside_its_field(
    desk: TestClient, session: Session, field: str, typed: str
) -> None:
    number = _ticket(session)
    before = _events(session, number)
    page = f"/hotline/tickets/{number}"
    answer = desk.post(
        f"{page}/links",
        data={"csrf_token": csrf(desk, page), field: typed},
        follow_redirects=False,
    )
    assert answer.status_code == 422, answer.text
    assert f'id="link-{field}-error">Enter a number</span>' in answer.text
    assert _events(session, number) == before
