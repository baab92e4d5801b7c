"""The service officers' pages: an officer signs in to their own stores worst first (in
English or Chinese), logs a visit whose problem opens a routed hotline ticket, sees bad
input named beside its field with nothing written; store users and other officers are
turned away; the bureau reads the coverage."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import OfficerVisit, Region, RegionLevel, Role, Store, Ticket
from tests.factories import days_ago, make_enterprise, make_key, make_region, make_store
from tests.service.web.helpers import csrf, make_person, sign_in

FORM = "/officers/visit"


@pytest.fixture(autouse=True)
def city(client: TestClient, session: Session) -> None:
    """Two chains in Weidong, each with an officer; Wang also looks after a market."""
    city = make_region(session, code="4104", level=RegionLevel.city)
    weidong = make_region(session, code="410403", name="Weidong", parent=city)
    dennis = make_enterprise(session, code="DENNIS", name="Dennis")
    bread = make_enterprise(session, code="BREAD", name="Bread Chain")
    for code, enterprise in (("DEN-1", dennis), ("BRD-1", bread), ("MKT-1", None)):
        make_store(session, code=code, region=weidong, enterprise=enterprise).key_supplier = True
    make_person(session, "wang", Role.service_officer)
    make_person(session, "li", Role.service_officer)
    bureau = make_key(session, Role.bureau)
    session.commit()
    for officer, target in (("wang", {"enterprise": "DENNIS"}), ("li", {"enterprise": "BREAD"})):
        assigned = client.put(
            "/api/v1/officers/assignments", json={"officer": officer, **target}, headers=bureau
        )
        assert assigned.status_code == 200, assigned.text


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def signed_in(client: TestClient, username: str) -> None:
    assert sign_in(client, username, f"{username}-password").status_code == 303


def visit_form(client: TestClient, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf(client, FORM),
        "target": "enterprise:DENNIS",
        "visit_date": days_ago(0).isoformat(),
        "mode": "on_site",
        "contact": "Li Na, store manager",
        "notes": "Eggs short <b>since Monday</b>.",
        "problem_category": "store_closed_or_short",
        "problem_priority": "high",
        "problem_store": "DEN-1",
        "problem_text": "No eggs delivered for three days <script>alert(1)</script>",
    }
    form.update(changes)
    return form


def test_officer_lands_on_their_own_stores_in_chinese(client: TestClient) -> None:
    signed_in(client, "wang")
    client.cookies.set("supplywatch_lang", "zh")
    page = client.get("/officers/me")
    assert page.status_code == 200
    assert "我的企业" in page.text
    assert 'id="store-DEN-1"' in page.text
    assert "BRD-1" not in page.text
    assert "从未上报" in page.text


def test_a_store_card_names_its_town_and_chain_not_their_codes(
    client: TestClient, session: Session
) -> None:
    """The walk saw "Xinglong Street · CH-03" on the Chinese page: the town in English
    and the chain by its code; a card now says 卫东区 · Dennis (Weidong in English)."""
    region = session.scalars(select(Region).where(Region.code == "410403")).one()
    region.name_zh = "卫东区"
    session.commit()
    signed_in(client, "wang")
    client.cookies.set("supplywatch_lang", "zh")
    assert re.search(r'<p class="muted">卫东区 · Dennis</p>', client.get("/officers/me").text)
    client.cookies.set("supplywatch_lang", "en")
    english = client.get("/officers/me").text
    assert re.search(r'<p class="muted">Weidong · Dennis</p>', english), english
    assert "· DENNIS<" not in english


def test_a_visit_with_a_problem_opens_a_routed_ticket(client: TestClient, session: Session) -> None:
    signed_in(client, "wang")
    logged = client.post(FORM, data=visit_form(client), follow_redirects=False)
    assert logged.status_code == 303, logged.text
    page = client.get(logged.headers["location"])
    assert 'id="visit-logged"' in page.text
    number = re.search(r'class="ticket-number">(HL\d+)<', page.text)
    assert number is not None
    ticket = session.scalars(select(Ticket).where(Ticket.number == number.group(1))).one()
    assert ticket.working_group_id is not None
    assert ticket.priority.value == "high"
    assert "Eggs short &lt;b&gt;since Monday&lt;/b&gt;." in page.text


def test_the_officer_reads_which_working_group_has_their_ticket_by_name(
    client: TestClient,
) -> None:
    signed_in(client, "wang")
    logged = client.post(FORM, data=visit_form(client), follow_redirects=False)
    assert logged.status_code == 303, logged.text
    english = client.get(logged.headers["location"]).text
    assert "(Supply coordination)" in english
    client.cookies.set("supplywatch_lang", "zh")
    chinese = client.get(logged.headers["location"]).text
    assert "(供应协调组)" in chinese
    assert "supply_coordination" not in chinese


def test_bad_visit_input_is_named_beside_its_field_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    signed_in(client, "wang")
    future = client.post(FORM, data=visit_form(client, visit_date=days_ago(-2).isoformat()))
    assert future.status_code == 422
    assert 'id="visit_date-error"' in future.text
    empty = client.post(FORM, data=visit_form(client, problem_text="   "))
    assert empty.status_code == 422
    assert 'id="problem_text-error"' in empty.text
    elsewhere = client.post(FORM, data=visit_form(client, problem_store="BRD-1"))
    assert elsewhere.status_code == 422
    assert 'id="problem_store-error"' in elsewhere.text
    assert (count(session, OfficerVisit), count(session, Ticket)) == (0, 0)


def test_store_users_and_other_officers_are_turned_away(
    client: TestClient, session: Session
) -> None:
    signed_in(client, "wang")
    assert client.get("/officers/people/li").status_code == 403
    assert client.get("/officers/coverage").status_code == 403
    not_mine = client.post(FORM, data=visit_form(client, target="enterprise:BREAD"))
    assert not_mine.status_code == 403
    client.cookies.clear()
    store = session.scalars(select(Store).where(Store.code == "DEN-1")).one()
    make_person(session, "shop", Role.store, store=store)
    signed_in(client, "shop")
    for path in ("/officers/me", "/officers/coverage", "/officers/people/wang", FORM):
        assert client.get(path).status_code == 403, path
    assert count(session, OfficerVisit) == 0


def test_bureau_reads_the_coverage(client: TestClient, session: Session) -> None:
    make_person(session, "chief", Role.bureau)
    signed_in(client, "chief")
    page = client.get("/officers/coverage", params={"days": 14})
    assert page.status_code == 200
    assert 'id="uncovered-enterprises">0<' in page.text
    assert 'id="uncovered-stores">1<' in page.text
    assert 'id="quiet-officers">2<' in page.text
    assert client.get("/officers/people/wang").status_code == 200
    assert client.get("/officers/coverage", params={"days": 0}).status_code == 422
    assert client.get("/officers/coverage", params={"days": "week"}).status_code == 422


def test_the_coverage_names_an_uncovered_stores_town_in_chinese(
    client: TestClient, session: Session
) -> None:
    """The walk saw the Chinese coverage page list stores without an officer under
    English towns (Beicheng Street); MKT-1 in Weidong now reads 卫东区."""
    region = session.scalars(select(Region).where(Region.code == "410403")).one()
    region.name_zh = "卫东区"
    make_person(session, "chief", Role.bureau)
    session.commit()
    signed_in(client, "chief")
    client.cookies.set("supplywatch_lang", "zh")
    assert "<td>卫东区</td>" in client.get("/officers/coverage").text
    client.cookies.set("supplywatch_lang", "en")
    assert "<td>Weidong</td>" in client.get("/officers/coverage").text


def test_a_visit_sent_with_contact_and_notes_empty_comes_back_with_what_was_typed(
    client: TestClient, session: Session
) -> None:
    """A client that skips the browser's ``required`` sent the visit with whom was met and
    the notes empty: the officer got a bare error page reading "contact: Field required;
    notes: Field required" and lost the problem they had typed. The form comes back with
    both named beside their fields, in words, and nothing is written."""
    signed_in(client, "wang")
    client.cookies.set("supplywatch_lang", "zh")
    refused = client.post(FORM, data=visit_form(client, contact="", notes=""))
    assert refused.status_code == 422, refused.text
    page = refused.text
    assert 'id="contact-error"' in page and 'id="notes-error"' in page
    assert "Field required" not in page and "contact:" not in page
    assert "No eggs delivered for three days" in page
    assert (count(session, OfficerVisit), count(session, Ticket)) == (0, 0)
