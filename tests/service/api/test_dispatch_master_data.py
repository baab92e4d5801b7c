"""Dispatchers manage compounds, depots, trucks and delivery requests; receivers order
for their own compound only; every bad field is a problem+json naming it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dispatch.demand import REQUEST_DAYS_AHEAD
from models import Compound, DeliveryRequest, Depot, Role, Truck
from tests.dispatch.factories import PLAN_DAY, make_compound, make_depot, make_truck
from tests.factories import business_today, make_key, make_product, make_region, make_store

DAY = PLAN_DAY


@pytest.fixture
def dispatcher(session: Session) -> dict[str, str]:
    return make_key(session, Role.dispatcher)


def _problem(response: Any, status: int, *field: str | int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if field:
        assert any(
            tuple(error["loc"][-len(field) :]) == field for error in response.json()["errors"]
        ), response.json()


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_dispatcher_sets_up_compound_depot_and_truck(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    make_region(session, code="410402")
    make_store(session, code="PDS-0001")
    compound = {
        "code": "CP-0001",
        "name": "Kuangbei Garden",
        "region": "410402",
        "latitude": 33.74,
        "longitude": 113.29,
        "households": 420,
        "population": 1300,
        "lockdown_status": "locked",
        "lockdown_start_date": "2026-11-20",
        "supplier_store": "PDS-0001",
        "contact_name": "Wang Min",
        "contact_phone": "0375-5551234",
    }
    created = client.post("/api/v1/compounds", json=compound, headers=dispatcher)
    assert created.status_code == 201, created.text
    assert created.json()["supplier_store"] == "PDS-0001"
    depot = {"code": "DEP-1", "name": "Xinhua depot", "latitude": 33.73, "longitude": 113.28}
    assert client.post("/api/v1/depots", json=depot, headers=dispatcher).status_code == 201
    truck = {"plate": "豫D-A1234", "capacity_kg": 3000, "depot": "DEP-1", "crew": "Li Lei"}
    made = client.post("/api/v1/trucks", json=truck, headers=dispatcher)
    assert made.status_code == 201, made.text
    assert made.json()["shift_start"] == "07:00:00"
    again = client.post("/api/v1/trucks", json=truck, headers=dispatcher)
    _problem(again, 409)

    listed = client.get(
        "/api/v1/compounds", params={"lockdown_status": "locked"}, headers=dispatcher
    ).json()
    assert [c["code"] for c in listed["items"]] == ["CP-0001"]
    lifted = client.patch(
        "/api/v1/compounds/CP-0001",
        json={"lockdown_status": "open", "lockdown_end_date": "2026-11-30"},
        headers=dispatcher,
    )
    assert lifted.json()["lockdown_status"] == "open"
    resized = client.patch(
        "/api/v1/trucks/豫D-A1234", json={"capacity_kg": 2500}, headers=dispatcher
    )
    assert resized.json()["capacity_kg"] == 2500
    assert client.get("/api/v1/trucks", headers=dispatcher).json()["total"] == 1
    assert client.get("/api/v1/depots/DEP-1", headers=dispatcher).json()["name"] == "Xinhua depot"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/v1/compounds",
            {"code": "CP-9", "name": "x", "region": "R-1", "latitude": 91, "longitude": 113},
            "latitude",
        ),
        (
            "/api/v1/compounds",
            {"code": "CP-9", "name": "x", "region": "R-1", "latitude": 33, "longitude": -181},
            "longitude",
        ),
        (
            "/api/v1/depots",
            {"code": "D-9", "name": "x", "latitude": -95, "longitude": 1},
            "latitude",
        ),
        (
            "/api/v1/depots",
            {
                "code": "D-9",
                "name": "x",
                "latitude": 33,
                "longitude": 113,
                "opens_at": "18:00",
                "closes_at": "06:00",
            },
            "closes_at",
        ),
        ("/api/v1/trucks", {"plate": "T-9", "capacity_kg": 0, "depot": "D-1"}, "capacity_kg"),
        ("/api/v1/trucks", {"plate": "T-9", "capacity_kg": -500, "depot": "D-1"}, "capacity_kg"),
        (
            "/api/v1/trucks",
            {
                "plate": "T-9",
                "capacity_kg": 500,
                "depot": "D-1",
                "shift_start": "19:00",
                "shift_end": "07:00",
            },
            "shift_end",
        ),
        ("/api/v1/trucks", {"plate": "T-9", "capacity_kg": 500, "depot": "nowhere"}, "depot"),
        (
            "/api/v1/compounds",
            {
                "code": "CP-9",
                "name": "x",
                "region": "R-1",
                "latitude": 33,
                "longitude": 113,
                "lockdown_start_date": "2026-11-20",
                "lockdown_end_date": "2026-11-10",
            },
            "lockdown_end_date",
        ),
    ],
)
def test_bad_master_data_names_the_field_and_writes_nothing(
    client: TestClient,
    session: Session,
    dispatcher: dict[str, str],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    make_region(session, code="R-1")
    depot = make_depot(session, code="D-1")
    before = [_count(session, model) for model in (Compound, Depot, Truck)]
    _problem(client.post(path, json=body, headers=dispatcher), 422, field)
    assert [_count(session, model) for model in (Compound, Depot, Truck)] == before
    assert depot.code == "D-1"


def _request_body(code: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "compound": code,
        "delivery_date": DAY.isoformat(),
        "priority": "urgent",
        "window_start": "08:00",
        "window_end": "12:00",
        "items": [
            {"product": "rice", "quantity": 2, "unit": "bag"},
            {"product": "pork", "quantity": 6, "unit": "jin"},
        ],
    }
    body.update(changes)
    return body


@pytest.fixture
def catalogue(session: Session) -> None:
    """Rice sold by the kg with a 10 kg bag; pork by the kg."""
    make_product(session, code="rice", category="grain", conversions={"bag": 10.0})
    make_product(session, code="pork", category="meat")


@pytest.mark.parametrize("offset_days", [-1, REQUEST_DAYS_AHEAD + 1])
def test_a_request_for_a_day_past_or_too_far_ahead_is_refused_naming_the_day(
    client: TestClient,
    session: Session,
    dispatcher: dict[str, str],
    catalogue: None,
    offset_days: int,
) -> None:
    make_compound(session, code="CP-1")
    day = business_today() + timedelta(days=offset_days)
    refused = client.post(
        "/api/v1/delivery-requests",
        json=_request_body("CP-1", delivery_date=day.isoformat()),
        headers=dispatcher,
    )
    _problem(refused, 422, "delivery_date")
    assert _count(session, DeliveryRequest) == 0
    today = _request_body("CP-1", delivery_date=business_today().isoformat())
    assert client.post("/api/v1/delivery-requests", json=today, headers=dispatcher).is_success


def test_request_weight_comes_from_product_unit_weights(
    client: TestClient, session: Session, dispatcher: dict[str, str], catalogue: None
) -> None:
    make_compound(session, code="CP-1")
    created = client.post(
        "/api/v1/delivery-requests", json=_request_body("CP-1"), headers=dispatcher
    )
    assert created.status_code == 201, created.text
    request = created.json()
    assert [item["weight_kg"] for item in request["items"]] == [20.0, 3.0]
    assert request["weight_kg"] == 23.0
    assert request["status"] == "open"
    listed = client.get(
        "/api/v1/delivery-requests",
        params={"priority": "urgent", "delivery_date": DAY.isoformat()},
        headers=dispatcher,
    ).json()
    assert [r["id"] for r in listed["items"]] == [request["id"]]
    cancelled = client.delete(f"/api/v1/delivery-requests/{request['id']}", headers=dispatcher)
    assert cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"window_start": "14:00", "window_end": "09:00"}, ("window_end",)),
        ({"window_start": "08:00Z"}, ("window_start",)),
        ({"items": [{"product": "caviar", "quantity": 1}]}, ("items", 0, "product")),
        ({"items": [{"product": "rice", "quantity": 1, "unit": "barrel"}]}, ("items", 0, "unit")),
        ({"items": [{"product": "rice", "quantity": 1, "unit": "piece"}]}, ("items", 0, "unit")),
        ({"items": [{"product": "rice", "quantity": 0}]}, ("items", 0, "quantity")),
        ({"items": [{"product": "rice", "quantity": -3}]}, ("items", 0, "quantity")),
        ({"items": [{"product": "pork", "quantity": 0.0001}]}, ("items", 0, "quantity")),
        (
            {"items": [{"product": "rice", "quantity": 1}, {"product": "pork", "quantity": 1e-9}]},
            ("items", 1, "quantity"),
        ),
        ({"items": []}, ("items",)),
        ({"compound": "CP-404"}, ("compound",)),
        ({"delivery_date": "2999-12-07"}, ("delivery_date",)),
    ],
)
def test_bad_request_names_the_field_and_writes_nothing(
    client: TestClient,
    session: Session,
    dispatcher: dict[str, str],
    catalogue: None,
    changes: dict[str, Any],
    field: tuple[str | int, ...],
) -> None:
    make_compound(session, code="CP-1")
    response = client.post(
        "/api/v1/delivery-requests", json=_request_body("CP-1", **changes), headers=dispatcher
    )
    _problem(response, 422, *field)
    assert _count(session, DeliveryRequest) == 0


@pytest.mark.parametrize(
    "note",
    ["gate 2 \u202eetag", "gate 2\nring twice", "gate \x1b[31m2", "\u200b", "x" * 501],
)
def test_a_request_note_that_is_not_one_visible_line_is_refused_naming_it(
    client: TestClient,
    session: Session,
    dispatcher: dict[str, str],
    catalogue: None,
    note: str,
) -> None:
    """A request's note shows in the dispatcher's queue and the receiver's list: a mark
    that reverses the text, a line break, a terminal escape, nothing visible or more than
    its column holds is refused, when the request is made and when it is changed."""
    make_compound(session, code="CP-1")
    refused = client.post(
        "/api/v1/delivery-requests", json=_request_body("CP-1", note=note), headers=dispatcher
    )
    _problem(refused, 422, "note")
    assert _count(session, DeliveryRequest) == 0
    made = client.post(
        "/api/v1/delivery-requests", json=_request_body("CP-1", note="gate 2"), headers=dispatcher
    ).json()
    changed = client.patch(
        f"/api/v1/delivery-requests/{made['id']}", json={"note": note}, headers=dispatcher
    )
    _problem(changed, 422, "note")
    session.expire_all()
    assert session.get_one(DeliveryRequest, made["id"]).note == "gate 2"


def test_a_compound_no_longer_served_takes_no_new_request(
    client: TestClient, session: Session, dispatcher: dict[str, str], catalogue: None
) -> None:
    """The planner leaves a deactivated compound's requests out, so one is refused when it
    is made, naming the compound, rather than waiting for a truck that never comes."""
    make_compound(session, code="CP-1")
    assert client.delete("/api/v1/compounds/CP-1", headers=dispatcher).is_success
    refused = client.post(
        "/api/v1/delivery-requests", json=_request_body("CP-1"), headers=dispatcher
    )
    _problem(refused, 422, "compound")
    assert "CP-1" in refused.json()["detail"] and "no longer served" in refused.json()["detail"]
    assert _count(session, DeliveryRequest) == 0


def test_a_receiver_files_a_days_share_of_requests_and_the_dispatcher_adds_more(
    client: TestClient, session: Session, dispatcher: dict[str, str], catalogue: None
) -> None:
    """A receiver's key once filed 300 requests for one day, and the plan sent a quarter of
    the fleet to one compound; a day's share is RECEIVER_REQUESTS_PER_DAY."""
    compound = make_compound(session, code="CP-HOME")
    receiver = make_key(session, Role.receiver, compound=compound)
    url = "/api/v1/delivery-requests"
    filed = [client.post(url, json=_request_body("CP-HOME"), headers=receiver) for _ in range(6)]
    assert [answer.status_code for answer in filed] == [201] * 6
    seventh = client.post(url, json=_request_body("CP-HOME"), headers=receiver)
    _problem(seventh, 409, "delivery_date")
    assert "ask the dispatcher" in seventh.json()["detail"]
    assert _count(session, DeliveryRequest) == 6
    cancelled = client.patch(
        f"{url}/{filed[0].json()['id']}", json={"status": "cancelled"}, headers=dispatcher
    )
    assert cancelled.status_code == 200, cancelled.text
    assert client.post(url, json=_request_body("CP-HOME"), headers=receiver).status_code == 201
    next_day = _request_body("CP-HOME", delivery_date=(DAY + timedelta(days=1)).isoformat())
    assert client.post(url, json=next_day, headers=receiver).status_code == 201
    added = client.post(url, json=_request_body("CP-HOME"), headers=dispatcher)
    assert added.status_code == 201, added.text  # the dispatcher is not held to the share


