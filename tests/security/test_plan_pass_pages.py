"""The pages that print a plan's passes answer only those the API answers: national
dispatchers and admins. A plan's trucks and requests span regions, so staff bound to a
region, to whom the plan's own pages are 404, may neither queue its passes PDF nor fetch
it, and cannot learn from the answers which plans exist and are committed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import BackgroundJob, Role
from tests.dispatch.factories import PLAN_DAY, make_city
from tests.factories import make_key, make_region
from tests.service.web.helpers import csrf, sign_in

PLANS = "/api/v1/dispatch/plans"


def test_an_admin_bound_to_a_region_cannot_print_the_passes_of_a_plan_on_the_pages(
    client: TestClient, session: Session
) -> None:
    day = PLAN_DAY
    dispatcher = make_key(session, Role.dispatcher)
    make_city(session, day=day, trucks=[300, 300], loads=[250, 250])
    elsewhere = make_region(session, code="999901", name="Elsewhere")
    create_user(
        session, username="radmin", password="radmin-password", role=Role.admin,
        region_id=elsewhere.id,
    )  # fmt: skip
    session.commit()
    plan = client.post(PLANS, json={"date": day.isoformat(), "time_limit_s": 1}, headers=dispatcher)
    plan_id = plan.json()["id"]
    committed = client.post(
        f"{PLANS}/{plan_id}/commit", json={"expected_version": 1}, headers=dispatcher
    )
    assert committed.status_code == 200, committed.text

    sign_in(client, "radmin", "radmin-password")
    assert client.get(f"/dispatch/plans/{plan_id}").status_code == 404
    token = csrf(client, "/admin")
    answers = {
        client.post(
            f"/dispatch/plans/{plan}/passes-jobs",
            data={"csrf_token": token},
            follow_redirects=False,
        ).status_code
        for plan in (plan_id, plan_id + 1000)
    }
    assert answers == {403}
    assert client.get(f"/dispatch/plans/{plan_id}/passes.pdf").status_code == 403
    assert session.scalar(select(func.count()).select_from(BackgroundJob)) == 0
