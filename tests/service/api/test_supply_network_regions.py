"""Region-bound staff on the supply network: a city's bureau (or admin) sees and manages
only the producers, offers, needs, deals, restock suggestions and lockdowns of its own
city, by every route, list and filter; a neighbour city's are unknown to it."""

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
    RegionLevel,
    RegionLockdown,
    Role,
    ScopeLevel,
    Store,
    SupplyNeed,
    SupplyOffer,
)
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.supply_network.factories import (
    make_alert,
    make_need,
    make_offer,
    make_producer,
    make_proposal,
    make_snapshot,
)

TODAY = business_today()


@dataclass
class TwoCities:
    """City A (districts A1 and A2) and city B (district B1), each district with a farm,
    an offer, a store and its need; proposals across the border both ways."""

    cabbage: Product
    city_a: Region
    district_a1: Region
    district_a2: Region
    district_b1: Region
    farm: dict[str, Producer]
    store: dict[str, Store]
    offer: dict[str, SupplyOffer]
    need: dict[str, SupplyNeed]
    buying_in_a: Proposal
    buying_in_b: Proposal
    national: dict[str, str]
    bureau_a: dict[str, str]
    admin_a: dict[str, str]
    bureau_a1: dict[str, str]


def _district(session: Session, code: str, parent: Region, at: tuple[float, float]) -> Region:
    district = make_region(session, code=code, level=RegionLevel.district, parent=parent)
    district.latitude, district.longitude = at
    session.flush()
    return district


@pytest.fixture
def cities(session: Session) -> TwoCities:
    cabbage = make_product(session, code="cabbage", category="vegetables")
    cabbage.typical_price = 2.0
    city_a = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    city_b = make_region(session, code="4105", name="Anyang", level=RegionLevel.city)
    districts = {
        "A1": _district(session, "410403", city_a, (33.735, 113.335)),
        "A2": _district(session, "410402", city_a, (33.737, 113.282)),
        "B1": _district(session, "410502", city_b, (36.10, 114.39)),
    }
    farm, store, offer, need = {}, {}, {}, {}
    for name, district in districts.items():
        at = (district.latitude or 0.0, district.longitude or 0.0)
        farm[name] = make_producer(
            session, code=f"FARM-{name}", region=district, at=at, capacities={"cabbage": 5000}
        )
        offer[name] = make_offer(session, producer=farm[name], product=cabbage, quantity=300)
        store[name] = make_store(session, code=f"PDS-{name}", region=district)
        need[name] = make_need(
            session, product=cabbage, store=store[name], district=district, quantity=100, at=at
        )
    return TwoCities(
        cabbage=cabbage,
        city_a=city_a,
        district_a1=districts["A1"],
        district_a2=districts["A2"],
        district_b1=districts["B1"],
        farm=farm,
        store=store,
        offer=offer,
        need=need,
        buying_in_a=make_proposal(session, offer=offer["B1"], need=need["A1"], quantity=50),
        buying_in_b=make_proposal(session, offer=offer["A1"], need=need["B1"], quantity=50),
        national=make_key(session, Role.bureau),
        bureau_a=make_key(session, Role.bureau, region=city_a),
        admin_a=make_key(session, Role.admin, region=city_a),
        bureau_a1=make_key(session, Role.bureau, region=districts["A1"]),
    )


def get_json(client: TestClient, url: str, headers: dict[str, str], **params: Any) -> Any:
    response = client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def codes(client: TestClient, url: str, headers: dict[str, str], key: str, **params: Any) -> set:
    return {item[key] for item in get_json(client, url, headers, **params)["items"]}


