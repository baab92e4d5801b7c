"""A city's bureau reads the dashboard, its map, drill-downs and exports for its own city
only: never a neighbour city's stores, districts, compounds, alerts or figures; a
district's bureau sees its district and not the rest of its city."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from core.access import Principal, bind_region
from core.lookups import PageOf
from models import Alert, AlertStatus, Region, RegionLevel, Role, Severity
from monitors.queries.alert_groups import AlertGroupView
from monitors.queries.alerts import alert_views
from monitors.queries.dashboard import dashboard_overview, dashboard_situations
from tests.dispatch.factories import make_compound
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.service.api.test_alerts import make_alert
from tests.service.api.test_supply import report_days, run
from tests.service.web.helpers import csrf, sign_in

TODAY = business_today()
CITY_A_SCOPES = {"CA", "A-EAST", "A-WEST", "SA-E", "SA-W", "QA-W"}


@dataclass(frozen=True)
class TwoCities:
    """City A (districts A-EAST, A-WEST) and city B (district B-EAST), as built below."""

    city_a: Region
    a_east: Region
    a_west: Region
    city_b: Region
    b_east: Region


def build_two_cities(session: Session) -> TwoCities:
    """Two root cities, each with reporting stores short of rice (2 days: critical), a
    silent store, a locked-down compound and a critical alert, monitored today.

    City A: SA-E in A-EAST, SA-W and silent QA-W in A-WEST, compound CPA in A-EAST.
    City B: SB-E and silent QB-E in B-EAST, compound CPB in B-EAST.
    """
    city_a = make_region(session, code="CA", name="City A", level=RegionLevel.city)
    a_east = make_region(session, code="A-EAST", name="A east", parent=city_a)
    a_west = make_region(session, code="A-WEST", name="A west", parent=city_a)
    city_b = make_region(session, code="CB", name="City B", level=RegionLevel.city)
    b_east = make_region(session, code="B-EAST", name="B east", parent=city_b)
    rice = make_product(session, code="rice", category="grain")
    for code, region in (("SA-E", a_east), ("SA-W", a_west), ("SB-E", b_east)):
        store = make_store(session, code=code, region=region)
        report_days(session, store, rice, [(60, 10, 3), (50, 10, 3), (20, 10, 3)], last=TODAY)
        make_alert(session, severity=Severity.critical, store=store, product=rice)
    make_store(session, code="QA-W", region=a_west)
    make_store(session, code="QB-E", region=b_east)
    make_compound(session, code="CPA", region=a_east)
    make_compound(session, code="CPB", region=b_east)
    make_alert(session, severity=Severity.critical, district=b_east, product=rice)
    run(session, TODAY)
    session.commit()
    return TwoCities(city_a, a_east, a_west, city_b, b_east)


@pytest.fixture
def cities(session: Session) -> TwoCities:
    return build_two_cities(session)


def bound_principal(session: Session, region: Region | None) -> Principal:
    """A bureau principal bound to ``region`` (national for None), as sign-in builds it."""
    principal = Principal(kind="key", id=0, name="test", role=Role.bureau)
    return bind_region(session, principal, region.id if region else None)


def sign_in_bureau(client: TestClient, session: Session, username: str, region: Region) -> None:
    """Sign in a bureau person bound to ``region``."""
    create_user(
        session,
        username=username,
        password=f"{username}-password",
        role=Role.bureau,
        region_id=region.id,
    )
    session.commit()
    assert sign_in(client, username, f"{username}-password").status_code == 303


def test_a_city_bureau_dashboard_counts_only_its_own_citys_stores_and_compounds(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    sign_in_bureau(client, session, "ana", cities.city_a)
    page = client.get("/dashboard").text
    assert '<span class="value" id="tile-reported">2 / 3</span>' in page
    assert "<td>QA-W</td>" in page and "QB-E" not in page  # not reported yet: A's only
    assert '"code": "A-EAST"' in page and '"code": "A-WEST"' in page  # heatmap rows
    assert "B-EAST" not in page and "SB-E" not in page
    assert "(1)" in page  # one locked-down compound, A's

    points = client.get("/dashboard/map.json").json()
    assert {store["code"] for store in points["stores"]} == {"SA-E", "SA-W", "QA-W"}
    assert {compound["code"] for compound in points["compounds"]} == {"CPA"}
    assert {s["status"] for s in points["stores"] if s["code"] != "QA-W"} == {"critical"}


def test_national_staff_still_see_both_cities_on_the_dashboard(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    create_user(session, username="nat", password="nat-password", role=Role.bureau)
    session.commit()
    sign_in(client, "nat", "nat-password")
    page = client.get("/dashboard").text
    assert '<span class="value" id="tile-reported">3 / 5</span>' in page
    assert 'id="run-monitor"' in page
    assert "<td>QA-W</td>" in page and "<td>QB-E</td>" in page
    points = client.get("/dashboard/map.json").json()
    assert {store["code"] for store in points["stores"]} == {"SA-E", "SA-W", "QA-W", "SB-E", "QB-E"}
    assert {compound["code"] for compound in points["compounds"]} == {"CPA", "CPB"}


def _districts_of(situations: PageOf[AlertGroupView]) -> set[str | None]:
    """The districts the dashboard's situations name (None: city-wide alerts)."""
    return {group.key["district"] for group in situations.items}


