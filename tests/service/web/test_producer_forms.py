"""A producer's forms as the producer meets them: an offer with several mistakes is shown
again with every bad field named beside it, in the producer's language, as typed; a
record with a field too long is the page again, not an error page; a good offer is
confirmed in words."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import Producer, Role, SupplyOffer
from tests.factories import business_today, make_product
from tests.service.web.helpers import csrf, sign_in
from tests.supply_network.factories import make_producer

TODAY = business_today()
ZH = {"Accept-Language": "zh"}


@pytest.fixture
def farmer(client: TestClient, session: Session) -> Producer:
    """A farm growing cabbage, its producer signed in."""
    make_product(session, code="cabbage", category="vegetables")
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    create_user(
        session,
        username="farmer",
        password="farmer-password",
        role=Role.producer,
        producer_id=farm.id,
    )
    session.commit()
    sign_in(client, "farmer", "farmer-password")
    return farm


def beside(page: str, form: str, field: str) -> str:
    """The problem the page shows beside ``field`` of ``form`` ('' when none)."""
    found = re.search(rf'<span class="field-error" id="{form}-{field}-error">([^<]*)</span>', page)
    return found.group(1) if found else ""


def typed_value(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}"[^>]*value="([^"]*)"', page)
    assert found, f"no {field_id} field"
    return found.group(1)


def offer_with_mistakes(token: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "product": "cabbage",
        "quantity": "-5",
        "price": "cheap",
        "available_from": "2026-13-45",
        "available_to": TODAY.isoformat(),
        "minimum_lot": "",
    }


def test_producer_sees_every_bad_field_of_an_offer_at_once(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    page = client.post("/producer/offers", data=offer_with_mistakes(csrf(client, "/producer")))
    assert page.status_code == 422
    assert "Nothing was changed." in page.text
    assert beside(page.text, "offer", "quantity") == "must be greater than 0"
    assert beside(page.text, "offer", "price") == "Enter a number"
    assert beside(page.text, "offer", "available_from") == "Enter a date, such as 2026-12-31"
    assert beside(page.text, "offer", "available_to") == ""
    # The form comes back as it was typed, not emptied.
    assert typed_value(page.text, "offer-quantity") == "-5"
    assert typed_value(page.text, "offer-price") == "cheap"
    assert typed_value(page.text, "offer-available_from") == "2026-13-45"
    assert session.scalar(select(func.count()).select_from(SupplyOffer)) == 0


def test_producer_reads_the_offer_problems_in_chinese_beside_each_field(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    token = csrf(client, "/producer")
    empty = {"csrf_token": token, "product": "cabbage", "available_from": "", "available_to": ""}
    page = client.post("/producer/offers", data=empty, headers=ZH)
    assert page.status_code == 422
    assert beside(page.text, "offer", "quantity") == "必填"
    assert beside(page.text, "offer", "price") == "必填"
    assert beside(page.text, "offer", "available_from") == "请输入日期，例如 2026-12-31"
    assert beside(page.text, "offer", "available_to") == "请输入日期，例如 2026-12-31"
    problem = page.text[page.text.index('id="problem"') :]
    problem = problem[: problem.index("</div>")]
    assert "available_from" not in problem and "quantity" not in problem, problem


def test_producer_offer_posted_is_confirmed_in_words(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    good = offer_with_mistakes(csrf(client, "/producer")) | {
        "quantity": "400",
        "price": "1.8",
        "available_from": TODAY.isoformat(),
    }
    page = client.post("/producer/offers", data=good)
    assert page.status_code == 200 and "Offer posted." in page.text
    assert session.scalar(select(func.count()).select_from(SupplyOffer)) == 1


def test_producer_whose_contact_is_too_long_gets_the_page_back_not_an_error_page(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    token = csrf(client, "/producer")
    record = {"csrf_token": token, "contact_name": "L" * 250, "contact_phone": "138", "address": ""}
    page = client.post("/producer/record", data=record, headers=ZH)
    assert page.status_code == 422
    assert 'id="record-form"' in page.text
    assert beside(page.text, "record", "contact_name") == "最多 200 个字符"
    assert typed_value(page.text, "record-contact_phone") == "138"
    session.refresh(farmer)
    assert farmer.contact_name != "L" * 250


def test_producer_typing_too_large_an_offer_is_told_the_limit_as_a_plain_number(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    too_large = offer_with_mistakes(csrf(client, "/producer")) | {
        "quantity": "1e12",
        "price": "99999999",
        "available_from": TODAY.isoformat(),
    }
    page = client.post("/producer/offers", data=too_large, headers=ZH)
    assert page.status_code == 422
    assert beside(page.text, "offer", "quantity") == "不能大于 10,000,000"  # not 1e+07
    assert beside(page.text, "offer", "price") == "不能大于 100,000"


def capacities_of(page: str) -> str:
    """The producer's capacities as its record reads them."""
    capacities = page[page.index('id="capacities"') :]
    return capacities[: capacities.index("</p>")]


