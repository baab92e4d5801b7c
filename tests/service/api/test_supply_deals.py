"""From a match run to goods received, through the API: the bureau matches the board, both
sides accept, the producer ships and the store receives, every step audited; answering
twice, accepting beyond the offer and acting for someone else change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import (
    AlertRule,
    Producer,
    Product,
    Proposal,
    Region,
    RegionLockdown,
    Role,
    ScopeLevel,
    Severity,
    Store,
    SupplyNeed,
    SupplyOffer,
    SupplyOrder,
)
from tests.factories import business_today, make_key, make_product, make_store
from tests.supply_network.factories import (
    make_alert,
    make_district,
    make_need,
    make_offer,
    make_producer,
)

TODAY = business_today()


@dataclass
class Board:
    """A grower with one cabbage offer, a store with one need, and everyone's keys."""

    cabbage: Product
    district: Region
    store: Store
    farm: Producer
    offer: SupplyOffer
    producer: dict[str, str]
    buyer: dict[str, str]
    bureau: dict[str, str]


@pytest.fixture
def board(session: Session) -> Board:
    cabbage = make_product(session, code="cabbage", category="vegetables")
    district = make_district(session, code="410403")
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    offer = make_offer(session, producer=farm, product=cabbage, quantity=300, price=1.8)
    store = make_store(session, code="PDS-0001", region=district)
    make_need(session, product=cabbage, store=store, district=district, quantity=200)
    return Board(
        cabbage=cabbage,
        district=district,
        store=store,
        farm=farm,
        offer=offer,
        producer=make_key(session, Role.producer, producer=farm),
        buyer=make_key(session, Role.store, store=store),
        bureau=make_key(session, Role.bureau),
    )


def run(client: TestClient, board: Board, **options: Any) -> dict[str, Any]:
    response = client.post("/api/v1/match-runs", json=options or None, headers=board.bureau)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def only_proposal(client: TestClient, board: Board) -> dict[str, Any]:
    listed = client.get("/api/v1/proposals", headers=board.bureau).json()["items"]
    proposed = [item for item in listed if item["status"] == "proposed"]
    assert len(proposed) == 1, listed
    return proposed[0]


def test_an_accepted_proposal_becomes_an_order_shipped_and_received_in_parts(
    client: TestClient, session: Session, board: Board
) -> None:
    figures = run(client, board)
    assert (figures["offers"], figures["needs"], figures["proposals"]) == (1, 1, 1)
    proposal = only_proposal(client, board)
    assert (proposal["quantity"], proposal["parties"]["buyer"]) == (200.0, "PDS-0001")
    url = f"/api/v1/proposals/{proposal['id']}"
    waiting = client.get(
        "/api/v1/proposals", params={"awaiting": "producer"}, headers=board.producer
    )
    assert [item["id"] for item in waiting.json()["items"]] == [proposal["id"]]
    half = client.post(f"{url}/accept", headers=board.producer)
    assert half.status_code == 200, half.text
    assert (half.json()["status"], half.json()["order_id"]) == ("proposed", None)
    done = client.post(f"{url}/accept", headers=board.buyer)
    assert done.json()["status"] == "accepted"
    order_id = done.json()["order_id"]
    offer = client.get(f"/api/v1/offers/{board.offer.id}", headers=board.producer).json()
    assert (offer["committed_quantity"], offer["status"]) == (200.0, "partly_matched")

    order_url = f"/api/v1/supply-orders/{order_id}"
    shipped = client.post(f"{order_url}/ship", json={"quantity": 120}, headers=board.producer)
    assert shipped.json()["status"] == "shipped" and shipped.json()["in_transit"] == 120.0
    received = client.post(
        f"{order_url}/receive", json={"quantity": 120, "note": "first truck"}, headers=board.buyer
    )
    assert received.json()["status"] == "shipped"
    too_much = client.post(f"{order_url}/receive", json={"quantity": 1}, headers=board.buyer)
    assert too_much.status_code == 409
    client.post(f"{order_url}/ship", json={"quantity": 80}, headers=board.producer)
    over_ship = client.post(f"{order_url}/ship", json={"quantity": 1}, headers=board.producer)
    assert over_ship.status_code == 409
    final = client.post(
        f"{order_url}/receive", json={"quantity": 80, "note": "  "}, headers=board.buyer
    ).json()
    assert (final["status"], final["received_quantity"], final["in_transit"]) == (
        "received",
        200.0,
        0.0,
    )
    trail = [(event["kind"], event["quantity"], event["actor"]) for event in final["events"]]
    assert [kind for kind, _, _ in trail] == [
        "committed",
        "shipped",
        "received",
        "shipped",
        "received",
    ]
    assert all(actor.startswith("key:") for _, _, actor in trail)
    assert final["events"][2]["note"] == "first truck"
    assert final["events"][4]["note"] is None  # a blank box is no note


