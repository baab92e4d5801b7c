"""The bureau reads each alert's summary in its own language on the alert list and in the
export; the API gives the English summary and the Chinese beside it, the webhooks and the
English pages keep the English."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import RegionLevel, Role
from tests.factories import business_today, make_key, make_product, make_region, make_store
from tests.monitors.running.test_runs import history
from tests.service.web.helpers import csrf, make_person, sign_in

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def run_a_short_city(client: TestClient, session: Session) -> None:
    """Weidong's store A sells 10 cabbages (卷心菜) a day and is down to 5; store B is out."""
    city = make_region(session, code="CITY", level=RegionLevel.city)
    east = make_region(session, code="EAST", name="Weidong", parent=city)
    east.name_zh = "卫东区"
    short, out = (
        make_store(session, code="A", region=east),
        make_store(session, code="B", region=east),
    )
    cabbage = make_product(session, code="cabbage", category="vegetables")
    cabbage.name, cabbage.name_zh = "Savoy cabbage", "卷心菜"
    today = business_today()
    history(session, short, cabbage.id, [(40, 10), (30, 10), (20, 10), (5, 10)], last=today)
    history(session, out, cabbage.id, [(40, 10), (30, 10), (20, 10), (0, 10)], last=today)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    ran = client.post("/dashboard/monitor", data={"csrf_token": csrf(client, "/dashboard")})
    assert ran.status_code == 200


def summaries(page: str) -> list[str]:
    return [cell.split("<br>", 1)[0] for cell in page.split('<td class="summary">')[1:]]


def test_the_bureau_reads_the_monitors_alerts_in_chinese(
    client: TestClient, session: Session
) -> None:
    run_a_short_city(client, session)
    chinese = summaries(client.get("/alerts/list", headers=ZH).text)
    assert len(chinese) >= 3  # store A low, store B out, Weidong low
    assert any(text.startswith("B 卷心菜：缺货（平时日销 10.0）") for text in chinese)
    assert any("卫东区（EAST）经营该商品的 2 家门店中 1 家缺货（50 %）" in text for text in chinese)
    assert any(text.startswith("A 卷心菜：") and "库存 5.0" in text for text in chinese)
    english_words = (
        "days of supply",
        "out of stock",
        "selling",
        "stores carrying",
        "District",
        "cabbage",
        "Savoy",
    )
    assert not any(word in text for text in chinese for word in english_words)

    exported = client.get("/alerts/list/export", params={"format": "csv"}, headers=ZH)
    assert exported.status_code == 200
    assert "B 卷心菜：缺货（平时日销 10.0）" in exported.text


def test_the_api_and_the_english_list_keep_the_english_summary(
    client: TestClient, session: Session
) -> None:
    run_a_short_city(client, session)
    api = client.get("/api/v1/alerts", headers={**make_key(session, Role.bureau), **ZH}).json()
    said = {alert["summary"] for alert in api["items"]}
    # The product by its name, as the bureau knows it, not by its code ("cabbage").
    stockout = next(text for text in said if text.startswith("B Savoy cabbage: out of stock"))
    assert "1 of 2 stores carrying it in District Weidong (EAST) are out (50 %)" in stockout
    english = summaries(client.get("/alerts/list", headers=EN).text)
    assert stockout in english
    assert set(english) <= said


def test_an_integration_reads_each_alerts_summary_in_chinese_from_the_api(
    client: TestClient, session: Session
) -> None:
    run_a_short_city(client, session)
    key = make_key(session, Role.bureau)
    listed = client.get("/api/v1/alerts", headers=key).json()["items"]
    chinese = {alert["summary"]: alert["summary_zh"] for alert in listed}
    assert set(chinese.values()) == set(summaries(client.get("/alerts/list", headers=ZH).text))
    stockout = next(text for text in chinese.values() if text.startswith("B 卷心菜"))
    assert stockout.startswith("B 卷心菜：缺货（平时日销 10.0）")
    assert "卫东区（EAST）经营该商品的 2 家门店中 1 家缺货（50 %）" in stockout
    one = next(alert for alert in listed if alert["summary_zh"] == stockout)
    read = client.get(f"/api/v1/alerts/{one['id']}", headers=key).json()
    assert (read["summary"], read["summary_zh"]) == (one["summary"], stockout)