def test_receiver_orders_only_for_its_own_compound(
    client: TestClient, session: Session, catalogue: None
) -> None:
    admin = make_key(session, Role.admin)
    home = make_compound(session, code="CP-HOME")
    make_compound(session, code="CP-OTHER")
    unbound = client.post("/api/v1/keys", json={"name": "gate", "role": "receiver"}, headers=admin)
    _problem(unbound, 422, "compound")
    made = client.post(
        "/api/v1/keys",
        json={"name": "gate", "role": "receiver", "compound": home.code},
        headers=admin,
    )
    assert made.status_code == 201 and made.json()["compound"] == "CP-HOME"
    receiver = {"Authorization": f"Bearer {made.json()['key']}"}
    own = client.post("/api/v1/delivery-requests", json=_request_body("CP-HOME"), headers=receiver)
    assert own.status_code == 201, own.text
    _problem(
        client.post("/api/v1/delivery-requests", json=_request_body("CP-OTHER"), headers=receiver),
        403,
    )
    dispatcher = make_key(session, Role.dispatcher)
    client.post("/api/v1/delivery-requests", json=_request_body("CP-OTHER"), headers=dispatcher)
    seen = client.get("/api/v1/delivery-requests", headers=receiver).json()
    assert [r["compound"] for r in seen["items"]] == ["CP-HOME"]
    assert client.get("/api/v1/compounds/CP-OTHER", headers=receiver).status_code == 403
    assert client.post("/api/v1/trucks", json={}, headers=receiver).status_code in (403, 422)