def test_a_producer_who_reprices_its_offer_changes_neither_the_proposal_nor_the_agreed_order(
    client: TestClient, board: Board
) -> None:
    run(client, board)
    proposal = only_proposal(client, board)
    url = f"/api/v1/proposals/{proposal['id']}"
    assert client.post(f"{url}/accept", headers=board.buyer).status_code == 200
    offer_url = f"/api/v1/offers/{board.offer.id}"
    raised = client.patch(offer_url, json={"price": 9999}, headers=board.producer)
    assert raised.status_code == 200, raised.text
    assert client.get(url, headers=board.buyer).json()["price"] == 1.8
    done = client.post(f"{url}/accept", headers=board.producer)
    assert done.json()["status"] == "accepted"
    order_url = f"/api/v1/supply-orders/{done.json()['order_id']}"
    assert client.get(order_url, headers=board.buyer).json()["price"] == 1.8
    client.patch(offer_url, json={"price": 0.5}, headers=board.producer)
    for reader in (board.buyer, board.producer, board.bureau):
        assert client.get(order_url, headers=reader).json()["price"] == 1.8
    listed = client.get("/api/v1/supply-orders", headers=board.buyer).json()["items"]
    assert [order["price"] for order in listed] == [1.8]


def test_no_new_deal_is_agreed_with_a_producer_the_bureau_deactivated(
    client: TestClient, session: Session, board: Board
) -> None:
    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    assert client.post(f"{url}/accept", headers=board.buyer).status_code == 200
    assert client.delete("/api/v1/producers/FARM-1", headers=board.bureau).json()["active"] is False
    accepted = client.post(f"{url}/accept", headers=board.producer)
    assert accepted.status_code == 409, accepted.text
    assert accepted.headers["content-type"] == "application/problem+json"
    assert "FARM-1 is deactivated" in accepted.json()["detail"]
    assert session.scalar(select(func.count()).select_from(SupplyOrder)) == 0
    assert (
        client.get(f"/api/v1/offers/{board.offer.id}", headers=board.bureau).json()[
            "committed_quantity"
        ]
        == 0.0
    )
    declined = client.post(f"{url}/decline", headers=board.producer)
    assert declined.json()["status"] == "declined"


def test_an_order_agreed_before_its_producer_was_deactivated_still_ships_and_arrives(
    client: TestClient, board: Board
) -> None:
    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    client.post(f"{url}/accept", headers=board.buyer)
    order_id = client.post(f"{url}/accept", headers=board.producer).json()["order_id"]
    client.delete("/api/v1/producers/FARM-1", headers=board.bureau)
    order_url = f"/api/v1/supply-orders/{order_id}"
    shipped = client.post(f"{order_url}/ship", json={"quantity": 200}, headers=board.producer)
    assert shipped.status_code == 200, shipped.text
    received = client.post(f"{order_url}/receive", json={"quantity": 200}, headers=board.buyer)
    assert received.json()["status"] == "received"


