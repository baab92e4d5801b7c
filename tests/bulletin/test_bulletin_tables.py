"""A published bulletin's tables as CSV and XLSX for the media and other sites: every
column of the stored table with names beside the codes, in the reader's language, and a
name that would be a spreadsheet formula arrives as text."""

from __future__ import annotations

import csv
import io
from statistics import mean

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Product
from tests.bulletin.factories import make_published_city, pork_price
from tests.factories import business_today

URL = "/api/v1/bulletins/{day}/tables/{table}"


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_anyone_downloads_the_days_prices_as_csv_with_chinese_names(
    client: TestClient, session: Session
) -> None:
    make_published_city(client, session, published_days=1)
    today = business_today().isoformat()
    answer = client.get(URL.format(day=today, table="prices"), params={"lang": "zh"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    rows = {row["product"]: row for row in read_csv(answer.content)}
    assert rows["pork"]["product_name"] == "猪肉"
    assert rows["pork"]["business_date"] == today
    assert float(rows["pork"]["average_price"]) == pytest.approx(
        mean(pork_price(0, cheap=number == 0) for number in range(3))
    )
    assert rows["pork"]["band"] == "crisis"
    page = client.get("/bulletin", headers={"Accept-Language": "zh"})
    assert f"/api/v1/bulletins/{today}/tables/prices?format=csv&amp;lang=zh" in page.text


@pytest.mark.parametrize(
    ("language", "meat"), [("en", "Meat, poultry and fish"), ("zh", "肉禽水产")]
)
def test_a_reader_sees_the_days_of_supply_by_category_named_not_by_code(
    client: TestClient, session: Session, language: str, meat: str
) -> None:
    make_published_city(client, session, published_days=1)
    page = client.get("/bulletin", headers={"Accept-Language": language}).text
    table = page.split('id="category-supply"', 1)[1].split("</table>", 1)[0]
    assert f"<td>{meat}</td>" in table and "<td>meat</td>" not in table


def test_the_district_table_comes_as_xlsx_with_a_row_per_district(
    client: TestClient, session: Session
) -> None:
    make_published_city(client, session, published_days=1)
    answer = client.get(
        URL.format(day=business_today(), table="district_coverage"),
        params={"format": "xlsx", "lang": "zh"},
    )
    assert answer.status_code == 200, answer.text
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:4] == ["business_date", "revision", "district", "district_name"]
    assert sorted(row[3] for row in rows) == ["东区", "西区"]


def test_a_name_that_is_a_formula_arrives_as_text(client: TestClient, session: Session) -> None:
    make_published_city(client, session, published_days=1)
    pork = session.scalars(select(Product).where(Product.code == "pork")).one()
    pork.name = '=HYPERLINK("http://evil.example","x")'
    session.commit()
    answer = client.get(URL.format(day=business_today(), table="prices"))
    rows = {row["product"]: row for row in read_csv(answer.content)}
    assert rows["pork"]["product_name"] == "'" + pork.name


def test_an_unknown_table_or_an_unpublished_day_is_refused(
    client: TestClient, session: Session
) -> None:
    city = make_published_city(client, session, published_days=1)
    unknown = client.get(URL.format(day=city.days[0], table="salaries"))
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["path", "table"]
    missing = client.get(URL.format(day="2001-01-01", table="prices"))
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
