"""A page form's CSRF token belongs to the signed-in session: a token pair taken from
another browser (an anonymous sign-in page, or the attacker's own session) planted next
to a victim's session cookie is refused and writes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ApiKey, Role
from service.web.common import CSRF_COOKIE
from tests.service.web.helpers import csrf, make_person, sign_in


def _post_key_with_planted_pair(victim: TestClient, planted_cookie: str, planted_field: str) -> int:
    """The admin's browser posts 'create an admin key' with a cookie/field pair an attacker
    planted (e.g. through a sibling subdomain's cookie); returns the status."""
    victim.cookies.set(CSRF_COOKIE, planted_cookie)
    response = victim.post(
        "/admin/keys",
        data={"name": "attacker", "role": "admin", "csrf_token": planted_field},
        follow_redirects=False,
    )
    return response.status_code


def test_an_anonymous_pair_next_to_an_admin_session_cannot_create_a_key(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "root", make_person(session, "root", Role.admin))
    with TestClient(client.app) as attacker:
        field = csrf(attacker)  # any visitor gets a cookie/field pair from /login
        cookie = attacker.cookies[CSRF_COOKIE]
    keys_before = session.scalar(select(func.count(ApiKey.id)))

    assert _post_key_with_planted_pair(client, cookie, field) == 403
    assert session.scalar(select(func.count(ApiKey.id))) == keys_before


def test_another_sessions_pair_next_to_an_admin_session_cannot_create_a_key(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "root", make_person(session, "root", Role.admin))
    with TestClient(client.app) as attacker:
        sign_in(attacker, "mallory", make_person(session, "mallory", Role.driver))
        field = csrf(attacker, "/driver")
        cookie = attacker.cookies.get(CSRF_COOKIE) or field
    keys_before = session.scalar(select(func.count(ApiKey.id)))

    assert _post_key_with_planted_pair(client, cookie, field) == 403
    assert session.scalar(select(func.count(ApiKey.id))) == keys_before


def test_a_session_keeps_its_token_across_pages_and_loses_it_on_sign_out(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    token = csrf(client, "/dashboard")
    assert csrf(client, "/alerts") == token
    assert client.post("/logout", data={"csrf_token": token}).status_code == 200
    sign_in(client, "li", "li-password")
    assert csrf(client, "/dashboard") != token