def test_a_proposal_whose_need_expired_before_the_second_answer_is_not_agreed(
    client: TestClient, session: Session, board: Board
) -> None:
    """The store's need was due yesterday when the producer finally accepted: no order
    promises goods for a day that has passed, as none does for an expired offer."""
    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    assert client.post(f"{url}/accept", headers=board.buyer).status_code == 200
    need = session.scalars(select(SupplyNeed)).one()
    need.needed_by = TODAY - timedelta(days=1)  # the business day turned over meanwhile
    session.flush()
    late = client.post(f"{url}/accept", headers=board.producer)
    assert late.status_code == 409, late.text
    assert late.headers["content-type"] == "application/problem+json"
    assert "has expired" in late.json()["detail"]
    assert session.scalar(select(func.count()).select_from(SupplyOrder)) == 0
    session.expire_all()
    assert need.committed_quantity == 0.0
    offer = client.get(f"/api/v1/offers/{board.offer.id}", headers=board.producer).json()
    assert offer["committed_quantity"] == 0.0
    assert client.get(url, headers=board.buyer).json()["producer_answer"] is None


def test_a_proposal_below_a_minimum_lot_the_producer_set_afterwards_is_not_agreed(
    client: TestClient, session: Session, board: Board
) -> None:
    """The matcher proposed 200 kg; the grower then sells only in lots of 250 and the
    proposal no longer fits its offer, so the buyer's acceptance commits nothing."""
    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    assert client.post(f"{url}/accept", headers=board.producer).status_code == 200
    lotted = client.patch(
        f"/api/v1/offers/{board.offer.id}", json={"minimum_lot": 250}, headers=board.producer
    )
    assert lotted.status_code == 200, lotted.text
    refused = client.post(f"{url}/accept", headers=board.buyer)
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert "lots of at least 250" in refused.json()["detail"]
    assert session.scalar(select(func.count()).select_from(SupplyOrder)) == 0
    offer = client.get(f"/api/v1/offers/{board.offer.id}", headers=board.producer).json()
    assert offer["committed_quantity"] == 0.0
    assert client.get(url, headers=board.buyer).json()["buyer_answer"] is None


def test_no_new_deal_is_agreed_for_a_store_the_bureau_deactivated(
    client: TestClient, session: Session, board: Board
) -> None:
    """The store closed: a proposal on its need can only be declined, a new need for it is
    refused naming the store, and the next run proposes nothing to it."""
    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    assert client.post(f"{url}/accept", headers=board.producer).status_code == 200
    admin = make_key(session, Role.admin)
    closed = client.delete("/api/v1/stores/PDS-0001", headers=admin)
    assert closed.json()["active"] is False, closed.text
    accepted = client.post(f"{url}/accept", headers=board.buyer)
    assert accepted.status_code == 409, accepted.text
    assert accepted.headers["content-type"] == "application/problem+json"
    assert "PDS-0001 is deactivated" in accepted.json()["detail"]
    assert session.scalar(select(func.count()).select_from(SupplyOrder)) == 0
    for headers, body in ((board.buyer, {}), (board.bureau, {"store": "PDS-0001"})):
        posted = client.post(
            "/api/v1/needs",
            json={
                "product": "cabbage",
                "quantity": 50,
                "max_price": 3,
                "needed_by": (TODAY + timedelta(days=1)).isoformat(),
                **body,
            },
            headers=headers,
        )
        assert posted.status_code == 422, posted.text
        assert posted.json()["errors"][0]["loc"] == ["body", "store"]
    assert session.scalar(select(func.count()).select_from(SupplyNeed)) == 1
    assert client.post(f"{url}/decline", headers=board.buyer).json()["status"] == "declined"
    assert (run(client, board)["needs"], run(client, board)["proposals"]) == (0, 0)


def test_answering_twice_or_a_declined_proposal_is_a_conflict(
    client: TestClient, session: Session, board: Board
) -> None:
    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    assert client.post(f"{url}/accept", headers=board.producer).status_code == 200
    twice = client.post(f"{url}/accept", headers=board.producer)
    assert twice.status_code == 409
    assert twice.headers["content-type"] == "application/problem+json"
    assert "already answered" in twice.json()["detail"]
    declined = client.post(f"{url}/decline", headers=board.buyer)
    assert declined.json()["status"] == "declined"
    late = client.post(f"{url}/accept", headers=board.buyer)
    assert late.status_code == 409
    assert session.scalar(select(func.count()).select_from(SupplyOrder)) == 0


