"""The bureau reads the dashboard and works its alerts; an admin manages master data
and thresholds, all in the pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import AlertRule, AlertStatus, ApiKey, RegionLevel, Role, Severity, Silence, Store
from monitors.queries import dashboard
from service.web import dashboard as web_dashboard
from tests.factories import business_today, make_product, make_region, make_store
from tests.monitors.running.test_runs import history
from tests.service.api.test_alerts import make_alert
from tests.service.web.helpers import csrf, make_person, sign_in

HTMX = {"HX-Request": "true"}
"""What htmx sends with the fragments a page fetches after it loads."""


def test_the_dashboard_shows_the_monitors_numbers_after_a_run(
    client: TestClient, session: Session
) -> None:
    city = make_region(session, code="CITY", level=RegionLevel.city)
    east = make_region(session, code="EAST", name="Weidong", parent=city)
    reporting = make_store(session, code="A", region=east)
    silent = make_store(session, code="B", region=east)
    cabbage = make_product(session, code="cabbage", category="vegetables")
    today = business_today()
    history(session, reporting, cabbage.id, [(40, 10), (30, 10), (20, 10), (5, 10)], last=today)
    history(session, silent, cabbage.id, [(40, 10), (30, 10)], last=today - timedelta(days=2))
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))

    before = client.get("/dashboard").text
    assert "No supply numbers yet" in before
    response = client.post("/dashboard/monitor", data={"csrf_token": csrf(client, "/dashboard")})
    assert response.status_code == 200 and response.url.path == "/dashboard"
    page = response.text
    assert f'<strong id="latest-day">{today.isoformat()}</strong>' in page
    assert '<span class="value" id="tile-reported">1 / 2</span>' in page
    assert "<td>B</td>" in page  # has not reported today
    assert '"code": "EAST", "name": "Weidong"' in page  # a heatmap row
    assert '"points": "/dashboard/map.json"' in page and '"code": "A"' not in page
    points = client.get("/dashboard/map.json").json()
    stores = {store["code"]: store for store in points["stores"]}
    assert (stores["A"]["reported"], stores["B"]["reported"]) == (True, False)  # on the map
    assert stores["A"]["status"] == "critical" and stores["A"]["below"] == 1

    detail = client.get("/dashboard/district/EAST")
    assert detail.status_code == 200
    assert '"days_of_supply"' in detail.text and "cabbage" in detail.text
    assert client.get("/dashboard/product/cabbage").status_code == 200


def test_a_districts_drill_down_names_its_products_in_the_readers_language(
    client: TestClient, session: Session
) -> None:
    city = make_region(session, code="CITY", level=RegionLevel.city)
    east = make_region(session, code="EAST", name="Weidong", parent=city)
    store = make_store(session, code="A", region=east)
    cabbage = make_product(session, code="cabbage", category="vegetables")
    cabbage.name, cabbage.name_zh = "Chinese cabbage", "大白菜"
    history(session, store, cabbage.id, [(40, 10), (30, 10), (20, 10)], last=business_today())
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    client.post("/dashboard/monitor", data={"csrf_token": csrf(client, "/dashboard")})
    english = client.get("/dashboard/district/EAST", params={"product": "cabbage"}).text
    assert 'id="trend-title">Over time: Chinese cabbage</h2>' in english
    assert '?product=cabbage">Chinese cabbage</a>' in english
    client.cookies.set("supplywatch_lang", "zh")
    chinese = client.get("/dashboard/district/EAST", params={"product": "cabbage"}).text
    assert "：大白菜</h2>" in chinese and '?product=cabbage">大白菜</a>' in chinese


def test_the_map_points_are_revalidated_by_their_etag_and_change_with_a_report(
    client: TestClient, session: Session
) -> None:
    east = make_region(session, code="EAST", name="Weidong")
    store = make_store(session, code="A", region=east)
    cabbage = make_product(session, code="cabbage", category="vegetables")
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))

    first = client.get("/dashboard/map.json")
    assert first.status_code == 200 and first.headers["content-type"] == "application/json"
    assert first.json()["stores"][0]["reported"] is False
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get("/dashboard/map.json", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag

    history(session, store, cabbage.id, [(40, 10)], last=business_today())
    session.commit()
    after = client.get("/dashboard/map.json", headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag  # never the stale map
    assert after.json()["stores"][0]["reported"] is True


def test_only_the_bureau_reads_the_map_points(client: TestClient, session: Session) -> None:
    sign_in(client, "wu", make_person(session, "wu", Role.dispatcher))
    assert client.get("/dashboard/map.json").status_code == 403


def test_the_heatmap_table_puts_each_cell_under_its_category_and_leaves_gaps_empty() -> None:
    heatmap = {
        "districts": [{"code": "EAST"}, {"code": "WEST"}],
        "categories": [{"code": "grain"}, {"code": "meat"}],
        "cells": [[1, 0, 2.5, "low"], [0, 1, 9.0, "adequate"]],
    }
    assert web_dashboard._heatmap_rows(heatmap) == [
        [None, [1, 0, 2.5, "low"]],
        [[0, 1, 9.0, "adequate"], None],
    ]


def test_a_province_morning_lists_the_first_silent_stores_and_counts_them_all(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "NOT_REPORTED_SHOWN", 2)
    east = make_region(session, code="EAST", name="Weidong")
    for code in ("S1", "S2", "S3"):
        make_store(session, code=code, region=east)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))

    page = client.get("/dashboard").text
    assert '<span class="muted">(3)</span>' in page
    assert "<td>S1</td>" in page and "<td>S2</td>" in page and "<td>S3</td>" not in page
    assert "The first 2 of 3, by district." in page
    exported = client.get("/dashboard/export", params={"table": "not-reported", "format": "csv"})
    assert exported.status_code == 200
    assert all(code in exported.text for code in ("S1", "S2", "S3"))  # every one, not the first 2


def test_the_bureau_acknowledges_an_alert_with_a_note(client: TestClient, session: Session) -> None:
    district = make_region(session, code="EAST")
    alert = make_alert(session, district=district, product=make_product(session, code="pork"))
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    token = csrf(client, "/alerts/list")

    empty = client.post(
        f"/alerts/{alert.id}/ack",
        data={"csrf_token": token, "note": " "},
        headers={"HX-Request": "true"},
    )
    assert "Note: 1 to 2000 characters" in empty.text
    session.refresh(alert)
    assert alert.status is AlertStatus.firing

    row = client.post(
        f"/alerts/{alert.id}/ack",
        data={"csrf_token": token, "note": "truck on its way"},
        headers={"HX-Request": "true"},
    )
    assert row.status_code == 200
    assert row.text.startswith(f'<tr id="alert-{alert.id}">')
    assert "li: truck on its way" in row.text
    session.refresh(alert)
    assert alert.status is AlertStatus.acknowledged
    assert alert.acknowledgement_note == "truck on its way"
    assert alert.acknowledged_by is not None and alert.acknowledged_by.endswith(":li")


def test_acknowledging_without_htmx_goes_back_to_the_page_it_came_from_on_this_site_only(
    client: TestClient, session: Session
) -> None:
    """A plain form post (no script) returns to the alerts page it was sent from, with its
    filters; a Referer naming another site sends it to the alerts list instead."""
    district = make_region(session, code="EAST")
    pork = make_product(session, code="pork")
    alerts = [make_alert(session, district=district, product=pork) for _ in range(2)]
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    token = csrf(client, "/alerts/list")
    for alert, referer, back in (
        (alerts[0], "http://testserver/alerts/list?status=firing", "/alerts/list?status=firing"),
        (alerts[1], "https://evil.example/phish", "/alerts"),
    ):
        answer = client.post(
            f"/alerts/{alert.id}/ack",
            data={"csrf_token": token, "note": "seen"},
            headers={"Referer": referer},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == back


def test_the_bureau_reading_english_sees_each_alerts_rule_as_words_not_its_code(
    client: TestClient, session: Session
) -> None:
    district = make_region(session, code="EAST")
    make_alert(session, district=district, product=make_product(session, code="pork"))
    make_alert(session, rule=AlertRule.price_spike, district=district)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    page = client.get("/alerts/list", headers={"Accept-Language": "en"}).text
    assert '<span class="muted">low supply</span>' in page
    assert '<span class="muted">price spike</span>' in page
    assert ">low_supply<" not in page and ">price_spike<" not in page


def test_the_bureau_silences_alerts_like_one_and_expires_the_silence(
    client: TestClient, session: Session
) -> None:
    district = make_region(session, code="EAST")
    make_alert(session, district=district, product=make_product(session, code="pork"))
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    token = csrf(client, "/alerts/list")
    form = {
        "csrf_token": token,
        "rule": "low_supply",
        "region": "EAST",
        "product": "pork",
        "hours": "12",
        "comment": "known shortage",
    }
    page = client.post("/alerts/silences", data=form)
    assert page.status_code == 200 and "Silence created" in page.text
    assert "Product: Product" in page.text  # the product's name, not product=pork
    silence = session.scalars(select(Silence)).one()
    assert silence.matchers == {"rule": "low_supply", "region": "EAST", "product": "pork"}

    bad = client.post("/alerts/silences", data={**form, "hours": "-3"})
    assert bad.status_code == 422 and "Enter more than 0" in bad.text
    assert len(session.scalars(select(Silence)).all()) == 1

    client.post(f"/alerts/silences/{silence.id}/expire", data={"csrf_token": token})
    session.refresh(silence)
    assert silence.expired_by is not None


def test_an_admin_adds_a_store_and_sees_every_problem_of_a_bad_one(
    client: TestClient, session: Session
) -> None:
    make_region(session, code="EAST")
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))
    token = csrf(client, "/admin/stores")
    bad = client.post(
        "/admin/stores",
        data={
            "csrf_token": token,
            "code": "NEW-1",
            "name": "New",
            "region": "NOWHERE",
            "latitude": "95",
        },
    )
    assert bad.status_code == 422
    assert 'id="f-latitude-error"' in bad.text
    assert session.scalar(select(Store.id).where(Store.code == "NEW-1")) is None

    good = client.post(
        "/admin/stores",
        data={
            "csrf_token": token,
            "code": "NEW-1",
            "name": "New",
            "region": "EAST",
            "kind": "supermarket",
            "latitude": "33.7",
            "longitude": "113.2",
        },
    )
    assert good.status_code == 200 and 'id="created"' in good.text
    assert session.scalar(select(Store.id).where(Store.code == "NEW-1")) is not None


def test_an_admin_creates_a_key_shown_once_and_sets_a_category_threshold(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "root", make_person(session, "root", Role.admin))
    token = csrf(client, "/admin/keys")
    page = client.post("/admin/keys", data={"csrf_token": token, "name": "erp", "role": "bureau"})
    assert page.status_code == 200 and '<code id="secret" class="token">sw_' in page.text

    client.post(
        "/admin/thresholds/vegetables",
        data={
            "csrf_token": token,
            "low_supply_warning_days": "2.5",
            "low_supply_critical_days": "1",
        },
    )
    thresholds = client.get("/admin/thresholds").text
    assert 'id="low_supply_warning_days-vegetables" name="low_supply_warning_days"' in thresholds
    assert 'value="2.5"' in thresholds
    refused = client.post(
        "/admin/thresholds/vegetables",
        data={"csrf_token": token, "low_supply_warning_days": "1", "low_supply_critical_days": "3"},
    )
    assert refused.status_code == 422


@pytest.mark.parametrize(("key_id", "status"), [("²", 303), ("99999999999", 404)])
def test_revoking_a_key_by_a_number_no_key_can_have_changes_nothing(
    client: TestClient, session: Session, key_id: str, status: int
) -> None:
    """A superscript two passes ``str.isdigit`` but not ``int`` and is ignored like any
    other word; an id past the column's range (a database error on PostgreSQL) is not
    found like any unknown id. Either was a server error; now nothing is revoked."""
    sign_in(client, "root", make_person(session, "root", Role.admin))
    token = csrf(client, "/admin/keys")
    client.post("/admin/keys", data={"csrf_token": token, "name": "erp", "role": "bureau"})
    answer = client.post(
        f"/admin/keys/{key_id}/deactivate", data={"csrf_token": token}, follow_redirects=False
    )
    assert answer.status_code == status
    assert session.scalars(select(ApiKey.active)).all() == [True]


@pytest.mark.parametrize(("language", "edible_oil"), [("en", "Edible oil"), ("zh", "食用油")])
def test_an_admin_sees_each_categorys_thresholds_under_its_name_not_its_code(
    client: TestClient, session: Session, language: str, edible_oil: str
) -> None:
    sign_in(client, "root", make_person(session, "root", Role.admin))
    page = client.get("/admin/thresholds", headers={"Accept-Language": language}).text
    assert f"<td>{edible_oil}</td>" in page and "<td>edible_oil</td>" not in page
    # the rule is named in words above the table, not by its code (it read "low_supply")
    words = re.sub(
        r"<[^>]+>", " ", page.split('<section class="card scroll">')[1].split("<table")[0]
    )
    assert "low_supply" not in words and ("low supply alert" in words or "供应偏低" in words)


def test_a_chinese_admin_sees_the_problems_of_a_bad_store_in_chinese(
    client: TestClient, session: Session
) -> None:
    make_region(session, code="EAST")
    session.commit()
    sign_in(client, "root", make_person(session, "root", Role.admin))
    bad = client.post(
        "/admin/stores",
        data={
            "csrf_token": csrf(client, "/admin/stores"),
            "code": "NEW-1",
            "name": "New",
            "region": "EAST",
            "latitude": "95",
            "longitude": "east",
        },
        headers={"Accept-Language": "zh"},
    )
    assert bad.status_code == 422
    assert '<span class="field-error" id="f-latitude-error">必须小于或等于 90</span>' in bad.text
    assert '<span class="field-error" id="f-longitude-error">必须是数字</span>' in bad.text
    assert session.scalar(select(Store.id).where(Store.code == "NEW-1")) is None


def test_the_dashboard_shows_the_worst_situations_by_name_not_every_alert(
    client: TestClient, session: Session
) -> None:
    """A city in lockdown has thousands of open alerts: the dashboard lists the worst
    situations (district × category) by name, each counting its alerts, worst first."""
    city = make_region(session, code="CITY", level=RegionLevel.city)
    east = make_region(session, code="EAST", name="Weidong", parent=city)
    east.name_zh = "卫东区"
    stores = [make_store(session, code=f"E{n}", region=east) for n in range(3)]
    cabbage = make_product(session, code="cabbage", category="vegetables")
    pork = make_product(session, code="pork", category="meat")
    for store in stores:
        make_alert(session, store=store, product=cabbage, severity=Severity.critical)
    make_alert(session, store=stores[0], product=pork)
    make_alert(session, city=city, rule=AlertRule.missing_report)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))

    assert 'hx-get="/dashboard/situations"' in client.get("/dashboard").text
    page = client.get("/dashboard/situations", headers=HTMX).text
    table = page[
        page.index('id="situations"') : page.index("</table>", page.index('id="situations"'))
    ]
    rows = table.split("<tr>")[2:]
    assert "3 situations" in page
    assert "/alerts?district=EAST&amp;category=vegetables" in rows[0]
    assert ">Weidong</a>" in rows[0] and "Vegetables" in rows[0] and ">3<" in rows[0]
    assert "critical" in rows[0] and "3 of 3 (100 %)" in rows[0]
    assert "Meat, poultry and fish" in rows[1] and ">1<" in rows[1]
    assert "City-wide" in rows[2] and "Other alerts (no category)" in rows[2]
    # a city's missing-report alert is about no store: no "0 of 3 (0 %)" as if all were fine
    assert '<td data-label="Stores affected">–</td>' in rows[2] and " of 3" not in rows[2]
    assert "fp-" not in page and "low_supply" not in page  # no alert rows, no codes

    client.cookies.set("supplywatch_lang", "zh")
    chinese = client.get("/dashboard/situations", headers=HTMX).text
    assert "最严重的情况" in chinese and ">卫东区</a>" in chinese
    assert "全市" in chinese and "其他预警（无品类）" in chinese

    # The pieces' addresses opened on their own (a bookmark, a reload) lead to their pages,
    # the situation's rows to the alerts page with the filters they were fetched under.
    alone = client.get("/dashboard/situations")
    assert alone.url.path == "/dashboard" and "<nav" in alone.text
    group = '{"district": "EAST"}'
    for piece in ("alerts", "actions"):
        rows = client.get(
            f"/alerts/groups/{piece}", params={"group": group, "category": "vegetables"}
        )
        assert (rows.url.path, rows.url.query) == ("/alerts", b"category=vegetables")
        assert "<nav" in rows.text


def test_an_admin_sees_every_bad_threshold_beside_its_field_as_typed_not_an_error_page(
    client: TestClient, session: Session
) -> None:
    sign_in(client, "root", make_person(session, "root", Role.admin))
    refused = client.post(
        "/admin/thresholds/grain",
        data={
            "csrf_token": csrf(client, "/admin/thresholds"),
            "low_supply_warning_days": "-1",
            "low_supply_critical_days": "lots",
        },
        headers={"Accept-Language": "zh"},
    )
    assert refused.status_code == 422
    assert 'id="thresholds"' in refused.text  # the table again, not an error page
    warning = '<span class="field-error" id="low_supply_warning_days-grain-error">'
    critical = '<span class="field-error" id="low_supply_critical_days-grain-error">'
    assert warning + "供应偏低警告天数不能为负数（-1.0）</span>" in refused.text
    assert critical in refused.text and "必须是数字" in refused.text
    assert 'value="-1"' in refused.text and 'value="lots"' in refused.text
    assert "粮食：请更正下方标出的栏目后重新提交。" in refused.text
    assert "categories.grain" not in refused.text and "品类 grain" not in refused.text
    saved = client.post(
        "/admin/thresholds/grain",
        data={
            "csrf_token": csrf(client, "/admin/thresholds"),
            "low_supply_warning_days": "3",
            "low_supply_critical_days": "1",
        },
        headers={"Accept-Language": "zh"},
    )
    assert saved.status_code == 200 and "已保存。" in saved.text
