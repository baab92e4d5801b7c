"""A walk through the dispatch pages in Chinese found the units in English: the board's
"待配送需求 (3, 900 kg)", the plan's "km" tile and "600 / 2000 kg · 4.2 km" truck lines, the
manifests' and the driver's "kg". Each now reads 千克 and 公里 (the units table's Chinese
name for kg); and a plan with no note shows no "备注" label with nothing after it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DispatchPlan, Role, Truck
from tests.factories import make_key
from tests.service.web.helpers import csrf, make_person, sign_in
from tests.service.web.test_dispatch_pages import (
    _committed_plan,
    _day_to_plan,
    _driver_at_last_stop,
    _plan,
    _stops_by_truck,
)

ZH = {"Accept-Language": "zh"}
HTMX = {"HX-Request": "true"}
TRUCK_LOAD = re.compile(r"\d+ / 2000 (\S+) · [\d.,]+ (\S+) ·")


def test_the_board_counts_the_open_requests_in_chinese_units(
    client: TestClient, session: Session
) -> None:
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    board = client.get("/dispatch", headers=ZH).text
    title = board.split('id="requests-title">', 1)[1].split("</h2>", 1)[0]
    assert "(3, 900 千克)" in title and "kg" not in title
    queue = board.split('id="open-requests"', 1)[1].split("</table>", 1)[0]
    assert '<th class="num">千克</th>' in queue and 'data-label="千克"' in queue
    assert ">kg<" not in queue and 'data-label="kg"' not in queue
    english = client.get("/dispatch", headers={"Accept-Language": "en"}).text
    assert "(3, 900 kg)" in english


def test_a_committed_plan_without_a_note_shows_no_note_label_on_the_board(
    client: TestClient, session: Session
) -> None:
    _committed_plan(client, session)
    for language, note in (("zh", "备注"), ("en", "Note")):
        board = client.get("/dispatch", headers={"Accept-Language": language}).text
        plans = board.split('id="plans"', 1)[1].split("</table>", 1)[0]
        row = plans.split("<tbody>", 1)[1]
        assert f"<th>{note}</th>" in plans  # the column keeps its heading
        assert f'data-label="{note}"' not in row


def test_the_plan_its_suggestions_and_its_manifests_say_kilometres_and_kilograms_in_chinese(
    client: TestClient, session: Session
) -> None:
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    plan_id = _plan(client)
    page = client.get(f"/dispatch/plans/{plan_id}", headers=ZH).text
    assert '<span class="label">公里</span>' in page and '<span class="label">km</span>' not in page
    assert "千克已装载" in page and "公斤" not in page
    assert set(TRUCK_LOAD.findall(page)) == {("千克", "公里")}
    assert '<th class="num">千克</th>' in page and 'data-label="千克"' in page
    assert ">kg<" not in page and 'data-label="kg"' not in page
    english = client.get(f"/dispatch/plans/{plan_id}", headers={"Accept-Language": "en"}).text
    assert '<span class="label">km</span>' in english
    assert set(TRUCK_LOAD.findall(english)) == {("kg", "km")}

    request_id = next(ids[0] for ids in _stops_by_truck(session, plan_id).values() if ids)
    suggested = client.get(
        f"/dispatch/plans/{plan_id}/suggestions",
        params={"request_id": request_id},
        headers={**ZH, **HTMX},
    ).text
    assert re.search(r"/ 2000 千克 · \+[\d.,]+ 公里", suggested), suggested  # the other truck
    assert " kg" not in suggested and " km" not in suggested

    plan = session.get_one(DispatchPlan, plan_id)
    client.post(
        f"/dispatch/plans/{plan_id}/commit",
        data={"csrf_token": csrf(client, "/dispatch"), "version": str(plan.version)},
    )
    manifests = client.get(f"/dispatch/plans/{plan_id}/manifests", headers=ZH).text
    assert re.search(r"\d+ / 2000 千克 · 方案", manifests), manifests
    assert '<th class="num">千克</th>' in manifests
    assert "/ 2000 kg" not in manifests and ">kg<" not in manifests

    plate = next(plate for plate, stops in _stops_by_truck(session, plan_id).items() if stops)
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).one()
    printed = client.get(
        f"/api/v1/trucks/{truck.plate}/manifest",
        params={"format": "html", "lang": "zh"},
        headers=make_key(session, Role.driver, truck=truck),
    ).text
    assert re.search(r"\d+ / 2000 千克 · ", printed), printed
    assert "<th>千克</th>" in printed and "<th>kg</th>" not in printed


def test_the_driver_reads_the_load_and_each_stops_weight_in_chinese_units(
    client: TestClient, session: Session
) -> None:
    _driver_at_last_stop(client, session)
    page = client.get("/driver", headers=ZH).text
    stops = page.split('<main id="main"', 1)[1]
    assert re.search(r'\d+ / 2000 千克 · <span id="stop-count">\d+ 个站点</span>', stops), stops
    assert re.search(r"到达 \d\d:\d\d · 300 千克", stops), stops
    assert " kg" not in stops
    english = client.get("/driver", headers={"Accept-Language": "en"}).text
    assert re.search(r"Arrival \d\d:\d\d · 300 kg", english)