def test_producer_reads_its_capacities_in_natural_chinese(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    """The walk read "白条鸡：11 kg 每日", the English word order glued together and the unit
    in English; a Chinese record reads "每日 5,000 千克" after a Chinese colon."""
    capacities = capacities_of(client.get("/producer", headers=ZH).text)
    assert "：每日 5,000 千克" in capacities, capacities
    assert ": " not in capacities and "千克 每日" not in capacities and "kg" not in capacities
    english = capacities_of(client.get("/producer").text)
    assert ": 5,000 kg per day" in english, english


def test_producer_whose_offer_ends_before_it_starts_is_told_so_in_chinese_words(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    inverted = offer_with_mistakes(csrf(client, "/producer")) | {
        "quantity": "10",
        "price": "2",
        "available_from": (TODAY + timedelta(days=2)).isoformat(),
        "available_to": (TODAY + timedelta(days=1)).isoformat(),
    }
    page = client.post("/producer/offers", data=inverted, headers=ZH)
    assert page.status_code == 422
    assert beside(page.text, "offer", "available_to") == "早于起始日期"  # not available_from
    english = client.post("/producer/offers", data=inverted)
    assert beside(english.text, "offer", "available_to") == "is before the first day available"


def posted_offer(client: TestClient, session: Session) -> SupplyOffer:
    """A 400-cabbage offer at ¥1.8 posted through the page, running three days."""
    client.post(
        "/producer/offers",
        data={
            "csrf_token": csrf(client, "/producer"),
            "product": "cabbage",
            "quantity": "400",
            "price": "1.8",
            "available_from": TODAY.isoformat(),
            "available_to": (TODAY + timedelta(days=3)).isoformat(),
            "minimum_lot": "",
        },
    )
    return session.scalars(select(SupplyOffer)).one()


def test_producer_changes_an_offers_quantity_price_and_window_on_the_page(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    offer = posted_offer(client, session)
    form = client.get("/producer").text
    assert typed_value(form, f"change-{offer.id}-quantity") == "400"
    assert typed_value(form, f"change-{offer.id}-price") == "1.8"
    later = (TODAY + timedelta(days=6)).isoformat()
    page = client.post(
        f"/producer/offers/{offer.id}/change",
        data={
            "csrf_token": csrf(client, "/producer"),
            "quantity": "650",
            "price": "1.6",
            "available_to": later,
            "minimum_lot": "50",
        },
    )
    assert page.status_code == 200 and "Offer changed" in page.text
    session.expire_all()
    changed = session.get_one(SupplyOffer, offer.id)
    assert (changed.quantity, changed.price, changed.available_to.isoformat()) == (
        650,
        1.6,
        later,
    )
    assert changed.minimum_lot == 50
    assert typed_value(page.text, f"change-{offer.id}-quantity") == "650"


def test_producer_changing_an_offer_badly_is_told_beside_each_field_in_chinese_and_nothing_changes(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    offer = posted_offer(client, session)
    page = client.post(
        f"/producer/offers/{offer.id}/change",
        data={
            "csrf_token": csrf(client, "/producer"),
            "quantity": "lots",
            "price": "1.8",
            "available_to": (TODAY - timedelta(days=1)).isoformat(),
            "minimum_lot": "",
        },
        headers=ZH,
    )
    assert page.status_code == 422
    assert beside(page.text, f"change-{offer.id}", "quantity") == "必须是数字"
    assert "过去" in beside(page.text, f"change-{offer.id}", "available_to")
    assert f'<details class="change-offer" id="change-offer-{offer.id}" open>' in page.text
    assert typed_value(page.text, f"change-{offer.id}-quantity") == "lots"
    session.expire_all()
    kept = session.get_one(SupplyOffer, offer.id)
    assert (kept.quantity, kept.available_to) == (400, TODAY + timedelta(days=3))


def test_another_producer_cannot_change_an_offer_that_is_not_theirs(
    client: TestClient, session: Session, farmer: Producer
) -> None:
    offer = posted_offer(client, session)
    other = make_producer(session, code="FARM-2", capacities={"cabbage": 100})
    create_user(
        session,
        username="other",
        password="other-password",
        role=Role.producer,
        producer_id=other.id,
    )
    session.commit()
    sign_in(client, "other", "other-password")
    page = client.post(
        f"/producer/offers/{offer.id}/change",
        data={
            "csrf_token": csrf(client, "/producer"),
            "quantity": "1",
            "price": "0.1",
            "available_to": TODAY.isoformat(),
            "minimum_lot": "",
        },
    )
    assert page.status_code == 404
    session.expire_all()
    assert session.get_one(SupplyOffer, offer.id).quantity == 400
