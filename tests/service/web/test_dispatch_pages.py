"""The dispatcher plans a day on the board, moves a stop, commits, re-plans after a
breakdown and prints manifests, in the pages (on both databases)."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import (
    Compound,
    Delivery,
    DeliveryRequest,
    DeliveryStatus,
    Depot,
    DispatchPlan,
    PlanRoute,
    PlanStatus,
    PlanStop,
    Product,
    RequestPriority,
    RequestStatus,
    Role,
    Truck,
)
from tests.dispatch.factories import make_compound, make_depot, make_request, make_truck
from tests.factories import business_today, make_key
from tests.service.web.helpers import csrf, make_person, sign_in

PLAN_URL = re.compile(r"/dispatch/plans/(\d+)")


def _day_to_plan(session: Session, *, capacity_kg: int = 2000) -> list[str]:
    depot = make_depot(session, code="DEP-1")
    plates = [
        make_truck(session, depot=depot, plate=p, capacity_kg=capacity_kg).plate
        for p in ("TRK-A", "TRK-B")
    ]
    for index, (lat, lon) in enumerate(((33.74, 113.29), (33.75, 113.27), (33.72, 113.30))):
        compound = make_compound(session, code=f"CP-{index}", latitude=lat, longitude=lon)
        make_request(
            session,
            compound=compound,
            delivery_date=business_today(),
            kg=300,
            priority=RequestPriority.urgent if index == 0 else RequestPriority.normal,
        )
    session.commit()
    return plates


def _plan(client: TestClient) -> int:
    board = client.get("/dispatch")
    assert board.status_code == 200
    assert "CP-0" in board.text and "TRK-A" in board.text
    response = client.post(
        "/dispatch/plans",
        data={
            "csrf_token": csrf(client, "/dispatch"),
            "day": business_today().isoformat(),
            "time_limit_s": "1",
        },
    )
    assert response.status_code == 200, response.text
    found = PLAN_URL.search(str(response.url))
    assert found, response.url
    return int(found.group(1))


def _stops_by_truck(session: Session, plan_id: int) -> dict[str, list[int]]:
    """The plan's request ids in stop order, by truck plate (as stored)."""
    session.expire_all()
    routes: dict[str, list[int]] = {}
    for plate, request_id in session.execute(
        select(Truck.plate, PlanStop.request_id)
        .join(PlanRoute, PlanRoute.truck_id == Truck.id)
        .join(PlanStop, PlanStop.route_id == PlanRoute.id)
        .where(PlanRoute.plan_id == plan_id)
        .order_by(Truck.plate, PlanStop.sequence)
    ):
        routes.setdefault(plate, []).append(request_id)
    return routes


def test_the_dispatcher_plans_moves_a_stop_and_commits(
    client: TestClient, session: Session
) -> None:
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    plan_id = _plan(client)
    page = client.get(f"/dispatch/plans/{plan_id}").text
    assert 'id="route-map-data"' in page and '"DEP-1"' in page

    plan = session.get_one(DispatchPlan, plan_id)
    before = _stops_by_truck(session, plan_id)
    source = max(before, key=lambda plate: len(before[plate]))
    moved = before[source][0]
    target = "TRK-B" if source == "TRK-A" else "TRK-A"
    response = _move(client, plan, request_id=moved, to_truck=target)
    assert response.status_code == 200 and "Stop moved" in response.text
    after = _stops_by_truck(session, plan_id)
    assert after != before and sum(map(len, after.values())) == sum(map(len, before.values()))

    session.refresh(plan)
    committed = client.post(
        f"/dispatch/plans/{plan_id}/commit",
        data={"csrf_token": csrf(client, "/dispatch"), "version": str(plan.version)},
    )
    assert committed.status_code == 200 and "Plan committed" in committed.text
    session.refresh(plan)
    assert plan.status is PlanStatus.committed
    assert len(session.scalars(select(Delivery).where(Delivery.plan_id == plan_id)).all()) == 3
    assert 'class="delivery-status"' in committed.text

    manifests = client.get(f"/dispatch/plans/{plan_id}/manifests").text
    assert manifests.count('class="card manifest"') == len(after)
    assert manifests.count('class="pass-qr"') == len(after)  # each truck's transport pass
    # on a phone each manifest's eight columns scroll in their card, not the page sideways
    assert manifests.count('<div class="scroll"><table>') == len(after)
    assert "Wang Min 0375-5550000" in manifests
    assert manifests.count(": 300 kg<br>") == 3  # each stop lists what to hand over

    broken = next(plate for plate, stops in after.items() if stops)
    replanned = client.post(
        f"/dispatch/trucks/{broken}/breakdown",
        data={"csrf_token": csrf(client, "/dispatch"), "time_limit_s": "1"},
    )
    assert replanned.status_code == 200, replanned.text
    assert f"Re-planned after the breakdown of {broken}" in replanned.text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Time limit (seconds): Enter 600 or less"),
        ("zh", "求解时限（秒）：必须小于或等于 600"),
    ],
)
def test_dispatcher_sees_time_limit_error_on_form(
    client: TestClient, session: Session, language: str, said: str
) -> None:
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    refused = client.post(
        "/dispatch/plans",
        data={
            "csrf_token": csrf(client, "/dispatch"),
            "day": business_today().isoformat(),
            "time_limit_s": "900",
        },
        headers={"Accept-Language": language},
    )
    assert refused.status_code == 422
    assert 'id="plan-button"' in refused.text  # the board's form again, not the error page
    assert f'id="time-limit-problem">{said}</span>' in refused.text
    assert 'value="900" aria-invalid="true"' in refused.text
    assert session.scalars(select(DispatchPlan)).first() is None


