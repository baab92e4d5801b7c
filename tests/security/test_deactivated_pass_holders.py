"""A deactivated producer or enterprise gets no new pass: it cannot apply with its own key,
the bureau cannot issue it one (directly or in a bulk file), and an application it filed
before it was deactivated cannot be approved, only rejected.

Found on 2026-12-07: after ``DELETE /api/v1/producers/PR-01745`` the producer's own key
still applied (201), and the bureau approved (200) or issued directly (201); the same
after ``DELETE /api/v1/enterprises/CH-01``. Passes it already holds stay readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Enterprise, Role, TransportPass
from tests.factories import make_enterprise, make_key, make_region, make_store
from tests.pass_office.factories import vehicle_body
from tests.supply_network.factories import make_producer

URL = "/api/v1/passes"
HOLDERS = [
    ("producer", "FARM-01", "/api/v1/producers"),
    ("enterprise", "LIANHUA", "/api/v1/enterprises"),
]


@dataclass(frozen=True)
class Office:
    admin: dict[str, str]
    bureau: dict[str, str]
    applicants: dict[str, dict[str, str]]
    district: str


@pytest.fixture
def office(session: Session) -> Office:
    district = make_region(session, code="310115", name="Pudong")
    return Office(
        admin=make_key(session, Role.admin),
        bureau=make_key(session, Role.bureau),
        applicants={
            "producer": make_key(
                session,
                Role.producer,
                producer=make_producer(session, code="FARM-01", region=district),
            ),
            "enterprise": make_key(
                session, Role.store, enterprise=make_enterprise(session, code="LIANHUA")
            ),
        },
        district=district.code,
    )


def _passes(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(TransportPass)) or 0)


def _deactivate(client: TestClient, office: Office, registry: str, code: str) -> None:
    answer = client.delete(f"{registry}/{code}", headers=office.admin)
    assert answer.status_code == 200, answer.text
    assert answer.json()["active"] is False


def _refused(answer: Any, *, status: int, field: str | None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    if field is not None:
        assert {"loc": ["body", field], "msg": "is deactivated"}.items() <= body["errors"][
            0
        ].items(), body
    return body


@pytest.mark.parametrize(("field", "code", "registry"), HOLDERS)
def test_a_deactivated_holder_cannot_apply_with_its_own_key(
    client: TestClient, session: Session, office: Office, field: str, code: str, registry: str
) -> None:
    _deactivate(client, office, registry, code)
    answer = client.post(
        f"{URL}/applications",
        json=vehicle_body(regions=[office.district]),
        headers=office.applicants[field],
    )
    body = _refused(answer, status=422, field=field)
    assert "deactivated" in body["detail"]
    assert _passes(session) == 0


@pytest.mark.parametrize(("field", "code", "registry"), HOLDERS)
def test_the_bureau_cannot_issue_a_pass_to_a_deactivated_holder(
    client: TestClient, session: Session, office: Office, field: str, code: str, registry: str
) -> None:
    _deactivate(client, office, registry, code)
    body = {**vehicle_body(regions=[office.district]), field: code}
    answer = client.post(URL, json=body, headers=office.bureau)
    _refused(answer, status=422, field=field)
    assert _passes(session) == 0


@pytest.mark.parametrize(("field", "code", "registry"), HOLDERS)
def test_an_application_whose_holder_was_deactivated_since_is_rejected_not_approved(
    client: TestClient, session: Session, office: Office, field: str, code: str, registry: str
) -> None:
    applied = client.post(
        f"{URL}/applications",
        json=vehicle_body(regions=[office.district]),
        headers=office.applicants[field],
    )
    assert applied.status_code == 201, applied.text
    number = applied.json()["code"]
    _deactivate(client, office, registry, code)
    body = _refused(
        client.post(f"{URL}/{number}/approve", headers=office.bureau), status=409, field=None
    )
    assert "deactivated" in body["detail"]
    read = client.get(f"{URL}/{number}", headers=office.applicants[field])
    assert read.status_code == 200, read.text  # still its own to read
    assert (read.json()["state"], read.json()["token"]) == ("applied", None)
    rejected = client.post(
        f"{URL}/{number}/reject", json={"reason": "holder deactivated"}, headers=office.bureau
    )
    assert rejected.status_code == 200, rejected.text


def test_a_bulk_file_naming_a_deactivated_holder_issues_nothing_and_names_the_cells(
    client: TestClient, session: Session, office: Office
) -> None:
    for _, code, registry in HOLDERS:
        _deactivate(client, office, registry, code)
    start = datetime.now(UTC).date()
    end = start + timedelta(days=7)
    lines = [
        "kind,enterprise,producer,plate,driver_name,purpose,regions,valid_from,valid_to",
        f"vehicle,LIANHUA,,沪A·00001,Driver,vegetables,{office.district},{start},{end}",
        f"vehicle,,FARM-01,沪A·00002,Driver,vegetables,{office.district},{start},{end}",
    ]
    answer = client.post(
        f"{URL}/bulk",
        files={"file": ("passes.csv", ("\n".join(lines) + "\n").encode(), "text/csv")},
        headers=office.bureau,
    )
    body = _refused(answer, status=422, field=None)
    cells = [(error["loc"], error["msg"]) for error in body["errors"]]
    assert cells == [
        (["file", 2, "enterprise"], "is deactivated"),
        (["file", 3, "producer"], "is deactivated"),
    ], cells
    assert _passes(session) == 0


def test_a_closed_stores_clerk_applies_for_no_pass_for_its_chain(
    client: TestClient, session: Session, office: Office
) -> None:
    chain = session.scalars(select(Enterprise).where(Enterprise.code == "LIANHUA")).one()
    store = make_store(session, code="LH-07", enterprise=chain)
    clerk = make_key(session, Role.store, store=store)
    body = vehicle_body(regions=[office.district])
    assert client.post(f"{URL}/applications", json=body, headers=clerk).status_code == 201
    assert client.delete("/api/v1/stores/LH-07", headers=office.admin).status_code == 200
    refused = client.post(f"{URL}/applications", json=body, headers=clerk)
    assert refused.status_code == 403, refused.text
    assert "your store is deactivated" in refused.json()["detail"]
    assert _passes(session) == 1
    # the chain's own key, for its open stores, still applies
    chains = client.post(f"{URL}/applications", json=body, headers=office.applicants["enterprise"])
    assert chains.status_code == 201, chains.text
