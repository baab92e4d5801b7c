"""People sign in to the pages, land on their role's home page, and see only what
their role may; forms need the CSRF token; sessions end on sign-out and expiry."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Role, User, UserSession
from models.base import utc_now
from tests.factories import make_store
from tests.service.web.helpers import csrf, make_person, sign_in


def test_each_role_lands_on_its_own_home_page(client: TestClient, session: Session) -> None:
    store = make_store(session, code="PDS-0001")
    homes = {
        ("bureau", Role.bureau, None): "/dashboard",
        ("admin", Role.admin, None): "/admin",
        ("dispatcher", Role.dispatcher, None): "/dispatch",
        ("driver", Role.driver, None): "/driver",
        ("shop", Role.store, store): "/store",
    }
    for (username, role, bound), home in homes.items():
        password = make_person(session, username, role, store=bound)
        response = sign_in(client, username, password)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == home
        cookie = response.headers["set-cookie"]
        assert "supplywatch_session=" in cookie and "HttpOnly" in cookie
        assert "samesite=lax" in cookie.lower()
        assert client.get(home).status_code == 200
        assert client.get("/", follow_redirects=False).headers["location"] == home
        client.cookies.clear()


def test_a_store_person_sees_only_their_store_and_not_the_bureau_pages(
    client: TestClient, session: Session
) -> None:
    own = make_store(session, code="OWN-1")
    other = make_store(session, code="OTHER-1")
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=own))

    assert client.get("/store").url.path == "/store/OWN-1"
    assert client.get(f"/store/{other.code}").status_code == 403
    for page in ("/dashboard", "/alerts", "/admin"):
        response = client.get(page)
        assert response.status_code == 403, page
        assert "text/html" in response.headers["content-type"]


def test_pages_send_a_visitor_without_a_session_to_sign_in_and_back(
    client: TestClient, session: Session
) -> None:
    response = client.get("/alerts?status=open", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/alerts"

    password = make_person(session, "li", Role.bureau)
    response = sign_in(client, "li", password, next_page="/alerts")
    assert response.headers["location"] == "/alerts"
    # A target on another site is ignored (no open redirect).
    client.cookies.clear()
    response = sign_in(client, "li", password, next_page="//evil.example/")
    assert response.headers["location"] == "/dashboard"


@pytest.mark.parametrize(
    "target", ["/\\evil.example/", "/\t/evil.example/", "/\n/evil.example", "\\\\evil.example"]
)
def test_a_sign_in_target_a_browser_would_read_as_another_site_is_ignored(
    client: TestClient, session: Session, target: str
) -> None:
    password = make_person(session, "li", Role.bureau)
    response = sign_in(client, "li", password, next_page=target)
    assert response.headers["location"] == "/dashboard"


def test_a_wrong_password_is_refused_and_counted(client: TestClient, session: Session) -> None:
    make_person(session, "li", Role.bureau)
    response = sign_in(client, "li", "not-it")
    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert "supplywatch_session" not in client.cookies
    failures = session.scalar(select(User.failed_logins).where(User.username == "li"))
    assert failures == 1


def test_a_form_without_the_matching_csrf_token_changes_nothing(
    client: TestClient, session: Session
) -> None:
    password = make_person(session, "li", Role.bureau)
    csrf(client)  # the browser has the cookie, but the form lacks the token
    response = client.post(
        "/login", data={"username": "li", "password": password, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert session.scalar(select(UserSession.id)) is None


def test_signing_out_ends_the_session(client: TestClient, session: Session) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    token = csrf(client, "/dashboard")
    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert session.scalar(select(UserSession.id)) is None
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_an_expired_session_sends_the_person_to_sign_in_again(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    session.execute(update(UserSession).values(expires_at=utc_now() - timedelta(minutes=1)))
    session.commit()
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


def test_the_language_follows_the_browser_then_the_switch(
    client: TestClient, session: Session
) -> None:
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert '<html lang="zh-CN">' in page.text and "登录" in page.text
    client.post("/language/en", data={"csrf_token": csrf(client), "next": "/login"})
    page = client.get("/login", headers={"Accept-Language": "zh-CN"})
    assert '<html lang="en">' in page.text and "Sign in" in page.text


@pytest.mark.parametrize(
    ("language", "dispatch", "signed_in_as"),
    [("en", "Dispatch", "Signed in as"), ("zh", "调度", "当前用户")],
)
def test_a_signed_in_dispatcher_on_an_error_page_keeps_the_navigation(
    client: TestClient, session: Session, language: str, dispatch: str, signed_in_as: str
) -> None:
    """A dispatcher who mistypes an address, or sends a form that expired, still has the
    navigation bar (in their language) to go on from the error page."""
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Accept-Language": language}
    board = client.get("/dispatch", headers=browser).text
    navigation = board.split("<nav", 1)[1].split("</nav>", 1)[0]
    assert f'<a href="/dispatch" aria-current="page">{dispatch}</a>' in navigation

    missing = client.get("/dispatch/nowhere", headers=browser)
    assert missing.status_code == 404
    assert f"<nav{navigation}</nav>" in missing.text
    assert signed_in_as in missing.text and "<strong>ops</strong>" in missing.text

    expired = client.post(
        "/dispatch/plans", data={"csrf_token": "stale", "day": "2026-12-05"}, headers=browser
    )
    assert expired.status_code == 403
    assert f"<nav{navigation}</nav>" in expired.text


def test_a_person_following_a_broken_link_sees_a_page_saying_so_in_their_language(
    client: TestClient,
) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = client.get("/dashbord", headers={**browser, "Accept-Language": "zh"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "没有这个页面：/dashbord" in page.text and "出错了" in page.text
    english = client.get("/dashbord", headers=browser)
    assert "there is no page at /dashbord" in english.text
    # programs and assets keep their problem+json
    api = client.get("/api/v1/nothing", headers=browser)
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert client.get("/dashbord").headers["content-type"] == "application/problem+json"


def test_the_language_switch_comes_back_to_the_same_page_with_its_query(
    client: TestClient, session: Session
) -> None:
    """The switch used to lead back to the page's path only: a store that had opened an
    earlier day's report (``?day=…``) found today's form after switching language."""
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    page = client.get("/bulletin/archive?page=2&x=a%26b").text
    switch = re.search(r'<form method="post" action="(/language/zh)".*?</form>', page, re.S)
    assert switch is not None, page
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', switch[0]))
    form = {name: html.unescape(value) for name, value in fields.items()}
    switched = client.post(switch[1], data=form, follow_redirects=False)
    assert switched.status_code == 303
    assert switched.headers["location"] == "/bulletin/archive?page=2&x=a%26b"
    assert 'lang="en">English</button>' in client.get("/bulletin/archive").text


def test_a_visitor_finds_the_public_pages_and_the_way_in_from_any_public_page(
    client: TestClient, session: Session
) -> None:
    """The site's address sends a resident to the sign-in page: from there (and from the
    bulletin, the board and the hotline form) the header leads to the public pages."""
    for page in ("/login", "/hotline/report", "/board"):
        response = client.get(page, headers={"Accept-Language": "zh-CN"})
        assert response.status_code == 200, page
        nav = re.search(r'<nav[^>]*id="public-nav".*?</nav>', response.text, re.S)
        assert nav, page
        links = {
            href: html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
            for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav.group(0))
        }
        assert links == {
            "/bulletin": "日报公告",
            "/board": "供需平台",
            "/hotline/report": "供应热线",
            "/login": "登录",
        }, page
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=make_store(session)))
    assert 'id="public-nav"' not in client.get("/board").text