def _alerts_in(situations: PageOf[AlertGroupView]) -> int:
    """The open alerts the dashboard's situations count (all fit on its first rows here)."""
    assert situations.total <= len(situations.items)
    return sum(group.alerts for group in situations.items)


def test_a_city_bureau_never_sees_a_neighbour_citys_alerts_or_figures_on_the_dashboard(
    session: Session, cities: TwoCities
) -> None:
    ours = dashboard_overview(
        session=session, principal=bound_principal(session, cities.city_a), today=TODAY
    )
    everyone = dashboard_overview(
        session=session, principal=bound_principal(session, None), today=TODAY
    )
    every_alert = alert_views(session=session, alerts=session.scalars(select(Alert)).all())
    open_in_a = [
        alert
        for alert in every_alert
        if alert.status is not AlertStatus.resolved and alert.scope.code in CITY_A_SCOPES
    ]
    ours_first = dashboard_situations(
        session=session, principal=bound_principal(session, cities.city_a)
    )
    everyones_first = dashboard_situations(
        session=session, principal=bound_principal(session, None)
    )
    assert _districts_of(ours_first) <= {"A-EAST", "A-WEST", None}
    assert "B-EAST" in _districts_of(everyones_first)
    assert _alerts_in(ours_first) == len(open_in_a) < _alerts_in(everyones_first)
    assert ours.headline.open_alerts[("firing", "critical")] == sum(
        alert.status is AlertStatus.firing and alert.severity is Severity.critical
        for alert in open_in_a
    )
    assert {cell.district_code for cell in ours.heatmap} == {"A-EAST", "A-WEST"}
    assert {cell.district_code for cell in everyone.heatmap} == {"A-EAST", "A-WEST", "B-EAST"}
    assert (ours.headline.below.products, ours.headline.below.districts) == (1, 2)
    assert everyone.headline.below.districts == 3
    assert ours.locked_compounds == 1 and everyone.locked_compounds == 2


