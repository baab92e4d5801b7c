"""Right after `make demo` a dispatcher can plan and commit the day, a driver can move
its truck's deliveries and a receiver can order for its compound."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from core.database import create_database_engine, create_session_factory, session_scope
from service.app import create_app
from service.demo import load_demo_city
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.factories import business_today


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_a_new_user_plans_and_commits_the_demo_day(
    backend_name: str, empty_database_url: Callable[[str], str]
) -> None:
    url = empty_database_url(backend_name)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    today = business_today()
    with session_scope(create_session_factory(engine)) as session:
        summary = load_demo_city(session, seed=3, end_date=today, days=8)
    engine.dispose()
    keys = {key.role.value: {"Authorization": f"Bearer {key.secret}"} for key in summary.api_keys}
    assert summary.open_requests == summary.locked_compounds > 0 and summary.trucks == 100

    app = create_app(Settings(database_url=url, log_json=False, log_level="WARNING"))
    with TestClient(app) as client:
        planned = client.post(
            "/api/v1/dispatch/plans",
            json={"date": today.isoformat(), "time_limit_s": 3},
            headers=keys["dispatcher"],
        )
        assert planned.status_code == 201, planned.text
        plan = planned.json()
        assert plan["totals"]["requests_served"] == summary.open_requests
        assert plan["unassigned"] == []
        committed = client.post(
            f"/api/v1/dispatch/plans/{plan['id']}/commit",
            json={"expected_version": plan["version"]},
            headers=keys["dispatcher"],
        )
        assert committed.status_code == 200, committed.text

        # The demo driver's truck has stops to drive, with addresses and items to hand over.
        mine = client.get("/api/v1/deliveries", headers=keys["driver"]).json()["items"]
        assert mine
        moved = client.post(
            f"/api/v1/deliveries/{mine[0]['id']}/status",
            json={"status": "loaded"},
            headers=keys["driver"],
        )
        assert moved.status_code == 200, moved.text
        plate = mine[0]["truck"]
        manifest = client.get(f"/api/v1/trucks/{plate}/manifest", headers=keys["driver"]).json()
        assert all(stop["address"] and stop["items"] for stop in manifest["stops"])
        compound = client.get("/api/v1/compounds", headers=keys["receiver"]).json()["items"][0]
        ordered = client.post(
            "/api/v1/delivery-requests",
            json={
                "compound": compound["code"],
                "delivery_date": today.isoformat(),
                "window_start": "09:00",
                "window_end": "11:00",
                "items": [{"product": "rice", "quantity": 3, "unit": "kg"}],
            },
            headers=keys["receiver"],
        )
        assert ordered.status_code == 201, ordered.text
