"""A stranger filing on the hotline's public form (no sign-in) cannot learn which compound
or store codes exist: a code that names nothing, or a place outside the ticket's region,
gets the same acknowledgement as a real one. The ticket is still filed, its unmatched
code left unlinked and noted for the desk, which still refuses such a code by name."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Region, RegionLevel, Role, Ticket
from tests.dispatch.factories import make_compound
from tests.factories import make_key, make_region, make_store
from tests.service.web.helpers import csrf

PUBLIC = "/api/v1/public/tickets"
DESK = "/api/v1/hotline/tickets"
FORM = "/hotline/report"


@pytest.fixture
def district(session: Session) -> Region:
    city = make_region(session, code="4104", level=RegionLevel.city)
    weidong = make_region(session, code="410403", name="Weidong", parent=city)
    xinhua = make_region(session, code="410402", name="Xinhua", parent=city)
    make_compound(session, code="CMP-GARDEN", region=weidong)
    make_compound(session, code="CMP-RIVER", region=xinhua)
    make_store(session, code="PDS-0009", region=weidong)
    session.commit()
    return weidong


def call(**changes: Any) -> dict[str, Any]:
    body = {"category": "cannot_buy", "text": "No rice delivered to us.", "region": "410403"}
    return body | changes


def answer_shape(response: Any) -> tuple[int, list[str]]:
    """What a stranger learns from an answer: its status and the fields it holds."""
    return response.status_code, sorted(response.json())


@pytest.mark.usefixtures("district")
def test_the_public_api_answers_a_real_and_an_unknown_compound_alike(
    client: TestClient, session: Session
) -> None:
    real = client.post(PUBLIC, json=call(compound="CMP-GARDEN"))
    unknown = client.post(PUBLIC, json=call(compound="CMP-NOWHERE"))
    neighbours = client.post(PUBLIC, json=call(compound="CMP-RIVER"))
    assert answer_shape(real) == answer_shape(unknown) == answer_shape(neighbours)
    assert real.status_code == 201, real.text
    operator = make_key(session, Role.operator)
    session.commit()
    linked = client.get(f"{DESK}/{real.json()['number']}", headers=operator).json()
    assert linked["compound"] == "CMP-GARDEN"
    assert linked["events"][0]["note"] is None
    unlinked = client.get(f"{DESK}/{unknown.json()['number']}", headers=operator).json()
    assert unlinked["compound"] is None
    assert "compound 'CMP-NOWHERE'" in unlinked["events"][0]["note"]
    outside = client.get(f"{DESK}/{neighbours.json()['number']}", headers=operator).json()
    assert outside["compound"] is None
    assert "(not in region 410403)" in outside["events"][0]["note"]
    followed = client.get(
        f"{PUBLIC}/{unknown.json()['number']}", params={"token": unknown.json()["follow_token"]}
    )
    assert "CMP-NOWHERE" not in followed.text


@pytest.mark.usefixtures("district")
def test_the_desk_still_refuses_an_unknown_compound_by_name(
    client: TestClient, session: Session
) -> None:
    operator = make_key(session, Role.operator)
    session.commit()
    refused = client.post(DESK, json=call(compound="CMP-NOWHERE"), headers=operator)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "compound"]
    assert session.scalars(select(Ticket)).all() == []


@pytest.mark.usefixtures("district")
def test_the_public_page_acknowledges_a_real_and_an_unknown_store_alike(
    client: TestClient, session: Session
) -> None:
    pages = []
    for store in ("PDS-0009", "PDS-4040"):
        filed = client.post(
            FORM,
            data={"csrf_token": csrf(client, FORM)} | call(store=store),
        )
        assert filed.status_code == 201, filed.text
        pages.append(re.sub(r"HL\d+|token=[\w-]+", "", filed.text).replace("csrf", ""))
    assert re.sub(r'value="[^"]+"', "", pages[0]) == re.sub(r'value="[^"]+"', "", pages[1])
    stores = [ticket.store_id is not None for ticket in session.scalars(select(Ticket))]
    assert sorted(stores) == [False, True]


@pytest.mark.usefixtures("district")
def test_a_residents_follow_link_stays_in_no_shared_computers_cache(client: TestClient) -> None:
    """The answer to a filing shows the private follow link once, and the follow pages are
    opened with it: a browser or a proxy keeps none of them."""
    filed = client.post(PUBLIC, json=call())
    assert filed.status_code == 201, filed.text
    number, token = filed.json()["number"], filed.json()["follow_token"]
    page = client.post(FORM, data={"csrf_token": csrf(client, FORM)} | call())
    assert page.status_code == 201, page.text
    followed = [
        client.get(f"{PUBLIC}/{number}", params={"token": token}),
        client.get(f"/hotline/follow/{number}", params={"token": token}),
    ]
    assert [answer.status_code for answer in followed] == [200, 200]
    for answer in (filed, page, *followed):
        assert answer.headers.get("cache-control") == "no-store", answer.url
    assert "cache-control" not in client.get("/bulletin").headers  # public pages stay cacheable
