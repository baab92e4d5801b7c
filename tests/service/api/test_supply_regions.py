"""A city's bureau reads days of supply and their history for its own city only: a
neighbour city's store, district or city is a 404 like an unknown code, and a district's
bureau reads its district's figure but not its city's."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from tests.factories import make_key
from tests.service.web.test_dashboard_regions import TODAY, TwoCities, build_two_cities

SUPPLY = "/api/v1/supply"
HISTORY = "/api/v1/supply/history"


def scopes(client: TestClient, headers: dict[str, str], **params: Any) -> set[str]:
    response = client.get(SUPPLY, headers=headers, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return {row["scope"]["code"] for row in response.json()["items"]}


def test_a_city_bureau_lists_only_its_own_citys_supply_at_every_level(
    client: TestClient, session: Session
) -> None:
    cities = build_two_cities(session)
    ours = make_key(session, Role.bureau, region=cities.city_a)
    national = make_key(session, Role.bureau)
    assert scopes(client, ours, level="store") == {"SA-E", "SA-W"}  # silent QA-W: none
    assert scopes(client, ours, level="district") == {"A-EAST", "A-WEST"}
    assert scopes(client, ours, level="city") == {"CA"}
    assert scopes(client, ours, level="district", category="grain") == {"A-EAST", "A-WEST"}
    assert scopes(client, ours, level="store", region="A-WEST") == {"SA-W"}
    assert scopes(client, national, level="city") == {"CA", "CB"}
    assert "SB-E" in scopes(client, national, level="store")
    total = client.get(SUPPLY, headers=ours, params={"level": "store"}).json()["total"]
    assert total == 2


def test_a_city_bureau_filtering_by_a_neighbour_citys_region_gets_404(
    client: TestClient, session: Session
) -> None:
    cities = build_two_cities(session)
    ours = make_key(session, Role.bureau, region=cities.city_a)
    for level, region in (("store", "B-EAST"), ("district", "B-EAST"), ("city", "CB")):
        response = client.get(SUPPLY, headers=ours, params={"level": level, "region": region})
        assert response.status_code == 404
        unknown = client.get(SUPPLY, headers=ours, params={"level": level, "region": "NOWHERE"})
        assert response.json()["detail"].replace(region, "X") == unknown.json()["detail"].replace(
            "NOWHERE", "X"
        )


def test_a_city_bureau_reads_its_own_history_and_gets_404_for_a_neighbours(
    client: TestClient, session: Session
) -> None:
    cities = build_two_cities(session)
    ours = make_key(session, Role.bureau, region=cities.city_a)
    for level, scope in (("store", "SA-E"), ("district", "A-EAST"), ("city", "CA")):
        response = client.get(
            HISTORY, headers=ours, params={"level": level, "scope": scope, "product": "rice"}
        )
        assert response.status_code == 200, response.text
        assert [point["date"] for point in response.json()["points"]] == [TODAY.isoformat()]
    for level, scope in (
        ("store", "SB-E"),
        ("district", "B-EAST"),
        ("city", "CB"),
        ("city", "B-EAST"),
    ):
        response = client.get(
            HISTORY, headers=ours, params={"level": level, "scope": scope, "product": "rice"}
        )
        assert response.status_code == 404, (level, scope)


def test_a_district_bureau_reads_its_districts_figure_but_not_its_citys(
    client: TestClient, session: Session
) -> None:
    cities: TwoCities = build_two_cities(session)
    ours = make_key(session, Role.bureau, region=cities.a_east)
    assert scopes(client, ours, level="store") == {"SA-E"}
    assert scopes(client, ours, level="district") == {"A-EAST"}
    assert scopes(client, ours, level="city") == set()
    assert scopes(client, ours, level="city", region="A-EAST") == set()
    refused = client.get(SUPPLY, headers=ours, params={"level": "store", "region": "A-WEST"})
    assert refused.status_code == 404
    for level, scope in (("city", "CA"), ("district", "A-WEST"), ("store", "SA-W")):
        response = client.get(
            HISTORY, headers=ours, params={"level": level, "scope": scope, "product": "rice"}
        )
        assert response.status_code == 404, (level, scope)
    mine = client.get(
        HISTORY, headers=ours, params={"level": "district", "scope": "A-EAST", "category": "grain"}
    )
    assert mine.status_code == 200 and mine.json()["points"]
