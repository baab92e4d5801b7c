"""A store fills in today's report in the browser: pre-filled form, errors beside the
fields, file upload with every bad row, the template, history and revision log."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import DailyReport, Role, Store, Unit
from reports.upsert import store_report_lines
from tests.factories import business_today, days_ago, make_product, make_store
from tests.service.web.helpers import csrf, make_person, sign_in


def _shop(client: TestClient, session: Session) -> tuple[Store, dict[str, int]]:
    store = make_store(session, code="PDS-0001")
    products = {
        code: make_product(session, code=code, category=category).id
        for code, category in (("pork", "meat"), ("rice", "grain"))
    }
    yesterday = pd.DataFrame(
        {
            "store_id": store.id,
            "report_date": days_ago(1),
            "product_id": list(products.values()),
            "stock": [120.5, 80.0],
            "sales": [30.0, 20.0],
            "price": [14.8, 2.9],
            "received": [0.0, 0.0],
        }
    )
    store_report_lines(session, yesterday, submitted_by="test")
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=store))
    return store, products


def _lines(session: Session, store: Store) -> int | None:
    return session.scalar(
        select(func.count()).where(
            DailyReport.store_id == store.id, DailyReport.report_date == business_today()
        )
    )


def test_the_form_is_pre_filled_with_yesterdays_numbers(
    client: TestClient, session: Session
) -> None:
    _shop(client, session)
    page = client.get("/store/PDS-0001").text
    assert 'name="stock.pork" value="120.5"' in page
    assert 'name="price.rice" value="2.9"' in page
    assert 'name="received.pork" value=""' in page  # a restock is that day's own number


def test_a_store_posts_todays_report_through_the_form(client: TestClient, session: Session) -> None:
    store, _ = _shop(client, session)
    form = {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": business_today().isoformat(),
        "product": ["pork", "rice"],
        "stock.pork": "100",
        "sales.pork": "35",
        "price.pork": "15.2",
        "stock.rice": "",  # left out of today's report
        "sales.rice": "",
        "price.rice": "",
    }
    response = client.post("/store/PDS-0001/report", data=form)
    assert response.status_code == 200, response.text
    assert "Report saved" in response.text
    line = session.scalars(
        select(DailyReport).where(
            DailyReport.store_id == store.id, DailyReport.report_date == business_today()
        )
    ).one()
    assert (line.stock, line.sales, line.price) == (100.0, 35.0, 15.2)
    assert line.submitted_by.startswith("user:")


def _form_with_cabbage(client: TestClient, *, stock: str) -> dict[str, object]:
    """Today's form with pork filled in, rice left empty and cabbage added."""
    return {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": business_today().isoformat(),
        "product": ["pork", "rice", "cabbage"],
        "stock.pork": "100",
        "sales.pork": "35",
        "price.pork": "15.2",
        "stock.cabbage": stock,
        "sales.cabbage": "12",
        "price.cabbage": "3.5",
    }


def test_a_store_adds_a_product_it_never_reported_and_it_stays_on_its_form(
    client: TestClient, session: Session
) -> None:
    store, _ = _shop(client, session)
    make_product(session, code="cabbage", category="vegetables")  # new in the catalogue
    session.commit()
    page = client.get("/store/PDS-0001").text
    offered = page.split('id="add-products"', 1)[1]
    assert 'name="stock.cabbage" value=""' in offered
    assert 'name="stock.pork"' not in offered  # already on the form itself
    form = _form_with_cabbage(client, stock="40")
    assert "Report saved" in client.post("/store/PDS-0001/report", data=form).text
    assert _lines(session, store) == 2
    stored_form = client.get("/store/PDS-0001").text.split('id="add-products"', 1)[0]
    assert 'name="stock.cabbage" value="40"' in stored_form


def test_a_new_store_is_not_told_its_empty_form_holds_yesterdays_numbers(
    client: TestClient, session: Session
) -> None:
    store = make_store(session, code="PDS-0009")
    make_product(session, code="pork", category="meat")
    sign_in(client, "new", make_person(session, "new", Role.store, store=store))
    page = client.get("/store/PDS-0009").text
    assert "Pre-filled with yesterday" not in page
    assert "No report for this day or the day before yet" in page
    assert 'name="stock.pork" value=""' in page


def test_a_refused_form_keeps_an_added_product_where_the_store_typed_it(
    client: TestClient, session: Session
) -> None:
    store, _ = _shop(client, session)
    make_product(session, code="cabbage", category="vegetables")
    session.commit()
    form = _form_with_cabbage(client, stock="-4")
    refused = client.post("/store/PDS-0001/report", data=form)
    assert refused.status_code == 422
    shown = refused.text.split('id="add-products"', 1)[0]
    assert 'name="stock.cabbage" value="-4"' in shown
    assert 'aria-describedby="stock-cabbage-error"' in shown
    assert _lines(session, store) == 0