def test_a_district_bureau_sees_its_district_and_not_the_rest_of_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    overview = dashboard_overview(
        session=session, principal=bound_principal(session, cities.a_east), today=TODAY
    )
    first = dashboard_situations(session=session, principal=bound_principal(session, cities.a_east))
    assert _districts_of(first) == {"A-EAST"}
    assert {cell.district_code for cell in overview.heatmap} == {"A-EAST"}
    assert (overview.headline.active_stores, overview.headline.reported_stores) == (1, 1)
    assert (overview.headline.below.products, overview.headline.below.districts) == (1, 1)
    assert overview.not_reported_total == 0

    sign_in_bureau(client, session, "dan", cities.a_east)
    # one district's heatmap is one row: a short chart, not the city's tall one
    assert 'id="heatmap" class="chart short"' in client.get("/dashboard").text
    points = client.get("/dashboard/map.json").json()
    assert {store["code"] for store in points["stores"]} == {"SA-E"}
    assert client.get("/dashboard/district/A-EAST").status_code == 200
    assert client.get("/dashboard/district/A-WEST").status_code == 404
    product = client.get("/dashboard/product/rice")
    assert product.status_code == 200
    assert "A-EAST" in product.text and "A-WEST" not in product.text
    history = client.get(
        "/dashboard/product/rice/export", params={"format": "csv", "table": "history"}
    )
    assert history.status_code == 200 and TODAY.isoformat() in history.text  # its district's


def test_a_city_bureau_gets_404_for_a_neighbour_citys_district_like_an_unknown_one(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    sign_in_bureau(client, session, "ana", cities.city_a)
    ours = client.get("/dashboard/district/A-EAST")
    assert ours.status_code == 200 and "rice" in ours.text
    for path in (
        "/dashboard/district/B-EAST",
        "/dashboard/district/CB",
        "/dashboard/district/B-EAST/export?format=csv",
        "/dashboard/district/B-EAST/export?format=csv&table=history&product=rice",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "B east" not in response.text
    unknown = client.get("/dashboard/district/NOWHERE")
    assert unknown.status_code == 404


def test_a_city_bureau_exports_only_its_own_citys_numbers(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    sign_in_bureau(client, session, "ana", cities.city_a)
    supply = client.get("/dashboard/export", params={"format": "csv"}).text
    assert "A-EAST" in supply and "A-WEST" in supply and "B-EAST" not in supply
    missing = client.get("/dashboard/export", params={"format": "csv", "table": "not-reported"})
    assert "QA-W" in missing.text and "QB-E" not in missing.text
    product = client.get("/dashboard/product/rice/export", params={"format": "csv"}).text
    assert "A-EAST" in product and "A-WEST" in product and "B-EAST" not in product
    history = client.get(
        "/dashboard/product/rice/export", params={"format": "csv", "table": "history"}
    )
    assert history.status_code == 200 and TODAY.isoformat() in history.text  # city A's figure


SQUARE = {
    "type": "Polygon",
    "coordinates": [[[113.25, 33.70], [113.31, 33.70], [113.31, 33.76], [113.25, 33.70]]],
}


def test_a_city_bureau_map_draws_only_its_own_districts_outlines(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    admin = make_key(session, Role.admin)
    session.commit()
    for code in ("A-EAST", "B-EAST"):
        assert client.put(f"/api/v1/regions/{code}/outline", json=SQUARE, headers=admin).is_success
    create_user(session, username="nat", password="nat-password", role=Role.bureau)
    session.commit()
    sign_in(client, "nat", "nat-password")
    national = client.get("/maps/districts.geojson")
    assert [f["properties"]["code"] for f in national.json()["features"]] == ["A-EAST", "B-EAST"]
    client.post("/logout", data={"csrf_token": csrf(client, "/dashboard")})

    sign_in_bureau(client, session, "ana", cities.city_a)
    ours = client.get("/maps/districts.geojson")
    assert [f["properties"]["code"] for f in ours.json()["features"]] == ["A-EAST"]
    assert ours.headers["etag"] != national.headers["etag"]
    again = client.get("/maps/districts.geojson", headers={"If-None-Match": ours.headers["etag"]})
    assert again.status_code == 304


def test_a_city_bureau_cannot_start_a_run_over_the_whole_tree_from_the_dashboard(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    sign_in_bureau(client, session, "ana", cities.city_a)
    assert 'id="run-monitor"' not in client.get("/dashboard").text
    refused = client.post("/dashboard/monitor", data={"csrf_token": csrf(client, "/dashboard")})
    assert refused.status_code == 403
