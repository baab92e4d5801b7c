"""The bureau downloads what it is looking at: the dashboard's tables, the alert list with
its filters and the drill-downs, as CSV or XLSX in the reader's language, with a name
that would start a formula neutralised; a store is refused them as it is the pages."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from models import AlertRule, RegionLevel, Role, Severity, Store
from service.web.i18n import translator
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.monitors.running.test_runs import history
from tests.service.api.test_alerts import make_alert
from tests.service.web.helpers import csrf, make_person, sign_in

ZH = {"Accept-Language": "zh-CN"}
HOSTILE_DISTRICT = '=HYPERLINK("http://evil.example","Weidong")'
HOSTILE_STORE = "@SUM(1+1)*cmd|' /C calc'!A0"


@dataclass
class City:
    district: str
    reporting: Store
    silent: Store


@pytest.fixture
def city(session: Session) -> City:
    """A district named like a formula, a store that reported and one (named like a
    formula too) that did not; the monitor has not run yet."""
    top = make_region(session, code="CITY", level=RegionLevel.city)
    east = make_region(session, code="EAST", name=HOSTILE_DISTRICT, parent=top)
    reporting = make_store(session, code="A", region=east)
    silent = make_store(session, code="B", region=east)
    silent.name = HOSTILE_STORE
    cabbage = make_product(session, code="cabbage", category="vegetables")
    pork = make_product(session, code="pork", category="meat")
    today = business_today()
    history(session, reporting, cabbage.id, [(40, 10), (30, 10), (20, 10), (5, 10)], last=today)
    history(session, reporting, pork.id, [(90, 5), (80, 5), (75, 5), (70, 5)], last=today)
    history(session, silent, cabbage.id, [(40, 10), (30, 10)], last=today - timedelta(days=2))
    session.commit()
    return City(district="EAST", reporting=reporting, silent=silent)


def _bureau_after_a_run(client: TestClient, session: Session) -> str:
    """Sign in as the bureau, run the monitor from the dashboard; the dashboard's HTML."""
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    ran = client.post("/dashboard/monitor", data={"csrf_token": csrf(client, "/dashboard")})
    assert ran.status_code == 200
    return ran.text


def _csv(response_content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response_content.decode("utf-8-sig"))))


def _page_json(html: str, element: str) -> object:
    found = re.search(rf'<script type="application/json" id="{element}">(.*?)</script>', html, re.S)
    assert found, f"no {element} on the page"
    return json.loads(found.group(1))


