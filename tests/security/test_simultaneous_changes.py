"""Two people changing the same thing at the same moment get what they would get one after
the other: one change and a 409, never both. Parallel HTTP requests against a real server on
PostgreSQL, where two transactions can read the same status at once (SQLite's writers queue,
so these races cannot happen there)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.database import create_database_engine, create_session_factory, session_scope
from models import (
    DeliveryRequest,
    PassStatus,
    Producer,
    Region,
    RegionLevel,
    RequestStatus,
    Role,
    Ticket,
    TicketEvent,
    TransportPass,
)
from pass_office.issuing import APPLICATIONS_WAITING_PER_APPLICANT
from reports.upsert import store_report_lines
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.conftest import PostgresDatabases
from tests.dispatch.factories import make_city, make_compound, make_request
from tests.factories import (
    business_today,
    make_enterprise,
    make_key,
    make_product,
    make_region,
    make_store,
)
from tests.pass_office.factories import vehicle_body
from tests.servers import running_server, send_at_once
from tests.supply_network.factories import make_producer

pytestmark = pytest.mark.postgres

ROUNDS = 6


@dataclass(frozen=True)
class Office:
    """A server on its own PostgreSQL database with a district, a chain and their keys."""

    url: str
    database_url: str
    bureau: dict[str, str]
    admin: dict[str, str]
    operator: dict[str, str]
    chain: dict[str, str]
    dispatcher: dict[str, str]
    district: str


@pytest.fixture(scope="module")
def office(
    postgres_databases: PostgresDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Office]:
    url = postgres_databases.create("simultaneous")
    upgrade_to_head(url)
    engine = create_database_engine(url)
    with session_scope(create_session_factory(engine)) as session:
        city = make_region(session, code="4104", name="City", level=RegionLevel.city)
        district = make_region(session, code="410403", name="East", parent=city)
        store = make_store(session, code="PDS-0001", region=district)
        pork = make_product(session, code="pork", category="meat")
        today = business_today()
        rows = [
            {
                "store_id": store.id,
                "report_date": today - timedelta(days=days_ago),
                "product_id": pork.id,
                "stock": 50.0,
                "sales": 10.0,
                "price": 20.0,
                "received": 10.0,
            }
            for days_ago in range(10)
        ]
        store_report_lines(session, pd.DataFrame(rows), submitted_by="test")
        keys = {
            "bureau": make_key(session, Role.bureau),
            "admin": make_key(session, Role.admin),
            "operator": make_key(session, Role.operator),
            "chain": make_key(
                session, Role.store, enterprise=make_enterprise(session, code="LIANHUA")
            ),
            "dispatcher": make_key(session, Role.dispatcher),
        }
        make_city(session, day=business_today(), trucks=[1000, 1000], loads=[])
    engine.dispose()
    key_file: Path = tmp_path_factory.mktemp("passes") / "signing.pem"
    settings = Settings(
        database_url=url, log_json=False, log_level="WARNING", passes_signing_key_file=key_file
    )
    with running_server(settings) as server_url:
        yield Office(url=server_url, database_url=url, district="410403", **keys)


def _post(office: Office, path: str, headers: dict[str, str], body: Any = None) -> Any:
    answer = httpx.post(f"{office.url}{path}", headers=headers, json=body, timeout=60)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def _statuses(responses: list[httpx.Response]) -> list[int]:
    for response in responses:
        assert response.status_code < 500, response.text
        if response.status_code == 409:
            assert response.headers["content-type"] == "application/problem+json"
    return sorted(response.status_code for response in responses)


def test_an_application_approved_and_rejected_at_once_is_decided_once(office: Office) -> None:
    codes = [
        _post(
            office,
            "/api/v1/passes/applications",
            office.chain,
            vehicle_body(regions=[office.district]),
        )["code"]
        for _ in range(ROUNDS)
    ]
    for code in codes:
        answers = send_at_once(
            [
                ("POST", f"{office.url}/api/v1/passes/{code}/approve", office.bureau, None),
                (
                    "POST",
                    f"{office.url}/api/v1/passes/{code}/reject",
                    office.bureau,
                    {"reason": "plate not registered"},
                ),
            ]
        )
        assert _statuses(answers) == [200, 409], [answer.text for answer in answers]
    engine = create_database_engine(office.database_url)
    with Session(engine) as session:
        for row in session.scalars(select(TransportPass).where(TransportPass.code.in_(codes))):
            if row.status.value == "rejected":
                assert row.token is None and row.rejection_reason == "plate not registered"
            else:
                assert row.status.value == "approved"
                assert row.token is not None and row.rejection_reason is None
    engine.dispose()


def test_two_tickets_merged_into_each_other_at_once_make_no_cycle(office: Office) -> None:
    call = {
        "category": "cannot_buy",
        "text": "No eggs at the market for three days.",
        "region": office.district,
        "caller_kind": "resident",
    }
    for _ in range(ROUNDS):
        first = _post(office, "/api/v1/hotline/tickets", office.operator, call)["number"]
        second = _post(office, "/api/v1/hotline/tickets", office.operator, call)["number"]
        base = f"{office.url}/api/v1/hotline/tickets"
        answers = send_at_once(
            [
                ("POST", f"{base}/{first}/merge", office.operator, {"into": second}),
                ("POST", f"{base}/{second}/merge", office.operator, {"into": first}),
            ]
        )
        assert _statuses(answers) == [200, 409], [answer.text for answer in answers]
    engine = create_database_engine(office.database_url)
    with Session(engine) as session:
        merged = session.scalars(select(Ticket).where(Ticket.merged_into_id.is_not(None))).all()
        assert len(merged) == ROUNDS
        targets = {ticket.merged_into_id for ticket in merged}
        assert not targets & {ticket.id for ticket in merged}, "a ticket merged into a merged one"
    engine.dispose()


def test_a_resolved_ticket_reopened_twice_at_once_is_reopened_once(office: Office) -> None:
    """The caller rang twice and two operators reopen the ticket at the same moment: one
    reopening (one ``reopened`` event in the trail the clocks read), the other a 409."""
    call = {"category": "cannot_buy", "text": "Still no eggs.", "region": office.district}
    base = f"{office.url}/api/v1/hotline/tickets"
    numbers = []
    for _ in range(ROUNDS):
        number = _post(office, "/api/v1/hotline/tickets", office.operator, call)["number"]
        _post(
            office,
            f"/api/v1/hotline/tickets/{number}/resolution",
            office.operator,
            {"resolution": "Delivered."},
        )
        answers = send_at_once(
            [
                ("POST", f"{base}/{number}/reopening", office.operator, {"reason": "rang again"}),
                ("POST", f"{base}/{number}/reopening", office.bureau, {"reason": "rang again"}),
            ]
        )
        assert _statuses(answers) == [200, 409], [answer.text for answer in answers]
        numbers.append(number)
    engine = create_database_engine(office.database_url)
    with Session(engine) as session:
        reopenings = session.scalars(
            select(TicketEvent.kind)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(Ticket.number.in_(numbers), TicketEvent.kind == "reopened")
        ).all()
        assert len(reopenings) == ROUNDS
    engine.dispose()


def test_a_bulletin_published_while_edited_serves_the_text_its_publisher_was_answered(
    office: Office,
) -> None:
    day = business_today().isoformat()
    for round_number in range(ROUNDS):
        body: dict[str, str] = {"date": day}
        if round_number:
            body["correction_note"] = f"correction {round_number}"
        draft = _post(office, "/api/v1/bulletins", office.bureau, body)
        revision = f"{office.url}/api/v1/bulletin-revisions/{draft['id']}"
        edited = f"Edited after review, round {round_number}."
        answers = send_at_once(
            [
                ("POST", f"{revision}/publish", office.bureau, None),
                ("PATCH", revision, office.bureau, {"summary_en": edited}),
            ]
        )
        publish, edit = answers
        assert publish.status_code == 200, publish.text
        assert edit.status_code in (200, 409), edit.text
        public = httpx.get(f"{office.url}/api/v1/bulletins/{day}", timeout=60).json()
        assert public["summary_en"] == publish.json()["summary_en"]
        assert (public["summary_en"] == edited) == (edit.status_code == 200)


def test_the_same_user_created_six_times_at_once_exists_once_and_the_rest_hear_409(
    office: Office,
) -> None:
    body = {"username": "racer", "role": "bureau", "password": "long-password-1"}
    answers = send_at_once(
        [("POST", f"{office.url}/api/v1/users", office.admin, body) for _ in range(ROUNDS)]
    )
    assert _statuses(answers) == [201] + [409] * (ROUNDS - 1), [a.text for a in answers]


def test_every_national_admin_deactivated_at_once_leaves_one_active(office: Office) -> None:
    admins = [f"admin.{number}" for number in range(ROUNDS)]
    for username in admins:
        body = {"username": username, "role": "admin", "password": "long-password-1"}
        _post(office, "/api/v1/users", office.admin, body)
    answers = send_at_once(
        [("DELETE", f"{office.url}/api/v1/users/{name}", office.admin, None) for name in admins]
    )
    assert _statuses(answers) == [200] * (ROUNDS - 1) + [409], [a.text for a in answers]


def test_a_request_cancelled_while_its_plan_is_committed_is_either_cancelled_or_planned(
    office: Office,
) -> None:
    engine = create_database_engine(office.database_url)
    factory = create_session_factory(engine)
    plans = f"{office.url}/api/v1/dispatch/plans"
    # The cancel leaves 0 to 27 ms after the commit: the window where it could read the
    # request still open while the commit's own update waits to be committed.
    for round_number in range(10):
        with session_scope(factory) as session:
            ids = [
                make_request(
                    session,
                    compound=make_compound(session, code=f"CP-R{round_number}-{index}"),
                    delivery_date=business_today(),
                ).id
                for index in range(2)
            ]
        draft = _post(
            office,
            "/api/v1/dispatch/plans",
            office.dispatcher,
            {"date": business_today().isoformat(), "time_limit_s": 1},
        )
        commit, cancel = send_at_once(
            [
                (
                    "POST",
                    f"{plans}/{draft['id']}/commit",
                    office.dispatcher,
                    {"expected_version": 1},
                ),
                (
                    "DELETE",
                    f"{office.url}/api/v1/delivery-requests/{ids[0]}",
                    office.dispatcher,
                    None,
                ),
            ],
            delays=[0.0, round_number * 0.003],
        )
        assert _statuses([commit, cancel]) == [200, 409], [commit.text, cancel.text]
        with Session(engine) as session:
            status = session.get_one(DeliveryRequest, ids[0]).status
        expected = RequestStatus.assigned if commit.status_code == 200 else RequestStatus.cancelled
        assert status is expected
    engine.dispose()


def test_applications_filed_at_once_stop_at_the_applicants_cap(office: Office) -> None:
    """Every filing counts the applicant's waiting applications under its advisory lock:
    thirty sent at once by one producer leave exactly the cap waiting, never more."""
    engine = create_database_engine(office.database_url)
    with session_scope(create_session_factory(engine)) as session:
        district = session.scalar(select(Region).where(Region.code == office.district))
        assert district is not None
        farm = make_key(
            session,
            Role.producer,
            producer=make_producer(session, code="FARM-CAP", region=district),
        )
    answers = send_at_once(
        [
            (
                "POST",
                f"{office.url}/api/v1/passes/applications",
                farm,
                vehicle_body(regions=[office.district]),
            )
            for _ in range(APPLICATIONS_WAITING_PER_APPLICANT + 10)
        ]
    )
    assert _statuses(answers) == [201] * APPLICATIONS_WAITING_PER_APPLICANT + [409] * 10, [
        answer.text for answer in answers if answer.status_code != 201
    ]
    with Session(engine) as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(TransportPass)
            .join(Producer, Producer.id == TransportPass.producer_id)
            .where(Producer.code == "FARM-CAP", TransportPass.status == PassStatus.applied)
        )
    engine.dispose()
    assert waiting == APPLICATIONS_WAITING_PER_APPLICANT