def test_accepting_beyond_what_the_offer_has_left_is_refused_and_changes_nothing(
    client: TestClient, session: Session, board: Board
) -> None:
    other_store = make_store(session, code="PDS-0002", region=board.district)
    make_need(
        session, product=board.cabbage, store=other_store, district=board.district, quantity=100
    )
    run(client, board)
    proposals = client.get("/api/v1/proposals", headers=board.bureau).json()["items"]
    assert sorted(item["quantity"] for item in proposals) == [100.0, 200.0]
    shrunk = client.patch(
        f"/api/v1/offers/{board.offer.id}", json={"quantity": 250}, headers=board.producer
    )
    assert shrunk.status_code == 200, shrunk.text
    other_buyer = make_key(session, Role.store, store=other_store)
    buyers = {"PDS-0001": board.buyer, "PDS-0002": other_buyer}
    for item in proposals:
        client.post(f"/api/v1/proposals/{item['id']}/accept", headers=board.producer)
    first, second = sorted(proposals, key=lambda item: -item["quantity"])
    won = client.post(
        f"/api/v1/proposals/{first['id']}/accept", headers=buyers[first["parties"]["buyer"]]
    )
    assert won.json()["status"] == "accepted"
    lost = client.post(
        f"/api/v1/proposals/{second['id']}/accept", headers=buyers[second["parties"]["buyer"]]
    )
    assert lost.status_code == 409
    assert "has only 50 left" in lost.json()["detail"]
    after = client.get(f"/api/v1/proposals/{second['id']}", headers=board.bureau).json()
    assert (after["status"], after["buyer_answer"]) == ("proposed", None)
    session.expire_all()
    offer = session.get(SupplyOffer, board.offer.id)
    assert offer is not None and offer.committed_quantity == 200.0
    below = client.patch(
        f"/api/v1/offers/{board.offer.id}", json={"quantity": 150}, headers=board.producer
    )
    assert below.status_code == 422
    assert below.json()["errors"][0]["loc"] == ["body", "quantity"]


def test_nobody_answers_ships_or_receives_for_someone_else(
    client: TestClient, session: Session, board: Board
) -> None:
    run(client, board)
    proposal = only_proposal(client, board)
    url = f"/api/v1/proposals/{proposal['id']}"
    stranger_farm = make_key(
        session, Role.producer, producer=make_producer(session, capacities={"cabbage": 1})
    )
    stranger_store = make_key(
        session, Role.store, store=make_store(session, code="PDS-0009", region=board.district)
    )
    for headers in (stranger_farm, stranger_store):
        assert client.get(url, headers=headers).status_code == 404
        assert client.post(f"{url}/accept", headers=headers).status_code == 404
        assert client.get("/api/v1/proposals", headers=headers).json()["total"] == 0
    as_producer = client.post(f"{url}/accept", json={"side": "producer"}, headers=board.buyer)
    assert as_producer.status_code == 403
    as_producer_by_bureau = client.post(
        f"{url}/accept", json={"side": "producer"}, headers=board.bureau
    )
    assert as_producer_by_bureau.status_code == 403
    client.post(f"{url}/accept", headers=board.producer)
    order_id = client.post(f"{url}/accept", headers=board.buyer).json()["order_id"]
    order_url = f"/api/v1/supply-orders/{order_id}"
    assert (
        client.post(f"{order_url}/ship", json={"quantity": 5}, headers=board.buyer).status_code
        == 403
    )
    assert (
        client.post(f"{order_url}/ship", json={"quantity": 5}, headers=stranger_farm).status_code
        == 404
    )
    client.post(f"{order_url}/ship", json={"quantity": 5}, headers=board.producer)
    assert (
        client.post(
            f"{order_url}/receive", json={"quantity": 5}, headers=board.producer
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{order_url}/receive", json={"quantity": 5}, headers=stranger_store
        ).status_code
        == 404
    )
    assert client.get(order_url, headers=stranger_store).status_code == 404
    assert client.post("/api/v1/match-runs", headers=board.producer).status_code == 403
    assert client.post("/api/v1/match-runs", headers=board.buyer).status_code == 403


