"""A pass printed from the pages: the print view shows the plate, QR code and validity in
the reader's language with a print button and the PDF beside it; another enterprise's
pass stays hidden, and a visitor without a session is sent to sign in."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from tests.factories import make_enterprise, make_key, make_region, make_store
from tests.pass_office.factories import vehicle_body
from tests.pdfs import pdf_text, require_cjk_font
from tests.service.web.helpers import make_person, sign_in


@pytest.fixture
def issued(client: TestClient, session: Session) -> dict[str, Any]:
    district = make_region(session, code="310115", name="Pudong")
    district.name_zh = "浦东新区"
    make_enterprise(session, code="LIANHUA", name="联华超市")
    bureau = make_key(session, Role.bureau)
    session.commit()
    body = vehicle_body(regions=[district.code], enterprise="LIANHUA")
    response = client.post("/api/v1/passes", json=body, headers=bureau)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Emergency transport vehicle pass", "Plate", "Valid", "Print")),
        ("zh", ("应急运输车辆通行证", "车牌", "有效期", "打印")),
    ],
)
def test_the_bureau_opens_a_passs_print_view_in_its_language(
    client: TestClient,
    session: Session,
    issued: dict[str, Any],
    language: str,
    words: tuple[str, ...],
) -> None:
    sign_in(client, "wang", make_person(session, "wang", Role.bureau))
    page = client.get(f"/passes/{issued['code']}/print", headers={"Accept-Language": language})
    assert page.status_code == 200, page.text
    for word in (*words, "沪A·D12345", "联华超市", "浦东新区 Pudong (310115)"):
        assert word in page.text, word
    assert '<div class="pass-qr"' in page.text and "<svg" in page.text
    assert 'href="/static/css/print-pass.css"' in page.text
    assert "data-print" in page.text and "onclick" not in page.text
    assert f'href="/passes/{issued["code"]}/print.pdf"' in page.text


def test_the_print_views_pdf_carries_the_pass_in_chinese_and_english(
    client: TestClient, session: Session, issued: dict[str, Any]
) -> None:
    require_cjk_font()
    sign_in(client, "wang", make_person(session, "wang", Role.bureau))
    printed = client.get(f"/passes/{issued['code']}/print.pdf")
    assert printed.status_code == 200
    assert printed.headers["content-type"] == "application/pdf"
    text = pdf_text(printed.content)
    assert "车牌 / Plate" in text and "沪A·D12345" in text


def test_another_enterprises_clerk_cannot_open_the_print_view(
    client: TestClient, session: Session, issued: dict[str, Any]
) -> None:
    assert client.get(f"/passes/{issued['code']}/print", follow_redirects=False).headers[
        "location"
    ] == (f"/login?next=/passes/{issued['code']}/print")
    other = make_store(session, enterprise=make_enterprise(session, code="CRV"))
    sign_in(client, "li", make_person(session, "li", Role.store, store=other))
    assert client.get(f"/passes/{issued['code']}/print").status_code == 404
    assert client.get(f"/passes/{issued['code']}/print.pdf").status_code == 404