def test_driver_key_is_bound_to_a_truck_and_only_drivers_are(
    client: TestClient, session: Session
) -> None:
    admin = make_key(session, Role.admin)
    truck = make_truck(session, depot=make_depot(session), plate="T-77")
    made = client.post(
        "/api/v1/keys",
        json={"name": "cab", "role": "driver", "truck": truck.plate},
        headers=admin,
    )
    assert made.status_code == 201 and made.json()["truck"] == "T-77"
    driver = {"Authorization": f"Bearer {made.json()['key']}"}
    assert client.get("/api/v1/trucks/T-77", headers=driver).status_code == 200
    other = make_truck(session, depot=make_depot(session), plate="T-78")
    assert client.get(f"/api/v1/trucks/{other.plate}", headers=driver).status_code == 403
    wrong = client.post(
        "/api/v1/keys", json={"name": "x", "role": "bureau", "truck": "T-77"}, headers=admin
    )
    _problem(wrong, 422, "role")
    unknown = client.post(
        "/api/v1/users",
        json={"username": "cab2", "password": "long-enough", "role": "driver", "truck": "NOPE"},
        headers=admin,
    )
    _problem(unknown, 422, "truck")


@pytest.mark.parametrize("role", [Role.store, Role.driver, Role.bureau])
def test_only_dispatchers_and_admins_change_dispatch_master_data(
    client: TestClient, session: Session, role: Role
) -> None:
    make_region(session, code="R-1")
    headers = make_key(session, role, store=make_store(session) if role is Role.store else None)
    body = {"code": "CP-9", "name": "x", "region": "R-1", "latitude": 33, "longitude": 113}
    _problem(client.post("/api/v1/compounds", json=body, headers=headers), 403)
    depot = {"code": "D-9", "name": "x", "latitude": 33, "longitude": 113}
    _problem(client.post("/api/v1/depots", json=depot, headers=headers), 403)
    assert _count(session, Compound) == 0
