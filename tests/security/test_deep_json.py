"""JSON that a page or an upload parses itself (an alert group's key in the address, a
district outline file) may nest deeper than Python's parser recurses: that is a refusal
naming the field, as a malformed document is, never a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import RegionLevel, Role
from tests.factories import make_region
from tests.service.web.helpers import csrf, make_person, sign_in

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """The app as a browser sees it: a server error is an answer, not an exception."""
    return TestClient(client.app, raise_server_exceptions=False)


def test_a_deeply_nested_group_key_is_refused_not_a_server_error(
    browser: TestClient, session: Session
) -> None:
    sign_in(browser, "li", make_person(session, "li", Role.bureau))
    answer = browser.get(
        "/alerts/groups/alerts",
        params={"group": "[" * 5000 + "]" * 5000},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 422, answer.status_code


def test_a_deeply_nested_outline_file_is_refused_not_a_server_error(
    browser: TestClient, session: Session
) -> None:
    city = make_region(session, code="4104", level=RegionLevel.city)
    make_region(session, code="410403", name="Weidong", parent=city)
    sign_in(browser, "root.wu", make_person(session, "root.wu", Role.admin))
    answer = browser.post(
        "/admin/outlines",
        data={"csrf_token": csrf(browser, "/admin/outlines"), "region": "410403"},
        files={"file": ("outline.geojson", DEEP.encode(), "application/geo+json")},
    )
    assert answer.status_code == 422, answer.status_code
