"""Numbers typed into a page's address or form (an id, a page of a list) are checked as the
API checks its ids: one too large for the database, zero or negative is refused with a
page saying so, never handed to the database to fail there as a server error. Every page
route with a number in its path is called by a signed-in admin with such numbers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from service.web.common import PageRoute
from tests.service.web.helpers import csrf, make_person, sign_in

HUGE = str(10**25)
NUMBERS = (HUGE, "0", "-3")


def _numbered_page_routes(
    routes: list[Any], prefix: str = ""
) -> Iterator[tuple[str, str, list[str]]]:
    """(method, path template, names of its number parameters) of every page route, through
    routers included in routers (FastAPI keeps an included router whole)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _numbered_page_routes(included.routes, prefix + route.include_context.prefix)
            continue
        if not isinstance(route, PageRoute):
            continue
        numbers = [
            param.name
            for param in route.dependant.path_params
            if param.field_info.annotation is int
        ]
        for method in sorted(route.methods or ()):
            if numbers and method != "HEAD":
                yield method, prefix + route.path, numbers


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """The app as a browser sees it: a server error is an answer, not an exception."""
    return TestClient(client.app, raise_server_exceptions=False)


def test_every_page_route_with_a_number_in_its_path_refuses_numbers_out_of_range(
    browser: TestClient, session: Session
) -> None:
    client = browser
    routes = list(_numbered_page_routes(client.app.routes))  # type: ignore[attr-defined]
    assert len(routes) > 20, "the crawl must see the page routes"
    sign_in(client, "root.wu", make_person(session, "root.wu", Role.admin))
    token = csrf(client, "/admin/stores")
    server_errors = []
    for method, template, numbers in routes:
        for number in NUMBERS:
            path = template
            for name in re.findall(r"{(\w+)}", template):
                path = path.replace(f"{{{name}}}", number if name in numbers else "accept")
            if method == "GET":
                answer = client.get(path)
            else:
                answer = client.request(method, path, data={"csrf_token": token})
            if answer.status_code >= 500:
                server_errors.append(f"{method} {path}: {answer.status_code}")
    assert not server_errors, server_errors


def _is_a_number(annotation: Any) -> bool:
    """Whether a parameter takes a whole number, however optional or annotated."""
    if get_origin(annotation) is Annotated:
        return _is_a_number(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_a_number(member) for member in get_args(annotation))
    return annotation is int


def _page_routes_with_query_numbers(
    routes: list[Any], prefix: str = ""
) -> Iterator[tuple[str, list[str]]]:
    """(path template, names of its number query parameters) of every GET page route."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _page_routes_with_query_numbers(
                included.routes, prefix + route.include_context.prefix
            )
            continue
        if not isinstance(route, PageRoute) or "GET" not in (route.methods or ()):
            continue
        numbers = [
            param.name
            for param in route.dependant.query_params
            if _is_a_number(param.field_info.annotation)
        ]
        if numbers:
            yield prefix + route.path, numbers


def test_every_page_route_with_a_number_in_its_query_refuses_numbers_out_of_range(
    browser: TestClient, session: Session
) -> None:
    client = browser
    routes = list(_page_routes_with_query_numbers(client.app.routes))  # type: ignore[attr-defined]
    assert any(path == "/supply/board" for path, _ in routes), routes
    sign_in(client, "root.wu", make_person(session, "root.wu", Role.admin))
    server_errors = []
    for template, numbers in routes:
        path = re.sub(r"{\w+}", "1", template)
        for name in numbers:
            for number in NUMBERS:
                answer = client.get(path, params={name: number})
                if answer.status_code >= 500:
                    server_errors.append(f"GET {path}?{name}={number}: {answer.status_code}")
    assert not server_errors, server_errors


@pytest.mark.parametrize(
    "path",
    [
        f"/supply/board?run={HUGE}",
        f"/supply/board?need={HUGE}",
        f"/alerts?page={HUGE}",
        f"/alerts/list?page={HUGE}",
        f"/dispatch/plans/1/suggestions?request_id={HUGE}",
        f"/dispatch/plans/1/suggestions?request_id=1&part={HUGE}",
    ],
)
def test_a_number_out_of_range_in_a_page_query_is_refused_not_a_server_error(
    path: str, session: Session, browser: TestClient
) -> None:
    client = browser
    sign_in(client, "root.wu", make_person(session, "root.wu", Role.admin))
    assert client.get(path).status_code < 500


def test_a_number_out_of_range_in_a_page_form_is_refused_not_a_server_error(
    browser: TestClient, session: Session
) -> None:
    client = browser
    sign_in(client, "disp.li", make_person(session, "disp.li", Role.dispatcher))
    token = csrf(client, "/dispatch")
    moved = client.post(
        "/dispatch/plans/1/moves",
        data={"csrf_token": token, "request_id": HUGE, "version": HUGE, "to_truck": "X"},
    )
    assert moved.status_code < 500
    committed = client.post("/dispatch/plans/1/commit", data={"csrf_token": token, "version": HUGE})
    assert committed.status_code < 500
