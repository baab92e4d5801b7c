"""Alert groups API: the bureau reads situations, not rows, and acts on a whole one."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertStatus,
    Region,
    RegionLevel,
    Role,
    Severity,
    Silence,
    Store,
)
from tests.factories import make_enterprise, make_key, make_product, make_region, make_store
from tests.service.api.test_alerts import NOW, make_alert


@dataclass
class City:
    """Weidong (4 stores, 120,000 people) and Xinhua (2 stores), meat and vegetable alerts."""

    weidong: Region
    xinhua: Region
    stores: dict[str, Store]
    alerts: dict[str, Alert]


@pytest.fixture
def city(session: Session) -> City:
    return build_city(session)


def build_city(session: Session) -> City:
    """Weidong (with a township and a chain's stores) and Xinhua, their stores and alerts."""
    city = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    weidong = make_region(session, code="410403", name="Weidong", parent=city)
    weidong.population = 120_000
    xinhua = make_region(session, code="410402", name="Xinhua", parent=city)
    xinhua.population = 80_000
    township = make_region(session, code="410403001", level=RegionLevel.township, parent=weidong)
    dennis = make_enterprise(session, code="DENNIS", name="Dennis")
    stores = {
        "w1": make_store(session, code="PDS-W1", region=township, enterprise=dennis),
        "w2": make_store(session, code="PDS-W2", region=weidong, enterprise=dennis),
        "w3": make_store(session, code="PDS-W3", region=weidong),
        "w4": make_store(session, code="PDS-W4", region=weidong),
        "x1": make_store(session, code="PDS-X1", region=xinhua, enterprise=dennis),
        "x2": make_store(session, code="PDS-X2", region=xinhua),
    }
    stores["w1"].name = "=Dennis Weidong"
    pork = make_product(session, code="pork-g", category="meat")
    pork.name, pork.name_zh = "Pork", "猪肉"
    beef = make_product(session, code="beef-g", category="meat")
    cabbage = make_product(session, code="cabbage-g", category="vegetables")
    session.flush()
    alerts = {
        "w1_pork": make_alert(
            session, store=stores["w1"], district=weidong, product=pork, severity=Severity.critical
        ),
        "w2_pork": make_alert(session, store=stores["w2"], product=pork),
        "w2_beef": make_alert(
            session, store=stores["w2"], product=beef, last_seen_at=NOW - timedelta(days=2)
        ),
        "w3_cabbage": make_alert(session, store=stores["w3"], product=cabbage),
        "x1_pork": make_alert(
            session, store=stores["x1"], product=pork, rule=AlertRule.price_spike
        ),
        "x2_pork_pending": make_alert(
            session, store=stores["x2"], product=pork, status=AlertStatus.pending
        ),
        "x2_resolved": make_alert(
            session, store=stores["x2"], product=cabbage, status=AlertStatus.resolved
        ),
    }
    return City(weidong, xinhua, stores, alerts)


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


def _groups(client: TestClient, headers: dict[str, str], **query: str) -> list[dict]:
    response = client.get("/api/v1/alert-groups", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_the_bureau_sees_one_row_per_district_and_category_worst_first(
    client: TestClient, city: City, bureau: dict[str, str]
) -> None:
    groups = _groups(client, bureau)
    rows = [(g["key"]["district"], g["key"]["category"], g["alerts"]) for g in groups]
    assert rows == [
        ("410403", "meat", 3),
        ("410402", "meat", 2),
        ("410403", "vegetables", 1),
    ]
    weidong_meat = groups[0]
    assert weidong_meat["worst_severity"] == "critical"
    assert [label["name"] for label in weidong_meat["labels"]] == [
        "Weidong",
        "Meat, poultry and fish",
    ]
    assert (weidong_meat["stores_affected"], weidong_meat["stores_in_scope"]) == (2, 4)
    assert weidong_meat["share_of_stores"] == pytest.approx(0.5)
    assert weidong_meat["people"] == 120_000
    assert weidong_meat["since"].startswith((NOW - timedelta(days=2, hours=1)).isoformat()[:16])
    xinhua_meat = groups[1]
    assert (xinhua_meat["firing"], xinhua_meat["pending"]) == (1, 1)
    assert xinhua_meat["share_of_stores"] == pytest.approx(1.0)


def test_product_across_the_city_and_by_chain(
    client: TestClient, city: City, bureau: dict[str, str]
) -> None:
    by_product = _groups(client, bureau, group_by="product")
    pork = next(g for g in by_product if g["key"] == {"product": "pork-g"})
    assert pork["alerts"] == 4
    assert pork["labels"][0]["name_zh"] == "猪肉"
    assert (pork["stores_affected"], pork["stores_in_scope"], pork["people"]) == (4, 6, 200_000)
    by_chain = _groups(client, bureau, group_by="chain,district")
    keys = {(g["key"]["chain"], g["key"]["district"]): g["stores_in_scope"] for g in by_chain}
    assert keys == {
        ("DENNIS", "410403"): 2,
        ("DENNIS", "410402"): 1,
        (None, "410403"): 2,
        (None, "410402"): 1,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"district": "410402"}, {("410402", "meat"): 2}),
        ({"product": "beef-g"}, {("410403", "meat"): 1}),
        ({"store": "PDS-W3"}, {("410403", "vegetables"): 1}),
        ({"category": "vegetables", "status": "resolved"}, {("410402", "vegetables"): 1}),
        ({"severity": "critical"}, {("410403", "meat"): 1}),
        ({"rule": "price_spike"}, {("410402", "meat"): 1}),
        ({"text": "猪肉"}, {("410403", "meat"): 2, ("410402", "meat"): 2}),
        ({"text": "pds-w3"}, {("410403", "vegetables"): 1}),
        ({"text": "100%_"}, {}),
    ],
)
def test_each_filter_narrows_the_situations(
    client: TestClient,
    city: City,
    bureau: dict[str, str],
    query: dict[str, str],
    expected: dict[tuple[str, str], int],
) -> None:
    groups = _groups(client, bureau, **query)
    assert {(g["key"]["district"], g["key"]["category"]): g["alerts"] for g in groups} == expected


