"""Drivers move their truck's deliveries to the door, one allowed step at a time, each
audited; manifests come as JSON, CSV and a printable page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    Delivery,
    DeliveryEvent,
    DeliveryRequest,
    DeliveryStatus,
    Product,
    RequestPriority,
    RequestStatus,
    Role,
    Truck,
)
from tests.dispatch.factories import PLAN_DAY, make_city, make_compound, make_request
from tests.factories import make_key
from tests.scrape import scrape_metrics
from tests.service.web.helpers import make_person, sign_in

DAY = PLAN_DAY


@pytest.fixture
def dispatcher(session: Session) -> dict[str, str]:
    return make_key(session, Role.dispatcher)


@pytest.fixture
def committed(client: TestClient, session: Session, dispatcher: dict[str, str]) -> dict[str, Any]:
    """A committed plan of two trucks serving four compounds."""
    make_city(session, day=DAY, trucks=[500, 500], loads=[200, 250, 150, 300])
    return _plan_and_commit(client, dispatcher)


def _plan_and_commit(client: TestClient, dispatcher: dict[str, str]) -> dict[str, Any]:
    """The day's open requests planned and committed as the solver drafted them."""
    plan = client.post(
        "/api/v1/dispatch/plans",
        json={"date": DAY.isoformat(), "time_limit_s": 1},
        headers=dispatcher,
    ).json()
    response = client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/commit",
        json={"expected_version": plan["version"]},
        headers=dispatcher,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _driver(session: Session, plate: str) -> dict[str, str]:
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).one()
    return make_key(session, Role.driver, truck=truck)


def _delivery(session: Session, plate: str) -> Delivery:
    return session.scalars(
        select(Delivery)
        .join(Truck, Truck.id == Delivery.truck_id)
        .where(Truck.plate == plate)
        .order_by(Delivery.sequence)
    ).first()  # type: ignore[return-value]


def _move(client: TestClient, headers: dict[str, str], delivery_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/deliveries/{delivery_id}/status", json=body, headers=headers)


def _events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(DeliveryEvent)) or 0


def test_driver_takes_a_delivery_to_the_door_and_every_step_is_audited(
    client: TestClient, session: Session, committed: dict[str, Any]
) -> None:
    plate = committed["routes"][0]["truck"]
    driver = _driver(session, plate)
    delivery = _delivery(session, plate)
    for step in ("loaded", "en_route"):
        response = _move(client, driver, delivery.id, status=step)
        assert response.status_code == 200, response.text
    done = _move(client, driver, delivery.id, status="delivered", receiver_name="Wang Min")
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "delivered" and body["receiver_name"] == "Wang Min"
    assert [(e["from_status"], e["to_status"]) for e in body["events"]] == [
        (None, "assigned"),
        ("assigned", "loaded"),
        ("loaded", "en_route"),
        ("en_route", "delivered"),
    ]
    assert all(e["actor"].startswith("key:") and e["at"] for e in body["events"])
    request = session.get_one(DeliveryRequest, delivery.request_id)
    session.refresh(request)
    assert request.status is RequestStatus.delivered and request.delivered_at is not None
    mine = client.get("/api/v1/deliveries", headers=driver).json()
    assert {d["truck"] for d in mine["items"]} == {plate}


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        (["loaded", "en_route", "delivered"], "en_route"),
        ([], "delivered"),
        (["loaded"], "loaded"),
        (["failed"], "loaded"),
    ],
)
def test_a_transition_that_is_not_allowed_is_refused_and_writes_nothing(
    client: TestClient,
    session: Session,
    committed: dict[str, Any],
    steps: list[str],
    refused: str,
) -> None:
    dispatcher = make_key(session, Role.dispatcher)
    delivery = _delivery(session, committed["routes"][0]["truck"])
    for step in steps:
        extra = {"receiver_name": "Li"} if step == "delivered" else {}
        extra |= {"reason": "gate closed"} if step == "failed" else {}
        assert _move(client, dispatcher, delivery.id, status=step, **extra).status_code == 200
    before = _events(session)
    response = _move(client, dispatcher, delivery.id, status=refused, receiver_name="Li")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["body", "status"]
    assert _events(session) == before


