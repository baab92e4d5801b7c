"""A refused action on a page writes nothing: whatever the domain flushed before it raised
is rolled back, even when the page turns the error into a page of its own."""

from __future__ import annotations

import enum
from datetime import date
from typing import cast

from fastapi import FastAPI, Request, UploadFile
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import Base, Delivery, DispatchPlan, PlanStatus, Region, RegionLevel, Role
from service.http.dependencies import SessionDep
from service.web import page_routers
from service.web.common import check_csrf
from tests.factories import business_today
from tests.service.web.helpers import csrf, make_person, sign_in
from tests.service.web.test_dispatch_pages import _day_to_plan, _plan


def test_committing_a_draft_whose_requests_another_plan_took_leaves_it_a_draft(
    client: TestClient, session: Session
) -> None:
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    first, second = _plan(client), _plan(client)
    token = csrf(client, "/dispatch")
    taken = client.post(
        f"/dispatch/plans/{first}/commit", data={"csrf_token": token, "version": "1"}
    )
    assert taken.status_code == 200 and "Plan committed" in taken.text
    draft = session.get_one(DispatchPlan, second)
    version = draft.version

    refused = client.post(
        f"/dispatch/plans/{second}/commit", data={"csrf_token": token, "version": str(version)}
    )

    assert refused.status_code == 409 and "plan again" in refused.text
    session.expire_all()
    draft = session.get_one(DispatchPlan, second)
    assert (draft.status, draft.version, draft.committed_at) == (PlanStatus.draft, version, None)
    assert (
        session.scalar(select(func.count()).select_from(Delivery).where(Delivery.plan_id == second))
        == 0
    )


WRITTEN_BEFORE_THE_REFUSAL = "REFUSED-REQUEST-WROTE-THIS"
ALWAYS_SUCCEEDS = {
    "/logout": "signing out has no refusal to drive it into",
    "/language/{language}": "switching the language writes nothing and refuses nothing",
}
ANSWERS_JSON = {"/checkpoint/scans": "the checkpoint page's script posts its scans as JSON"}


def _page_posts() -> list[APIRoute]:
    """Every form a page posts to: the POST routes of the web router's page modules."""
    return [
        route
        for router in page_routers
        for route in router.routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or set())
    ]


def _filled_in(route: APIRoute) -> tuple[str, dict[str, str], dict[str, tuple[str, bytes]]]:
    """The route's URL and a form in which every field holds a value of its type, so the
    request gets past validation to the page and the domain."""
    path = route.path_format.format(
        **{
            param.name: "1" if param.field_info.annotation is int else "X-1"
            for param in route.dependant.path_params
        }
    )
    data: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for field in route.dependant.body_params:
        annotation = field.field_info.annotation
        if annotation is UploadFile:
            files[field.alias] = ("lines.csv", b"store,product\nX-1,rice\n")
        elif annotation is date:
            data[field.alias] = business_today().isoformat()
        elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            data[field.alias] = next(iter(annotation)).value
        else:
            data[field.alias] = "1"  # a number, a code or a note alike
    return path, data, files


def _snapshot(session: Session) -> dict[str, list[str]]:
    """Every row of every table, as text, to compare before and after a request."""
    session.expire_all()
    return {
        table.name: sorted(repr(tuple(row)) for row in session.execute(select(table)))
        for table in Base.metadata.sorted_tables
    }


def test_every_refused_page_post_writes_nothing(client: TestClient, session: Session) -> None:
    """Each page form, posted by a driver to things that are not theirs, is refused with a
    domain error after the request already wrote a row (standing in for what a domain
    function flushed before it raised): the database is as it was before."""
    app = cast(FastAPI, client.app)

    def flush_a_write_in_place_of_the_csrf_check(request: Request, session: SessionDep) -> None:
        session.add(
            Region(
                code=WRITTEN_BEFORE_THE_REFUSAL,
                name="written by a refused request",
                level=RegionLevel.district,
            )
        )
        session.flush()

    make_person(session, "driver", Role.driver)
    routes = _page_posts()
    assert len(routes) >= 30, [route.path for route in routes]
    kept: dict[str, list[str]] = {}
    for route in routes:
        if route.path in ALWAYS_SUCCEEDS:
            continue
        client.cookies.clear()
        if route.path != "/login":
            sign_in(client, "driver", "driver-password")
        path, data, files = _filled_in(route)
        if route.path == "/login":
            data.update(username="nobody", password="wrong")
        before = _snapshot(session)

        app.dependency_overrides[check_csrf] = flush_a_write_in_place_of_the_csrf_check
        response = client.post(path, data=data, files=files or None, follow_redirects=False)
        del app.dependency_overrides[check_csrf]

        assert 400 <= response.status_code < 500, (route.path, response.status_code)
        expected = "application/problem+json" if route.path in ANSWERS_JSON else "text/html"
        assert expected in response.headers["content-type"], route.path
        after = _snapshot(session)
        changed = [table for table in before if before[table] != after[table]]
        if changed:
            kept[f"{route.path} ({response.status_code})"] = changed
            session.execute(delete(Region).where(Region.code == WRITTEN_BEFORE_THE_REFUSAL))
            session.commit()
    assert kept == {}
