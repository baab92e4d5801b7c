"""Two cities with compounds, requests, deliveries and plans in each, planned and committed
by a national dispatcher: what the region-bound staff tests look at."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Delivery, Region, RegionLevel, Role
from tests.dispatch.factories import PLAN_DAY, make_compound, make_depot, make_request, make_truck
from tests.factories import make_key, make_region

DAY = PLAN_DAY


@dataclass
class TwoCities:
    """City A (districts A1, A2) and city B (district B1), a compound and a request in each
    district, one shared depot with two trucks, committed plans for A and for B, and a
    draft spanning both cities."""

    requests: dict[str, int]
    plan_a: dict[str, Any]
    plan_b: dict[str, Any]
    mixed_plan: dict[str, Any]
    deliveries: dict[str, int]
    regions: dict[str, Region]


def _plan(client: TestClient, headers: dict[str, str], request_ids: list[int]) -> dict[str, Any]:
    response = client.post(
        "/api/v1/dispatch/plans",
        json={"date": DAY.isoformat(), "time_limit_s": 1, "request_ids": request_ids},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _commit(client: TestClient, headers: dict[str, str], plan: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/commit",
        json={"expected_version": plan["version"]},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def make_two_cities(client: TestClient, session: Session) -> TwoCities:
    """City A and city B as ``TwoCities`` describes them."""
    city_a = make_region(session, code="CITY-A", level=RegionLevel.city)
    city_b = make_region(session, code="CITY-B", level=RegionLevel.city)
    regions = {
        "A": city_a,
        "B": city_b,
        "A1": make_region(session, code="A1", parent=city_a),
        "A2": make_region(session, code="A2", parent=city_a),
        "B1": make_region(session, code="B1", parent=city_b),
    }
    depot = make_depot(session, code="DEP-1")
    make_truck(session, depot=depot, plate="T-1", capacity_kg=1000)
    make_truck(session, depot=depot, plate="T-2", capacity_kg=1000)
    requests = {}
    for name, (lat, lon) in {
        "A1": (33.74, 113.29),
        "A2": (33.75, 113.27),
        "B1": (33.72, 113.30),
    }.items():
        compound = make_compound(
            session, code=f"CP-{name}", region=regions[name], latitude=lat, longitude=lon
        )
        requests[name] = make_request(session, compound=compound, delivery_date=DAY, kg=200).id
    national = make_key(session, Role.dispatcher)
    mixed_plan = _plan(client, national, list(requests.values()))
    plan_a = _commit(client, national, _plan(client, national, [requests["A1"], requests["A2"]]))
    plan_b = _commit(client, national, _plan(client, national, [requests["B1"]]))
    deliveries = {
        name: session.scalars(select(Delivery.id).where(Delivery.request_id == request_id)).one()
        for name, request_id in requests.items()
    }
    return TwoCities(requests, plan_a, plan_b, mixed_plan, deliveries, regions)
