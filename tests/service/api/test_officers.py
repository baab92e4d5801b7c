"""Service officers through the API: the bureau assigns officers to key enterprises and
stores, an officer reads only their own enterprises and stores worst first and logs
visits whose problems open routed hotline tickets, store users get nothing, the coverage
names the gaps, and bad input is named and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import (
    Alert,
    AlertRule,
    AlertStatus,
    Enterprise,
    OfficerAssignment,
    OfficerVisit,
    RegionLevel,
    Role,
    Severity,
    Store,
    Ticket,
)
from models.base import utc_now
from tests.factories import (
    business_today,
    days_ago,
    make_enterprise,
    make_key,
    make_region,
    make_store,
)

URL = "/api/v1/officers"


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def assert_refused(response: Any, *, status: int, loc: list[Any] | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    if loc is not None:
        assert any(error["loc"] == loc for error in body["errors"]), body
    return body


def person(client: TestClient, session: Session, username: str, role: Role) -> dict[str, str]:
    """A signed-in person's bearer headers (the officer's 'me' is a person, not a key)."""
    create_user(session, username=username, password=f"{username}-password-1", role=role)
    session.commit()
    token = client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": f"{username}-password-1"},
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def city(session: Session) -> dict[str, Any]:
    """Two chains in Weidong with key stores, and a farmers' market on its own."""
    city = make_region(session, code="4104", name="Pingdingshan", level=RegionLevel.city)
    weidong = make_region(session, code="410403", name="Weidong", parent=city)
    dennis = make_enterprise(session, code="DENNIS", name="Dennis")
    bread = make_enterprise(session, code="BREAD", name="Bread Chain")
    stores = {
        code: make_store(session, code=code, region=weidong, enterprise=enterprise)
        for code, enterprise in (
            ("DEN-1", dennis),
            ("DEN-2", dennis),
            ("BRD-1", bread),
            ("MKT-1", None),
        )
    }
    for store in stores.values():
        store.key_supplier = True
    session.commit()
    return {"stores": stores, "weidong": weidong}


@pytest.fixture
def bureau(session: Session) -> dict[str, str]:
    return make_key(session, Role.bureau)


def assign(client: TestClient, bureau: dict[str, str], officer: str, **target: str) -> Any:
    return client.put(f"{URL}/assignments", json={"officer": officer, **target}, headers=bureau)


def visit(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "visit_date": days_ago(1).isoformat(),
        "mode": "on_site",
        "contact": "Li Na, store manager",
        "notes": "Egg deliveries late twice this week; the manager asks for a pass.",
        "enterprise": "DENNIS",
    }
    body.update(changes)
    return body