def test_delivered_needs_a_receiver_and_failed_needs_a_reason(
    client: TestClient, session: Session, committed: dict[str, Any]
) -> None:
    dispatcher = make_key(session, Role.dispatcher)
    delivery = _delivery(session, committed["routes"][0]["truck"])
    _move(client, dispatcher, delivery.id, status="loaded")
    _move(client, dispatcher, delivery.id, status="en_route")
    unsigned = _move(client, dispatcher, delivery.id, status="delivered")
    assert unsigned.status_code == 422
    assert unsigned.json()["errors"][0]["loc"] == ["body", "receiver_name"]
    unexplained = _move(client, dispatcher, delivery.id, status="failed")
    assert unexplained.json()["errors"][0]["loc"] == ["body", "reason"]
    failed = _move(client, dispatcher, delivery.id, status="failed", reason="nobody at the gate")
    assert failed.json()["failure_reason"] == "nobody at the gate"


@pytest.mark.parametrize(
    ("step", "body", "field"),
    [
        ("delivered", {"receiver_name": "Wang \u202eniM"}, "receiver_name"),
        ("delivered", {"receiver_name": "Wang\nMin"}, "receiver_name"),
        ("delivered", {"receiver_name": "\u200b"}, "receiver_name"),
        ("failed", {"reason": "\u200b\u200d"}, "reason"),
        ("failed", {"reason": "gate \x1b[2Jclosed"}, "reason"),
        ("delivered", {"receiver_name": "Wang Min", "note": "left \u2066at the gate"}, "note"),
        ("delivered", {"receiver_name": "Wang Min", "note": "left at\r\nthe gate"}, "note"),
    ],
)
def test_a_receiver_reason_or_note_that_is_not_one_visible_line_is_refused(
    client: TestClient,
    session: Session,
    committed: dict[str, Any],
    step: str,
    body: dict[str, str],
    field: str,
) -> None:
    """What the driver types shows on the manifest, the driver's page and the request's
    record: a mark that reverses the text, a line break, a terminal escape or nothing
    visible is refused naming the field, and the delivery stays where it was."""
    plate = committed["routes"][0]["truck"]
    driver = _driver(session, plate)
    delivery = _delivery(session, plate)
    _move(client, driver, delivery.id, status="loaded")
    _move(client, driver, delivery.id, status="en_route")
    before = _events(session)
    refused = _move(client, driver, delivery.id, status=step, **body)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in refused.json()["errors"]] == [["body", field]]
    assert _events(session) == before
    session.refresh(delivery)
    assert delivery.status is DeliveryStatus.en_route
    assert delivery.receiver_name is None and delivery.failure_reason is None


def test_a_driver_cannot_touch_another_trucks_delivery(
    client: TestClient, session: Session, committed: dict[str, Any]
) -> None:
    mine, other = (route["truck"] for route in committed["routes"])
    driver = _driver(session, mine)
    theirs = _delivery(session, other)
    before = _events(session)
    response = _move(client, driver, theirs.id, status="loaded")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert _events(session) == before
    session.refresh(theirs)
    assert theirs.status is DeliveryStatus.assigned
    assert client.get(f"/api/v1/deliveries/{theirs.id}", headers=driver).status_code == 403
    manifest = client.get(
        f"/api/v1/trucks/{other}/manifest", params={"date": DAY.isoformat()}, headers=driver
    )
    assert manifest.status_code == 403
    unbound = make_key(session, Role.driver)
    assert _move(client, unbound, theirs.id, status="loaded").status_code == 403