def assert_unknown(response: Any, status: int = 404) -> None:
    """Refused exactly as an unknown code or id is: nothing says the thing exists."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_city_bureau_lists_and_reads_only_its_own_citys_producers(
    client: TestClient, cities: TwoCities
) -> None:
    url = "/api/v1/producers"
    assert codes(client, url, cities.national, "code") == {"FARM-A1", "FARM-A2", "FARM-B1"}
    assert codes(client, url, cities.bureau_a, "code") == {"FARM-A1", "FARM-A2"}
    assert get_json(client, url, cities.bureau_a)["total"] == 2
    assert codes(client, url, cities.admin_a, "code") == {"FARM-A1", "FARM-A2"}
    assert codes(client, url, cities.bureau_a1, "code") == {"FARM-A1"}
    assert codes(client, url, cities.bureau_a, "code", region="410402") == {"FARM-A2"}
    assert client.get(f"{url}/FARM-A2", headers=cities.bureau_a).status_code == 200
    neighbour = client.get(f"{url}/FARM-B1", headers=cities.bureau_a)
    unknown = client.get(f"{url}/FARM-NONE", headers=cities.bureau_a)
    assert_unknown(neighbour)
    assert neighbour.json()["detail"] == unknown.json()["detail"].replace("NONE", "B1")
    assert_unknown(client.get(f"{url}/FARM-A2", headers=cities.bureau_a1))
    for params in ({"region": "410502"}, {"region": "4105"}, {"around": "410502"}):
        assert_unknown(client.get(url, params=params, headers=cities.bureau_a), 422)


def test_city_bureau_registers_edits_and_deactivates_producers_only_inside_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    url = "/api/v1/producers"
    body = {
        "code": "FARM-NEW",
        "name": "Lushan Greens",
        "kind": "vegetable_grower",
        "region": "410502",
        "latitude": 33.74,
        "longitude": 112.91,
        "products": [{"product": "cabbage", "daily_capacity": 800}],
    }
    outside = client.post(url, json=body, headers=cities.bureau_a)
    assert_unknown(outside, 422)
    assert outside.json()["errors"][0]["loc"] == ["body", "region"]
    assert session.scalar(select(func.count()).where(Producer.code == "FARM-NEW")) == 0
    inside = client.post(url, json={**body, "region": "410402"}, headers=cities.bureau_a)
    assert inside.status_code == 201, inside.text
    for headers in (cities.bureau_a, cities.admin_a):
        assert_unknown(client.patch(f"{url}/FARM-B1", json={"name": "x"}, headers=headers))
        assert_unknown(client.delete(f"{url}/FARM-B1", headers=headers))
    moved = client.patch(f"{url}/FARM-A1", json={"region": "410502"}, headers=cities.admin_a)
    assert_unknown(moved, 422)
    renamed = client.patch(f"{url}/FARM-A1", json={"name": "Ours"}, headers=cities.admin_a)
    assert renamed.status_code == 200, renamed.text
    assert client.delete(f"{url}/FARM-A2", headers=cities.bureau_a).json()["active"] is False
    session.expire_all()
    farm_b = session.scalars(select(Producer).where(Producer.code == "FARM-B1")).one()
    assert (farm_b.name, farm_b.active, farm_b.region_id) == (
        "Green Valley Farm",
        True,
        cities.district_b1.id,
    )


REGISTRY = (
    "code,name,kind,region,latitude,longitude,product,daily_capacity\n"
    "F-OURS,Ours,vegetable_grower,410403,33.74,112.91,cabbage,800\n"
)


def test_registry_import_refuses_rows_of_a_neighbour_city_by_row_and_column(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    url = "/api/v1/producers/import"
    bad = (
        REGISTRY
        + "F-THEIRS,Theirs,vegetable_grower,410502,36.1,114.39,cabbage,800\n"
        + "FARM-B1,Taken,vegetable_grower,410403,33.74,112.91,cabbage,800\n"
    )
    refused = client.post(
        url, files={"file": ("registry.csv", bad.encode(), "text/csv")}, headers=cities.bureau_a
    )
    assert_unknown(refused, 422)
    cells = {(error["row"], error["column"]) for error in refused.json()["errors"]}
    assert cells == {(3, "region"), (4, "code")}
    assert session.scalar(select(func.count()).where(Producer.code.like("F-%"))) == 0
    farm_b = session.scalars(select(Producer).where(Producer.code == "FARM-B1")).one()
    assert farm_b.region_id == cities.district_b1.id
    national = client.post(
        url, files={"file": ("registry.csv", bad.encode(), "text/csv")}, headers=cities.national
    )
    assert national.status_code == 200, national.text
    ours = client.post(
        url,
        files={"file": ("registry.csv", REGISTRY.encode(), "text/csv")},
        headers=cities.bureau_a,
    )
    assert ours.status_code == 200, ours.text


def test_city_bureau_sees_and_manages_only_its_citys_offers_and_needs(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    offer_b, need_b = cities.offer["B1"].id, cities.need["B1"].id
    assert codes(client, "/api/v1/offers", cities.national, "producer") == {
        "FARM-A1",
        "FARM-A2",
        "FARM-B1",
    }
    for headers in (cities.bureau_a, cities.admin_a):
        assert codes(client, "/api/v1/offers", headers, "producer") == {"FARM-A1", "FARM-A2"}
        assert codes(client, "/api/v1/needs", headers, "buyer") == {"PDS-A1", "PDS-A2"}
        assert get_json(client, "/api/v1/needs", headers)["total"] == 2
    assert codes(client, "/api/v1/offers", cities.bureau_a1, "producer") == {"FARM-A1"}
    assert codes(client, "/api/v1/needs", cities.bureau_a1, "buyer") == {"PDS-A1"}
    assert codes(client, "/api/v1/needs", cities.bureau_a, "buyer", district="410402") == {"PDS-A2"}
    a = cities.bureau_a
    assert client.get(f"/api/v1/offers/{cities.offer['A2'].id}", headers=a).status_code == 200
    assert_unknown(client.get(f"/api/v1/offers/{offer_b}", headers=a))
    assert_unknown(client.get(f"/api/v1/needs/{need_b}", headers=a))
    assert_unknown(client.get(f"/api/v1/needs/{cities.need['A2'].id}", headers=cities.bureau_a1))
    assert_unknown(client.get("/api/v1/offers", params={"producer": "FARM-B1"}, headers=a), 422)
    assert_unknown(client.get("/api/v1/needs", params={"district": "410502"}, headers=a), 422)
    assert_unknown(client.patch(f"/api/v1/offers/{offer_b}", json={"price": 9}, headers=a))
    assert_unknown(client.post(f"/api/v1/offers/{offer_b}/withdraw", headers=a))
    assert_unknown(client.post(f"/api/v1/needs/{need_b}/withdraw", headers=a))
    offer = {
        "producer": "FARM-B1",
        "product": "cabbage",
        "quantity": 10,
        "price": 2,
        "available_from": TODAY.isoformat(),
        "available_to": (TODAY + timedelta(days=2)).isoformat(),
    }
    assert_unknown(client.post("/api/v1/offers", json=offer, headers=a), 422)
    need = {
        "product": "cabbage",
        "quantity": 10,
        "max_price": 3,
        "needed_by": (TODAY + timedelta(days=2)).isoformat(),
    }
    assert_unknown(client.post("/api/v1/needs", json={**need, "store": "PDS-B1"}, headers=a), 422)
    assert_unknown(
        client.post("/api/v1/needs", json={**need, "district": "410502"}, headers=a), 422
    )
    posted = client.post("/api/v1/needs", json={**need, "district": "410402"}, headers=a)
    assert posted.status_code == 201, posted.text
    session.expire_all()
    assert session.get(SupplyOffer, offer_b).withdrawn_at is None  # type: ignore[union-attr]
    assert session.get(SupplyNeed, need_b).withdrawn_at is None  # type: ignore[union-attr]
    assert session.get(SupplyOffer, offer_b).price == 2.0  # type: ignore[union-attr]


def test_the_public_board_shows_a_region_bound_caller_only_its_region(
    client: TestClient, cities: TwoCities
) -> None:
    def board(headers: dict[str, str], **params: Any) -> tuple[set[str], set[str]]:
        found = get_json(client, "/api/v1/board", headers, **params)["products"]
        offers = {offer["producer"] for product in found for offer in product["offers"]}
        needs = {need["buyer"] for product in found for need in product["needs"]}
        return offers, needs

    everything = ({"FARM-A1", "FARM-A2", "FARM-B1"}, {"PDS-A1", "PDS-A2", "PDS-B1"})
    assert board({}) == everything
    assert board(cities.national) == everything
    assert board(cities.bureau_a) == ({"FARM-A1", "FARM-A2"}, {"PDS-A1", "PDS-A2"})
    assert board(cities.bureau_a1) == ({"FARM-A1"}, {"PDS-A1"})
    neighbour = client.get("/api/v1/board", params={"region": "4105"}, headers=cities.bureau_a)
    assert_unknown(neighbour, 422)


def test_the_public_board_filtered_to_a_township_shows_its_stores_needs(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    """A need is delivered to a district, so a filter below the district (a township)
    finds a store's need by the store's own region: the township's store's need shows,
    its district's other needs do not, for anyone reading the board."""
    township = make_region(
        session, code="410403001", level=RegionLevel.township, parent=cities.district_a1
    )
    store = make_store(session, code="PDS-T1", region=township)
    make_need(session, product=cities.cabbage, store=store, district=cities.district_a1)
    session.commit()
    for headers in ({}, cities.national, cities.bureau_a1):
        found = get_json(client, "/api/v1/board", headers, region="410403001")["products"]
        needs = {need["buyer"] for product in found for need in product["needs"]}
        assert needs == {"PDS-T1"}
    whole_district = get_json(client, "/api/v1/board", {}, region="410403")["products"]
    assert {need["buyer"] for product in whole_district for need in product["needs"]} == {
        "PDS-A1",
        "PDS-T1",
    }


