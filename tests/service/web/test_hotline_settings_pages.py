"""The bureau sets where hotline tickets go and how long the desk has, on a page: a routing
rule for one category in one district, the SLA targets of a priority, a working group's
members. A refused change names its field and writes nothing; the operator reads the
rules but changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from core.access import Principal
from hotline.routing import load_sla_policy
from hotline.tickets import TicketInput, file_ticket
from models import Region, Role, TicketCategory, WorkingGroup, WorkingGroupMember
from tests.service.web.helpers import csrf, make_person, make_weidong, sign_in

PAGE = "/hotline/settings"


@pytest.fixture(autouse=True)
def city(session: Session) -> None:
    make_weidong(session)


@pytest.fixture
def bureau(client: TestClient, session: Session) -> TestClient:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    return client


def post(client: TestClient, path: str, data: dict[str, str]) -> object:
    return client.post(
        path, data={"csrf_token": csrf(client, PAGE), **data}, follow_redirects=False
    )


def routed_group(session: Session, category: TicketCategory) -> str:
    """The working group a new ticket of ``category`` about Weidong goes to."""
    ticket, _ = file_ticket(
        session=session,
        new=TicketInput(category=category, text="eggs ¥30 a box", region="410403"),
        principal=Principal("key", 1, "operator", Role.operator),
    )
    return session.get_one(WorkingGroup, ticket.working_group_id).code


def test_the_bureau_routes_weidongs_price_complaints_to_another_group(
    bureau: TestClient, session: Session
) -> None:
    assert 'id="hotline-settings"' in bureau.get("/hotline/queue").text
    assert 'id="no-rules"' in bureau.get(PAGE).text  # a new installation: no ticket yet
    saved = post(
        bureau,
        f"{PAGE}/rules",
        {
            "category": "price_complaint",
            "region": "Weidong",
            "working_group": "supply_coordination",
            "level": "county",
        },
    )
    assert saved.headers["location"] == f"{PAGE}?done=rule#done"  # type: ignore[attr-defined]
    page = bureau.get(f"{PAGE}?done=rule").text
    assert "Rule saved" in page and '<td data-label="Region">Weidong</td>' in page
    assert "Market monitoring and analysis" in page  # the defaults, written with it
    session.expire_all()
    assert routed_group(session, TicketCategory.price_complaint) == "supply_coordination"
    # the first rule set by hand did not stand in for the defaults of every other category
    assert routed_group(session, TicketCategory.delivery_late) == "logistics_delivery"


def test_a_rule_for_an_unknown_district_is_refused_beside_the_field(
    bureau: TestClient, session: Session
) -> None:
    refused = post(
        bureau,
        f"{PAGE}/rules",
        {"category": "", "region": "Atlantis", "working_group": "publicity", "level": "city"},
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'id="rule-region-error"' in refused.text  # type: ignore[attr-defined]
    assert 'value="Atlantis"' in refused.text  # type: ignore[attr-defined]
    session.expire_all()
    assert routed_group(session, TicketCategory.price_complaint) == "market_monitoring"


def test_the_bureau_shortens_the_urgent_targets_and_a_target_out_of_range_is_refused(
    bureau: TestClient, session: Session
) -> None:
    saved = post(
        bureau,
        f"{PAGE}/targets/urgent",
        {"first_response_minutes": "10", "resolution_minutes": "120"},
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    assert 'id="target-urgent-first_response_minutes"' in bureau.get(PAGE).text
    session.expire_all()
    urgent = load_sla_policy(session=session).targets["urgent"]
    assert (urgent.first_response_minutes, urgent.resolution_minutes) == (10, 120)
    for typed, field, problem in (
        (
            {"first_response_minutes": "0", "resolution_minutes": "120"},
            "first_response_minutes",
            "must be from 1 to 43200 minutes",
        ),
        (
            {"first_response_minutes": "30", "resolution_minutes": "20"},
            "resolution_minutes",
            "at least the first response target",
        ),
        (
            {"first_response_minutes": "soon", "resolution_minutes": "120"},
            "first_response_minutes",
            "Enter a number",
        ),
    ):
        refused = post(bureau, f"{PAGE}/targets/urgent", typed)
        assert refused.status_code == 422, typed  # type: ignore[attr-defined]
        assert (
            f'<span class="field-error" id="target-urgent-{field}-error">{problem}</span>'
            in refused.text  # type: ignore[attr-defined]
        ), typed
    session.expire_all()
    urgent = load_sla_policy(session=session).targets["urgent"]
    assert (urgent.first_response_minutes, urgent.resolution_minutes) == (10, 120)


def test_the_bureau_puts_a_working_group_user_in_a_group_and_not_a_store_user(
    bureau: TestClient, session: Session
) -> None:
    make_person(session, "wang", Role.working_group)
    make_person(session, "shop", Role.bureau)
    added = post(bureau, f"{PAGE}/members", {"working_group": "publicity", "username": "wang"})
    assert added.status_code == 303  # type: ignore[attr-defined]
    page = bureau.get(PAGE).text
    assert '<td class="wide" data-label="Members">wang</td>' in page
    refused = post(bureau, f"{PAGE}/members", {"working_group": "publicity", "username": "shop"})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert 'id="member-username-error"' in refused.text  # type: ignore[attr-defined]
    session.expire_all()
    assert len(session.scalars(select(WorkingGroupMember)).all()) == 1


def test_the_operator_reads_the_rules_and_targets_but_changes_nothing(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "hu", make_person(session, "hu", Role.operator))
    page = client.get(PAGE).text
    assert 'id="rules"' in page and 'id="targets"' in page
    assert 'id="rule-form"' not in page and 'id="member-form"' not in page
    assert "<input" not in page.split('id="targets"', 1)[1].split("</table>", 1)[0]
    refused = post(
        client,
        f"{PAGE}/rules",
        {"category": "", "region": "", "working_group": "publicity", "level": "city"},
    )
    assert refused.status_code == 403  # type: ignore[attr-defined]


def test_the_settings_page_reads_in_chinese(bureau: TestClient) -> None:
    bureau.cookies.set("supplywatch_lang", "zh")
    post(bureau, f"{PAGE}/rules", {"region": "", "working_group": "publicity", "level": "city"})
    page = bureau.get(f"{PAGE}?done=rule").text
    assert "规则已保存" in page
    for chinese in ("热线分派规则与时限", "分派规则", "时限目标", "市场监测分析组", "任何类别"):
        assert chinese in page, chinese
    for english in ("Routing rules", "SLA targets", "Working groups", "any category"):
        assert f">{english}<" not in page, english


def test_a_city_bureau_sets_its_own_rules_and_reads_why_the_targets_are_not_its_own(
    client: TestClient, session: Session
) -> None:
    city = session.scalars(select(Region).where(Region.code == "4104")).one()
    create_user(session, username="wu", password="wu-password", role=Role.bureau, region_id=city.id)
    session.commit()
    sign_in(client, "wu", "wu-password")
    page = client.get(PAGE).text
    assert 'id="rule-form"' in page and 'id="national-only"' in page
    assert 'id="member-form"' not in page
    assert "<input" not in page.split('id="targets"', 1)[1].split("</table>", 1)[0]
    saved = post(
        client,
        f"{PAGE}/rules",
        {"region": "410403", "working_group": "publicity", "level": "county"},
    )
    assert saved.status_code == 303  # type: ignore[attr-defined]
    # anywhere is every region's rule: national staff only
    refused = post(client, f"{PAGE}/rules", {"working_group": "publicity", "level": "city"})
    assert refused.status_code == 403  # type: ignore[attr-defined]