def test_officer_sees_only_their_own_stores_worst_first(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    wang = person(client, session, "wang", Role.service_officer)
    li = person(client, session, "li", Role.service_officer)
    assert assign(client, bureau, "wang", enterprise="DENNIS").status_code == 200
    assert assign(client, bureau, "wang", store="MKT-1").status_code == 200
    assert assign(client, bureau, "li", enterprise="BREAD").status_code == 200
    den2 = city["stores"]["DEN-2"]
    session.add(
        Alert(
            fingerprint="f-den2",
            rule=AlertRule.stockout,
            severity=Severity.critical,
            status=AlertStatus.firing,
            scope_level="store",
            scope_id=den2.id,
            store_id=den2.id,
            summary="DEN-2 has no eggs",
            first_seen_at=utc_now(),
            last_seen_at=utc_now(),
            first_date=business_today(),
            last_date=business_today(),
        )
    )
    session.commit()

    mine = client.get(f"{URL}/me/portfolio", headers=wang)
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["officer"] == "wang"
    assert [e["code"] for e in body["enterprises"]] == ["DENNIS"]
    assert [s["code"] for s in body["stores"]] == ["DEN-2", "DEN-1", "MKT-1"]
    assert (body["stores"][0]["open_alerts"], body["stores"][0]["critical_alerts"]) == (1, 1)
    assert body["stores"][1]["days_without_report"] is None

    assert_refused(client.get(f"{URL}/li/portfolio", headers=wang), status=403)
    assert_refused(client.get(f"{URL}/li/visits", headers=wang), status=403)
    assert_refused(client.get(f"{URL}/coverage", headers=wang), status=403)
    assert [s["code"] for s in client.get(f"{URL}/me/portfolio", headers=li).json()["stores"]] == [
        "BRD-1"
    ]
    seen_by_bureau = client.get(f"{URL}/wang/portfolio", headers=bureau).json()
    assert len(seen_by_bureau["stores"]) == 3


def test_store_users_cannot_read_or_log_anything(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    person(client, session, "wang", Role.service_officer)
    assign(client, bureau, "wang", enterprise="DENNIS")
    store_key = make_key(session, Role.store, store=city["stores"]["DEN-1"])
    for response in (
        client.get(f"{URL}/wang/portfolio", headers=store_key),
        client.get(f"{URL}/me/portfolio", headers=store_key),
        client.get(f"{URL}/coverage", headers=store_key),
        client.post(f"{URL}/wang/visits", json=visit(), headers=store_key),
        assign(client, store_key, "wang", store="DEN-1"),
    ):
        assert_refused(response, status=403)
    assert count(session, OfficerVisit) == 0


def test_a_visit_with_a_problem_opens_a_routed_ticket_linked_to_the_store(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    wang = person(client, session, "wang", Role.service_officer)
    assign(client, bureau, "wang", enterprise="DENNIS")
    problem = {
        "category": "pass_or_checkpoint",
        "text": "Egg trucks from Ye County are held at the G310 checkpoint.",
        "priority": "high",
        "store": "DEN-2",
    }
    logged = client.post(f"{URL}/me/visits", json=visit(problems=[problem]), headers=wang)
    assert logged.status_code == 201, logged.text
    raised = logged.json()["tickets"]
    assert len(raised) == 1
    assert (raised[0]["store"], raised[0]["status"]) == ("DEN-2", "assigned")
    assert raised[0]["working_group"] is not None
    ticket = session.scalars(select(Ticket).where(Ticket.number == raised[0]["number"])).one()
    assert ticket.store_id == city["stores"]["DEN-2"].id
    assert (ticket.caller_kind.value, ticket.caller_name) == ("store", "Li Na, store manager")
    desk = client.get(f"/api/v1/hotline/tickets/{ticket.number}", headers=bureau).json()
    assert desk["working_group"] == raised[0]["working_group"]
    assert desk["priority"] == "high"

    card = next(
        s
        for s in client.get(f"{URL}/me/portfolio", headers=wang).json()["stores"]
        if s["code"] == "DEN-2"
    )
    assert card["open_tickets"] == 1
    assert card["last_visit"] == days_ago(1).isoformat()  # the enterprise's visit counts
    listed = client.get(f"{URL}/me/visits", headers=wang).json()
    assert [v["tickets"][0]["number"] for v in listed] == [ticket.number]


def _refuses_every_visit(
    client: TestClient, officer: dict[str, str], cases: list[tuple[dict[str, Any], list[Any]]]
) -> None:
    """Each visit body is a 422 naming its field (``loc``)."""
    for body, loc in cases:
        assert_refused(
            client.post(f"{URL}/me/visits", json=body, headers=officer), status=422, loc=loc
        )


def test_bad_visits_are_named_and_write_nothing(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    wang = person(client, session, "wang", Role.service_officer)
    assign(client, bureau, "wang", enterprise="DENNIS")
    problem = {"category": "cannot_buy", "text": "No rice"}
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        (visit(mode="carrier_pigeon"), ["body", "mode"]),
        (visit(notes="x" * 5000), ["body", "notes"]),
        (visit(visit_date=days_ago(-3).isoformat()), ["body", "visit_date"]),
        (visit(enterprise="NOPE"), ["body", "enterprise"]),
        (visit(enterprise=None), ["body", "enterprise"]),
        (visit(problems=[{**problem, "category": "aliens"}]), ["body", "problems", 0, "category"]),
        (visit(problems=[{**problem, "store": "BRD-1"}]), ["body", "problems", 0, "store"]),
        (
            visit(problems=[{**problem, "product": "unobtainium"}]),
            ["body", "problems", 0, "product"],
        ),
    ]
    _refuses_every_visit(client, wang, cases)
    assert_refused(
        client.post(f"{URL}/me/visits", json=visit(enterprise="BREAD"), headers=wang), status=403
    )
    assert (count(session, OfficerVisit), count(session, Ticket)) == (0, 0)


def test_assigning_names_a_wrong_officer_or_target_and_replaces_the_previous_officer(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    person(client, session, "wang", Role.service_officer)
    person(client, session, "li", Role.service_officer)
    make_key(session, Role.store, store=city["stores"]["DEN-1"])
    create_user(session, username="shopkeeper", password="shopkeeper-pass-1", role=Role.operator)
    assert_refused(
        assign(client, bureau, "shopkeeper", store="DEN-1"), status=422, loc=["body", "officer"]
    )
    assert_refused(assign(client, bureau, "wang", store="NOPE"), status=422, loc=["body", "store"])
    assert_refused(
        assign(client, bureau, "wang", store="DEN-1", enterprise="DENNIS"),
        status=422,
        loc=["body", "enterprise"],
    )
    assert count(session, OfficerAssignment) == 0
    assign(client, bureau, "wang", enterprise="DENNIS")
    moved = assign(client, bureau, "li", enterprise="DENNIS").json()
    assert moved["officer"] == "li"
    roster = client.get(f"{URL}/assignments", headers=bureau).json()
    assert [(a["officer"], a["enterprise"]) for a in roster] == [("li", "DENNIS")]
    taken = client.delete(f"{URL}/assignments/enterprise/DENNIS", headers=bureau)
    assert taken.status_code == 200
    assert count(session, OfficerAssignment) == 0


def test_coverage_names_uncovered_enterprises_and_quiet_officers(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    wang = person(client, session, "wang", Role.service_officer)
    person(client, session, "li", Role.service_officer)
    assign(client, bureau, "wang", enterprise="DENNIS")
    assign(client, bureau, "li", store="BRD-1")  # the chain's one key store: BREAD is covered
    assert (
        client.post(
            f"{URL}/me/visits", json=visit(visit_date=days_ago(10).isoformat()), headers=wang
        ).status_code
        == 201
    )

    week = client.get(f"{URL}/coverage", params={"days": 7}, headers=bureau).json()
    assert week["enterprises_without_officer"] == []
    assert [s["code"] for s in week["stores_without_officer"]] == ["MKT-1"]
    quiet = {o["username"]: o for o in week["officers_without_visit"]}
    assert set(quiet) == {"li", "wang"}
    assert quiet["wang"]["days_since_visit"] == 10
    assert quiet["li"]["last_visit"] is None
    assert (quiet["li"]["enterprises"], quiet["li"]["stores"]) == (0, 1)

    fortnight = client.get(f"{URL}/coverage", params={"days": 14}, headers=bureau).json()
    assert [o["username"] for o in fortnight["officers_without_visit"]] == ["li"]
    assert_refused(
        client.get(f"{URL}/coverage", params={"days": 0}, headers=bureau),
        status=422,
        loc=["query", "days"],
    )


def test_free_text_officer_names_that_match_a_username_are_adopted(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    person(client, session, "wang", Role.service_officer)
    stores: dict[str, Store] = city["stores"]
    stores["MKT-1"].service_officer = " Wang "
    stores["BRD-1"].service_officer = "Zhang San"
    session.commit()
    adopted = client.post(f"{URL}/assignments/adopt", headers=bureau)
    assert adopted.status_code == 200, adopted.text
    assert adopted.json() == [{"store": "MKT-1", "officer": "wang"}]
    assert client.post(f"{URL}/assignments/adopt", headers=bureau).json() == []


def test_an_officer_files_tickets_only_through_visits(
    client: TestClient, session: Session, city: dict[str, Any]
) -> None:
    wang = person(client, session, "wang", Role.service_officer)
    direct = {
        "category": "cannot_buy",
        "text": "No rice at the market.",
        "region": "410403",
        "store": "MKT-1",
    }
    assert_refused(client.post("/api/v1/hotline/tickets", json=direct, headers=wang), status=403)
    assert count(session, Ticket) == 0


def test_a_visit_off_the_last_year_or_with_control_characters_is_refused_naming_the_field(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    wang = person(client, session, "wang", Role.service_officer)
    assign(client, bureau, "wang", enterprise="DENNIS")
    problem = {"category": "cannot_buy", "text": "No rice"}
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        (visit(visit_date="0001-01-01"), ["body", "visit_date"]),
        (visit(visit_date=days_ago(400).isoformat()), ["body", "visit_date"]),
        (visit(contact="Li Na\nstore manager"), ["body", "contact"]),
        (visit(contact="Li Na\tmanager"), ["body", "contact"]),
        (visit(contact="Li Na\x1b[2J"), ["body", "contact"]),
        (visit(contact="Li\u2028Na"), ["body", "contact"]),
        (visit(contact="\u200b\u200d"), ["body", "contact"]),
        (visit(notes="late eggs\x07\x08"), ["body", "notes"]),
        (visit(notes="\u200b"), ["body", "notes"]),
        (
            visit(problems=[{**problem, "text": "No rice\x1b[31m"}]),
            ["body", "problems", 0, "text"],
        ),
    ]
    _refuses_every_visit(client, wang, cases)
    assert (count(session, OfficerVisit), count(session, Ticket)) == (0, 0)
    kept = visit(
        visit_date=days_ago(300).isoformat(),
        notes="Eggs late:\n\t- Monday\r\n\t- Thursday",
        problems=[{**problem, "text": "No rice\nsince Monday", "store": "DEN-1"}],
    )
    logged = client.post(f"{URL}/me/visits", json=kept, headers=wang)
    assert logged.status_code == 201, logged.text
    assert logged.json()["notes"] == "Eggs late:\n\t- Monday\r\n\t- Thursday"


def test_a_deactivated_officers_charges_are_uncovered_and_take_no_visit(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    """Deactivating an officer leaves their enterprises and stores with nobody: the
    coverage names them as uncovered, and no visit is logged for the officer any more."""
    person(client, session, "wang", Role.service_officer)
    person(client, session, "li", Role.service_officer)
    assign(client, bureau, "wang", enterprise="DENNIS")
    assign(client, bureau, "wang", store="MKT-1")
    assign(client, bureau, "li", store="BRD-1")
    admin = make_key(session, Role.admin)
    assert client.delete("/api/v1/users/wang", headers=admin).status_code == 200

    coverage = client.get(f"{URL}/coverage", params={"days": 7}, headers=bureau).json()
    assert [e["code"] for e in coverage["enterprises_without_officer"]] == ["DENNIS"]
    assert [s["code"] for s in coverage["stores_without_officer"]] == ["DEN-1", "DEN-2", "MKT-1"]
    assert [o["username"] for o in coverage["officers_without_visit"]] == ["li"]

    for target in ({"enterprise": "DENNIS"}, {"enterprise": None, "store": "MKT-1"}):
        refused = assert_refused(
            client.post(f"{URL}/wang/visits", json=visit(**target), headers=bureau), status=409
        )
        assert "'wang' is deactivated" in refused["detail"]
    assert count(session, OfficerVisit) == 0


def test_a_visit_to_a_deactivated_enterprise_or_store_is_refused_naming_the_field(
    client: TestClient, session: Session, city: dict[str, Any], bureau: dict[str, str]
) -> None:
    wang = person(client, session, "wang", Role.service_officer)
    assign(client, bureau, "wang", enterprise="DENNIS")
    assign(client, bureau, "wang", store="MKT-1")
    session.execute(update(Enterprise).where(Enterprise.code == "DENNIS").values(active=False))
    session.execute(update(Store).where(Store.code == "MKT-1").values(active=False))
    session.commit()
    refused = assert_refused(
        client.post(f"{URL}/me/visits", json=visit(), headers=wang),
        status=422,
        loc=["body", "enterprise"],
    )
    assert "enterprise DENNIS is deactivated" in refused["detail"]
    refused = assert_refused(
        client.post(f"{URL}/me/visits", json=visit(enterprise=None, store="MKT-1"), headers=wang),
        status=422,
        loc=["body", "store"],
    )
    assert "store MKT-1 is deactivated" in refused["detail"]
    assert count(session, OfficerVisit) == 0