def test_city_bureau_follows_the_deals_whose_need_is_in_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    ours, theirs = cities.buying_in_a.id, cities.buying_in_b.id
    for proposal, farm, store in ((ours, "B1", "A1"), (theirs, "A1", "B1")):
        for headers in (
            make_key(session, Role.producer, producer=cities.farm[farm]),
            make_key(session, Role.store, store=cities.store[store]),
        ):
            accepted = client.post(f"/api/v1/proposals/{proposal}/accept", headers=headers)
            assert accepted.status_code == 200, accepted.text
    order_ours = client.get(f"/api/v1/proposals/{ours}", headers=cities.national).json()
    order_theirs = client.get(f"/api/v1/proposals/{theirs}", headers=cities.national).json()
    assert {
        item["id"] for item in get_json(client, "/api/v1/proposals", cities.national)["items"]
    } == {ours, theirs}
    for headers in (cities.bureau_a, cities.admin_a, cities.bureau_a1):
        assert codes(client, "/api/v1/proposals", headers, "id") == {ours}
        assert codes(client, "/api/v1/supply-orders", headers, "id") == {order_ours["order_id"]}
        assert client.get(f"/api/v1/proposals/{ours}", headers=headers).status_code == 200
        assert_unknown(client.get(f"/api/v1/proposals/{theirs}", headers=headers))
        assert_unknown(
            client.get(f"/api/v1/supply-orders/{order_theirs['order_id']}", headers=headers)
        )
        assert_unknown(client.post(f"/api/v1/proposals/{theirs}/decline", headers=headers))
        assert_unknown(
            client.post(
                f"/api/v1/supply-orders/{order_theirs['order_id']}/receive",
                json={"quantity": 1},
                headers=headers,
            )
        )


