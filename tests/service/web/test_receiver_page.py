"""A locked-down compound's receiver orders a delivery in the browser and follows it:
the page is its home after signing in, a refused order names the row and stores nothing,
and it never sees another compound's requests."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from accounts.authentication import create_user
from models import Compound, DeliveryRequest, Role
from tests.dispatch.factories import make_compound, make_request
from tests.factories import business_today, make_product
from tests.service.web.helpers import csrf, make_person, sign_in


@pytest.fixture
def receiver(client: TestClient, session: Session) -> Compound:
    compound = make_compound(session, code="CP-0001")
    for code, category, name, name_zh in (
        ("rice", "grain", "Rice", "大米"),
        ("pork", "meat", "Pork", "猪肉"),
    ):
        product = make_product(session, code=code, category=category, unit="kg")
        product.name, product.name_zh = name, name_zh
    create_user(
        session,
        username="gate",
        password="gate-password",
        role=Role.receiver,
        compound_id=compound.id,
    )
    session.commit()
    answer = sign_in(client, "gate", "gate-password")
    assert answer.headers["location"] == "/receiver"  # the receiver's own home, not /docs
    return compound


def _requests(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(DeliveryRequest)) or 0)


def _order(client: TestClient, **fields: Any) -> dict[str, Any]:
    return {
        "csrf_token": csrf(client, "/receiver"),
        "delivery_date": business_today().isoformat(),
        "priority": "urgent",
        "window_start": "08:00",
        "window_end": "11:00",
        "note": "gate 2",
        "product": ["rice", "pork", ""],
        "quantity": ["20", "5", ""],
        **fields,
    }


def test_a_receiver_orders_a_delivery_and_sees_it_waiting_for_a_plan(
    client: TestClient, session: Session, receiver: Compound
) -> None:
    answer = client.post("/receiver/requests", data=_order(client), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    stored = session.scalars(
        select(DeliveryRequest).options(selectinload(DeliveryRequest.items))
    ).one()
    assert (stored.compound_id, stored.priority.value, stored.note) == (
        receiver.id,
        "urgent",
        "gate 2",
    )
    assert [(item.quantity, item.unit) for item in stored.items] == [(20, "kg"), (5, "kg")]
    page = client.get(answer.headers["location"]).text
    assert f"#{stored.id}" in page
    listed = page.split('id="requests"', 1)[1]
    assert "Rice 20 kg, Pork 5 kg" in listed
    assert "not planned yet" in listed


def test_a_receiver_reading_chinese_sees_its_order_by_the_products_chinese_names(
    client: TestClient, session: Session, receiver: Compound
) -> None:
    answer = client.post("/receiver/requests", data=_order(client), follow_redirects=False)
    assert answer.status_code == 303, answer.text
    client.cookies.set("supplywatch_lang", "zh")
    listed = client.get("/receiver").text.split('id="requests"', 1)[1]
    assert "大米 20 千克, 猪肉 5 千克" in listed  # names, not the codes "rice", "pork", "kg"


def test_a_refused_order_names_its_row_in_chinese_and_stores_nothing(
    client: TestClient, session: Session, receiver: Compound
) -> None:
    form = _order(client, product=["rice", "kale"], quantity=["abc", "2"])
    refused = client.post("/receiver/requests", data=form, headers={"Accept-Language": "zh"})
    assert refused.status_code == 422
    assert 'id="quantity-0-error"' in refused.text
    assert "不是数字" in refused.text
    assert 'value="abc"' in refused.text  # what was typed stays in its field
    assert _requests(session) == 0
    unknown = client.post(
        "/receiver/requests", data=_order(client, product=["kale"], quantity=["2"])
    )
    assert unknown.status_code == 422
    assert 'id="product-0-error"' in unknown.text
    assert _requests(session) == 0


@pytest.mark.parametrize(
    ("language", "summary"), [("en", "quantity 2 is not a number"), ("zh", "数量 2 不是数字")]
)
def test_a_refused_quantity_is_summed_up_by_its_rows_label_not_the_forms_field_name(
    client: TestClient, session: Session, receiver: Compound, language: str, summary: str
) -> None:
    form = _order(client, product=["rice", "pork"], quantity=["3", "lots"])
    refused = client.post("/receiver/requests", data=form, headers={"Accept-Language": language})
    assert refused.status_code == 422
    shown = refused.text.split('id="problem"', 1)[1].split("</div>", 1)[0]
    assert summary in shown and "items.1.quantity" not in shown
    assert _requests(session) == 0


@pytest.mark.parametrize("note", ["x" * 501, "gate 2 \u202eetag", "gate \x1b[31m2", "\u200b"])
def test_a_note_that_is_not_one_visible_line_is_shown_beside_its_field_and_nothing_is_sent(
    client: TestClient, session: Session, receiver: Compound, note: str
) -> None:
    """The page's note goes through the same check as the API's: too long for its column
    (a 500 on PostgreSQL before), a mark that reverses the text, a terminal escape or
    nothing visible is named beside the note field."""
    refused = client.post("/receiver/requests", data=_order(client, note=note))
    assert refused.status_code == 422
    assert 'id="note-error"' in refused.text
    assert _requests(session) == 0


@pytest.mark.parametrize(
    ("products", "quantities", "marked"),
    [
        (["rice", "pork"], ["1"], "quantity-1-error"),
        (["rice"], ["1", "4"], "product-1-error"),
    ],
)
def test_a_row_with_a_product_or_a_quantity_alone_is_named_and_nothing_is_sent(
    client: TestClient,
    session: Session,
    receiver: Compound,
    products: list[str],
    quantities: list[str],
    marked: str,
) -> None:
    """A post with more products than quantities (or the other way round) once sent the
    first rows and dropped the rest without a word; now the half row is named."""
    form = _order(client, product=products, quantity=quantities)
    refused = client.post("/receiver/requests", data=form)
    assert refused.status_code == 422
    assert f'id="{marked}"' in refused.text
    assert _requests(session) == 0


@pytest.mark.parametrize("quantity", ["1_000", "nan", "inf", "١٢"])
def test_a_quantity_only_python_reads_as_a_number_is_refused(
    client: TestClient, session: Session, receiver: Compound, quantity: str
) -> None:
    """ "1_000" is 1000 to Python's float, not to the person who typed it: refused as not a
    number beside its row, as "abc" is."""
    form = _order(client, product=["rice"], quantity=[quantity])
    refused = client.post("/receiver/requests", data=form)
    assert refused.status_code == 422
    assert 'id="quantity-0-error"' in refused.text
    assert "quantity 1 is not a number" in refused.text
    assert _requests(session) == 0


def test_a_compound_no_longer_served_is_told_so_when_it_orders(
    client: TestClient, session: Session, receiver: Compound
) -> None:
    receiver.active = False
    session.commit()
    refused = client.post("/receiver/requests", data=_order(client))
    assert refused.status_code == 422
    assert "no longer served" in refused.text.split('id="problem"', 1)[1]
    assert _requests(session) == 0


def test_a_receiver_sees_only_its_own_compounds_requests(
    client: TestClient, session: Session, receiver: Compound
) -> None:
    other = make_compound(session, code="CP-0002")
    make_request(session, compound=other, delivery_date=business_today(), kg=777)
    session.commit()
    page = client.get("/receiver").text
    assert "No request yet." in page
    assert "777" not in page


def test_other_roles_are_refused_the_receiver_page(client: TestClient, session: Session) -> None:
    sign_in(client, "shop", make_person(session, "shop", Role.bureau))
    assert client.get("/receiver").status_code == 403
