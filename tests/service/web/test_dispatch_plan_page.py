"""The dispatcher reads a plan as a summary and one folded card per truck, learns why a
move was refused in compound names and clock times, and asks, stop by stop, which trucks
could take it (on both databases)."""

from __future__ import annotations

import re
from datetime import time

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Compound, DeliveryRequest, DispatchPlan, PlanRoute, PlanStop, Role, Truck
from tests.dispatch.factories import make_compound, make_depot, make_request, make_truck
from tests.factories import business_today
from tests.service.web.helpers import csrf, make_person, sign_in

HTMX = {"HX-Request": "true"}
"""What htmx sends with the fragments a page fetches after it loads."""

PLAN_URL = re.compile(r"/dispatch/plans/(\d+)")
NAMES = ("Peony Garden", "Lotus Court", "Tight Estate")


def _day(session: Session) -> None:
    """Two 700 kg trucks and three 300 kg requests near the depot; Tight Estate's window
    is 8:00–8:05, the others' 8:00–9:00."""
    depot = make_depot(session, code="DEP-1")
    for plate in ("TRK-A", "TRK-B"):
        make_truck(session, depot=depot, plate=plate, capacity_kg=700)
    spots = ((33.74, 113.29), (33.75, 113.27), (33.72, 113.30))
    for index, ((lat, lon), name) in enumerate(zip(spots, NAMES, strict=True)):
        compound = make_compound(session, code=f"CP-{index}", latitude=lat, longitude=lon)
        compound.name = name
        end = time(8, 5) if name == "Tight Estate" else time(9, 0)
        make_request(
            session,
            compound=compound,
            delivery_date=business_today(),
            kg=300,
            window=(time(8, 0), end),
        )
    session.commit()


def _plan(client: TestClient, session: Session) -> int:
    _day(session)
    sign_in(client, "ops", make_person(session, "ops", Role.dispatcher))
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


def _routes(session: Session, plan_id: int) -> dict[str, list[int]]:
    """Request ids in stop order by truck plate, as stored."""
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


def _request_at(session: Session, name: str) -> int:
    return session.scalars(
        select(DeliveryRequest.id)
        .join(Compound, Compound.id == DeliveryRequest.compound_id)
        .where(Compound.name == name)
    ).one()


def _tile(page: str, name: str) -> str:
    found = re.search(rf'id="summary-{name}">([^<]*)<', page)
    assert found, name
    return found.group(1).strip()


def test_the_plan_page_sums_up_the_day_and_folds_each_truck(
    client: TestClient, session: Session
) -> None:
    plan_id = _plan(client, session)
    routes = _routes(session, plan_id)
    page = client.get(f"/dispatch/plans/{plan_id}").text

    assert _tile(page, "trucks") == f"{len(routes)} / 2"
    assert _tile(page, "stops") == "3"
    assert _tile(page, "load") == "900"
    assert _tile(page, "late") == "0"
    assert _tile(page, "unassigned") == "0"
    assert "of 1,400 kg on the trucks used" in page
    distance = session.scalars(
        select(PlanStop.distance_m)
        .join(PlanRoute, PlanRoute.id == PlanStop.route_id)
        .where(PlanRoute.plan_id == plan_id)
    ).all()
    returns = session.scalars(
        select(PlanRoute.return_distance_m).where(PlanRoute.plan_id == plan_id)
    ).all()
    assert _tile(page, "distance") == f"{(sum(distance) + sum(returns)) / 1000:.1f}"

    # One folded card per truck used, its plate in the summary line with the depot's name.
    assert page.count('<details class="card route"') == len(routes)
    assert " open>" not in page.split('id="routes"', 1)[1]
    for plate in routes:
        assert f'<span class="plate">{plate}</span>' in page
    assert "Depot · " in page  # the depot by its name, not its code
    for name in NAMES:
        assert name in page
    # Suggestions are not computed for the page, only when a stop asks.
    assert "Which trucks could take it?" in page and "suggestion-list" not in page


def test_in_chinese_the_summary_and_the_trucks_read_in_chinese(
    client: TestClient, session: Session
) -> None:
    plan_id = _plan(client, session)
    page = client.get(f"/dispatch/plans/{plan_id}", headers={"Accept-Language": "zh"}).text
    assert "使用车辆" in page and "违反时间窗" in page and "哪些车辆能承接？" in page