@pytest.mark.parametrize(
    ("language", "refused", "overload"),
    [
        ("en", "The move was refused; nothing changed.", "kg exceeds its capacity 700 kg"),
        ("zh", "移动被拒绝，方案未改变。", "kg 超过其容量 700 kg"),
    ],
)
def test_a_move_that_overloads_a_truck_is_refused_and_changes_nothing(
    client: TestClient, session: Session, language: str, refused: str, overload: str
) -> None:
    _day_to_plan(session, capacity_kg=700)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    plan_id = _plan(client)
    plan = session.get_one(DispatchPlan, plan_id)
    before = _stops_by_truck(session, plan_id)
    # 3 × 300 kg on two 700 kg trucks: one carries two stops (600 kg), the other one.
    full = max(before, key=lambda plate: len(before[plate]))
    other = next(plate for plate in before if plate != full)
    assert len(before[full]) == 2 and len(before[other]) == 1
    response = _move(client, plan, request_id=before[other][0], to_truck=full, language=language)
    assert response.status_code == 400
    assert refused in response.text
    assert overload in response.text
    assert _stops_by_truck(session, plan_id) == before


@pytest.mark.parametrize(("field", "typed"), [("part", "²"), ("position", "²"), ("position", "x")])
def test_a_part_or_position_that_is_not_a_number_is_refused_on_the_plan_page(
    client: TestClient, session: Session, field: str, typed: str
) -> None:
    """ "²" passes ``str.isdigit`` but not ``int``: the move form answered a server error;
    now the plan page names the field and nothing moves."""
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    plan_id = _plan(client)
    plan = session.get_one(DispatchPlan, plan_id)
    before = _stops_by_truck(session, plan_id)
    plate = next(iter(before))
    response = _move(client, plan, request_id=before[plate][0], to_truck=plate, **{field: typed})
    assert response.status_code == 422
    shown = response.text.split('id="problem"', 1)[1].split("</div>", 1)[0]
    assert f"{field}: Enter a number" in shown
    assert _stops_by_truck(session, plan_id) == before


def _move(
    client: TestClient,
    plan: DispatchPlan,
    *,
    request_id: int,
    to_truck: str,
    language: str | None = None,
    **typed: str,
) -> httpx.Response:
    """Post the plan page's "move a stop" form as the browser sends it."""
    return client.post(
        f"/dispatch/plans/{plan.id}/moves",
        data={
            "csrf_token": csrf(client, "/dispatch"),
            "request_id": str(request_id),
            "to_truck": to_truck,
            "version": str(plan.version),
            **typed,
        },
        headers={"Accept-Language": language} if language else None,
    )


def _committed_plan(client: TestClient, session: Session) -> int:
    """A dispatcher signed in has planned the day and committed it; the plan's id."""
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    plan_id = _plan(client)
    plan = session.get_one(DispatchPlan, plan_id)
    client.post(
        f"/dispatch/plans/{plan_id}/commit",
        data={"csrf_token": csrf(client, "/dispatch"), "version": str(plan.version)},
    )
    return plan_id


