"""A city bureau signed in to the alert pages sees its own city's alerts, situations,
exports, filter choices and silences only, and a neighbour city's alert cannot be
acknowledged from a page either."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import Alert, AlertStatus, Role, Silence
from tests.service.api.test_alerts_by_region import IN_A, IN_A1, TwoCities, cities
from tests.service.web.helpers import csrf, sign_in

HTMX = {"HX-Request": "true"}
"""What htmx sends with the fragments a page fetches after it loads."""

__all__ = ["cities"]  # the fixture, shared with the API's story


def _listed_ids(html: str) -> set[int]:
    return {int(number) for number in re.findall(r'<tr id="alert-(\d+)">', html)}


def _sign_in_bound(client: TestClient, session: Session, username: str, region_id: int) -> None:
    password = f"{username}-password"
    create_user(
        session, username=username, password=password, role=Role.bureau, region_id=region_id
    )
    session.commit()
    assert sign_in(client, username, password).status_code in (302, 303)


def test_city_bureau_pages_list_and_export_only_its_own_citys_alerts(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    _sign_in_bound(client, session, "anyang", cities.city_a.id)

    listed = client.get("/alerts/list")
    assert listed.status_code == 200
    assert _listed_ids(listed.text) == cities.ids(*IN_A)

    exported = client.get("/alerts/list/export", params={"format": "csv", "status": "open"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert {int(row[0]) for row in rows[1:]} == cities.ids(*IN_A)


def test_city_bureau_grouped_page_shows_its_situations_and_districts_only(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    _sign_in_bound(client, session, "anyang", cities.city_a.id)

    page = client.get("/alerts", params={"group_by": "district"})
    assert page.status_code == 200
    assert "Wenfeng" in page.text and "Beiguan" in page.text
    assert "Qibin" not in page.text  # neither a situation nor a district choice
    assert 'value="B1"' not in page.text

    exported = client.get("/alerts/groups/export", params={"format": "csv", "group_by": "district"})
    assert "Qibin" not in exported.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert sum(int(row[1]) for row in rows[1:]) == len(IN_A)  # the nation holds 7

    every_rule = client.get(
        "/alerts/groups/alerts", params={"group": json.dumps({"rule": "low_supply"})}, headers=HTMX
    )
    shown = {int(number) for number in re.findall(r'id="group-alert-(\d+)"', every_rule.text)}
    assert shown == cities.ids(*IN_A)
    neighbour = client.get(
        "/alerts/groups/alerts", params={"group": json.dumps({"district": "B1"})}, headers=HTMX
    )
    assert neighbour.status_code == 422


def test_district_bureau_page_lists_only_its_district(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    _sign_in_bound(client, session, "wenfeng", cities.a1.id)

    assert _listed_ids(client.get("/alerts/list").text) == cities.ids(*IN_A1)


def test_city_bureau_cannot_acknowledge_or_silence_a_neighbours_alerts_from_a_page(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    _sign_in_bound(client, session, "anyang", cities.city_a.id)
    token = csrf(client, "/alerts/list")
    neighbour = cities.alerts["store_b1"]

    ack = client.post(f"/alerts/{neighbour.id}/ack", data={"note": "on it", "csrf_token": token})
    assert ack.status_code == 404
    session.expire_all()
    assert session.get(Alert, neighbour.id).status is AlertStatus.firing  # type: ignore[union-attr]

    muted = client.post(
        "/alerts/silences",
        data={"hours": "4", "comment": "theirs", "region": "B1", "csrf_token": token},
    )
    assert muted.status_code == 422
    assert session.query(Silence).count() == 0
    own = client.post(
        "/alerts/silences",
        data={"hours": "4", "comment": "ours", "region": "A1", "csrf_token": token},
        follow_redirects=False,
    )
    assert own.status_code in (302, 303), own.text
    assert session.query(Silence).count() == 1


def test_silences_of_a_neighbour_are_not_listed_on_a_city_bureaus_alert_page(
    client: TestClient, session: Session, cities: TwoCities
) -> None:
    now = datetime.now(UTC)
    for comment, matchers in (("ours", {"region": "A1"}), ("theirs", {"region": "B1"})):
        session.add(
            Silence(
                matchers=matchers,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=4),
                comment=comment,
                created_by="key:1:national",
                created_at=now,
                updated_at=now,
            )
        )
    session.commit()
    _sign_in_bound(client, session, "anyang", cities.city_a.id)

    page = client.get("/alerts/list").text
    assert "ours" in page
    assert "theirs" not in page
