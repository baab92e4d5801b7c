"""The supply pages in Chinese, as a walk found them: the board's match run summed its
distance in "t·km" and its time in "s", and the lockdown list named a region by its English
name ("Ye (410422)"). They read 吨·公里, 秒 and the region's Chinese name."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models import Role
from tests.factories import business_today, make_product, make_store
from tests.service.web.helpers import csrf, make_person, sign_in
from tests.supply_network.factories import make_district, make_need, make_offer, make_producer

ZH = {"Accept-Language": "zh"}


def test_the_match_run_summary_reads_tonne_kilometres_and_seconds_in_chinese(
    client: TestClient, session: Session
) -> None:
    cabbage = make_product(session, code="cabbage", category="vegetables")
    district = make_district(session, code="410403")
    farm = make_producer(session, code="FARM-1", capacities={"cabbage": 5000})
    make_offer(session, producer=farm, product=cabbage, quantity=500)
    make_need(
        session, product=cabbage, store=make_store(session, region=district), district=district
    )
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    ran = client.post(
        "/supply/match-runs",
        data={"csrf_token": csrf(client, "/supply/board"), "maximum_distance_km": "100"},
    )
    assert ran.status_code == 200
    chinese = client.get("/supply/board", headers=ZH).text
    summary = chinese.split('id="run-summary">', 1)[1].split("</p>", 1)[0]
    assert re.search(r"[\d.,]+ 吨·公里；", summary), summary
    assert re.search(r"[\d.,]+ 秒。$", summary), summary
    assert "t·km" not in summary and not re.search(r"\d s\.", summary)
    # A Chinese sentence, in Chinese punctuation: no English commas or semicolons.
    assert "," not in summary and ";" not in summary, summary
    assert re.match(r"1 条供货，1 条需求 → <strong>1</strong> 条撮合方案；", summary), summary
    english = client.get("/supply/board", headers={"Accept-Language": "en"}).text
    summary = english.split('id="run-summary">', 1)[1].split("</p>", 1)[0]
    assert re.search(r"[\d.,]+ t·km; .* [\d.,]+ s\.$", summary), summary


def test_the_lockdown_list_names_the_region_in_chinese_for_a_chinese_reader(
    client: TestClient, session: Session
) -> None:
    ye = make_district(session, code="410422", name="Ye")
    ye.name_zh = "叶县"
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    recorded = client.post(
        "/supply/lockdowns",
        data={
            "csrf_token": csrf(client, "/supply"),
            "region": "410422",
            "start_date": business_today().isoformat(),
        },
    )
    assert recorded.status_code == 200
    chinese = client.get("/supply", headers=ZH).text
    listed = chinese.split('id="lockdowns">', 1)[1].split("</ul>", 1)[0]
    assert "叶县 (410422)" in listed and "Ye (410422)" not in listed
    english = client.get("/supply", headers={"Accept-Language": "en"}).text
    assert "Ye (410422)" in english.split('id="lockdowns">', 1)[1].split("</ul>", 1)[0]