def test_the_board_says_in_chinese_which_plan_a_breakdown_re_planned(
    client: TestClient, session: Session
) -> None:
    """After a breakdown the board's plans read "re-plan after truck … broke down" in
    English on the Chinese page (the note stored for the record), and the plan it took
    stops from still read 已确认 with nothing to say it had been re-planned."""
    plan_id = _committed_plan(client, session)
    broken = next(plate for plate, stops in _stops_by_truck(session, plan_id).items() if stops)
    replanned = client.post(
        f"/dispatch/trucks/{broken}/breakdown",
        data={"csrf_token": csrf(client, "/dispatch"), "time_limit_s": "1"},
    )
    assert replanned.status_code == 200, replanned.text
    found = PLAN_URL.search(str(replanned.url))
    assert found, replanned.url
    new_plan = int(found.group(1))
    assert new_plan != plan_id

    for language, note, marked in (
        ("en", f"Re-plan of #{plan_id} after a truck broke down", f"re-planned in #{new_plan}"),
        ("zh", f"车辆故障后对 #{plan_id} 的重新规划", f"部分已在 #{new_plan} 中重新规划"),
    ):
        board = client.get("/dispatch", headers={"Accept-Language": language}).text
        plans = board.split('id="plans"', 1)[1].split("</table>", 1)[0]
        assert note in plans and marked in plans
        assert "re-plan after truck" not in plans


