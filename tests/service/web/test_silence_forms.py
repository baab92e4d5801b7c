"""Silencing alerts as the bureau meets it: a silence with several mistakes is its form
again, as typed, with every bad field named beside it in the reader's language (not an
error page); active silences and a situation's silence read in words and names, with the
reader's colon, never ``rule=low_supply``."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import AlertRule, RegionLevel, Role, Silence
from tests.factories import make_product, make_region
from tests.service.api.test_alerts import make_alert
from tests.service.web.helpers import csrf, make_person, sign_in

ZH = {"Accept-Language": "zh-CN"}


def _bureau(client: TestClient, session: Session) -> str:
    """Weidong district with a pear shortage; the bureau signed in; a CSRF token."""
    district = make_region(session, code="410403", name="Weidong", level=RegionLevel.district)
    district.name_zh = "卫东区"
    pear = make_product(session, code="pear", category="fruit")
    pear.name, pear.name_zh = "Pear", "梨"
    make_alert(session, district=district, product=pear, rule=AlertRule.low_supply)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    return csrf(client, "/alerts/list")


def beside(page: str, field: str) -> str:
    found = re.search(rf'<span class="field-error" id="silence-{field}-error">([^<]*)</span>', page)
    return found.group(1) if found else ""


def silences_card(page: str) -> str:
    """The active silences' table of the alert list."""
    card = page[page.index("<h2>", page.index('<section class="card">', page.index("</table>"))) :]
    return card[: card.index("</section>")]


def test_bureau_sees_every_bad_field_of_a_silence_at_once_and_keeps_what_it_typed(
    client: TestClient, session: Session
) -> None:
    token = _bureau(client, session)
    form = {
        "csrf_token": token,
        "rule": "low_supply",
        "region": "NOWHERE",
        "product": "pear",
        "hours": "-3",
        "comment": " ",
    }
    page = client.post("/alerts/silences", data=form, headers=ZH)
    assert page.status_code == 422
    assert 'id="silence-form"' in page.text  # the form again, not an error page
    assert beside(page.text, "hours") == "必须大于 0"
    assert beside(page.text, "comment") == "必填"
    assert beside(page.text, "region") == "未知地区 &#39;NOWHERE&#39;"
    assert '<option value="low_supply" selected>供应偏低</option>' in page.text
    assert '<option value="pear" selected>梨</option>' in page.text
    assert 'value="-3"' in page.text
    assert session.scalar(select(func.count()).select_from(Silence)) == 0


def test_bureau_reads_active_silences_in_words_not_codes(
    client: TestClient, session: Session
) -> None:
    token = _bureau(client, session)
    form = {
        "csrf_token": token,
        "rule": "low_supply",
        "region": "410403",
        "product": "pear",
        "hours": "12",
        "comment": "known shortage",
    }
    done = client.post("/alerts/silences", data=form, headers=ZH)
    assert done.status_code == 200 and "静默已创建。" in done.text
    listed = silences_card(done.text)
    assert "规则：供应偏低" in listed and "地区：卫东区" in listed and "商品：梨" in listed
    assert "low_supply" not in listed and "pear" not in listed and "410403" not in listed
    english = silences_card(client.get("/alerts/list").text)
    assert "Rule: low supply" in english and "Region: Weidong" in english


def test_silencing_a_situation_with_bad_hours_asks_again_not_an_error_page(
    client: TestClient, session: Session
) -> None:
    token = _bureau(client, session)
    group = json.dumps({"district": "410403", "category": "fruit"})
    form = {"csrf_token": token, "group": group, "hours": "lots", "comment": ""}
    asked = client.post("/alerts/groups/silence", data={**form, "confirmed": "yes"}, headers=ZH)
    assert asked.status_code == 422
    assert beside(asked.text, "hours") == "必须是数字"
    assert beside(asked.text, "comment") == "必填"
    assert 'value="lots"' in asked.text
    assert "匹配条件：" in asked.text and "地区：卫东区" in asked.text
    assert session.scalar(select(func.count()).select_from(Silence)) == 0


def test_bureau_silencing_alerts_like_one_reads_what_is_silenced_in_words(
    client: TestClient, session: Session
) -> None:
    _bureau(client, session)
    listed = client.get("/alerts/list", headers=ZH).text
    like = listed[listed.index('<p class="silence-like">') :]
    like = like[: like.index("</p>")]
    assert "规则：供应偏低" in like and "地区：卫东区" in like and "商品：梨" in like
    assert '<input name="region"' not in listed  # no code to read or type in the row
    change = re.search(r'<a href="(/alerts/silences/new\?[^"]+)">更改静默范围</a>', like)
    assert change is not None
    form = client.get(change.group(1).replace("&amp;", "&"), headers=ZH)
    assert form.status_code == 200 and 'id="problem"' not in form.text
    assert '<option value="410403" selected>卫东区</option>' in form.text
    assert '<option value="pear" selected>梨</option>' in form.text
    assert client.get("/dashboard", headers=ZH).status_code == 200


def test_a_district_silences_alerts_in_its_own_district_from_the_form_as_offered(
    client: TestClient, session: Session
) -> None:
    """A district's bureau was offered every district and "any" (picked by default) in
    the silence form, and each refused: "any" as outside its district, a neighbour as an
    unknown region '410422'. Now it is offered its own district, and the form as it
    comes is a silence it may make."""
    city = make_region(session, code="410400", name="Pingdingshan", level=RegionLevel.city)
    weidong = make_region(session, code="410403", name="Weidong", parent=city)
    weidong.name_zh = "卫东区"
    ye = make_region(session, code="410422", name="Ye", parent=city)
    pear = make_product(session, code="pear", category="fruit")
    for district in (weidong, ye):
        make_alert(session, district=district, product=pear, rule=AlertRule.low_supply)
    create_user(
        session, username="wd", password="wd-password", role=Role.bureau, region_id=weidong.id
    )
    session.commit()
    sign_in(client, "wd", "wd-password")
    form = client.get("/alerts/silences/new", headers=ZH).text
    region = form.split('name="region"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option value="([^"]*)"', region) == ["410403"]
    assert ">卫东区</option>" in region
    made = client.post(
        "/alerts/silences",
        data={
            "csrf_token": csrf(client, "/alerts/list"),
            "rule": "low_supply",
            "region": "410403",
            "hours": "24",
            "comment": "truck on its way",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    assert session.scalar(select(func.count()).select_from(Silence)) == 1
