"""A bureau or admin bound to a city (or a district) sees and manages only the compounds,
delivery requests, deliveries and plans inside it, by every route; the fleet is shared,
read by all and changed by national staff only (on both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Compound,
    DeliveryEvent,
    DeliveryRequest,
    Depot,
    RequestStatus,
    Role,
    Truck,
)
from tests.dispatch.two_cities import DAY, TwoCities, make_two_cities
from tests.factories import business_today, make_key, make_product, make_store


@pytest.fixture
def cities(client: TestClient, session: Session) -> TwoCities:
    return make_two_cities(client, session)


def _codes(response: Any, key: str = "code") -> list[Any]:
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()["items"]]


def _not_found_like_unknown(
    client: TestClient, headers: dict[str, str], path: str, unknown: str
) -> None:
    """A neighbour's thing is a 404 worded exactly as for a thing that does not exist."""
    outside = client.get(path, headers=headers)
    missing = client.get(unknown, headers=headers)
    assert outside.status_code == missing.status_code == 404, outside.text
    assert outside.json()["detail"].replace(path.rsplit("/", 1)[-1], "?") == missing.json()[
        "detail"
    ].replace(unknown.rsplit("/", 1)[-1], "?")


def test_city_bureau_never_sees_a_neighbour_citys_compounds(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau = make_key(session, Role.bureau, region=cities.regions["A"])
    listed = client.get("/api/v1/compounds", headers=bureau)
    assert _codes(listed) == ["CP-A1", "CP-A2"]
    assert listed.json()["total"] == 2
    assert _codes(client.get("/api/v1/compounds", params={"q": "CP-"}, headers=bureau)) == [
        "CP-A1",
        "CP-A2",
    ]
    assert _codes(client.get("/api/v1/compounds", params={"region": "A2"}, headers=bureau)) == [
        "CP-A2"
    ]
    for region in ("CITY-B", "B1"):
        refused = client.get("/api/v1/compounds", params={"region": region}, headers=bureau)
        assert refused.status_code == 404 and region in refused.json()["detail"]
    assert client.get("/api/v1/compounds/CP-A1", headers=bureau).json()["region"] == "A1"
    _not_found_like_unknown(client, bureau, "/api/v1/compounds/CP-B1", "/api/v1/compounds/CP-ZZ")


def test_district_bureau_does_not_see_its_citys_other_districts(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau = make_key(session, Role.bureau, region=cities.regions["A1"])
    assert _codes(client.get("/api/v1/compounds", headers=bureau)) == ["CP-A1"]
    assert client.get("/api/v1/compounds/CP-A2", headers=bureau).status_code == 404
    requests = client.get("/api/v1/delivery-requests", headers=bureau)
    assert _codes(requests, "compound") == ["CP-A1"]
    a2 = cities.requests["A2"]
    assert client.get(f"/api/v1/delivery-requests/{a2}", headers=bureau).status_code == 404
    deliveries = client.get("/api/v1/deliveries", headers=bureau)
    assert _codes(deliveries, "id") == [cities.deliveries["A1"]]
    a2_delivery = cities.deliveries["A2"]
    assert client.get(f"/api/v1/deliveries/{a2_delivery}", headers=bureau).status_code == 404
    # plan A spans both districts of the city: hidden whole from a district's bureau
    assert _codes(client.get("/api/v1/dispatch/plans", headers=bureau), "id") == []
    plan_a = cities.plan_a["id"]
    assert client.get(f"/api/v1/dispatch/plans/{plan_a}", headers=bureau).status_code == 404


def test_city_bureau_never_sees_a_neighbour_citys_requests(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau = make_key(session, Role.bureau, region=cities.regions["A"])
    listed = client.get("/api/v1/delivery-requests", headers=bureau)
    assert _codes(listed, "compound") == ["CP-A1", "CP-A2"]
    assert listed.json()["total"] == 2
    by_compound = client.get(
        "/api/v1/delivery-requests", params={"compound": "CP-B1"}, headers=bureau
    )
    assert _codes(by_compound, "compound") == []
    by_day = client.get(
        "/api/v1/delivery-requests", params={"delivery_date": DAY.isoformat()}, headers=bureau
    )
    assert _codes(by_day, "compound") == ["CP-A1", "CP-A2"]
    mine = client.get(f"/api/v1/delivery-requests/{cities.requests['A1']}", headers=bureau)
    assert mine.status_code == 200 and mine.json()["compound"] == "CP-A1"
    _not_found_like_unknown(
        client,
        bureau,
        f"/api/v1/delivery-requests/{cities.requests['B1']}",
        "/api/v1/delivery-requests/999999",
    )


def test_city_bureau_never_sees_a_neighbour_citys_deliveries_or_manifest_stops(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau = make_key(session, Role.bureau, region=cities.regions["A"])
    listed = client.get("/api/v1/deliveries", headers=bureau)
    assert sorted(_codes(listed, "id")) == sorted(
        [cities.deliveries["A1"], cities.deliveries["A2"]]
    )
    assert listed.json()["total"] == 2
    for plate in ("T-1", "T-2"):
        by_truck = client.get("/api/v1/deliveries", params={"truck": plate}, headers=bureau)
        assert cities.deliveries["B1"] not in _codes(by_truck, "id")
    mine = client.get(f"/api/v1/deliveries/{cities.deliveries['A1']}", headers=bureau)
    assert mine.status_code == 200
    _not_found_like_unknown(
        client,
        bureau,
        f"/api/v1/deliveries/{cities.deliveries['B1']}",
        "/api/v1/deliveries/999999",
    )
    b_truck = cities.plan_b["routes"][0]["truck"]
    national = make_key(session, Role.bureau)
    params = {"date": DAY.isoformat()}
    everything = client.get(f"/api/v1/trucks/{b_truck}/manifest", params=params, headers=national)
    assert "CP-B1" in {stop["compound"] for stop in everything.json()["stops"]}
    manifests = [
        client.get(f"/api/v1/trucks/{plate}/manifest", params=params, headers=bureau).json()
        for plate in ("T-1", "T-2")
    ]
    compounds = {stop["compound"] for found in manifests for stop in found["stops"]}
    assert compounds == {"CP-A1", "CP-A2"}
    as_csv = client.get(
        f"/api/v1/trucks/{b_truck}/manifest", params={**params, "format": "csv"}, headers=bureau
    )
    assert as_csv.status_code == 200 and "CP-B1" not in as_csv.text


def test_city_bureau_sees_only_plans_wholly_inside_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau = make_key(session, Role.bureau, region=cities.regions["A"])
    assert _codes(client.get("/api/v1/dispatch/plans", headers=bureau), "id") == [
        cities.plan_a["id"]
    ]
    on_the_day = client.get(
        "/api/v1/dispatch/plans", params={"date": DAY.isoformat()}, headers=bureau
    )
    assert _codes(on_the_day, "id") == [cities.plan_a["id"]]
    assert on_the_day.json()["total"] == 1
    plan_a = client.get(f"/api/v1/dispatch/plans/{cities.plan_a['id']}", headers=bureau)
    assert plan_a.status_code == 200
    assert {s["compound"] for r in plan_a.json()["routes"] for s in r["stops"]} == {
        "CP-A1",
        "CP-A2",
    }
    for plan in (cities.plan_b, cities.mixed_plan):
        _not_found_like_unknown(
            client, bureau, f"/api/v1/dispatch/plans/{plan['id']}", "/api/v1/dispatch/plans/999999"
        )


def test_national_bureau_still_sees_both_cities(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau = make_key(session, Role.bureau)
    assert _codes(client.get("/api/v1/compounds", headers=bureau)) == ["CP-A1", "CP-A2", "CP-B1"]
    assert len(_codes(client.get("/api/v1/delivery-requests", headers=bureau), "id")) == 3
    assert len(_codes(client.get("/api/v1/deliveries", headers=bureau), "id")) == 3
    assert len(_codes(client.get("/api/v1/dispatch/plans", headers=bureau), "id")) == 3
    for plan in (cities.plan_b, cities.mixed_plan):
        found = client.get(f"/api/v1/dispatch/plans/{plan['id']}", headers=bureau)
        assert found.status_code == 200


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_city_admin_manages_only_its_citys_compounds_and_requests(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    admin = make_key(session, Role.admin, region=cities.regions["A"])
    store_a = make_store(session, code="S-A", region=cities.regions["A1"])
    make_store(session, code="S-B", region=cities.regions["B1"])
    new = {"code": "CP-NEW", "name": "New", "latitude": 33.7, "longitude": 113.3}
    made = client.post(
        "/api/v1/compounds", json={**new, "region": "A2", "supplier_store": "S-A"}, headers=admin
    )
    assert made.status_code == 201, made.text
    assert made.json()["supplier_store"] == store_a.code
    compounds = _count(session, Compound)
    for body in (
        {**new, "code": "CP-X", "region": "B1"},
        {**new, "code": "CP-X", "region": "A1", "supplier_store": "S-B"},
    ):
        refused = client.post("/api/v1/compounds", json=body, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"].startswith("unknown")
    assert _count(session, Compound) == compounds

    assert (
        client.patch(
            "/api/v1/compounds/CP-A1", json={"lockdown_status": "open"}, headers=admin
        ).json()["lockdown_status"]
        == "open"
    )
    assert (
        client.patch("/api/v1/compounds/CP-A1", json={"region": "B1"}, headers=admin).status_code
        == 422
    )
    assert (
        client.patch(
            "/api/v1/compounds/CP-A1", json={"supplier_store": "S-B"}, headers=admin
        ).status_code
        == 422
    )
    assert (
        client.patch(
            "/api/v1/compounds/CP-B1", json={"lockdown_status": "open"}, headers=admin
        ).status_code
        == 404
    )
    assert client.delete("/api/v1/compounds/CP-B1", headers=admin).status_code == 404
    session.expire_all()
    a1 = session.scalars(select(Compound).where(Compound.code == "CP-A1")).one()
    b1 = session.scalars(select(Compound).where(Compound.code == "CP-B1")).one()
    assert a1.region_id == cities.regions["A1"].id and a1.supplier_store_id is None
    assert b1.lockdown_status.value == "locked" and b1.active

    product = make_product(session, category="grain")
    order = {
        "delivery_date": business_today().isoformat(),
        "window_start": "08:00",
        "window_end": "12:00",
        "items": [{"product": product.code, "quantity": 10}],
    }
    ordered = client.post(
        "/api/v1/delivery-requests", json={**order, "compound": "CP-A2"}, headers=admin
    )
    assert ordered.status_code == 201, ordered.text
    requests = _count(session, DeliveryRequest)
    refused = client.post(
        "/api/v1/delivery-requests", json={**order, "compound": "CP-B1"}, headers=admin
    )
    assert refused.status_code == 422 and "CP-B1" in refused.json()["detail"]
    assert _count(session, DeliveryRequest) == requests
    new_request = ordered.json()["id"]
    assert (
        client.patch(
            f"/api/v1/delivery-requests/{new_request}", json={"note": "gate 2"}, headers=admin
        ).json()["note"]
        == "gate 2"
    )
    b_request = cities.requests["B1"]
    assert (
        client.patch(
            f"/api/v1/delivery-requests/{b_request}", json={"status": "cancelled"}, headers=admin
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/delivery-requests/{b_request}", headers=admin).status_code == 404
    session.expire_all()
    assert session.get_one(DeliveryRequest, b_request).status is RequestStatus.assigned


def test_city_admin_moves_no_neighbour_delivery_and_leaves_the_fleet_and_plans_to_national_staff(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    admin = make_key(session, Role.admin, region=cities.regions["A"])
    events = _count(session, DeliveryEvent)
    moved = client.post(
        f"/api/v1/deliveries/{cities.deliveries['B1']}/status",
        json={"status": "loaded"},
        headers=admin,
    )
    assert moved.status_code == 404, moved.text
    assert _count(session, DeliveryEvent) == events
    mine = client.post(
        f"/api/v1/deliveries/{cities.deliveries['A1']}/status",
        json={"status": "loaded"},
        headers=admin,
    )
    assert mine.status_code == 200, mine.text

    assert [t["plate"] for t in client.get("/api/v1/trucks", headers=admin).json()["items"]] == [
        "T-1",
        "T-2",
    ]
    assert client.get("/api/v1/depots/DEP-1", headers=admin).status_code == 200
    depots, trucks = _count(session, Depot), _count(session, Truck)
    refusals = [
        client.post(
            "/api/v1/depots",
            json={"code": "DEP-2", "name": "D", "latitude": 33.7, "longitude": 113.3},
            headers=admin,
        ),
        client.patch("/api/v1/depots/DEP-1", json={"name": "Renamed"}, headers=admin),
        client.delete("/api/v1/depots/DEP-1", headers=admin),
        client.post(
            "/api/v1/trucks",
            json={"plate": "T-9", "capacity_kg": 500, "depot": "DEP-1"},
            headers=admin,
        ),
        client.patch("/api/v1/trucks/T-1", json={"capacity_kg": 9}, headers=admin),
        client.delete("/api/v1/trucks/T-1", headers=admin),
        client.post(
            "/api/v1/dispatch/plans",
            json={"date": DAY.isoformat(), "time_limit_s": 1},
            headers=admin,
        ),
        client.post(f"/api/v1/dispatch/plans/{cities.mixed_plan['id']}/discard", headers=admin),
        client.post("/api/v1/trucks/T-1/breakdown", headers=admin),
    ]
    assert [r.status_code for r in refusals] == [403] * len(refusals), [r.text for r in refusals]
    assert (_count(session, Depot), _count(session, Truck)) == (depots, trucks)
    session.expire_all()
    assert session.scalars(select(Truck.capacity_kg).where(Truck.plate == "T-1")).one() == 1000


def test_city_bureau_is_not_told_the_neighbour_store_a_compound_or_depot_is_supplied_by(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    store_b = make_store(session, code="S-B", region=cities.regions["B1"])
    session.scalars(
        select(Compound).where(Compound.code == "CP-A1")
    ).one().supplier_store_id = store_b.id
    session.scalars(select(Depot).where(Depot.code == "DEP-1")).one().store_id = store_b.id
    session.flush()
    bureau = make_key(session, Role.bureau, region=cities.regions["A"])
    national = make_key(session, Role.bureau)
    for headers, shown in ((bureau, None), (national, "S-B")):
        assert (
            client.get("/api/v1/compounds/CP-A1", headers=headers).json()["supplier_store"] == shown
        )
        listed = client.get("/api/v1/compounds", params={"q": "CP-A1"}, headers=headers)
        assert [c["supplier_store"] for c in listed.json()["items"]] == [shown]
        assert client.get("/api/v1/depots/DEP-1", headers=headers).json()["store"] == shown
        depots = client.get("/api/v1/depots", headers=headers).json()["items"]
        assert [d["store"] for d in depots] == [shown]
    assert "S-B" not in client.get("/api/v1/depots", headers=bureau).text