def test_a_committed_plans_unassigned_requests_say_where_they_are_planned_next(
    client: TestClient, session: Session
) -> None:
    """Once a plan was committed its unassigned requests were a list with no next step
    (no "which trucks could take it?" any more); the plan now says they stay in the open
    queue and links to the board, where they are planned again."""
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    plan_id = _plan(client)
    plan = session.get_one(DispatchPlan, plan_id)
    stops = _stops_by_truck(session, plan_id)
    off = next(request_ids[0] for request_ids in stops.values() if request_ids)
    token = csrf(client, "/dispatch")
    taken_off = client.post(
        f"/dispatch/plans/{plan_id}/moves",
        data={"csrf_token": token, "request_id": str(off), "version": str(plan.version)},
    )
    assert taken_off.status_code == 200
    assert 'id="unassigned-next"' not in taken_off.text  # a draft: ask which trucks instead
    session.refresh(plan)
    committed = client.post(
        f"/dispatch/plans/{plan_id}/commit",
        data={"csrf_token": token, "version": str(plan.version)},
    )
    assert committed.status_code == 200
    next_step = committed.text.split('id="unassigned-next">', 1)[1].split("</p>", 1)[0]
    assert "They stay in the open queue: plan them again from the dispatch board." in next_step
    assert f'href="/dispatch?day={plan.plan_date.isoformat()}"' in next_step
    chinese = client.get(f"/dispatch/plans/{plan_id}", headers={"Accept-Language": "zh"})
    assert "这些需求仍在待配送队列中：请从调度看板重新规划。" in chinese.text
    request = session.get_one(DeliveryRequest, off)
    session.refresh(request)
    assert request.status.value == "open"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("en", "Draft plan #{plan} discarded; its requests stay in the open queue."),
        ("zh", "草案 #{plan} 已放弃；其中的需求仍在待配送队列中。"),
    ],
)
def test_a_dispatcher_who_discards_a_draft_is_told_so_on_the_board(
    client: TestClient, session: Session, language: str, said: str
) -> None:
    """Discarding a draft went back to the board without a word, so the dispatcher could
    not tell whether it had worked; the board now says so and that the requests wait."""
    _day_to_plan(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    plan_id = _plan(client)
    board = client.post(
        f"/dispatch/plans/{plan_id}/discard",
        data={"csrf_token": csrf(client, "/dispatch")},
        headers={"Accept-Language": language},
    )
    assert board.status_code == 200 and "/dispatch?" in str(board.url)
    assert said.format(plan=plan_id) in board.text
    session.expire_all()
    assert session.get_one(DispatchPlan, plan_id).status.value == "discarded"


@pytest.mark.parametrize(
    ("typed", "language", "said"),
    [
        ("abc", "en", "Time limit (seconds): Enter a number"),
        ("0", "en", "Time limit (seconds): Enter 1 or more"),
        ("-5", "en", "Time limit (seconds): Enter 1 or more"),
        ("99999999999", "en", "Time limit (seconds): Enter 600 or less"),
        ("99999999999", "zh", "求解时限（秒）：必须小于或等于 600"),
    ],
)
def test_a_breakdown_with_a_bad_time_limit_shows_the_plan_again_and_changes_nothing(
    client: TestClient, session: Session, typed: str, language: str, said: str
) -> None:
    plan_id = _committed_plan(client, session)
    broken = next(plate for plate, stops in _stops_by_truck(session, plan_id).items() if stops)
    deliveries_before = session.execute(
        select(Delivery.id, Delivery.truck_id, Delivery.status).order_by(Delivery.id)
    ).all()
    refused = client.post(
        f"/dispatch/trucks/{broken}/breakdown",
        data={"csrf_token": csrf(client, "/dispatch"), "time_limit_s": typed, "plan_id": plan_id},
        headers={"Accept-Language": language},
    )
    assert refused.status_code == 422
    assert 'id="plan-summary"' in refused.text  # the plan's page again, not the error page
    assert f'id="breakdown-problem-{broken}">{said}</span>' in refused.text
    assert f'value="{typed}" aria-invalid="true"' in refused.text
    session.expire_all()
    truck = session.scalars(select(Truck).where(Truck.plate == broken)).one()
    assert truck.status.value == "available"
    assert len(session.scalars(select(DispatchPlan)).all()) == 1
    assert (
        session.execute(
            select(Delivery.id, Delivery.truck_id, Delivery.status).order_by(Delivery.id)
        ).all()
        == deliveries_before
    )


def test_the_driver_moves_a_delivery_step_by_step_to_delivered(
    client: TestClient, session: Session
) -> None:
    plan_id = _committed_plan(client, session)
    plate = next(plate for plate, stops in _stops_by_truck(session, plan_id).items() if stops)
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).one()
    client.cookies.clear()
    password = "driver-password"
    create_user(session, username="wang", password=password, role=Role.driver, truck_id=truck.id)
    session.commit()
    assert sign_in(client, "wang", password).headers["location"] == "/driver"

    page = client.get("/driver").text
    assert "Wang Min" in page and "0375-5550000" in page  # the compound's contact
    delivery = session.scalars(select(Delivery).where(Delivery.truck_id == truck.id)).first()
    assert delivery is not None
    token = csrf(client, "/driver")
    step = f"/driver/deliveries/{delivery.id}/status"
    nameless = client.post(step, data={"csrf_token": token, "status": "delivered"})
    assert nameless.status_code == 409  # not yet loaded and on the way
    for status in ("loaded", "en_route"):
        assert client.post(step, data={"csrf_token": token, "status": status}).status_code == 200
    missing = client.post(step, data={"csrf_token": token, "status": "delivered"})
    assert missing.status_code == 422 and "needs the receiver" in missing.text
    done = client.post(
        step, data={"csrf_token": token, "status": "delivered", "receiver_name": "Wang Min"}
    )
    assert done.status_code == 200
    session.refresh(delivery)
    assert delivery.status is DeliveryStatus.delivered and delivery.receiver_name == "Wang Min"


def _name_the_products_rice(session: Session) -> None:
    """Every product of the day's requests is rice, 大米 in Chinese (its code stays p…)."""
    for product in session.scalars(select(Product)):
        product.name, product.name_zh = "Rice", "大米"
    session.commit()


def _driver_at_last_stop(client: TestClient, session: Session) -> Delivery:
    """The busiest truck of a committed plan, its driver signed in: its last stop."""
    plan_id = _committed_plan(client, session)
    plate = max(_stops_by_truck(session, plan_id).items(), key=lambda item: len(item[1]))[0]
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).one()
    client.cookies.clear()
    create_user(session, username="wang", password="wang-pw", role=Role.driver, truck_id=truck.id)
    session.commit()
    sign_in(client, "wang", "wang-pw")
    delivery = session.scalars(
        select(Delivery).where(Delivery.truck_id == truck.id).order_by(Delivery.sequence.desc())
    ).first()
    assert delivery is not None
    return delivery


