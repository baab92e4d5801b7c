"""The supply/demand board through the API: producers offer, stores and the bureau ask,
bad postings change nothing, and the public board hides contacts from strangers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Product, Region, RegionLevel, Role, Store, SupplyNeed, SupplyOffer
from tests.factories import (
    business_today,
    make_enterprise,
    make_key,
    make_product,
    make_region,
    make_store,
)
from tests.supply_network.factories import (
    make_district,
    make_need,
    make_offer,
    make_producer,
)

TODAY = business_today()


@pytest.fixture
def cabbage(session: Session) -> Product:
    make_product(session, code="pork", category="meat")
    return make_product(session, code="cabbage", category="vegetables")


@pytest.fixture
def weidong(session: Session) -> Region:
    return make_district(session, code="410403", name="Weidong")


def offer_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product": "cabbage",
        "quantity": 2000,
        "price": 1.8,
        "available_from": TODAY.isoformat(),
        "available_to": (TODAY + timedelta(days=3)).isoformat(),
    }
    body.update(changes)
    return body


def need_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product": "cabbage",
        "quantity": 500,
        "max_price": 2.5,
        "needed_by": (TODAY + timedelta(days=1)).isoformat(),
    }
    body.update(changes)
    return body


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_refused(
    response: Any, session: Session, *, status: int, loc: list[Any] | None = None
) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if loc is not None:
        assert any(error["loc"] == loc for error in response.json()["errors"]), response.json()
    assert count(session, SupplyOffer) + count(session, SupplyNeed) == 0


def test_a_producer_posts_an_offer_picked_up_at_its_farm(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    headers = make_key(session, Role.producer, producer=farm)
    created = client.post("/api/v1/offers", json=offer_body(minimum_lot=200), headers=headers)
    assert created.status_code == 201, created.text
    offer = created.json()
    assert (offer["producer"], offer["status"], offer["remaining"]) == ("FARM-1", "open", 2000.0)
    assert (offer["latitude"], offer["longitude"]) == (farm.latitude, farm.longitude)
    listed = client.get("/api/v1/offers", headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [offer["id"]]


def test_quantities_and_prices_are_kept_to_a_thousandth_and_a_fen(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    """What a posting says is what the board, the matcher and the orders count with."""
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    headers = make_key(session, Role.producer, producer=farm)
    body = offer_body(quantity=1999.99951, price=2.345678, minimum_lot=0.00001)
    created = client.post("/api/v1/offers", json=body, headers=headers)
    assert created.status_code == 201, created.text
    offer = created.json()
    assert (offer["quantity"], offer["price"], offer["minimum_lot"]) == (2000.0, 2.35, None)
    changed = client.patch(
        f"/api/v1/offers/{offer['id']}",
        json={"quantity": 1500.12345, "minimum_lot": 10.00049},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["quantity"], changed.json()["minimum_lot"]) == (1500.123, 10.0)


def test_a_producer_cannot_post_an_offer_for_another_producer(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    own = make_producer(session, code="OWN", capacities={"cabbage": 5000})
    make_producer(session, code="OTHER", capacities={"cabbage": 5000})
    headers = make_key(session, Role.producer, producer=own)
    response = client.post("/api/v1/offers", json=offer_body(producer="OTHER"), headers=headers)
    assert_refused(response, session, status=403, loc=["body", "producer"])


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"product": "caviar"}, ["body", "product"]),
        ({"product": "pork"}, ["body", "product"]),
        ({"quantity": -5}, ["body", "quantity"]),
        ({"quantity": 0}, ["body", "quantity"]),
        ({"quantity": 5e9}, ["body", "quantity"]),
        ({"price": 0}, ["body", "price"]),
        ({"quantity": 5e-324}, ["body", "quantity"]),
        ({"quantity": 0.0004}, ["body", "quantity"]),
        ({"price": 5e-324}, ["body", "price"]),
        ({"price": 0.004}, ["body", "price"]),
        ({"price": 1e9}, ["body", "price"]),
        (
            {
                "available_from": (TODAY - timedelta(days=5)).isoformat(),
                "available_to": (TODAY - timedelta(days=1)).isoformat(),
            },
            ["body", "available_to"],
        ),
        ({"available_to": (TODAY - timedelta(days=1)).isoformat()}, ["body", "available_to"]),
        ({"available_to": (TODAY + timedelta(days=400)).isoformat()}, ["body", "available_to"]),
        ({"minimum_lot": 5000}, ["body", "minimum_lot"]),
        ({"available_from": "1926-12-07"}, ["body", "available_from"]),
        ({"extra": 1}, ["body", "extra"]),
    ],
)
def test_a_bad_offer_is_refused_naming_the_field_and_nothing_is_posted(
    client: TestClient,
    session: Session,
    cabbage: Product,
    changes: dict[str, Any],
    loc: list[Any],
) -> None:
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    headers = make_key(session, Role.producer, producer=farm)
    response = client.post("/api/v1/offers", json=offer_body(**changes), headers=headers)
    assert_refused(response, session, status=422, loc=loc)


def test_an_offer_of_a_product_the_bureau_deactivated_is_refused_as_a_need_of_it_is(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    """A deactivated product is off the matcher: an offer of it would sit on the public
    board, where buyers see it, and never be matched."""
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    cabbage.active = False
    session.flush()
    headers = make_key(session, Role.producer, producer=farm)
    response = client.post("/api/v1/offers", json=offer_body(), headers=headers)
    assert_refused(response, session, status=422, loc=["body", "product"])
    assert "deactivated" in response.json()["errors"][0]["msg"]


def test_the_bureau_posts_for_a_producer_but_a_store_cannot_offer(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    bureau = make_key(session, Role.bureau)
    made = client.post("/api/v1/offers", json=offer_body(producer="FARM-1"), headers=bureau)
    assert made.status_code == 201, made.text
    store = make_key(session, Role.store, store=make_store(session))
    refused = client.post("/api/v1/offers", json=offer_body(producer="FARM-1"), headers=store)
    assert refused.status_code == 403
    assert count(session, SupplyOffer) == 1


def test_a_store_posts_a_need_for_its_own_store_only(
    client: TestClient, session: Session, cabbage: Product, weidong: Region
) -> None:
    own = make_store(session, code="PDS-0001", region=weidong)
    other = make_store(session, code="PDS-0002", region=weidong)
    headers = make_key(session, Role.store, store=own)
    created = client.post("/api/v1/needs", json=need_body(), headers=headers)
    assert created.status_code == 201, created.text
    need = created.json()
    assert (need["buyer_kind"], need["buyer"], need["district"]) == ("store", "PDS-0001", "410403")
    assert (need["latitude"], need["longitude"]) == (own.latitude, own.longitude)
    refused = client.post("/api/v1/needs", json=need_body(store=other.code), headers=headers)
    assert refused.status_code == 403
    district = client.post("/api/v1/needs", json=need_body(district="410403"), headers=headers)
    assert district.status_code == 403
    assert count(session, SupplyNeed) == 1


def test_a_chain_posts_for_its_stores_and_for_itself(
    client: TestClient, session: Session, cabbage: Product, weidong: Region
) -> None:
    chain = make_enterprise(session, code="CH-01")
    mine = make_store(session, code="CH-01-A", region=weidong, enterprise=chain)
    headers = make_key(session, Role.store, enterprise=chain)
    assert (
        client.post("/api/v1/needs", json=need_body(store=mine.code), headers=headers).status_code
        == 201
    )
    chain_need = client.post(
        "/api/v1/needs", json=need_body(enterprise="CH-01", district="410403"), headers=headers
    )
    assert chain_need.status_code == 201, chain_need.text
    assert chain_need.json()["buyer_kind"] == "chain"
    other_chain = make_enterprise(session, code="CH-02")
    refused = client.post(
        "/api/v1/needs",
        json=need_body(enterprise=other_chain.code, district="410403"),
        headers=headers,
    )
    assert refused.status_code == 403
    assert len(client.get("/api/v1/needs", headers=headers).json()["items"]) == 2


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"product": "caviar"}, ["body", "product"]),
        ({"quantity": -1}, ["body", "quantity"]),
        ({"quantity": 1e10}, ["body", "quantity"]),
        ({"max_price": 0}, ["body", "max_price"]),
        ({"quantity": 5e-324}, ["body", "quantity"]),
        ({"max_price": 5e-324}, ["body", "max_price"]),
        ({"needed_by": (TODAY - timedelta(days=1)).isoformat()}, ["body", "needed_by"]),
        ({"district": "410403", "store": "PDS-0001"}, ["body", "store"]),
        ({"district": "nowhere"}, ["body", "district"]),
        ({"alert_id": 999}, ["body", "alert_id"]),
    ],
)
def test_a_bad_need_is_refused_naming_the_field_and_nothing_is_posted(
    client: TestClient,
    session: Session,
    cabbage: Product,
    weidong: Region,
    changes: dict[str, Any],
    loc: list[Any],
) -> None:
    make_store(session, code="PDS-0001", region=weidong)
    bureau = make_key(session, Role.bureau)
    body = need_body(**({"district": "410403"} | changes))
    response = client.post("/api/v1/needs", json=body, headers=bureau)
    assert_refused(response, session, status=422, loc=loc)


def test_an_offer_cannot_be_changed_to_a_quantity_or_price_that_rounds_to_nothing(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    headers = make_key(session, Role.producer, producer=farm)
    offer = client.post("/api/v1/offers", json=offer_body(), headers=headers).json()
    for change in ({"quantity": 5e-324}, {"price": 5e-324}):
        response = client.patch(f"/api/v1/offers/{offer['id']}", json=change, headers=headers)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        [field] = change
        assert [error["loc"] for error in response.json()["errors"]] == [["body", field]]
    stored = client.get(f"/api/v1/offers/{offer['id']}", headers=headers).json()
    assert (stored["quantity"], stored["price"]) == (offer["quantity"], offer["price"])


def test_an_offer_changed_to_no_end_of_window_is_refused_naming_it_not_a_500(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    """A careless client clears every field it does not mean to change: each null is a
    422 naming the field, and the offer keeps its window, quantity and price."""
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    headers = make_key(session, Role.producer, producer=farm)
    offer = client.post("/api/v1/offers", json=offer_body(), headers=headers).json()
    for field in ("available_to", "quantity", "price"):
        response = client.patch(
            f"/api/v1/offers/{offer['id']}", json={field: None}, headers=headers
        )
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["loc"] for error in response.json()["errors"]] == [["body", field]]
    stored = client.get(f"/api/v1/offers/{offer['id']}", headers=headers).json()
    assert stored["available_to"] == offer["available_to"]
    assert (stored["quantity"], stored["price"]) == (offer["quantity"], offer["price"])


def test_a_minimum_lot_of_zero_reads_as_no_minimum_whether_posted_or_changed(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    headers = make_key(session, Role.producer, producer=farm)
    posted = client.post("/api/v1/offers", json=offer_body(minimum_lot=0), headers=headers)
    assert posted.status_code == 201, posted.text
    assert posted.json()["minimum_lot"] is None
    url = f"/api/v1/offers/{posted.json()['id']}"
    assert client.patch(url, json={"minimum_lot": 200}, headers=headers).json()["minimum_lot"] == (
        200.0
    )
    changed = client.patch(url, json={"minimum_lot": 0}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["minimum_lot"] is None
    session.expire_all()
    assert session.get_one(SupplyOffer, posted.json()["id"]).minimum_lot is None


def test_offers_and_needs_are_withdrawn_by_their_owners_only(
    client: TestClient, session: Session, cabbage: Product, weidong: Region
) -> None:
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    other = make_producer(session, code="FARM-2", capacities={"cabbage": 5000})
    offer = make_offer(session, producer=farm, product=cabbage)
    store = make_store(session, region=weidong)
    need = make_need(session, product=cabbage, store=store, district=weidong)
    stranger = make_key(session, Role.producer, producer=other)
    assert client.post(f"/api/v1/offers/{offer.id}/withdraw", headers=stranger).status_code == 404
    assert client.get(f"/api/v1/offers/{offer.id}", headers=stranger).status_code == 404
    owner = make_key(session, Role.producer, producer=farm)
    withdrawn = client.post(f"/api/v1/offers/{offer.id}/withdraw", headers=owner)
    assert withdrawn.json()["status"] == "withdrawn"
    other_store = make_key(session, Role.store, store=make_store(session, region=weidong))
    assert client.post(f"/api/v1/needs/{need.id}/withdraw", headers=other_store).status_code == 403
    buyer = make_key(session, Role.store, store=store)
    assert client.post(f"/api/v1/needs/{need.id}/withdraw", headers=buyer).json()["status"] == (
        "withdrawn"
    )


DROP_POINT = (33.738412, 113.306127)
"""A compound's gate a need is delivered to."""