def test_groups_come_in_pages(client: TestClient, city: City, bureau: dict[str, str]) -> None:
    response = client.get(
        "/api/v1/alert-groups", params={"limit": 2, "offset": 2}, headers=bureau
    ).json()
    assert (response["total"], len(response["items"])) == (3, 1)
    assert response["items"][0]["key"] == {"district": "410403", "category": "vegetables"}


def test_an_unknown_group_by_field_or_filter_is_a_problem_naming_it(
    client: TestClient, city: City, bureau: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/alert-groups", params={"group_by": "district,weather"}, headers=bureau
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "weather" in body["detail"]
    assert body["errors"][0]["loc"] == ["query", "group_by"]
    unknown = client.get(
        "/api/v1/alert-groups", params={"district": "nowhere", "store": "NO"}, headers=bureau
    )
    assert unknown.status_code == 422
    assert [e["loc"] for e in unknown.json()["errors"]] == [
        ["query", "district"],
        ["query", "store"],
    ]


def test_a_store_cannot_read_alert_groups(client: TestClient, session: Session, city: City) -> None:
    store_key = make_key(session, Role.store, store=city.stores["w1"])
    response = client.get("/api/v1/alert-groups", headers=store_key)
    assert response.status_code == 403


def _events(session: Session, kind: str) -> dict[int, str | None]:
    """Notes of the audit events of ``kind``, by alert id."""
    query = select(AlertEvent.alert_id, AlertEvent.note).where(AlertEvent.kind == kind)
    return dict(session.execute(query).all())


def test_the_bureau_acknowledges_a_whole_situation_with_one_note(
    client: TestClient, session: Session, city: City, bureau: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/alert-groups/ack",
        json={"group": {"district": "410402", "category": "meat"}, "note": "Wholesaler called"},
        headers=bureau,
    )
    assert response.status_code == 200, response.text
    acknowledged = {city.alerts["x1_pork"].id}
    assert set(response.json()["alerts"]) == acknowledged
    assert _events(session, "acknowledged") == {city.alerts["x1_pork"].id: "Wholesaler called"}
    session.expire_all()
    assert session.get(Alert, city.alerts["x2_pork_pending"].id).status is AlertStatus.pending  # type: ignore[union-attr]
    xinhua_meat = _groups(client, bureau, district="410402")[0]
    assert xinhua_meat["acknowledged"] == 1
    assert xinhua_meat["acknowledged_by"] == ["test bureau"]


def test_acknowledging_within_the_view_filters_leaves_other_alerts(
    client: TestClient, session: Session, city: City, bureau: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/alert-groups/ack",
        json={
            "group": {"district": "410403", "category": "meat"},
            "filters": {"severity": "critical"},
            "note": "On it",
        },
        headers=bureau,
    )
    assert response.json()["alerts"] == [city.alerts["w1_pork"].id]


def test_the_bureau_assigns_a_situation_to_a_colleague(
    client: TestClient, session: Session, city: City, bureau: dict[str, str]
) -> None:
    create_user(session, username="li.na", password="a long password 1", role=Role.bureau)
    response = client.post(
        "/api/v1/alert-groups/assign",
        json={"group": {"district": "410403", "category": "meat"}, "assignee": "li.na"},
        headers=bureau,
    )
    assert response.status_code == 200, response.text
    assigned = {city.alerts[name].id for name in ("w1_pork", "w2_pork", "w2_beef")}
    assert set(response.json()["alerts"]) == assigned
    assert set(_events(session, "assigned")) == assigned
    assert _groups(client, bureau)[0]["assignees"] == ["li.na"]


def test_a_situation_cannot_be_assigned_to_a_store_user_and_nothing_is_written(
    client: TestClient, session: Session, city: City, bureau: dict[str, str]
) -> None:
    create_user(
        session,
        username="shopkeeper",
        password="a long password 1",
        role=Role.store,
        store_id=city.stores["w1"].id,
    )
    response = client.post(
        "/api/v1/alert-groups/assign",
        json={"group": {"district": "410403", "category": "meat"}, "assignee": "shopkeeper"},
        headers=bureau,
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "assignee"]
    assert _events(session, "assigned") == {}
    assert session.scalar(select(func.count()).where(Alert.assignee.is_not(None))) == 0


def test_silencing_a_situation_mutes_its_alerts_by_their_labels(
    client: TestClient, session: Session, city: City, bureau: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/alert-groups/silence",
        json={
            "group": {"district": "410403", "category": "meat"},
            "hours": 12,
            "comment": "Truck from the depot at noon",
        },
        headers=bureau,
    )
    assert response.status_code == 200, response.text
    silence = session.get(Silence, response.json()["silence"])
    assert silence is not None
    assert silence.matchers == {"region": "410403", "category": "meat"}
    expected = {city.alerts[name].id for name in ("w1_pork", "w2_pork", "w2_beef")}
    assert set(response.json()["alerts"]) == expected
    alerts = client.get(
        "/api/v1/alerts", params={"region": "410403", "category": "meat"}, headers=bureau
    ).json()["items"]
    assert all(alert["silenced"] for alert in alerts)


def test_a_group_by_store_is_silenced_by_its_store(
    client: TestClient, session: Session, city: City, bureau: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/alert-groups/silence",
        json={"group": {"store": "PDS-W2"}, "hours": 2, "comment": "Restocking now"},
        headers=bureau,
    )
    assert response.status_code == 200, response.text
    silence = session.get(Silence, response.json()["silence"])
    assert silence is not None and silence.matchers == {"store": "PDS-W2"}
    assert len(response.json()["alerts"]) == 2


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"group": {"weather": "rain"}, "hours": 2, "comment": "x"}, ["body", "group", "weather"]),
        (
            {"group": {"district": "nowhere"}, "hours": 2, "comment": "x"},
            ["body", "group", "district"],
        ),
        ({"group": {"chain": "DENNIS"}, "hours": 2, "comment": "x"}, ["body", "group", "chain"]),
        ({"group": {"district": "410403"}, "hours": 0, "comment": "x"}, ["body", "hours"]),
        ({"group": {"district": "410403"}, "hours": 2, "comment": ""}, ["body", "comment"]),
    ],
)
def test_a_bad_silence_of_a_group_is_refused_and_writes_nothing(
    client: TestClient,
    session: Session,
    city: City,
    bureau: dict[str, str],
    body: dict,
    loc: list[str],
) -> None:
    response = client.post("/api/v1/alert-groups/silence", json=body, headers=bureau)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert session.scalar(select(func.count()).select_from(Silence)) == 0
    assert _events(session, "silenced") == {}