@pytest.mark.parametrize(
    ("language", "not_a_number", "negative", "summary"),
    [
        ("en", "not a number", "must not be negative", "Product (pork), Stock (end of day): "),
        ("zh", "不是数字", "不能为负数", "Product (pork), 库存（日终）："),
    ],
)
def test_a_bad_form_shows_each_error_beside_its_field_in_the_page_language_and_stores_nothing(
    client: TestClient,
    session: Session,
    language: str,
    not_a_number: str,
    negative: str,
    summary: str,
) -> None:
    store, _ = _shop(client, session)
    form = {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": business_today().isoformat(),
        "product": ["pork", "rice"],
        "stock.pork": "lots",
        "sales.pork": "3",
        "price.pork": "10",
        "stock.rice": "5",
        "sales.rice": "-1",
        "price.rice": "2",
    }
    response = client.post(
        "/store/PDS-0001/report", data=form, headers={"Accept-Language": language}
    )
    assert response.status_code == 422
    assert f'<span class="field-error" id="stock-pork-error">{not_a_number}</span>' in response.text
    assert f'<span class="field-error" id="sales-rice-error">{negative}</span>' in response.text
    assert summary in response.text
    assert 'value="lots"' in response.text  # what was typed stays to be corrected
    assert _lines(session, store) == 0


@pytest.mark.parametrize(
    ("language", "not_a_date", "negative"),
    [
        ("en", "Business day: not a date (YYYY-MM-DD)", "must not be negative"),
        ("zh", "营业日：不是日期（YYYY-MM-DD）", "不能为负数"),
    ],
)
def test_a_form_with_a_bad_day_still_names_its_bad_fields_in_the_same_answer(
    client: TestClient, session: Session, language: str, not_a_date: str, negative: str
) -> None:
    store, _ = _shop(client, session)
    form = {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": "someday",
        "product": ["pork"],
        "stock.pork": "100",
        "sales.pork": "-3",
        "price.pork": "10",
    }
    response = client.post(
        "/store/PDS-0001/report", data=form, headers={"Accept-Language": language}
    )
    assert response.status_code == 422
    assert f'<p class="field-error" role="alert">{not_a_date}</p>' in response.text
    assert f'<span class="field-error" id="sales-pork-error">{negative}</span>' in response.text
    assert _lines(session, store) == 0


@pytest.mark.parametrize(
    ("language", "too_large"),
    [("en", "is larger than the limit of 10,000,000"), ("zh", "超过上限 10,000,000")],
)
def test_a_store_typing_too_large_a_number_is_told_the_limit_as_a_plain_number(
    client: TestClient, session: Session, language: str, too_large: str
) -> None:
    store, _ = _shop(client, session)
    form = {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": business_today().isoformat(),
        "product": ["pork"],
        "stock.pork": "100",
        "sales.pork": "3",
        "price.pork": "10",
        "received.pork": "1000000000",  # a slip of the finger: three zeros too many
    }
    response = client.post(
        "/store/PDS-0001/report", data=form, headers={"Accept-Language": language}
    )
    assert response.status_code == 422
    shown = f'<span class="field-error" id="received-pork-error">{too_large}</span>'
    assert shown in response.text  # not "1e+07"
    assert _lines(session, store) == 0