def test_a_driver_who_gives_no_reason_reads_which_stop_needs_one(
    client: TestClient, session: Session
) -> None:
    delivery = _driver_at_last_stop(client, session)
    request = session.get_one(DeliveryRequest, delivery.request_id)
    compound = session.get_one(Compound, request.compound_id).name
    number = re.search(rf'id="stop-title-{delivery.id}">(\d+)\. ', client.get("/driver").text)
    assert number is not None
    token = csrf(client, "/driver")
    step = f"/driver/deliveries/{delivery.id}/status"
    for status in ("loaded", "en_route"):
        assert client.post(step, data={"csrf_token": token, "status": status}).status_code == 200

    reasonless = client.post(step, data={"csrf_token": token, "status": "failed", "reason": " "})
    assert reasonless.status_code == 422
    alert = reasonless.text.split('id="problem">', 1)[1].split("</p>", 1)[0]
    assert f"Stop {number.group(1)}, {compound}: " in alert
    assert f'href="#delivery-{delivery.id}"' in alert
    assert f'id="reason-{delivery.id}" name="reason" aria-invalid="true"' in reasonless.text

    chinese = client.post(
        step,
        data={"csrf_token": token, "status": "failed"},
        headers={"Accept-Language": "zh"},
    )
    assert f"第 {number.group(1)} 站（{compound}）：" in chinese.text


def test_a_driver_on_stop_fifteen_reads_why_beside_the_field_not_only_at_the_top(
    client: TestClient, session: Session
) -> None:
    """A driver who tapped Delivered with the name emptied, far down a 20-stop list, got
    the page back at its top with the reason there only; the field itself said nothing.
    Now the reason also sits beside the name (and the reason) field, which points to it."""
    delivery = _driver_at_last_stop(client, session)
    token = csrf(client, "/driver")
    step = f"/driver/deliveries/{delivery.id}/status"
    for status in ("loaded", "en_route"):
        assert client.post(step, data={"csrf_token": token, "status": status}).status_code == 200

    nameless = client.post(
        step, data={"csrf_token": token, "status": "delivered", "receiver_name": " "}
    )
    assert nameless.status_code == 422
    stop = nameless.text.split(f'id="delivery-{delivery.id}"', 1)[1].split("</section>", 1)[0]
    beside = f'id="receiver-problem-{delivery.id}">'
    assert f'aria-describedby="receiver-problem-{delivery.id}"' in stop
    assert "needs the receiver" in stop.split(beside, 1)[1].split("</span>", 1)[0]

    reasonless = client.post(step, data={"csrf_token": token, "status": "failed", "reason": ""})
    stop = reasonless.text.split(f'id="delivery-{delivery.id}"', 1)[1].split("</section>", 1)[0]
    beside = f'id="reason-problem-{delivery.id}">'
    assert f'aria-describedby="reason-problem-{delivery.id}"' in stop
    assert "needs a reason" in stop.split(beside, 1)[1].split("</span>", 1)[0]
    session.refresh(delivery)
    assert delivery.status is DeliveryStatus.en_route


def test_the_driver_reads_how_many_stops_in_lower_case_mid_line(
    client: TestClient, session: Session
) -> None:
    plan_id = _committed_plan(client, session)
    plate, stops = max(_stops_by_truck(session, plan_id).items(), key=lambda item: len(item[1]))
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).one()
    client.cookies.clear()
    create_user(session, username="wang", password="wang-pw", role=Role.driver, truck_id=truck.id)
    session.commit()
    sign_in(client, "wang", "wang-pw")
    counted = f"{len(stops)} stop" + ("s" if len(stops) != 1 else "")
    assert f'<span id="stop-count">{counted}</span>' in client.get("/driver").text
    chinese = client.get("/driver", headers={"Accept-Language": "zh"}).text
    assert f'<span id="stop-count">{len(stops)} 个站点</span>' in chinese


def test_the_dispatch_board_lists_each_requests_items_by_name_in_the_readers_language(
    client: TestClient, session: Session
) -> None:
    _day_to_plan(session)
    _name_the_products_rice(session)
    code = session.scalars(select(Product.code)).first()
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
    board = client.get("/dispatch").text
    assert "Rice 300 kg" in board and f"{code} 300" not in board
    plates = session.scalars(select(Truck.plate)).all()
    assert plates and all(
        f'<td class="plate" data-label="Truck">{plate}</td>' in board for plate in plates
    )
    client.cookies.set("supplywatch_lang", "zh")
    assert "大米 300 千克" in client.get("/dispatch").text


