"""An admin bound to a city works the dispatch board and plan pages of its own city only:
its open requests, its plans; a neighbour's plan is not found, and planning the whole
day's fleet is left to national staff (on both databases)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import Compound, Role
from tests.dispatch.factories import make_request
from tests.dispatch.two_cities import DAY, TwoCities, make_two_cities
from tests.service.web.helpers import csrf, sign_in


def _city_admin_signed_in(client: TestClient, session: Session) -> TwoCities:
    cities = make_two_cities(client, session)
    for code in ("CP-A1", "CP-B1"):
        compound = session.scalars(select(Compound).where(Compound.code == code)).one()
        make_request(session, compound=compound, delivery_date=DAY, kg=50)
    create_user(
        session,
        username="city-a",
        password="city-a-password",
        role=Role.admin,
        region_id=cities.regions["A"].id,
    )
    session.commit()
    assert sign_in(client, "city-a", "city-a-password").status_code == 303
    return cities


def test_city_admin_sees_only_its_citys_requests_and_plans_on_the_board(
    client: TestClient, session: Session
) -> None:
    cities = _city_admin_signed_in(client, session)
    board = client.get("/dispatch", params={"day": DAY.isoformat()})
    assert board.status_code == 200
    assert "CP-A1" in board.text and "CP-B1" not in board.text
    assert f"/dispatch/plans/{cities.plan_a['id']}" in board.text
    for plan in (cities.plan_b, cities.mixed_plan):
        assert f'/dispatch/plans/{plan["id"]}"' not in board.text


def test_city_admin_never_opens_a_neighbour_citys_plan_page(
    client: TestClient, session: Session
) -> None:
    cities = _city_admin_signed_in(client, session)
    mine = client.get(f"/dispatch/plans/{cities.plan_a['id']}")
    assert mine.status_code == 200 and "CP-A2" in mine.text
    for plan in (cities.plan_b, cities.mixed_plan):
        for page in ("", "/manifests"):
            found = client.get(f"/dispatch/plans/{plan['id']}{page}")
            assert found.status_code == 404, (page, found.status_code)
            assert "CP-B1" not in found.text
    planned = client.post(
        "/dispatch/plans",
        data={"csrf_token": csrf(client, "/dispatch"), "day": DAY.isoformat(), "time_limit_s": "1"},
    )
    assert planned.status_code == 403