def test_acting_on_a_group_with_no_open_alerts_is_a_404(
    client: TestClient, city: City, bureau: dict[str, str]
) -> None:
    response = client.post(
        "/api/v1/alert-groups/ack",
        json={"group": {"district": "410402", "category": "grain"}, "note": "x"},
        headers=bureau,
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_the_view_exports_as_csv_with_formulas_neutralised(
    client: TestClient, city: City, bureau: dict[str, str]
) -> None:
    response = client.get(
        "/api/v1/alert-groups", params={"group_by": "store", "format": "csv"}, headers=bureau
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["store", "open alerts", "worst severity"]
    names = {row[0] for row in rows[1:]}
    assert "'=Dennis Weidong" in names
    assert len(rows) == 1 + 5


def test_the_view_exports_as_xlsx(client: TestClient, city: City, bureau: dict[str, str]) -> None:
    response = client.get("/api/v1/alert-groups", params={"format": "xlsx"}, headers=bureau)
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("district", "category", "open alerts")
    assert rows[1][:3] == ("Weidong", "Meat, poultry and fish", 3)


def test_a_city_bureau_silencing_a_group_without_a_district_is_told_which_field_to_fill(
    client: TestClient, session: Session, city: City
) -> None:
    """A bureau bound to the city silencing its meat situation (grouped by category alone)
    got a 422 locating the problem at ``body.matchers``, a field this request does not
    have, so a client could not tell what to change; it names ``filters.district``, where
    the district goes, writes nothing, and the same request with a district succeeds."""
    pingdingshan = session.scalars(select(Region).where(Region.code == "4104")).one()
    city_bureau = make_key(session, Role.bureau, region=pingdingshan)
    body = {"group": {"category": "meat"}, "hours": 2, "comment": "wholesaler restocking"}
    response = client.post("/api/v1/alert-groups/silence", json=body, headers=city_bureau)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [
        ["body", "filters", "district"]
    ]
    assert session.scalar(select(func.count()).select_from(Silence)) == 0
    assert _events(session, "silenced") == {}
    body["filters"] = {"district": "410403"}
    response = client.post("/api/v1/alert-groups/silence", json=body, headers=city_bureau)
    assert response.status_code == 200, response.text
    silence = session.get(Silence, response.json()["silence"])
    assert silence is not None and silence.matchers == {"category": "meat", "region": "410403"}