def test_the_public_board_shows_open_postings_and_contacts_only_to_signed_in_callers(
    client: TestClient, session: Session, cabbage: Product, weidong: Region
) -> None:
    farm = make_producer(session, code="FARM-1", region=weidong, capacities={"cabbage": 5000})
    make_offer(session, producer=farm, product=cabbage, quantity=900, committed=300)
    withdrawn = make_offer(session, producer=farm, product=cabbage, quantity=50)
    withdrawn.withdrawn_at = withdrawn.created_at
    expired = make_offer(
        session, producer=farm, product=cabbage, available_from=TODAY - timedelta(days=9), days=2
    )
    store: Store = make_store(session, region=weidong)
    make_need(session, product=cabbage, store=store, district=weidong, quantity=400, at=DROP_POINT)
    session.flush()
    anonymous = client.get("/api/v1/board")
    assert anonymous.status_code == 200, anonymous.text
    board = anonymous.json()
    assert board["contacts"] is False
    [line] = board["products"]
    assert (line["product"], line["offered"], line["needed"]) == ("cabbage", 600.0, 400.0)
    [offer] = line["offers"]
    assert offer["id"] not in (withdrawn.id, expired.id)
    assert offer["contact_phone"] is None and offer["created_by"] is None
    assert "13800000000" not in anonymous.text
    [need] = line["needs"]
    assert (need["latitude"], need["longitude"]) == (33.74, 113.31)  # the place, not the door
    assert need["address"] is None
    signed_in = client.get("/api/v1/board", headers=make_key(session, Role.store, store=store))
    assert signed_in.json()["products"][0]["offers"][0]["contact_phone"] == "13800000000"
    assert client.get("/api/v1/board", params={"region": "elsewhere"}).status_code == 422


def test_a_store_filed_straight_under_the_city_is_told_to_move_into_a_district_to_post_a_need(
    client: TestClient, session: Session, cabbage: Product
) -> None:
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    store = make_store(session, code="PDS-0900", region=city)
    store.latitude, store.longitude = 33.74, 113.31
    for headers in (make_key(session, Role.store, store=store), make_key(session, Role.bureau)):
        refused = client.post("/api/v1/needs", json=need_body(store="PDS-0900"), headers=headers)
        assert_refused(refused, session, status=422, loc=["body", "store"])
        assert "lies in no district" in refused.text