def test_the_board_and_the_manifests_name_each_trucks_depot(
    client: TestClient, session: Session
) -> None:
    plan_id = _committed_plan(client, session)
    depot = session.scalars(select(Depot)).one()
    depot.name = "East Grain Warehouse"
    session.commit()
    board = client.get("/dispatch").text
    assert (
        f'<td class="depot" title="{depot.code}" data-label="Depot">East Grain Warehouse</td>'
        in board
    )
    manifests = client.get(f"/dispatch/plans/{plan_id}/manifests").text
    assert "Depot: East Grain Warehouse" in manifests and f"Depot {depot.code}" not in manifests


def test_the_driver_and_the_manifests_name_the_items_in_chinese_for_a_chinese_reader(
    client: TestClient, session: Session
) -> None:
    plan_id = _committed_plan(client, session)
    _name_the_products_rice(session)
    client.cookies.set("supplywatch_lang", "zh")
    manifests = client.get(f"/dispatch/plans/{plan_id}/manifests").text
    assert "大米: 300 千克" in manifests and "Rice" not in manifests
    plate = next(plate for plate, stops in _stops_by_truck(session, plan_id).items() if stops)
    truck = session.scalars(select(Truck).where(Truck.plate == plate)).one()
    client.cookies.clear()
    create_user(
        session, username="wang", password="wang-password", role=Role.driver, truck_id=truck.id
    )
    session.commit()
    sign_in(client, "wang", "wang-password")
    client.cookies.set("supplywatch_lang", "zh")
    page = client.get("/driver").text
    assert "大米 300 千克" in page and "Rice" not in page and "大米 300 kg" not in page


@pytest.mark.parametrize(("language", "kg"), [("en", "kg"), ("zh", "千克")])
def test_the_driver_and_the_printed_manifest_name_the_unit_in_the_readers_language(
    client: TestClient, session: Session, language: str, kg: str
) -> None:
    """A Chinese driver read "大米 300 kg", the units table's code, on the phone and on the
    printed manifest; English keeps the code."""
    delivery = _driver_at_last_stop(client, session)
    _name_the_products_rice(session)
    client.cookies.set("supplywatch_lang", language)
    rice = "大米" if language == "zh" else "Rice"
    page = client.get("/driver").text
    assert re.search(rf"{rice} [\d,]+ {kg}", page), page
    truck = session.get(Truck, delivery.truck_id)
    assert truck is not None
    printed = client.get(
        f"/api/v1/trucks/{truck.plate}/manifest",
        params={"format": "html", "lang": language},
        headers=make_key(session, Role.driver, truck=truck),
    )
    assert printed.status_code == 200, printed.text
    assert re.search(rf"{rice}: [\d.]+ {kg}<br>", printed.text), printed.text


def test_a_failed_stop_shows_its_reason_and_goes_back_to_the_open_queue(
    client: TestClient, session: Session
) -> None:
    _committed_plan(client, session)
    delivery = session.scalars(select(Delivery).order_by(Delivery.id)).first()
    assert delivery is not None
    truck = session.get_one(Truck, delivery.truck_id)
    create_user(session, username="wang", password="wang-pw", role=Role.driver, truck_id=truck.id)
    session.commit()
    dispatcher_cookies = dict(client.cookies)
    assert 'id="open-requests"' not in client.get("/dispatch").text  # all on trucks
    client.cookies.clear()
    sign_in(client, "wang", "wang-pw")
    failed = client.post(
        f"/driver/deliveries/{delivery.id}/status",
        data={"csrf_token": csrf(client, "/driver"), "status": "failed", "reason": "gate sealed"},
    )
    assert failed.status_code == 200, failed.text
    card = failed.text.split(f'id="delivery-{delivery.id}"', 1)[1].split("</section>", 1)[0]
    assert "Not delivered: gate sealed" in card  # the driver's card says why
    client.cookies.clear()
    client.cookies.update(dispatcher_cookies)

    request = session.get_one(DeliveryRequest, delivery.request_id)
    session.refresh(request)
    assert request.status is RequestStatus.open
    for language, returned in (
        ("en", "returned after a failed delivery: gate sealed"),
        ("zh", "投递失败后退回：gate sealed"),
    ):
        board = client.get("/dispatch", headers={"Accept-Language": language}).text
        queue = board.split('id="open-requests"', 1)[1].split("</table>", 1)[0]
        row = queue.split(f'id="request-{request.id}"', 1)[1].split("</tr>", 1)[0]
        assert f"({session.get_one(Compound, request.compound_id).code})" in row
        assert returned in row and f"({truck.plate})" in row
        assert queue.count("<tr id=") == 1  # only this one came back, once
        assert 'id="failed-requests"' not in board


