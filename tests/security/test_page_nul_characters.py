"""A NUL character typed into a page's address, query or form is refused with a page
naming the field, as the API refuses it: PostgreSQL cannot compare or store one, so it
used to reach the database and answer 500, on public pages and the sign-in form too
(anyone could fill the service's error log and alerting with them)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from tests.service.web.helpers import csrf, make_person, sign_in

PUBLIC_PAGES = [
    "/bulletin/products/ri%00ce",
    "/bulletin?region=41%000",
    "/hotline/follow/HL%000001?token=x",
    "/board?product=eg%00gs",
]


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """The app as a browser sees it: a server error is an answer, not an exception."""
    return TestClient(client.app, raise_server_exceptions=False)


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_anyone_gets_a_refusal_not_a_server_error_for_a_nul_in_a_public_page_address(
    browser: TestClient, path: str
) -> None:
    answer = browser.get(path)
    assert answer.status_code == 422, answer.status_code
    assert "NUL" in answer.text


def test_a_nul_in_the_sign_in_form_is_refused_before_the_database(browser: TestClient) -> None:
    answer = browser.post(
        "/login",
        data={"csrf_token": csrf(browser), "username": "admin\x00", "password": "whatever1"},
    )
    assert answer.status_code == 422, answer.status_code


def test_a_signed_in_page_refuses_a_nul_in_its_address_and_its_form(
    browser: TestClient, session: Session
) -> None:
    sign_in(browser, "root.wu", make_person(session, "root.wu", Role.admin))
    assert browser.get("/store/PDS%00-1").status_code == 422
    assert browser.get("/admin/stores?q=a%00").status_code == 422
    token = csrf(browser, "/admin/stores")
    unlocked = browser.post("/admin/users/li%00/unlock", data={"csrf_token": token})
    assert unlocked.status_code == 422
    silenced = browser.post(
        "/alerts/silences", data={"csrf_token": token, "comment": "x\x00", "hours": "1"}
    )
    assert silenced.status_code == 422
