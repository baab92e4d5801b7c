"""Region-bound staff and alerts: a city bureau reads, counts, groups and acts on its own
city's alerts, silences and webhooks only; a neighbour city's are not even confirmed to
exist (the same answer as an unknown id or code), and a district bureau stays in its
district."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Region,
    RegionLevel,
    Role,
    Silence,
    Store,
    Webhook,
)
from monitors.notifications.outbox import enqueue_notifications
from tests.factories import make_key, make_product, make_region, make_store
from tests.service.api.test_alerts import make_alert

ALERTS = "/api/v1/alerts"
GROUPS = "/api/v1/alert-groups"
SILENCES = "/api/v1/silences"
WEBHOOKS = "/api/v1/webhooks"


@dataclass
class TwoCities:
    """City A (districts A1 and A2) and city B (district B1), a store in each district,
    and open pork alerts on every store, district and city."""

    city_a: Region
    a1: Region
    a2: Region
    city_b: Region
    b1: Region
    stores: dict[str, Store]
    alerts: dict[str, Alert]

    def ids(self, *names: str) -> set[int]:
        return {self.alerts[name].id for name in names}


@pytest.fixture
def cities(session: Session) -> TwoCities:
    city_a = make_region(session, code="A", name="Anyang", level=RegionLevel.city)
    a1 = make_region(session, code="A1", name="Wenfeng", parent=city_a)
    a2 = make_region(session, code="A2", name="Beiguan", parent=city_a)
    township = make_region(session, code="A1-T", level=RegionLevel.township, parent=a1)
    city_b = make_region(session, code="B", name="Hebi", level=RegionLevel.city)
    b1 = make_region(session, code="B1", name="Qibin", parent=city_b)
    stores = {
        "a1": make_store(session, code="S-A1", region=township),
        "a2": make_store(session, code="S-A2", region=a2),
        "b1": make_store(session, code="S-B1", region=b1),
    }
    pork = make_product(session, code="pork", category="meat")
    session.flush()
    alerts = {
        "store_a1": make_alert(session, store=stores["a1"], district=a1, product=pork),
        "store_a2": make_alert(session, store=stores["a2"], product=pork),
        "store_b1": make_alert(session, store=stores["b1"], product=pork),
        "district_a1": make_alert(session, district=a1, product=pork),
        "district_b1": make_alert(session, district=b1, product=pork),
        "city_a": make_alert(session, city=city_a, product=pork),
        "city_b": make_alert(session, city=city_b, product=pork),
    }
    session.commit()
    return TwoCities(city_a, a1, a2, city_b, b1, stores, alerts)


IN_A = ("store_a1", "store_a2", "district_a1", "city_a")
IN_A1 = ("store_a1", "district_a1")


def _listed(client: TestClient, headers: dict[str, str], **params: Any) -> set[int]:
    response = client.get(ALERTS, params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    ids = {item["id"] for item in body["items"]}
    assert body["total"] == len(ids)
    return ids


def _in(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def test_city_bureau_lists_only_its_own_citys_alerts(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    national = make_key(session, Role.bureau)
    session.commit()

    assert _listed(client, bureau_a) == cities.ids(*IN_A)
    assert _listed(client, bureau_a, product="pork") == cities.ids(*IN_A)
    assert _listed(client, bureau_a, region="A1") == cities.ids(*IN_A1)
    assert _listed(client, national) == cities.ids(*cities.alerts)


def test_district_bureau_sees_only_its_district_not_the_rest_of_its_city(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a1 = make_key(session, Role.bureau, region=cities.a1)
    session.commit()

    assert _listed(client, bureau_a1) == cities.ids(*IN_A1)
    for outside in ("store_a2", "city_a", "store_b1"):
        read = client.get(f"{ALERTS}/{cities.alerts[outside].id}", headers=bureau_a1)
        assert read.status_code == 404, outside


def test_city_bureau_never_reads_or_acknowledges_a_neighbour_citys_alert(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    session.commit()
    neighbour = cities.alerts["store_b1"]

    unknown = client.get(f"{ALERTS}/999999", headers=bureau_a)
    read = client.get(f"{ALERTS}/{neighbour.id}", headers=bureau_a)
    assert read.status_code == unknown.status_code == 404
    assert read.json()["detail"] == unknown.json()["detail"].replace("999999", str(neighbour.id))
    ack = client.post(f"{ALERTS}/{neighbour.id}/ack", json={"note": "on it"}, headers=bureau_a)
    assert ack.status_code == 404, ack.text
    session.expire_all()
    assert session.get(Alert, neighbour.id).status is AlertStatus.firing  # type: ignore[union-attr]
    own = cities.alerts["store_a1"]
    assert client.get(f"{ALERTS}/{own.id}", headers=bureau_a).status_code == 200
    mine = client.post(f"{ALERTS}/{own.id}/ack", json={"note": "on it"}, headers=bureau_a)
    assert mine.status_code == 200, mine.text


def test_an_alert_filter_naming_a_neighbours_region_reads_as_an_unknown_region(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    session.commit()

    neighbour = client.get(ALERTS, params={"region": "B1"}, headers=bureau_a)
    unknown = client.get(ALERTS, params={"region": "NOWHERE"}, headers=bureau_a)
    assert neighbour.status_code == unknown.status_code == 422
    assert neighbour.json()["errors"][0]["loc"] == ["query", "region"]
    assert "B1" in neighbour.json()["detail"]
    assert "Qibin" not in neighbour.text


def test_city_bureau_groups_only_its_own_citys_alerts(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    session.commit()

    response = client.get(GROUPS, params={"group_by": "district"}, headers=bureau_a)
    assert response.status_code == 200, response.text
    groups = {g["labels"][0]["code"]: g for g in response.json()["items"]}
    assert set(groups) == {"A1", "A2", None}
    assert groups["A1"]["alerts"] == 2
    assert groups[None]["alerts"] == 1  # city A's own alert, not city B's
    assert groups[None]["stores_in_scope"] == 2  # city A's stores, not the nation's 3

    by_store = client.get(GROUPS, params={"group_by": "store"}, headers=bureau_a)
    stores = {g["labels"][0]["code"] for g in by_store.json()["items"]}
    assert stores == {"S-A1", "S-A2", None}

    for name, code in (("district", "B1"), ("store", "S-B1")):
        refused = client.get(GROUPS, params={name: code}, headers=bureau_a)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["query", name]


def test_city_bureau_cannot_act_on_a_neighbour_citys_group(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    create_user(
        session, username="b.wang", password="a long password 1", role=Role.bureau,
        region_id=cities.city_b.id,
    )  # fmt: skip
    create_user(
        session, username="a.li", password="a long password 1", role=Role.bureau,
        region_id=cities.a1.id,
    )  # fmt: skip
    session.commit()
    before = session.scalar(select(AlertEvent.id).order_by(AlertEvent.id.desc()).limit(1))

    ack = client.post(
        f"{GROUPS}/ack", json={"group": {"district": "B1"}, "note": "on it"}, headers=bureau_a
    )
    assert ack.status_code == 422, ack.text
    everything = client.post(
        f"{GROUPS}/ack", json={"group": {"rule": "low_supply"}, "note": "on it"}, headers=bureau_a
    )
    assert everything.status_code == 200, everything.text
    assert set(everything.json()["alerts"]) == cities.ids(*IN_A)

    to_neighbour = client.post(
        f"{GROUPS}/assign",
        json={"group": {"district": "A1"}, "assignee": "b.wang"},
        headers=bureau_a,
    )
    assert to_neighbour.status_code == 422, to_neighbour.text
    to_colleague = client.post(
        f"{GROUPS}/assign",
        json={"group": {"district": "A1"}, "assignee": "a.li"},
        headers=bureau_a,
    )
    assert to_colleague.status_code == 200, to_colleague.text
    assert set(to_colleague.json()["alerts"]) == cities.ids(*IN_A1)

    session.expire_all()
    touched = session.scalars(select(AlertEvent.alert_id).where(AlertEvent.id > (before or 0)))
    assert set(touched) <= cities.ids(*IN_A)


def test_national_staff_cannot_hand_a_district_user_a_neighbour_districts_alerts(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    """A user bound to district A1 can neither read nor resolve A2's or a whole city's
    alerts: national staff handing them such a group is refused naming the assignee, and
    no alert changes hands; A1's own group goes through."""
    national = make_key(session, Role.bureau)
    create_user(
        session, username="a.li", password="a long password 1", role=Role.bureau,
        region_id=cities.a1.id,
    )  # fmt: skip
    session.commit()
    for group in ({"district": "A2"}, {"rule": "low_supply"}):
        refused = client.post(
            f"{GROUPS}/assign", json={"group": group, "assignee": "a.li"}, headers=national
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert [error["loc"] for error in refused.json()["errors"]] == [["body", "assignee"]]
    session.expire_all()
    assert session.scalars(select(Alert.assignee).where(Alert.assignee.is_not(None))).all() == []
    own = client.post(
        f"{GROUPS}/assign", json={"group": {"district": "A1"}, "assignee": "a.li"}, headers=national
    )
    assert own.status_code == 200, own.text
    assert set(own.json()["alerts"]) == cities.ids(*IN_A1)


def test_city_bureau_silences_only_inside_its_city_and_sees_only_those_silences(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    national = make_key(session, Role.bureau)
    session.commit()

    def silence(headers: dict[str, str], **matchers: str) -> Any:
        body = {"matchers": matchers, "ends_at": _in(hours=4), "comment": "known shortage"}
        return client.post(SILENCES, json=body, headers=headers)

    everywhere = silence(bureau_a, rule="low_supply")
    assert everywhere.status_code == 422, everywhere.text
    assert everywhere.json()["errors"][0]["loc"] == ["body", "matchers"]
    for name, code in (("region", "B1"), ("store", "S-B1")):
        outside = silence(bureau_a, **{name: code})
        assert outside.status_code == 422, outside.text
        assert outside.json()["errors"][0]["loc"] == ["body", "matchers", name]
    assert session.scalars(select(Silence)).all() == []

    own = silence(bureau_a, region="A1")
    assert own.status_code == 201, own.text
    assert set(own.json()["matched_alert_ids"]) == cities.ids(*IN_A1)
    by_store = silence(bureau_a, store="S-A2")
    assert by_store.status_code == 201, by_store.text
    neighbours = silence(national, region="B1")
    nationwide = silence(national, rule="low_supply")
    assert neighbours.status_code == nationwide.status_code == 201

    listed = client.get(SILENCES, headers=bureau_a).json()
    assert {s["id"] for s in listed["items"]} == {own.json()["id"], by_store.json()["id"]}
    assert listed["total"] == 2
    all_of_them = client.get(SILENCES, headers=national).json()
    assert all_of_them["total"] == 4
    for other in (neighbours, nationwide):
        silence_id = other.json()["id"]
        assert client.get(f"{SILENCES}/{silence_id}", headers=bureau_a).status_code == 404
        assert client.delete(f"{SILENCES}/{silence_id}", headers=bureau_a).status_code == 404
        session.expire_all()
        assert session.get(Silence, silence_id).expired_by is None  # type: ignore[union-attr]
    expired = client.delete(f"{SILENCES}/{own.json()['id']}", headers=bureau_a)
    assert expired.status_code == 200, expired.text


def test_a_bound_bureau_silences_a_group_only_inside_its_own_region(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    bureau_a1 = make_key(session, Role.bureau, region=cities.a1)
    session.commit()

    def silence_group(headers: dict[str, str], group: dict[str, str]) -> Any:
        body = {"group": group, "hours": 4, "comment": "known shortage"}
        return client.post(f"{GROUPS}/silence", json=body, headers=headers)

    citywide = silence_group(bureau_a, {"rule": "low_supply"})
    assert citywide.status_code == 422, citywide.text
    assert citywide.json()["errors"][0]["loc"] == ["body", "filters", "district"]
    neighbour = silence_group(bureau_a, {"district": "B1"})
    assert neighbour.status_code == 422, neighbour.text
    assert session.scalars(select(Silence)).all() == []

    district = silence_group(bureau_a, {"district": "A2"})
    assert district.status_code == 200, district.text
    assert set(district.json()["alerts"]) == cities.ids("store_a2")
    own = silence_group(bureau_a1, {"rule": "low_supply"})
    assert own.status_code == 200, own.text
    assert set(own.json()["alerts"]) == cities.ids(*IN_A1)
    silence = session.get(Silence, own.json()["silence"])
    assert silence is not None
    assert silence.matchers == {"rule": "low_supply", "region": "A1"}


def test_region_bound_staff_see_and_manage_only_webhooks_inside_their_region(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    admin_a = make_key(session, Role.admin, region=cities.city_a)
    national = make_key(session, Role.bureau)
    session.commit()

    def register(headers: dict[str, str], name: str, region: str | None) -> Any:
        body = {"name": name, "url": f"https://hooks.example.org/{name}", "region": region}
        return client.post(WEBHOOKS, json=body, headers=headers)

    everywhere = register(national, "national", None)
    neighbour = register(national, "hebi", "B")
    assert everywhere.status_code == neighbour.status_code == 201, everywhere.text
    own = register(bureau_a, "anyang", "A")
    district = register(admin_a, "wenfeng", "A1")
    assert own.status_code == district.status_code == 201, own.text

    unbounded = register(bureau_a, "mine-everywhere", None)
    assert unbounded.status_code == 422, unbounded.text
    assert unbounded.json()["errors"][0]["loc"] == ["body", "region"]
    outside = register(bureau_a, "mine-there", "B1")
    unknown = register(bureau_a, "mine-nowhere", "NOWHERE")
    assert outside.status_code == unknown.status_code == 422
    assert outside.json()["errors"][0]["loc"] == ["body", "region"]

    for headers in (bureau_a, admin_a):
        listed = client.get(WEBHOOKS, headers=headers).json()
        assert {w["name"] for w in listed["items"]} == {"anyang", "wenfeng"}
        assert listed["total"] == 2
    assert client.get(WEBHOOKS, headers=national).json()["total"] == 4

    for other in (everywhere, neighbour):
        path = f"{WEBHOOKS}/{other.json()['id']}"
        assert client.get(path, headers=bureau_a).status_code == 404
        assert client.patch(path, json={"name": "mine"}, headers=bureau_a).status_code == 404
        assert client.delete(path, headers=admin_a).status_code == 404
        assert client.get(f"{path}/notifications", headers=bureau_a).status_code == 404
        assert client.post(f"{path}/redeliver", headers=bureau_a).status_code == 404
    session.expire_all()
    assert all(w.active for w in session.scalars(select(Webhook)))
    assert {w.name for w in session.scalars(select(Webhook))} >= {"national", "hebi"}

    path = f"{WEBHOOKS}/{own.json()['id']}"
    moved_out = client.patch(path, json={"region": "B"}, headers=bureau_a)
    assert moved_out.status_code == 422, moved_out.text
    widened = client.patch(path, json={"region": None}, headers=bureau_a)
    assert widened.status_code == 422, widened.text
    renamed = client.patch(path, json={"name": "anyang-pager", "region": "A2"}, headers=bureau_a)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["region"] == "A2"


def test_a_webhook_that_has_sent_messages_keeps_them_from_a_narrower_regions_staff(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    """A national webhook's history holds every region's alerts in full: moving it onto
    district A1 would hand A1's staff city B's alerts. The move is refused naming
    ``region`` and the webhook stays where it was; a webhook that has sent nothing moves,
    and one of A1 may widen to its city, whose staff read A1's alerts already."""
    national = make_key(session, Role.bureau)
    bureau_a1 = make_key(session, Role.bureau, region=cities.a1)
    session.commit()

    def register(name: str, region: str | None) -> int:
        body = {"name": name, "url": f"https://hooks.example.org/{name}", "region": region}
        created = client.post(WEBHOOKS, json=body, headers=national)
        assert created.status_code == 201, created.text
        return int(created.json()["id"])

    everywhere, wenfeng = register("all", None), register("wf", "A1")
    enqueue_notifications(
        session,
        changes=[
            (cities.alerts["store_b1"].id, "firing"),
            (cities.alerts["store_a1"].id, "firing"),
        ],
        now=datetime.now(UTC),
        external_url="https://sw.example",
    )
    session.commit()
    narrowed = client.patch(f"{WEBHOOKS}/{everywhere}", json={"region": "A1"}, headers=national)
    assert narrowed.status_code == 422, narrowed.text
    assert [error["loc"] for error in narrowed.json()["errors"]] == [["body", "region"]]
    session.expire_all()
    assert session.get_one(Webhook, everywhere).region_id is None
    assert client.get(f"{WEBHOOKS}/{everywhere}/notifications", headers=bureau_a1).status_code == (
        404
    )
    fresh = register("new", None)  # registered after those messages: it has sent none
    moved = client.patch(f"{WEBHOOKS}/{fresh}", json={"region": "A1"}, headers=national)
    assert moved.status_code == 200, moved.text
    widened = client.patch(f"{WEBHOOKS}/{wenfeng}", json={"region": "A"}, headers=national)
    assert widened.status_code == 200, widened.text


def test_region_bound_staff_read_the_alert_rules_but_only_national_staff_change_them(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    admin_a = make_key(session, Role.admin, region=cities.city_a)
    national = make_key(session, Role.bureau)
    session.commit()

    read = client.get("/api/v1/alert-rules", headers=bureau_a)
    assert read.status_code == 200, read.text
    change = {"low_supply_warning_days": 5.0, "low_supply_critical_days": 2.0}
    for headers in (bureau_a, admin_a):
        refused = client.put("/api/v1/alert-rules/categories/meat", json=change, headers=headers)
        assert refused.status_code == 403, refused.text
        assert client.put("/api/v1/alert-rules", json={}, headers=headers).status_code == 403
        gone = client.delete("/api/v1/alert-rules/categories/meat", headers=headers)
        assert gone.status_code == 403
    assert client.get("/api/v1/alert-rules", headers=bureau_a).json() == read.json()
    allowed = client.put("/api/v1/alert-rules/categories/meat", json=change, headers=national)
    assert allowed.status_code == 200, allowed.text


def test_region_bound_staff_read_monitor_runs_but_cannot_start_a_whole_tree_run(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    bureau_a = make_key(session, Role.bureau, region=cities.city_a)
    session.commit()

    refused = client.post("/api/v1/monitor/runs", headers=bureau_a)
    assert refused.status_code == 403, refused.text
    listed = client.get("/api/v1/monitor/runs", headers=bureau_a)
    assert listed.status_code == 200
    assert listed.json()["total"] == 0