@pytest.mark.parametrize("quantity", [0, -3, "lots"])
def test_a_bad_shipment_quantity_is_refused(
    client: TestClient, session: Session, board: Board, quantity: Any
) -> None:
    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    client.post(f"{url}/accept", headers=board.producer)
    order_id = client.post(f"{url}/accept", headers=board.buyer).json()["order_id"]
    response = client.post(
        f"/api/v1/supply-orders/{order_id}/ship",
        json={"quantity": quantity},
        headers=board.producer,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "quantity"]
    order = session.get(SupplyOrder, order_id)
    assert order is not None and order.shipped_quantity == 0


def test_a_new_run_replaces_unanswered_proposals_and_keeps_half_answered_ones(
    client: TestClient, session: Session, board: Board
) -> None:
    run(client, board)
    first = only_proposal(client, board)
    second_run = run(client, board)
    assert second_run["superseded"] == 1
    assert (
        client.get(f"/api/v1/proposals/{first['id']}", headers=board.bureau).json()["status"]
        == "superseded"
    )
    current = only_proposal(client, board)
    client.post(f"/api/v1/proposals/{current['id']}/accept", headers=board.producer)
    third = run(client, board)
    assert (third["superseded"], third["proposals"], third["needs"]) == (0, 0, 0)
    assert only_proposal(client, board)["id"] == current["id"]


def test_needs_of_a_locked_down_district_and_of_critical_alerts_are_served_first(
    client: TestClient, session: Session, board: Board
) -> None:
    sealed = make_district(session, code="410422", name="Ye")
    alerted = make_district(session, code="410411", name="Zhanhe")
    far_from_farm = (33.30, 113.60)
    make_need(session, product=board.cabbage, district=sealed, quantity=200, at=far_from_farm)
    make_need(session, product=board.cabbage, district=alerted, quantity=100, at=far_from_farm)
    make_alert(
        session,
        rule=AlertRule.stockout,
        level=ScopeLevel.district,
        scope_id=alerted.id,
        product=board.cabbage,
        district=alerted,
        severity=Severity.critical,
    )
    session.add(RegionLockdown(region_id=sealed.id, start_date=TODAY, recorded_by="test"))
    session.flush()
    run(client, board)
    proposals = client.get("/api/v1/proposals", headers=board.bureau).json()["items"]
    served = {
        item["parties"]["district"]: (item["quantity"], item["priority"]) for item in proposals
    }
    assert served == {"410411": (100.0, 2), "410422": (200.0, 1)}
    assert session.scalar(select(func.count()).select_from(Proposal)) == 2


def test_offers_of_producers_in_a_locked_down_region_are_not_matched(
    client: TestClient, session: Session, board: Board
) -> None:
    session.add(
        RegionLockdown(
            region_id=board.farm.region_id,
            start_date=TODAY - timedelta(days=1),
            recorded_by="test",
        )
    )
    session.flush()
    figures = run(client, board)
    assert (figures["offers"], figures["proposals"]) == (0, 0)
    assert figures["unmet"][0]["reason"] == "no_offer"


