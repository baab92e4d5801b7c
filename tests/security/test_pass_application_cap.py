"""One applicant cannot flood the bureau's queue of pass applications.

Found on 2026-12-07: one producer key filed 300 applications in 4 s and the pass office's
oldest-first page then held only that producer's. An enterprise or producer now has at
most ``APPLICATIONS_WAITING_PER_APPLICANT`` applications waiting for the bureau; one more
is a 409 naming the cap, and nothing is written. Decisions free room; other applicants
and the bureau's own issues are not counted. (Filings at the same moment on PostgreSQL:
``tests/security/test_simultaneous_changes.py``.)
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Role, TransportPass
from pass_office.issuing import APPLICATIONS_WAITING_PER_APPLICANT
from tests.factories import make_enterprise, make_key, make_region
from tests.pass_office.factories import vehicle_body
from tests.supply_network.factories import make_producer

URL = "/api/v1/passes"
CAP = APPLICATIONS_WAITING_PER_APPLICANT


@dataclass(frozen=True)
class Office:
    bureau: dict[str, str]
    farm: dict[str, str]
    chain: dict[str, str]
    district: str


@pytest.fixture
def office(session: Session) -> Office:
    district = make_region(session, code="310115", name="Pudong")
    return Office(
        bureau=make_key(session, Role.bureau),
        farm=make_key(
            session, Role.producer, producer=make_producer(session, code="FARM-01", region=district)
        ),
        chain=make_key(session, Role.store, enterprise=make_enterprise(session, code="LIANHUA")),
        district=district.code,
    )


def _apply(client: TestClient, office: Office, key: dict[str, str]) -> int:
    body = vehicle_body(regions=[office.district])
    return client.post(f"{URL}/applications", json=body, headers=key).status_code


def _passes(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(TransportPass)) or 0)


def test_the_cap_is_a_sensible_number() -> None:
    assert 10 <= CAP < 50  # room for a large chain's day, not the pass office's whole page


def test_an_applicant_past_its_waiting_applications_hears_409_naming_the_cap(
    client: TestClient, session: Session, office: Office
) -> None:
    assert [_apply(client, office, office.farm) for _ in range(CAP)] == [201] * CAP
    refused = client.post(
        f"{URL}/applications", json=vehicle_body(regions=[office.district]), headers=office.farm
    )
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"({CAP})" in refused.json()["detail"]
    assert _passes(session) == CAP
    # another applicant files as before; the bureau still issues to the producer directly
    assert _apply(client, office, office.chain) == 201
    issued = client.post(
        URL, json=vehicle_body(regions=[office.district], producer="FARM-01"), headers=office.bureau
    )
    assert issued.status_code == 201, issued.text
    assert _passes(session) == CAP + 2


def test_a_decision_frees_room_for_one_more_application(client: TestClient, office: Office) -> None:
    for _ in range(CAP):
        assert _apply(client, office, office.chain) == 201
    assert _apply(client, office, office.chain) == 409
    oldest = client.get(URL, params={"order": "oldest", "limit": 1}, headers=office.bureau)
    code = oldest.json()["items"][0]["code"]
    rejected = client.post(
        f"{URL}/{code}/reject", json={"reason": "duplicate"}, headers=office.bureau
    )
    assert rejected.status_code == 200, rejected.text
    assert _apply(client, office, office.chain) == 201
    assert _apply(client, office, office.chain) == 409
