"""A token compared in constant time must be ASCII for Python's ``compare_digest`` on
text, which raises ``TypeError`` otherwise: a page form posted with a CSRF token such as
``ключ`` (field or ``X-CSRF-Token`` header), by anyone on the sign-in page or the public
hotline form, and ``/metrics`` asked with a non-ASCII bearer token, answered 500. Such a
token matches nothing: the form is refused with 403 and writes nothing, the scrape is a
401; the right token still works."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models import Role, RoutingRule, Ticket
from service.app import create_app
from service.settings import Settings
from tests.service.web.helpers import csrf, make_person, make_weidong, sign_in

NON_ASCII = ("ключ", "é", "令牌", "\u00a0")


@pytest.fixture
def browser(client: TestClient, session: Session) -> TestClient:
    """The app as a browser sees it: a server error is an answer, not an exception."""
    make_weidong(session)
    return TestClient(client.app, raise_server_exceptions=False)


def _count(session: Session, table: type[object]) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


@pytest.mark.parametrize("token", NON_ASCII)
def test_a_public_form_posted_with_a_non_ascii_token_is_refused_not_a_server_error(
    browser: TestClient, session: Session, token: str
) -> None:
    csrf(browser, "/hotline/report")  # the browser holds its cookie, the field is forged
    call = {"category": "other", "text": "no eggs", "region": "410403"}
    refused = browser.post("/hotline/report", data={"csrf_token": token, **call})
    assert refused.status_code == 403, refused.text
    signing_in = browser.post(
        "/login", data={"csrf_token": token, "username": "x", "password": "y"}
    )
    assert signing_in.status_code == 403, signing_in.text
    by_header = browser.post(
        "/hotline/report", data=call, headers={"X-CSRF-Token": token.encode("utf-8")}
    )
    assert by_header.status_code == 403, by_header.text
    assert _count(session, Ticket) == 0


def test_a_signed_in_form_posted_with_a_non_ascii_token_is_refused_and_writes_nothing(
    browser: TestClient, session: Session
) -> None:
    sign_in(browser, "li", make_person(session, "li", Role.bureau))
    rule = {"category": "", "region": "410403", "working_group": "publicity", "level": "city"}
    for token in NON_ASCII:
        refused = browser.post("/hotline/settings/rules", data={"csrf_token": token, **rule})
        assert refused.status_code == 403, refused.text
    assert _count(session, RoutingRule) == 0
    saved = browser.post(
        "/hotline/settings/rules",
        data={"csrf_token": csrf(browser, "/hotline/settings"), **rule},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text


def test_metrics_asked_with_a_non_ascii_bearer_token_is_refused_not_a_server_error(
    settings: Settings, session_factory: sessionmaker[Session]
) -> None:
    token = "scrape-me-0123456789abcdef"
    configured = Settings(**{**settings.model_dump(), "metrics_token": token})
    app = create_app(configured, session_factory=session_factory)
    with TestClient(app, client=("203.0.113.9", 41000), raise_server_exceptions=False) as scraper:
        for sent in NON_ASCII:
            answer = scraper.get("/metrics", headers={"Authorization": f"Bearer {sent}".encode()})
            assert answer.status_code == 401, sent
        assert (
            scraper.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        )
