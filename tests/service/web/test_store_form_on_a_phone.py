"""A store with many products fills in its form on a phone: rows under category headings,
a search box, Save always in reach, an error summary that names the product, a decimal
comma, prices in yuan and upload results at the top (issue 13, point 9)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DailyReport, Role, Store
from tests.factories import business_today, make_key, make_product, make_store
from tests.service.web.helpers import csrf, make_person, sign_in

PRODUCTS = (
    ("rice", "grain", "Rice", "大米"),
    ("pork", "meat", "Pork", "猪肉"),
    ("cabbage", "vegetables", "Cabbage", "白菜"),
)


def _new_store(client: TestClient, session: Session) -> Store:
    """A store that has not reported yet, with three products in three categories."""
    store = make_store(session, code="PDS-0001")
    for code, category, name, name_zh in PRODUCTS:
        product = make_product(session, code=code, category=category)
        product.name, product.name_zh = name, name_zh
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=store))
    return store


def _form(client: TestClient, **values: str) -> dict[str, object]:
    """Today's form with pork and cabbage filled in, overridden by ``values``."""
    return {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": business_today().isoformat(),
        "product": ["rice", "pork", "cabbage"],
        "stock.pork": "100",
        "sales.pork": "35",
        "price.pork": "15.2",
        "stock.cabbage": "40",
        "sales.cabbage": "12",
        "price.cabbage": "3.5",
        **{name.replace("_", "."): value for name, value in values.items()},
    }


def _stored(session: Session, store: Store) -> list[DailyReport]:
    return list(
        session.scalars(
            select(DailyReport).where(
                DailyReport.store_id == store.id, DailyReport.report_date == business_today()
            )
        )
    )


@pytest.mark.parametrize(
    ("language", "headings"),
    [
        ("en", ["Grain", "Meat, poultry and fish", "Vegetables"]),
        ("zh", ["粮食", "肉禽水产", "蔬菜"]),
    ],
)
def test_the_form_groups_products_under_category_headings_in_the_page_language(
    client: TestClient, session: Session, language: str, headings: list[str]
) -> None:
    _new_store(client, session)
    page = client.get("/store/PDS-0001", headers={"Accept-Language": language}).text
    found = [page.index(f'scope="rowgroup">{heading}</th>') for heading in headings]
    assert found == sorted(found)
    assert found[1] < page.index('name="stock.pork"') < found[2]  # pork under meat


def test_the_form_has_a_search_box_and_a_save_button_that_stays_in_reach(
    client: TestClient, session: Session
) -> None:
    _new_store(client, session)
    page = client.get("/store/PDS-0001").text
    # The box shows once the script runs; without it every row shows and posts.
    assert '<p class="search-products no-print" hidden>' in page
    assert 'data-filter-rows="#report-form"' in page
    assert '<script src="/static/js/store-report.js" defer></script>' in page
    assert '<tr data-product="pork pork">' in page  # what the search matches
    assert '<div class="save-bar"><button type="submit" id="save-report">' in page
    assert client.get("/static/js/store-report.js").status_code == 200
    assert ".save-bar {\n  position: sticky; bottom: 0;" in client.get("/static/css/site.css").text


@pytest.mark.parametrize(
    ("language", "header", "label"),
    [("en", "Price (¥ per unit)", "Price (¥/kg)"), ("zh", "价格（元/单位）", "价格（元/千克）")],
)
def test_prices_show_their_currency(
    client: TestClient, session: Session, language: str, header: str, label: str
) -> None:
    _new_store(client, session)
    page = client.get("/store/PDS-0001", headers={"Accept-Language": language}).text
    assert f'<th class="num">{header}</th>' in page
    assert f'<td data-label="{label}">' in page


