"""Supply pages for a person bound to a region: a city's bureau signed in sees its own
city's offers, needs and producers (board, registry, map), never a neighbour city's."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import RegionLevel, Role
from tests.factories import make_product, make_region, make_store
from tests.service.web.helpers import sign_in
from tests.supply_network.factories import make_need, make_offer, make_producer


def test_a_city_bureau_signed_in_sees_only_its_citys_offers_and_needs_on_the_board(
    client: TestClient, session: Session
) -> None:
    cabbage = make_product(session, code="cabbage", category="vegetables")
    city_a = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    city_b = make_region(session, code="4105", name="Anyang", level=RegionLevel.city)
    for city, district_name in ((city_a, "Weidong"), (city_b, "Wenfeng")):
        district = make_region(session, name=district_name, level=RegionLevel.district, parent=city)
        farm = make_producer(session, region=district, capacities={"cabbage": 5000})
        make_offer(session, producer=farm, product=cabbage, quantity=500)
        store = make_store(session, region=district)
        make_need(session, product=cabbage, store=store, district=district)
    create_user(
        session,
        username="pds-bureau",
        password="pds-bureau-password",
        role=Role.bureau,
        region_id=city_a.id,
    )
    session.commit()
    anonymous = client.get("/board")
    assert anonymous.status_code == 200
    assert "Weidong" in anonymous.text and "Wenfeng" in anonymous.text
    sign_in(client, "pds-bureau", "pds-bureau-password")
    board = client.get("/board")
    assert board.status_code == 200
    assert "Weidong" in board.text and "13800000000" in board.text
    assert "Wenfeng" not in board.text
    neighbour = client.get("/board", params={"region": "4105"})
    assert "Wenfeng" not in neighbour.text


def test_a_city_bureau_signed_in_finds_only_its_citys_producers_on_the_supply_page(
    client: TestClient, session: Session
) -> None:
    make_product(session, code="cabbage", category="vegetables")
    farms = {}
    for code in ("4104", "4105"):
        city = make_region(session, code=code, level=RegionLevel.city)
        district = make_region(session, level=RegionLevel.district, parent=city)
        farms[code] = make_producer(session, region=district, capacities={"cabbage": 50}).code
        if code == "4104":
            create_user(
                session,
                username="pds-bureau",
                password="pds-bureau-password",
                role=Role.bureau,
                region_id=city.id,
            )
    session.commit()
    sign_in(client, "pds-bureau", "pds-bureau-password")
    page = client.get("/supply")
    assert page.status_code == 200
    assert farms["4104"] in page.text
    assert farms["4105"] not in page.text