def test_a_refused_move_names_compounds_and_clock_times_and_lists_every_broken_rule(
    client: TestClient, session: Session
) -> None:
    plan_id = _plan(client, session)
    routes = _routes(session, plan_id)
    # 900 kg of 700 on one truck, and Tight Estate (8:00–8:05) pushed behind another stop.
    full = max(routes, key=lambda plate: len(routes[plate]))
    other = next(plate for plate in routes if plate != full)
    assert len(routes[full]) == 2 and len(routes[other]) == 1
    moving = routes[other][0]
    tight_on_full = routes[full][0] == _request_at(session, "Tight Estate")
    plan = session.get_one(DispatchPlan, plan_id)
    response = client.post(
        f"/dispatch/plans/{plan_id}/moves",
        data={
            "csrf_token": csrf(client, "/dispatch"),
            "request_id": str(moving),
            "to_truck": full,
            # Before the tight stop when it leads the full truck, else after both.
            "position": "0" if tight_on_full else "2",
            "version": str(plan.version),
        },
    )
    assert response.status_code == 400
    reasons = re.findall(
        r"<li>([^<]*)</li>", response.text.split('id="refusal-reasons"', 1)[1].split("</ul>")[0]
    )
    assert len(reasons) == 2, reasons
    assert f"vehicle {full}: load 900 kg exceeds its capacity 700 kg" in reasons
    late = next(reason for reason in reasons if "window" in reason)
    found = re.fullmatch(
        rf"vehicle {full}: reaches Tight Estate at (\d\d:\d\d), after its window closes at 08:05",
        late,
    )
    assert found and found.group(1) > "08:05", late
    assert "rule(s)" not in response.text
    assert _routes(session, plan_id) == routes


def test_the_trucks_that_could_take_a_stop_come_when_asked_and_one_click_moves_it(
    client: TestClient, session: Session
) -> None:
    plan_id = _plan(client, session)
    routes = _routes(session, plan_id)
    full = max(routes, key=lambda plate: len(routes[plate]))
    other = next(plate for plate in ("TRK-A", "TRK-B") if plate != full)
    asked = routes[full][-1]
    fragment = client.get(f"/dispatch/plans/{plan_id}/suggestions?request_id={asked}", headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # a piece of the page, swapped in by htmx
    # The piece's address opened on its own (a bookmark, a reload) leads to the whole plan.
    alone = client.get(f"/dispatch/plans/{plan_id}/suggestions?request_id={asked}")
    assert alone.url.path == f"/dispatch/plans/{plan_id}" and "<html" in alone.text
    assert f'data-truck="{other}"' in fragment.text and f'data-truck="{full}"' not in fragment.text
    position = re.search(r'name="position" value="(\d+)"', fragment.text)
    assert position
    moved = client.post(
        f"/dispatch/plans/{plan_id}/moves",
        data={
            "csrf_token": csrf(client, f"/dispatch/plans/{plan_id}"),
            "request_id": str(asked),
            "part": "",
            "to_truck": other,
            "position": position.group(1),
            "version": str(session.get_one(DispatchPlan, plan_id).version),
        },
    )
    assert moved.status_code == 200 and "Stop moved" in moved.text
    after = _routes(session, plan_id)
    assert asked in after[other] and asked not in after[full]
    # The truck the stop went to is opened on the page that comes back.
    assert re.search(
        rf'<details class="card route" id="route-\d+" data-truck="{other}" open>', moved.text
    )


def test_asking_about_a_stop_the_plan_does_not_have_is_a_problem_naming_it(
    client: TestClient, session: Session
) -> None:
    plan_id = _plan(client, session)
    response = client.get(f"/dispatch/plans/{plan_id}/suggestions?request_id=999999", headers=HTMX)
    assert response.status_code == 422
    assert "request 999999 is not a stop or unassigned in plan" in response.text


def test_a_stop_taken_off_by_hand_says_the_dispatcher_removed_it_and_one_click_puts_it_back(
    client: TestClient, session: Session
) -> None:
    plan_id = _plan(client, session)
    routes = _routes(session, plan_id)
    full = max(routes, key=lambda plate: len(routes[plate]))
    taken = routes[full][-1]
    off = client.post(
        f"/dispatch/plans/{plan_id}/moves",
        data={
            "csrf_token": csrf(client, f"/dispatch/plans/{plan_id}"),
            "request_id": str(taken),
            "part": "",
            "to_truck": "",
            "version": str(session.get_one(DispatchPlan, plan_id).version),
        },
    )
    assert off.status_code == 200, off.text
    row = off.text.split(f'id="unassigned-{taken}"', 1)[1].split("</tr>", 1)[0]
    # The dispatcher took it off: no truck was short of room for it.
    assert '<td class="wide" data-label="Why">removed by the dispatcher</td>' in row
    assert "no truck has room left" not in row
    chinese = client.get(f"/dispatch/plans/{plan_id}", headers={"Accept-Language": "zh"}).text
    row = chinese.split(f'id="unassigned-{taken}"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="wide" data-label="原因">调度员已移出</td>' in row and "运力不足" not in row

    fragment = client.get(f"/dispatch/plans/{plan_id}/suggestions?request_id={taken}", headers=HTMX)
    assert fragment.status_code == 200 and f'data-truck="{full}"' in fragment.text
    position = re.search(
        rf'data-truck="{full}".*?name="position" value="(\d+)"', fragment.text, re.DOTALL
    )
    assert position
    back = client.post(
        f"/dispatch/plans/{plan_id}/moves",
        data={
            "csrf_token": csrf(client, f"/dispatch/plans/{plan_id}"),
            "request_id": str(taken),
            "part": "",
            "to_truck": full,
            "position": position.group(1),
            "version": str(session.get_one(DispatchPlan, plan_id).version),
        },
    )
    assert back.status_code == 200 and "Stop moved" in back.text
    assert f'id="unassigned-{taken}"' not in back.text
    assert taken in _routes(session, plan_id)[full]