@pytest.mark.parametrize(
    ("language", "summary"),
    [
        ("en", "Pork (pork), Stock (end of day): not a number"),
        ("zh", "猪肉 (pork), 库存（日终）：不是数字"),
    ],
)
def test_the_error_summary_names_the_product_and_links_to_its_field(
    client: TestClient, session: Session, language: str, summary: str
) -> None:
    store = _new_store(client, session)
    response = client.post(
        "/store/PDS-0001/report",
        data=_form(client, stock_pork="lots", sales_cabbage="-1"),
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    top = response.text.split('id="form-title"', 1)[0]
    assert f'<li><a href="#stock-pork">{summary}</a></li>' in top
    assert '<a href="#sales-cabbage">' in top
    assert "line " not in top and "第 0 行" not in top  # no internal line numbers
    assert 'id="stock-pork-error"' in response.text  # and still beside the field
    assert _stored(session, store) == []


def test_a_store_types_prices_with_a_decimal_comma(client: TestClient, session: Session) -> None:
    store = _new_store(client, session)
    response = client.post("/store/PDS-0001/report", data=_form(client, price_pork="12,5"))
    assert response.status_code == 200, response.text
    pork = next(line for line in _stored(session, store) if line.price != 3.5)
    assert pork.price == 12.5


def test_an_ambiguous_comma_is_refused_naming_both_readings(
    client: TestClient, session: Session
) -> None:
    store = _new_store(client, session)
    response = client.post("/store/PDS-0001/report", data=_form(client, stock_pork="1,234"))
    assert response.status_code == 422
    assert "ambiguous comma: write 1234 or 1.234" in response.text
    assert '<a href="#stock-pork">' in response.text
    assert _stored(session, store) == []


@pytest.mark.parametrize(
    ("language", "ambiguous", "not_a_number", "negative"),
    [
        ("en", "ambiguous comma: write 1234 or 1.234", "not a number", "must not be negative"),
        ("zh", "逗号有歧义：请写 1234 或 1.234", "不是数字", "不能为负数"),
    ],
)
def test_one_submission_shows_every_bad_field_beside_it_ambiguous_commas_and_all(
    client: TestClient,
    session: Session,
    language: str,
    ambiguous: str,
    not_a_number: str,
    negative: str,
) -> None:
    store = _new_store(client, session)
    response = client.post(
        "/store/PDS-0001/report",
        data=_form(client, stock_pork="1,234", price_pork="cheap", sales_cabbage="-1"),
        headers={"Accept-Language": language},
    )
    assert response.status_code == 422
    for field, said in (
        ("stock-pork", ambiguous),
        ("price-pork", not_a_number),
        ("sales-cabbage", negative),
    ):
        assert f'<span class="field-error" id="{field}-error">{said}</span>' in response.text
        assert f'<a href="#{field}">' in response.text.split('id="form-title"', 1)[0]
    assert 'value="1,234"' in response.text and 'value="cheap"' in response.text
    assert _stored(session, store) == []


def test_the_report_api_takes_no_decimal_comma(client: TestClient, session: Session) -> None:
    store = _new_store(client, session)
    response = client.put(
        f"/api/v1/stores/{store.code}/reports/{business_today().isoformat()}",
        json={"lines": [{"product": "pork", "stock": "12,5", "sales": 1, "price": 2}]},
        headers=make_key(session, Role.store, store=store),
    )
    assert response.status_code == 422, response.text
    assert _stored(session, store) == []


def _upload(client: TestClient, product: str) -> str:
    """The page after uploading today's file of one line for ``product``."""
    today = business_today().isoformat()
    text = f"store,date,product,stock,sales,price\nPDS-0001,{today},{product},1,1,1\n"
    return client.post(
        "/store/PDS-0001/upload",
        data={"csrf_token": csrf(client, "/store/PDS-0001")},
        files={"file": ("today.csv", text.encode(), "text/csv")},
    ).text


def test_an_uploads_result_shows_at_the_top_of_the_page(
    client: TestClient, session: Session
) -> None:
    _new_store(client, session)
    refused = _upload(client, "caviar")
    assert refused.index('id="upload-problem"') < refused.index('id="form-title"')
    stored = _upload(client, "pork")
    assert stored.index('id="uploaded"') < stored.index('id="form-title"')