def test_manifest_as_json_csv_and_printable_page(
    client: TestClient, session: Session, committed: dict[str, Any]
) -> None:
    route = committed["routes"][0]
    driver = _driver(session, route["truck"])
    url = f"/api/v1/trucks/{route['truck']}/manifest"
    params = {"date": DAY.isoformat()}
    found = client.get(url, params=params, headers=driver).json()
    assert found["plate"] == route["truck"]
    assert [s["request_id"] for s in found["stops"]] == [s["request_id"] for s in route["stops"]]
    assert found["load_kg"] == route["load_kg"]
    first = found["stops"][0]
    assert first["contact_name"] == "Wang Min" and first["items"][0]["unit"] == "kg"
    sheet = client.get(url, params=params | {"format": "csv"}, headers=driver)
    assert sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert [int(r["request_id"]) for r in rows] == [s["request_id"] for s in route["stops"]]
    page = client.get(url, params=params | {"format": "html"}, headers=driver)
    assert page.headers["content-type"].startswith("text/html")
    assert route["truck"] in page.text and first["compound_name"] in page.text
    empty = client.get(
        url, params={"date": (DAY + timedelta(days=17)).isoformat()}, headers=driver
    ).json()
    assert empty["stops"] == []


def test_a_driver_prints_the_manifest_in_chinese_with_products_by_their_chinese_names(
    client: TestClient, session: Session, committed: dict[str, Any]
) -> None:
    route = committed["routes"][0]
    driver = _driver(session, route["truck"])
    product = session.scalars(select(Product)).first()
    assert product is not None
    product.name_zh = "大米"
    session.commit()
    url = f"/api/v1/trucks/{route['truck']}/manifest"
    params = {"date": DAY.isoformat(), "format": "html"}
    chinese = client.get(url, params=params | {"lang": "zh"}, headers=driver)
    assert chinese.status_code == 200
    assert '<html lang="zh-CN">' in chinese.text
    for words in ("装车单", "到达", "签收人", "已派", "大米"):
        assert words in chinese.text, words
    assert "Manifest" not in chinese.text and "Received by" not in chinese.text
    english = client.get(url, params=params, headers=driver).text
    assert '<html lang="en">' in english and "Received by" in english
    assert "大米" not in english and product.name in english
    assert client.get(url, params=params | {"lang": "fr"}, headers=driver).status_code == 422


def test_metrics_count_open_requests_deliveries_and_time_to_delivery(
    client: TestClient, session: Session, committed: dict[str, Any]
) -> None:
    dispatcher = make_key(session, Role.dispatcher)
    delivery = _delivery(session, committed["routes"][0]["truck"])
    for step in ("loaded", "en_route"):
        _move(client, dispatcher, delivery.id, status=step)
    _move(client, dispatcher, delivery.id, status="delivered", receiver_name="Wang Min")
    make_request(
        session, compound=make_compound(session), delivery_date=DAY, priority=RequestPriority.urgent
    )
    text = scrape_metrics(client)
    assert 'supplywatch_delivery_requests_open{priority="urgent"} 1.0' in text
    assert 'supplywatch_delivery_requests_open{priority="normal"} 0.0' in text
    assert 'supplywatch_deliveries{status="delivered"} 1.0' in text
    assert 'supplywatch_deliveries{status="assigned"} 3.0' in text
    (line,) = [
        row
        for row in text.splitlines()
        if row.startswith("supplywatch_request_to_delivery_seconds_avg ")
    ]
    assert float(line.split()[1]) >= 0