def test_a_request_failed_before_requests_came_back_by_themselves_is_put_back_by_hand(
    client: TestClient, session: Session
) -> None:
    _committed_plan(client, session)
    delivery = session.scalars(select(Delivery).order_by(Delivery.id)).first()
    assert delivery is not None
    delivery.status, delivery.failure_reason = DeliveryStatus.failed, "gate sealed"
    request = session.get_one(DeliveryRequest, delivery.request_id)
    request.status = RequestStatus.failed
    session.commit()
    truck = session.get_one(Truck, delivery.truck_id)

    board = client.get("/dispatch").text
    listed = board.split('id="failed-requests"', 1)[1].split("</table>", 1)[0]
    assert f"{truck.plate}: gate sealed" in listed
    reopened = client.post(
        f"/dispatch/requests/{delivery.request_id}/reopen",
        data={"csrf_token": csrf(client, "/dispatch")},
    )
    assert reopened.status_code == 200, reopened.text
    assert 'id="reopened"' in reopened.text
    assert 'id="failed-requests"' not in reopened.text
    queue = reopened.text.split('id="open-requests"', 1)[1].split("</table>", 1)[0]
    session.refresh(request)
    assert request.status is RequestStatus.open
    assert f"({session.get_one(Compound, request.compound_id).code})" in queue


def test_the_bureau_cannot_open_the_board(client: TestClient, session: Session) -> None:
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    assert client.get("/dispatch").status_code == 403


def test_the_dashboard_map_shows_locked_down_compounds(
    client: TestClient, session: Session
) -> None:
    make_compound(session, code="CP-LOCKED", locked=True)
    make_compound(session, code="CP-OPEN", locked=False)
    session.commit()
    sign_in(client, "li", make_person(session, "li", Role.bureau))
    # The dashboard's map reads its points from /dashboard/map.json.
    assert "/dashboard/map.json" in client.get("/dashboard").text
    compounds = client.get("/dashboard/map.json").json()["compounds"]
    assert [compound["code"] for compound in compounds] == ["CP-LOCKED"]


def test_a_dispatcher_on_the_driver_page_is_asked_to_pick_a_truck(
    client: TestClient, session: Session
) -> None:
    """The walk saw the admin's driver page say "No truck is bound to this sign-in"
    right under the truck select it is meant to pick from; it now says to pick one."""
    _day_to_plan(session)
    sign_in(client, "zhou", make_person(session, "zhou", Role.dispatcher))
    page = client.get("/driver").text
    assert '<option value="TRK-A"' in page
    assert '<p id="no-truck">Pick a truck above and press Show to see its stops.</p>' in page
    chinese = client.get("/driver", headers={"Accept-Language": "zh"}).text
    assert '<p id="no-truck">请在上方选择车辆并点击“显示”查看其站点。</p>' in chinese


def test_a_driver_whose_truck_has_no_stops_yet_reads_when_they_will_show(
    client: TestClient, session: Session
) -> None:
    """A driver signing in before the day's plan is committed read only "No stops for
    this day yet" and could not tell whether anything was wrong; the page now says the
    stops come with the dispatcher's committed plan."""
    _day_to_plan(session)
    truck = session.scalars(select(Truck).where(Truck.plate == "TRK-A")).one()
    create_user(session, username="li", password="li-password", role=Role.driver, truck_id=truck.id)
    session.commit()
    sign_in(client, "li", "li-password")
    page = client.get("/driver").text
    assert (
        '<p id="no-stops">No stops for this day yet: they show here once the dispatcher '
        "commits a plan that gives this truck stops. Reload the page then.</p>"
    ) in page
    chinese = client.get("/driver", headers={"Accept-Language": "zh"}).text
    assert (
        '<p id="no-stops">当日暂无配送站点：调度员提交为本车安排站点的计划后，'
        "站点将显示在这里，届时请刷新页面。</p>" in chinese
    )