def test_an_upload_lists_every_bad_row_and_stores_nothing(
    client: TestClient, session: Session
) -> None:
    store, _ = _shop(client, session)
    today = business_today().isoformat()
    text = (
        "store,date,product,stock,sales,price\n"
        f"PDS-0001,{today},pork,10,2,14\n"
        f"PDS-0001,{today},caviar,1,1,1\n"
        f"PDS-0001,{today},rice,x,1,1\n"
    )
    response = client.post(
        "/store/PDS-0001/upload",
        data={"csrf_token": csrf(client, "/store/PDS-0001")},
        files={"file": ("today.csv", text.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "<td>3</td><td>product</td><td>unknown product &#39;caviar&#39;</td>" in response.text
    assert "<td>4</td><td>stock</td><td>not a number</td>" in response.text
    assert _lines(session, store) == 0


def test_the_template_downloads_and_uploads_back(client: TestClient, session: Session) -> None:
    store, _ = _shop(client, session)
    template = client.get("/store/PDS-0001/template.xlsx")
    assert template.status_code == 200
    frame = pd.read_excel(io.BytesIO(template.content), dtype=str)
    assert sorted(frame["product"]) == ["pork", "rice"]
    frame["stock"], frame["sales"], frame["price"] = "5", "1", "3"
    filled = io.BytesIO()
    frame.to_excel(filled, index=False)
    response = client.post(
        "/store/PDS-0001/upload",
        data={"csrf_token": csrf(client, "/store/PDS-0001")},
        files={"file": ("filled.xlsx", filled.getvalue(), "application/octet-stream")},
    )
    assert response.status_code == 200, response.text
    assert "File stored" in response.text
    assert _lines(session, store) == 2
    csv_template = client.get("/store/PDS-0001/template.csv").text
    assert csv_template.splitlines()[0] == "store,date,product,stock,sales,price,received,unit"


def test_history_and_revision_log_show_a_correction(client: TestClient, session: Session) -> None:
    _shop(client, session)
    day = days_ago(1).isoformat()
    form = {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": day,
        "product": ["pork", "rice"],
        "stock.pork": "99",
        "sales.pork": "30",
        "price.pork": "14.8",
        "stock.rice": "80",
        "sales.rice": "20",
        "price.rice": "2.9",
    }
    assert client.post("/store/PDS-0001/report", data=form).status_code == 200
    page = client.get(f"/store/PDS-0001?day={day}").text
    assert f'href="/store/PDS-0001?day={day}">{day}</a>' in page
    assert "120.50 / 30.00 / 14.80" in page and "99.00 / 30.00 / 14.80" in page


def test_a_chinese_upload_lists_the_bad_rows_in_chinese(
    client: TestClient, session: Session
) -> None:
    store, _ = _shop(client, session)
    today = business_today().isoformat()
    text = f"store,date,product,stock,sales,price\nPDS-0001,{today},caviar,1,1,1\n"
    response = client.post(
        "/store/PDS-0001/upload",
        data={"csrf_token": csrf(client, "/store/PDS-0001")},
        files={"file": ("today.csv", text.encode(), "text/csv")},
        headers={"Accept-Language": "zh"},
    )
    assert response.status_code == 422
    assert "<td>2</td><td>product</td><td>未知商品 &#39;caviar&#39;</td>" in response.text
    assert _lines(session, store) == 0


def test_the_store_report_heading_takes_a_full_width_colon_in_chinese(
    client: TestClient, session: Session
) -> None:
    store = make_store(session, code="PDS-0001")
    store.name = "<b>East</b> market"
    session.commit()
    sign_in(client, "shop", make_person(session, "shop", Role.store, store=store))
    english = client.get("/store").text
    assert "<h1>Store report: &lt;b&gt;East&lt;/b&gt; market <span" in english
    chinese = client.get("/store", headers={"Accept-Language": "zh"}).text
    assert "<h1>门店日报：&lt;b&gt;East&lt;/b&gt; market <span" in chinese


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_store_asking_for_a_day_at_the_calendars_edge_is_told_the_day_is_out_of_range(
    client: TestClient, session: Session, day: str
) -> None:
    _shop(client, session)
    response = client.get("/store/PDS-0001", params={"day": day})
    assert response.status_code == 422, response.text[:300]
    assert "text/html" in response.headers["content-type"]
    assert "day: Input should be" in response.text  # the field named, with its bound


def test_a_store_reads_what_its_save_did_in_whole_chinese_sentences(
    client: TestClient, session: Session
) -> None:
    """The notice after saving was glued from single words ("日报已保存 2026-12-07: 0 新增,
    3 更新, ..."): English order and commas in a Chinese sentence. One sentence now."""
    _shop(client, session)
    client.cookies.set("supplywatch_lang", "zh")
    form = {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": business_today().isoformat(),
        "product": ["pork", "rice"],
        "stock.pork": "100",
        "sales.pork": "35",
        "price.pork": "15.2",
        "stock.rice": "",
        "sales.rice": "",
        "price.rice": "",
    }
    saved = client.post("/store/PDS-0001/report", data=form).text
    notice = saved.split('id="saved">', 1)[1].split("</p>", 1)[0]
    assert notice == (
        f"{business_today().isoformat()} 日报已保存：新增 1 行，更新 0 行，未变 0 行，删除 0 行。"
    )


@pytest.mark.parametrize(
    ("language", "kg", "price"), [("en", "kg", "Price (¥/kg)"), ("zh", "千克", "价格（元/千克）")]
)
def test_the_form_names_each_products_unit_in_the_readers_language(
    client: TestClient, session: Session, language: str, kg: str, price: str
) -> None:
    """A Chinese form read "(pork, kg)" and "价格（元/kg）", the units table's code, beside
    fields a clerk fills in Chinese; English keeps the code."""
    _shop(client, session)
    page = client.get("/store/PDS-0001", headers={"Accept-Language": language}).text
    assert f'<span class="muted">(pork, {kg})</span>' in page, page
    assert f'<td data-label="{price}">' in page
    form = {
        "csrf_token": csrf(client, "/store/PDS-0001"),
        "day": business_today().isoformat(),
        "product": ["pork"],
        "stock.pork": "5",
        "price.pork": "dear",
    }
    refused = client.post(
        "/store/PDS-0001/report", data=form, headers={"Accept-Language": language}
    ).text
    assert re.search(rf'<a href="#price-pork">[^<]*{re.escape(price)}', refused), refused


def test_a_unit_renamed_in_the_table_reads_by_its_new_name_on_the_next_page(
    client: TestClient, session: Session
) -> None:
    """The unit names are read for each page, so an admin's change shows at once."""
    _shop(client, session)
    client.cookies.set("supplywatch_lang", "zh")
    assert "(pork, 千克)" in client.get("/store/PDS-0001").text
    kilogram = session.get(Unit, "kg")
    assert kilogram is not None
    kilogram.name_zh = "公斤"
    session.commit()
    page = client.get("/store/PDS-0001").text
    assert "(pork, 公斤)" in page and "千克" not in page