def test_the_dashboards_supply_table_downloads_as_the_heatmap_shows_it(
    client: TestClient, session: Session, city: City
) -> None:
    page = _bureau_after_a_run(client, session)
    assert 'href="/dashboard/export?format=csv&amp;table=supply"' in page
    heatmap = _page_json(page, "heatmap-data")
    assert isinstance(heatmap, dict)
    categories = [category["code"] for category in heatmap["categories"]]
    shown = {(categories[cell[0]], cell[2], cell[3]) for cell in heatmap["cells"]}

    response = client.get("/dashboard/export", params={"format": "csv", "table": "supply"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = _csv(response.content)
    assert rows[0] == [
        "District code",
        "District",
        "Category code",
        "Category",
        "Days of supply",
        "Status",
    ]
    assert len(rows) - 1 == len(shown) == 2
    assert {(row[2], float(row[4]), row[5]) for row in rows[1:]} == shown
    assert {row[1] for row in rows[1:]} == {"'" + HOSTILE_DISTRICT}


def test_the_stores_not_reported_download_neutralises_a_formula_name_in_xlsx(
    client: TestClient, session: Session, city: City
) -> None:
    page = _bureau_after_a_run(client, session)
    assert 'href="/dashboard/export?format=xlsx&amp;table=not-reported"' in page
    response = client.get("/dashboard/export", params={"format": "xlsx", "table": "not-reported"})
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(
        f'not-reported-{business_today().isoformat()}.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [
        ["Store", "Name", "Region"],
        ["B", "'" + HOSTILE_STORE, "'" + HOSTILE_DISTRICT],
    ]
    assert sheet.cell(row=2, column=2).data_type == "s"  # text, never a formula
    assert sheet.cell(row=2, column=3).data_type == "s"


def test_a_chinese_reader_sees_the_silent_stores_town_in_chinese_on_the_page_and_download(
    client: TestClient, session: Session, city: City
) -> None:
    """The walk saw the Chinese dashboard name a silent store's town in English (Xinglong
    Street) under a "区县" heading; the page and its download now say 地区 and 兴隆街道."""
    town = make_region(session, code="EAST-001", name="Xinglong Street", parent=None)
    town.name_zh = "兴隆街道"
    city.silent.region_id = town.id
    session.commit()
    _bureau_after_a_run(client, session)
    client.cookies.set("supplywatch_lang", "zh")
    table = client.get("/dashboard").text.split('id="not-reported"')[1].split("</table>")[0]
    assert "<th>地区</th>" in table and "<th>区县</th>" not in table
    assert "<td>兴隆街道</td>" in table and "Xinglong Street" not in table
    rows = _csv(
        client.get("/dashboard/export", params={"format": "csv", "table": "not-reported"}).content
    )
    assert rows == [["门店", "名称", "地区"], ["B", "'" + HOSTILE_STORE, "兴隆街道"]]
    client.cookies.set("supplywatch_lang", "en")
    english = client.get("/dashboard").text.split('id="not-reported"')[1].split("</table>")[0]
    assert "<th>Region</th>" in english and "<td>Xinglong Street</td>" in english


def test_a_chinese_reader_downloads_chinese_titles_and_words(
    client: TestClient, session: Session, city: City
) -> None:
    _bureau_after_a_run(client, session)
    english = _csv(client.get("/dashboard/export", params={"format": "csv"}).content)
    rows = _csv(client.get("/dashboard/export", params={"format": "csv"}, headers=ZH).content)
    chinese = translator("zh")
    assert rows[0] == [chinese(title) for title in english[0]]
    assert rows[0][1] == chinese("District") != "District"
    assert len(rows) == len(english) > 1
    for zh_row, en_row in zip(rows[1:], english[1:], strict=True):
        assert zh_row[5] == chinese(en_row[5]) != en_row[5]  # the status, in Chinese


def test_the_alert_list_downloads_every_alert_its_filters_select(
    client: TestClient, session: Session
) -> None:
    district = make_region(session, code="EAST", name="Weidong")
    pork = make_product(session, code="pork")
    critical = [
        make_alert(session, district=district, product=pork, severity=Severity.critical)
        for _ in range(3)
    ]
    make_alert(session, district=district, product=pork, severity=Severity.warning)
    make_alert(session, district=district, rule=AlertRule.missing_report)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    page = client.get("/alerts/list", params={"severity": "critical"})
    assert (
        'href="/alerts/list/export?format=csv&amp;status=open&amp;severity=critical'
        '&amp;rule=&amp;scope="' in page.text
    )

    response = client.get(
        "/alerts/list/export", params={"format": "csv", "status": "open", "severity": "critical"}
    )
    assert response.status_code == 200
    rows = _csv(response.content)
    assert rows[0][:5] == ["Alert", "Severity", "Rule", "Status", "Summary"]
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(alert.id for alert in critical)
    assert {(row[1], row[5], row[7]) for row in rows[1:]} == {("critical", "EAST", "pork")}

    every = _csv(client.get("/alerts/list/export", params={"format": "csv"}).content)
    assert len(every) - 1 == 5
    xlsx = client.get("/alerts/list/export", params={"format": "xlsx", "rule": "missing_report"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == 2


def test_the_drill_downs_download_their_rows_and_their_history(
    client: TestClient, session: Session, city: City
) -> None:
    _bureau_after_a_run(client, session)
    page = client.get("/dashboard/district/EAST", params={"product": "cabbage"})
    history_shown = _page_json(page.text, "history-data")
    assert isinstance(history_shown, dict)
    assert 'href="/dashboard/district/EAST/export?format=csv&amp;table=rows"' in page.text

    rows = _csv(client.get("/dashboard/district/EAST/export", params={"format": "csv"}).content)
    assert rows[0][:3] == ["Product", "Category", "Days of supply"]
    assert {row[0] for row in rows[1:]} == {"cabbage", "pork"}
    assert page.text.index('?product=cabbage">') < page.text.index('?product=pork">')
    assert [row[0] for row in rows[1:]] == ["cabbage", "pork"]  # worst first, as the page

    over_time = _csv(
        client.get(
            "/dashboard/district/EAST/export",
            params={"format": "csv", "table": "history", "product": "cabbage"},
        ).content
    )
    assert over_time[0][0] == "Business day"
    assert [row[0] for row in over_time[1:]] == [point["date"] for point in history_shown["points"]]

    product = _csv(client.get("/dashboard/product/pork/export", params={"format": "csv"}).content)
    assert product[0][:2] == ["District code", "District"]
    assert product[1][:2] == ["EAST", "'" + HOSTILE_DISTRICT]
    unknown = client.get("/dashboard/product/pork/export", params={"format": "pdf"})
    assert unknown.status_code == 422 and "format" in unknown.text


EXPORTS = (
    "/dashboard/export?format=csv",
    "/dashboard/export?format=xlsx&table=not-reported",
    "/alerts/list/export?format=csv",
    "/dashboard/district/EAST/export?format=csv",
    "/dashboard/product/cabbage/export?format=xlsx&table=history",
)


def test_a_store_is_refused_every_export(client: TestClient, session: Session, city: City) -> None:
    sign_in(client, "clerk", make_person(session, "clerk", Role.store, store=city.reporting))
    for path in EXPORTS:
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "text/csv" not in refused.headers["content-type"]


def test_a_store_key_opens_no_export(client: TestClient, session: Session, city: City) -> None:
    key = make_key(session, Role.store, store=city.reporting)
    session.commit()
    for path in EXPORTS:
        refused = client.get(path, headers=key, follow_redirects=False)
        assert refused.status_code in (303, 401), path
        assert "text/csv" not in refused.headers.get("content-type", "")