def test_a_region_bound_admin_answers_only_for_producers_inside_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    proposal = cities.buying_in_a.id
    as_producer = client.post(
        f"/api/v1/proposals/{proposal}/accept", json={"side": "producer"}, headers=cities.admin_a
    )
    assert as_producer.status_code == 403, as_producer.text
    as_buyer = client.post(f"/api/v1/proposals/{proposal}/accept", headers=cities.admin_a)
    assert as_buyer.status_code == 200, as_buyer.text
    assert (as_buyer.json()["producer_answer"], as_buyer.json()["buyer_answer"]) == (
        None,
        "accepted",
    )


def test_match_runs_are_started_and_read_by_national_staff_only(
    client: TestClient, cities: TwoCities
) -> None:
    for headers in (cities.bureau_a, cities.admin_a):
        assert client.post("/api/v1/match-runs", headers=headers).status_code == 403
        runs = get_json(client, "/api/v1/match-runs", headers)
        assert (runs["items"], runs["total"]) == ([], 0)
        assert_unknown(
            client.get(f"/api/v1/match-runs/{cities.buying_in_a.match_run_id}", headers=headers)
        )
    assert get_json(client, "/api/v1/match-runs", cities.national)["total"] == 2
    assert client.post("/api/v1/match-runs", headers=cities.national).status_code == 201


