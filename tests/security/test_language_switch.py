"""The header's language switch changes a cookie, so it is a form carrying the page's
CSRF token like every other page form: another site cannot switch a signed-in officer's
pages to a language they do not read (with a link, an image or a form of its own), and
an old link to the switch only leads back to the page."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from tests.service.web.helpers import make_person, sign_in

LANGUAGE_COOKIE = "supplywatch_lang"


def switch_form(page: str) -> tuple[str, dict[str, str]]:
    """The switch's address and fields as the page renders them."""
    form = re.search(r'<form method="post" action="(/language/\w+)".*?</form>', page, re.S)
    assert form is not None, page
    return form[1], dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form[0]))


@pytest.mark.parametrize("path", ["/login", "/hotline/report", "/dashboard"])
def test_a_reader_switches_both_ways_from_the_page_they_are_on(
    client: TestClient, session: Session, path: str
) -> None:
    if path == "/dashboard":
        sign_in(client, "li", make_person(session, "li", Role.bureau))
    action, fields = switch_form(client.get(path).text)
    assert action == "/language/zh" and fields["next"] == path
    switched = client.post(action, data=fields, follow_redirects=False)
    assert (switched.status_code, switched.headers["location"]) == (303, path)
    assert client.cookies[LANGUAGE_COOKIE] == "zh"
    page = client.get(path).text
    assert '<html lang="zh-CN">' in page
    action, fields = switch_form(page)
    assert action == "/language/en"
    client.post(action, data=fields)
    assert client.cookies[LANGUAGE_COOKIE] == "en"
    assert '<html lang="en">' in client.get(path).text


def test_another_site_cannot_switch_a_signed_in_officers_language(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    for forged in (
        client.post("/language/zh", data={"next": "/dashboard"}, follow_redirects=False),
        client.post(
            "/language/zh",
            data={"csrf_token": "from-another-session", "next": "/dashboard"},
            follow_redirects=False,
        ),
    ):
        assert forged.status_code == 403
        assert LANGUAGE_COOKIE not in forged.headers.get("set-cookie", "")
    link = client.get("/language/zh?next=/dashboard", follow_redirects=False)
    assert (link.status_code, link.headers["location"]) == (303, "/dashboard")
    assert LANGUAGE_COOKIE not in link.headers.get("set-cookie", "")
    assert LANGUAGE_COOKIE not in client.cookies
    assert '<html lang="en">' in client.get("/dashboard").text