def test_control_characters_in_contacts_addresses_and_order_notes_are_refused_naming_the_field(
    client: TestClient, session: Session, board: Board
) -> None:
    """A producer's contact, a pickup or delivery address and a shipment's note reach
    other people's boards, pages and audit trails: a line break or a terminal escape in a
    one-line field, or any control character but line breaks and tabs in a note, is a 422
    naming the field, and nothing is written."""
    contact = client.patch(
        "/api/v1/producers/FARM-1",
        json={"contact_name": "Wang\r\nX-Injected: 1", "contact_phone": "138\x1b[2J"},
        headers=board.producer,
    )
    assert contact.status_code == 422, contact.text
    assert contact.headers["content-type"] == "application/problem+json"
    assert {tuple(error["loc"]) for error in contact.json()["errors"]} == {
        ("body", "contact_name"),
        ("body", "contact_phone"),
    }
    session.expire_all()
    assert (board.farm.contact_name, board.farm.contact_phone) == ("Wang Fang", "13800000000")
    registry = (
        "code,name,kind,region,latitude,longitude,product,daily_capacity,address\n"
        'FARM-2,Hill Farm,vegetable_grower,410403,33.7,113.2,cabbage,800,"Hill\x07Road"\n'
    )
    imported = client.post(
        "/api/v1/producers/import",
        files={"file": ("registry.csv", registry.encode(), "text/csv")},
        headers=board.bureau,
    )
    assert imported.status_code == 422, imported.text
    assert [(error["row"], error["column"]) for error in imported.json()["errors"]] == [
        (2, "address")
    ]
    window = {
        "available_from": TODAY.isoformat(),
        "available_to": (TODAY + timedelta(days=2)).isoformat(),
    }
    offer = client.post(
        "/api/v1/offers",
        json={"product": "cabbage", "quantity": 50, "price": 2, "address": "Gate\n2", **window},
        headers=board.producer,
    )
    need = client.post(
        "/api/v1/needs",
        json={
            "product": "cabbage",
            "quantity": 50,
            "max_price": 3,
            "needed_by": window["available_to"],
            "address": "Dock\x1b[31m3",
        },
        headers=board.buyer,
    )
    for refused in (offer, need):
        assert refused.status_code == 422, refused.text
        assert [error["loc"] for error in refused.json()["errors"]] == [["body", "address"]]
    assert session.scalar(select(func.count()).select_from(SupplyOffer)) == 1
    assert session.scalar(select(func.count()).select_from(SupplyNeed)) == 1

    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    client.post(f"{url}/accept", headers=board.producer)
    order_id = client.post(f"{url}/accept", headers=board.buyer).json()["order_id"]
    order_url = f"/api/v1/supply-orders/{order_id}"
    shipped = client.post(
        f"{order_url}/ship", json={"quantity": 20, "note": "late\x1b[31m"}, headers=board.producer
    )
    assert shipped.status_code == 422, shipped.text
    assert [error["loc"] for error in shipped.json()["errors"]] == [["body", "note"]]
    order = client.get(order_url, headers=board.buyer).json()
    assert (order["shipped_quantity"], len(order["events"])) == (0.0, 1)
    two_lines = client.post(
        f"{order_url}/ship",
        json={"quantity": 20, "note": "first truck\n\tplate A-123"},
        headers=board.producer,
    )
    assert two_lines.status_code == 200, two_lines.text


def test_a_mark_that_reverses_the_text_after_it_is_refused_in_contacts_and_notes(
    client: TestClient, session: Session, board: Board
) -> None:
    """U+202E shows what follows it backwards on every page, table and PDF (a contact
    typed as "Wang \u202e00000008031" reads as another number): a one-line field and a
    multi-line note refuse it as they refuse control characters, and nothing is written."""
    contact = client.patch(
        "/api/v1/producers/FARM-1",
        json={"contact_name": "Wang \u202eFang", "contact_phone": "138\u206600000000"},
        headers=board.producer,
    )
    assert contact.status_code == 422, contact.text
    assert {tuple(error["loc"]) for error in contact.json()["errors"]} == {
        ("body", "contact_name"),
        ("body", "contact_phone"),
    }
    session.expire_all()
    assert (board.farm.contact_name, board.farm.contact_phone) == ("Wang Fang", "13800000000")
    run(client, board)
    url = f"/api/v1/proposals/{only_proposal(client, board)['id']}"
    client.post(f"{url}/accept", headers=board.producer)
    order_id = client.post(f"{url}/accept", headers=board.buyer).json()["order_id"]
    shipped = client.post(
        f"/api/v1/supply-orders/{order_id}/ship",
        json={"quantity": 20, "note": "plate \u202e321-A"},
        headers=board.producer,
    )
    assert shipped.status_code == 422, shipped.text
    assert [error["loc"] for error in shipped.json()["errors"]] == [["body", "note"]]
    arabic = client.patch(
        "/api/v1/producers/FARM-1", json={"contact_name": "وانغ فانغ"}, headers=board.producer
    )
    assert arabic.status_code == 200, arabic.text  # a right-to-left script needs no mark