@pytest.fixture
def shortages(session: Session, cities: TwoCities) -> None:
    for name, store in cities.store.items():
        district = {"A1": cities.district_a1, "A2": cities.district_a2}.get(
            name, cities.district_b1
        )
        make_snapshot(
            session,
            level=ScopeLevel.store,
            scope_id=store.id,
            product=cities.cabbage,
            district=district,
            stock=10.0,
            expected_daily_sales=20.0,
        )
        make_snapshot(
            session,
            level=ScopeLevel.district,
            scope_id=district.id,
            product=cities.cabbage,
            district=district,
            stock=100.0,
            expected_daily_sales=100.0,
        )


@pytest.mark.usefixtures("shortages")
def test_city_bureau_gets_restock_suggestions_only_for_its_citys_stores(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    def scopes(headers: dict[str, str], **params: Any) -> set[str]:
        return codes(client, "/api/v1/restock", headers, "scope", **params)

    assert scopes(cities.national, level="store") == {"PDS-A1", "PDS-A2", "PDS-B1"}
    assert scopes(cities.bureau_a, level="store") == {"PDS-A1", "PDS-A2"}
    assert scopes(cities.admin_a, level="district") == {"410403", "410402"}
    assert scopes(cities.bureau_a1, level="store") == {"PDS-A1"}
    assert scopes(cities.bureau_a, level="store", region="410402") == {"PDS-A2"}
    a = cities.bureau_a
    assert_unknown(
        client.get("/api/v1/restock", params={"level": "store", "region": "4105"}, headers=a), 422
    )
    ours = get_json(client, "/api/v1/restock/store/PDS-A1/cabbage", a)
    assert {source["producer"] for source in ours["sources"]} <= {"FARM-A1", "FARM-A2"}
    assert ours["sources"]
    national = get_json(client, "/api/v1/restock/store/PDS-A1/cabbage", cities.national)
    assert "FARM-B1" in {source["producer"] for source in national["sources"]}
    for url in ("/api/v1/restock/store/PDS-B1/cabbage", "/api/v1/restock/district/410502/cabbage"):
        assert_unknown(client.get(url, headers=a))
        assert_unknown(client.post(f"{url}/need", headers=a))
    assert_unknown(client.get("/api/v1/restock/store/PDS-A2/cabbage", headers=cities.bureau_a1))
    alert_b = make_alert(
        session,
        rule=AlertRule.low_supply,
        level=ScopeLevel.store,
        scope_id=cities.store["B1"].id,
        product=cities.cabbage,
        district=cities.district_b1,
        store=cities.store["B1"],
    )
    assert_unknown(client.get(f"/api/v1/restock/alerts/{alert_b.id}", headers=a))
    followed = client.get(f"/api/v1/restock/alerts/{alert_b.id}", headers=cities.national)
    assert followed.status_code == 200, followed.text


def test_city_bureau_declares_and_lifts_lockdowns_only_inside_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    start = TODAY.isoformat()
    theirs = client.post(
        "/api/v1/lockdowns", json={"region": "410502", "start_date": start}, headers=cities.national
    ).json()
    a = cities.bureau_a
    refused = client.post(
        "/api/v1/lockdowns", json={"region": "410502", "start_date": start}, headers=a
    )
    assert_unknown(refused, 422)
    ours = client.post(
        "/api/v1/lockdowns", json={"region": "410402", "start_date": start}, headers=a
    )
    assert ours.status_code == 201, ours.text
    listed = client.get("/api/v1/lockdowns", headers=a)
    assert [item["region"] for item in listed.json()] == ["410402"]
    everyone = client.get("/api/v1/lockdowns", headers=cities.national).json()
    assert {item["region"] for item in everyone} == {"410402", "410502"}
    lifted = client.post(
        f"/api/v1/lockdowns/{theirs['id']}/end", json={"end_date": start}, headers=a
    )
    unknown = client.post("/api/v1/lockdowns/999999/end", json={"end_date": start}, headers=a)
    assert_unknown(lifted)
    assert lifted.json()["detail"] == unknown.json()["detail"].replace("999999", str(theirs["id"]))
    session.expire_all()
    assert session.get(RegionLockdown, theirs["id"]).end_date is None  # type: ignore[union-attr]


def test_a_lockdown_that_ends_before_it_starts_is_refused_naming_the_start_in_words(
    client: TestClient, cities: TwoCities
) -> None:
    body = {
        "region": "410402",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY - timedelta(days=1)).isoformat(),
    }
    refused = client.post("/api/v1/lockdowns", json=body, headers=cities.bureau_a)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"] == [
        {"loc": ["body", "end_date"], "msg": "is before the start date"}  # not start_date
    ]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"start_date": "9999-12-31"}, "start_date"),
        ({"start_date": (TODAY - timedelta(days=400)).isoformat()}, "start_date"),
        ({"end_date": "9999-12-31"}, "end_date"),
        ({"note": "sealed\nline two"}, "note"),
        ({"note": "sealed\x07"}, "note"),
        ({"note": "sealed\u2028there"}, "note"),
    ],
)
def test_a_lockdown_off_the_years_around_today_or_with_a_control_character_is_refused(
    client: TestClient, session: Session, cities: TwoCities, changes: dict[str, str], field: str
) -> None:
    body = {"region": "410402", "start_date": TODAY.isoformat()} | changes
    refused = client.post("/api/v1/lockdowns", json=body, headers=cities.bureau_a)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [error["loc"] for error in refused.json()["errors"]] == [["body", field]]
    assert session.scalar(select(func.count()).select_from(RegionLockdown)) == 0