def test_failed_delivery_returns_request_to_open_queue(
    client: TestClient, session: Session, committed: dict[str, Any], dispatcher: dict[str, str]
) -> None:
    plate = committed["routes"][0]["truck"]
    driver = _driver(session, plate)
    delivery = _delivery(session, plate)
    opened = {"status": "open", "delivery_date": DAY.isoformat()}
    assert (
        client.get("/api/v1/delivery-requests", params=opened, headers=dispatcher).json()["total"]
        == 0
    )
    _move(client, driver, delivery.id, status="loaded")
    failed = _move(client, driver, delivery.id, status="failed", reason="gate sealed")
    assert failed.status_code == 200, failed.text
    assert [(e["to_status"], e["note"]) for e in failed.json()["events"]][-1] == (
        "failed",
        "gate sealed",
    )  # the failed attempt stays in the delivery's audit trail

    queue = client.get("/api/v1/delivery-requests", params=opened, headers=dispatcher).json()
    assert [item["id"] for item in queue["items"]] == [delivery.request_id]
    returned = queue["items"][0]["last_failure"]
    assert returned["reason"] == "gate sealed" and returned["plate"] == plate
    assert returned["delivery_id"] == delivery.id and returned["plan_id"] == committed["id"]
    again = _move(client, driver, delivery.id, status="failed", reason="gate sealed")
    assert again.status_code == 409  # failed is final: nothing returns twice
    assert (
        client.get("/api/v1/delivery-requests", params=opened, headers=dispatcher).json()["total"]
        == 1
    )

    plan = client.post(
        "/api/v1/dispatch/plans",
        json={"date": DAY.isoformat(), "time_limit_s": 1},
        headers=dispatcher,
    ).json()
    stops = [stop["request_id"] for route in plan["routes"] for stop in route["stops"]]
    assert stops == [delivery.request_id]  # the next plan takes it again, once
    committed_again = client.post(
        f"/api/v1/dispatch/plans/{plan['id']}/commit",
        json={"expected_version": plan["version"]},
        headers=dispatcher,
    )
    assert committed_again.status_code == 200, committed_again.text
    retry = session.scalars(
        select(Delivery).where(
            Delivery.plan_id == plan["id"], Delivery.request_id == delivery.request_id
        )
    ).one()
    for step in ("loaded", "en_route"):
        _move(client, dispatcher, retry.id, status=step)
    _move(client, dispatcher, retry.id, status="delivered", receiver_name="Wang Min")
    request = client.get(
        f"/api/v1/delivery-requests/{delivery.request_id}", headers=dispatcher
    ).json()
    assert request["status"] == "delivered"
    assert request["last_failure"]["reason"] == "gate sealed"  # the history is kept


def test_a_failed_part_of_a_split_request_is_planned_again_for_its_own_kilograms_only(
    client: TestClient, session: Session, dispatcher: dict[str, str]
) -> None:
    (big,) = make_city(session, day=DAY, trucks=[1000, 1000], loads=[1500])
    _plan_and_commit(client, dispatcher)
    made, lost = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    for step in ("loaded", "en_route"):
        _move(client, dispatcher, made.id, status=step)
    _move(client, dispatcher, made.id, status="delivered", receiver_name="Gate office")
    _move(client, dispatcher, lost.id, status="failed", reason="truck turned back at a checkpoint")
    queued = client.get(f"/api/v1/delivery-requests/{big.id}", headers=dispatcher).json()
    assert queued["status"] == "open" and queued["weight_kg"] == 1500
    assert queued["kg_to_plan"] == lost.load_kg
    # The dispatcher's board says how much of it is left, not the whole weight.
    sign_in(client, "desk", make_person(session, "desk", Role.dispatcher))
    board = client.get("/dispatch", params={"day": DAY.isoformat()}).text
    row = board[board.index(f'id="request-{big.id}"') :].split("</tr>")[0]
    assert f'class="kg-left">{lost.load_kg} of 1,500 left' in row

    again = _plan_and_commit(client, dispatcher)
    stops = [stop for route in again["routes"] for stop in route["stops"]]
    # What was delivered is not brought twice: only the failed part's kilograms go out.
    assert {stop["request_id"] for stop in stops} == {big.id}
    assert sum(stop["load_kg"] for stop in stops) == lost.load_kg < 1500
    retry = session.scalars(select(Delivery).where(Delivery.plan_id == again["id"])).one()
    for step in ("loaded", "en_route"):
        _move(client, dispatcher, retry.id, status=step)
    _move(client, dispatcher, retry.id, status="delivered", receiver_name="Gate office")
    request = client.get(f"/api/v1/delivery-requests/{big.id}", headers=dispatcher).json()
    assert request["status"] == "delivered"