def test_a_lifted_lockdown_cannot_be_ended_again_and_an_end_is_bounded(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    start = (TODAY - timedelta(days=10)).isoformat()
    made = client.post(
        "/api/v1/lockdowns",
        json={"region": "410402", "start_date": start, "note": "a year's edge ok"},
        headers=cities.bureau_a,
    )
    assert made.status_code == 201, made.text
    url = f"/api/v1/lockdowns/{made.json()['id']}/end"
    far = client.post(url, json={"end_date": "9999-12-31"}, headers=cities.bureau_a)
    assert far.status_code == 422, far.text
    assert [error["loc"] for error in far.json()["errors"]] == [["body", "end_date"]]
    lifted = client.post(url, json={"end_date": TODAY.isoformat()}, headers=cities.bureau_a)
    assert lifted.status_code == 200, lifted.text
    for again in (TODAY - timedelta(days=5), TODAY + timedelta(days=5), TODAY):
        refused = client.post(url, json={"end_date": again.isoformat()}, headers=cities.bureau_a)
        assert refused.status_code == 409, refused.text
    session.expire_all()
    assert session.get(RegionLockdown, made.json()["id"]).end_date == TODAY  # type: ignore[union-attr]
    planned = client.post(
        "/api/v1/lockdowns",
        json={
            "region": "410402",
            "start_date": start,
            "end_date": (TODAY + timedelta(days=30)).isoformat(),
        },
        headers=cities.bureau_a,
    ).json()
    early = client.post(
        f"/api/v1/lockdowns/{planned['id']}/end",
        json={"end_date": TODAY.isoformat()},
        headers=cities.bureau_a,
    )
    assert early.status_code == 200, early.text  # a planned end still ahead may come sooner


def _need_for(store: str) -> dict[str, Any]:
    return {
        "store": store,
        "product": "cabbage",
        "quantity": 10,
        "max_price": 3,
        "needed_by": (TODAY + timedelta(days=2)).isoformat(),
    }


def _off_the_board(session: Session) -> None:
    """The stores' earlier needs withdrawn, so each suggestion has something to post."""
    for need in session.scalars(select(SupplyNeed)):
        need.withdrawn_at = need.created_at
    session.commit()


@pytest.mark.usefixtures("shortages")
def test_the_bureau_posts_a_stores_need_on_its_behalf_at_every_level_inside_its_region(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    """A store posts its own need; the bureau may post it for the store (a phone call, a
    shortage alert it follows) at every level whose region holds the store: national
    staff, staff bound to the root of the tree, a city's and the store's district's. The
    store then sees and answers for the need as its own."""
    province = make_region(session, code="41", name="Henan", level=RegionLevel.province)
    cities.city_a.parent_id = province.id
    session.get_one(Region, cities.district_b1.parent_id).parent_id = province.id
    root = make_key(session, Role.bureau, region=province)
    _off_the_board(session)
    for headers, store in (
        (cities.national, "PDS-B1"),
        (root, "PDS-B1"),
        (cities.bureau_a, "PDS-A2"),
        (cities.bureau_a1, "PDS-A1"),
    ):
        suggested = client.post(f"/api/v1/restock/store/{store}/cabbage/need", headers=headers)
        assert suggested.status_code == 201, suggested.text
        by_hand = client.post("/api/v1/needs", json=_need_for(store), headers=headers)
        assert by_hand.status_code == 201, by_hand.text
        for posted in (suggested.json(), by_hand.json()):
            assert (posted["buyer_kind"], posted["buyer"]) == ("store", store)
        _off_the_board(session)
    own = make_key(session, Role.store, store=cities.store["A2"])
    session.commit()
    listed = get_json(client, "/api/v1/needs", own)
    assert {need["buyer"] for need in listed["items"]} == {"PDS-A2"}
    assert listed["total"] == 3  # the fixture's, and the two the city's bureau posted


@pytest.mark.usefixtures("shortages")
def test_a_bureau_neither_posts_nor_reads_a_need_of_a_store_outside_its_region(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    """A city's bureau knows nothing of a neighbour city's store, and a district's bureau
    nothing of the next district's: posting its need, by hand or from its suggestion, is
    refused as for an unknown store, and the need the store posted stays unseen."""
    _off_the_board(session)
    before = session.scalar(select(func.count()).select_from(SupplyNeed))
    for headers, store, need in (
        (cities.bureau_a, "PDS-B1", cities.need["B1"]),
        (cities.admin_a, "PDS-B1", cities.need["B1"]),
        (cities.bureau_a1, "PDS-A2", cities.need["A2"]),
    ):
        assert_unknown(client.post("/api/v1/needs", json=_need_for(store), headers=headers), 422)
        suggestion = f"/api/v1/restock/store/{store}/cabbage"
        assert_unknown(client.post(f"{suggestion}/need", headers=headers))
        assert_unknown(client.get(suggestion, headers=headers))
        assert_unknown(client.get(f"/api/v1/needs/{need.id}", headers=headers))
        assert store not in codes(client, "/api/v1/needs", headers, "buyer")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(SupplyNeed)) == before


@pytest.mark.usefixtures("shortages")
def test_a_township_bureau_posts_and_follows_the_need_of_a_store_in_its_township(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    """Staff bound to a township, below a district, read the suggestion of a store in
    their township; the need it calls for must then be theirs to read and withdraw, not
    written and refused back as an unknown need. The district's other needs stay unseen."""
    township = make_region(
        session, code="410403001", level=RegionLevel.township, parent=cities.district_a1
    )
    store = make_store(session, code="PDS-T1", region=township)
    make_snapshot(
        session,
        level=ScopeLevel.store,
        scope_id=store.id,
        product=cities.cabbage,
        district=cities.district_a1,
        stock=10.0,
        expected_daily_sales=20.0,
    )
    street = make_key(session, Role.bureau, region=township)
    session.commit()
    suggestion = "/api/v1/restock/store/PDS-T1/cabbage"
    assert get_json(client, suggestion, street)["suggestion"]["suggested"] == 90
    posted = client.post(f"{suggestion}/need", headers=street)
    assert posted.status_code == 201, posted.text
    need = posted.json()
    assert (need["buyer"], need["district"], need["quantity"]) == ("PDS-T1", "410403", 90)
    by_hand = client.post("/api/v1/needs", json=_need_for("PDS-T1"), headers=street)
    assert by_hand.status_code == 201, by_hand.text
    assert get_json(client, f"/api/v1/needs/{need['id']}", street)["buyer"] == "PDS-T1"
    assert codes(client, "/api/v1/needs", street, "buyer") == {"PDS-T1"}
    assert_unknown(client.get(f"/api/v1/needs/{cities.need['A1'].id}", headers=street))
    withdrawn = client.post(f"/api/v1/needs/{need['id']}/withdraw", headers=street)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert (
        session.scalar(
            select(func.count()).select_from(SupplyNeed).where(SupplyNeed.store_id == store.id)
        )
        == 2
    )
