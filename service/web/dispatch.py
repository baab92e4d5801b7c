"""The dispatcher's board and the driver's page.

The driver sees the truck's stops of the day in driving order (address, contact,
items) with a button for each step the tracking rules allow.

The board lists the day's open requests by compound and priority and the fleet, plans
the day with a time limit, shows a plan on a map (a route per truck in its own colour)
and as tables, moves a stop, commits, re-plans after a breakdown, follows the
deliveries and prints manifests. Every action calls the dispatch API's own functions
in-process, so a capacity or time-window check the API makes is made here too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError, InvalidInput
from dispatch.tracking import TRANSITIONS, manifest, move_delivery
from models import (
    Compound,
    Delivery,
    DeliveryStatus,
    Depot,
    DispatchPlan,
    RequestStatus,
    Role,
    Truck,
)
from service.api.delivery_requests import list_requests
from service.api.dispatch_plans import (
    BreakdownReport,
    PlanCommit,
    PlanCreate,
    PlanRead,
    StopMove,
    commit,
    create_plan,
    discard_plan,
    move,
    read_plan,
    report_breakdown,
)
from service.api.trucks import list_trucks
from service.configuration import business_today
from service.http.dependencies import SessionDep
from service.http.schemas import PageParams
from service.web.common import (
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

EVERYTHING = PageParams(limit=5000, offset=0)
DEFAULT_TIME_LIMIT_S = 10.0


def _dispatcher(viewer: Principal) -> None:
    require_role(viewer, Role.dispatcher)


def _coordinates(session: Session, plan: PlanRead) -> dict[str, Any]:
    """Where the plan's depots and compounds are, by code, for the map."""
    compounds = {stop.compound for route in plan.routes for stop in route.stops}
    compounds |= {entry.compound for entry in plan.unassigned}
    places: dict[str, Any] = {
        code: {"lon": lon, "lat": lat, "name": name, "kind": "compound"}
        for code, name, lon, lat in session.execute(
            select(Compound.code, Compound.name, Compound.longitude, Compound.latitude).where(
                Compound.code.in_(sorted(compounds))
            )
        )
    }
    depots = {route.depot for route in plan.routes}
    for code, name, lon, lat in session.execute(
        select(Depot.code, Depot.name, Depot.longitude, Depot.latitude).where(
            Depot.code.in_(sorted(depots))
        )
    ):
        places[code] = {"lon": lon, "lat": lat, "name": name, "kind": "depot"}
    return places


def _plan_trucks(session: Session, plan_id: int) -> list[str]:
    """Plates of every truck the plan may use (a stop can move to an idle one too)."""
    truck_ids = session.get_one(DispatchPlan, plan_id).truck_ids
    return list(
        session.scalars(select(Truck.plate).where(Truck.id.in_(truck_ids)).order_by(Truck.plate))
    )


def _deliveries(session: Session, plan_id: int) -> dict[tuple[int, int | None], Any]:
    """Delivery status of each stop of a committed plan, by (request, part)."""
    return {
        (delivery.request_id, delivery.part): delivery
        for delivery in session.scalars(select(Delivery).where(Delivery.plan_id == plan_id))
    }


@router.get("/dispatch")
def board(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: date | None = None,
) -> HTMLResponse:
    """Open requests by compound and priority, the fleet, and the day's plans."""
    _dispatcher(viewer)
    day = day or business_today(settings)
    requests = list_requests(
        session=session,
        principal=viewer,
        paging=EVERYTHING,
        status=RequestStatus.open,
        priority=None,
        delivery_date=day,
        compound=None,
    ).items
    requests.sort(key=lambda r: (r.priority.value != "urgent", r.compound, r.window_start))
    trucks = list_trucks(
        session=session, principal=viewer, paging=EVERYTHING, depot=None, status=None
    ).items
    plans = session.scalars(
        select(DispatchPlan)
        .where(DispatchPlan.plan_date == day)
        .order_by(DispatchPlan.id.desc())
        .limit(20)
    ).all()
    return render(
        request,
        "dispatch/board.html",
        {
            "day": day,
            "requests": requests,
            "trucks": trucks,
            "plans": plans,
            "time_limit": DEFAULT_TIME_LIMIT_S,
        },
    )


@router.post("/dispatch/plans", dependencies=[Depends(check_csrf)])
def plan_day(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: Annotated[date, Form()],
    time_limit_s: Annotated[float, Form(ge=1, le=600)] = DEFAULT_TIME_LIMIT_S,
) -> Response:
    """Solve the day into a draft plan within the time limit, then show it."""
    _dispatcher(viewer)
    plan = create_plan(
        body=PlanCreate(date=day, time_limit_s=time_limit_s),
        session=session,
        principal=viewer,
        settings=settings,
    )
    return redirect(f"/dispatch/plans/{plan.id}")


def _plan_page(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Any,
    plan_id: int,
    template: str = "dispatch/plan.html",
    **context: Any,
) -> HTMLResponse:
    plan = read_plan(plan_id=plan_id, session=session, principal=viewer, settings=settings)
    return render(
        request,
        template,
        {
            "plan": plan,
            "route_map": {
                "places": _coordinates(session, plan),
                "routes": [
                    {
                        "truck": route.truck,
                        "depot": route.depot,
                        "stops": [stop.compound for stop in route.stops],
                    }
                    for route in plan.routes
                ],
                "unassigned": [entry.compound for entry in plan.unassigned],
            },
            "deliveries": _deliveries(session, plan.id),
            "plates": _plan_trucks(session, plan.id),
            **context,
        },
        status_code=400 if context.get("problem") else 200,
    )


@router.get("/dispatch/plans/{plan_id}")
def plan_page(
    request: Request, plan_id: int, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    _dispatcher(viewer)
    return _plan_page(request, session, viewer, settings, plan_id)


@router.get("/dispatch/plans/{plan_id}/manifests")
def manifests(
    request: Request, plan_id: int, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> HTMLResponse:
    """One printable page per truck: its stops, contacts and loads."""
    _dispatcher(viewer)
    compounds = {
        compound.code: compound
        for compound in session.scalars(select(Compound).where(Compound.active.is_(True)))
    }
    trucks = {truck.plate: truck for truck in session.scalars(select(Truck))}
    return _plan_page(
        request,
        session,
        viewer,
        settings,
        plan_id,
        "dispatch/manifests.html",
        compounds=compounds,
        trucks=trucks,
    )


@router.post("/dispatch/plans/{plan_id}/moves", dependencies=[Depends(check_csrf)])
def move_a_stop(
    request: Request,
    plan_id: int,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    request_id: Annotated[int, Form()],
    version: Annotated[int, Form()],
    to_truck: Annotated[str, Form()] = "",
    part: Annotated[str, Form()] = "",
    position: Annotated[str, Form()] = "",
) -> Response:
    """Move a stop to another truck (re-checked for capacity and windows), or show why
    it cannot go there; nothing is saved then."""
    _dispatcher(viewer)
    body = StopMove(
        request_id=request_id,
        part=int(part) if part.isdigit() else None,
        to_truck=to_truck or None,
        position=int(position) if position.isdigit() else None,
        expected_version=version,
    )
    try:
        move(plan_id=plan_id, body=body, session=session, principal=viewer, settings=settings)
    except InvalidInput as error:
        session.rollback()
        return _plan_page(request, session, viewer, settings, plan_id, problem=error)
    return redirect(f"/dispatch/plans/{plan_id}?moved={request_id}")


@router.post("/dispatch/plans/{plan_id}/commit", dependencies=[Depends(check_csrf)])
def commit_plan(
    plan_id: int,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    version: Annotated[int, Form()],
) -> Response:
    _dispatcher(viewer)
    commit(
        plan_id=plan_id,
        body=PlanCommit(expected_version=version),
        session=session,
        principal=viewer,
        settings=settings,
    )
    return redirect(f"/dispatch/plans/{plan_id}?committed=1")


@router.post("/dispatch/plans/{plan_id}/discard", dependencies=[Depends(check_csrf)])
def discard(
    plan_id: int, session: SessionDep, viewer: ViewerDep, settings: SettingsDep
) -> Response:
    _dispatcher(viewer)
    plan = discard_plan(plan_id=plan_id, session=session, principal=viewer, settings=settings)
    return redirect(f"/dispatch?day={plan.date.isoformat()}")


@router.post("/dispatch/trucks/{plate}/breakdown", dependencies=[Depends(check_csrf)])
def breakdown(
    plate: str,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    time_limit_s: Annotated[float, Form(ge=1, le=600)] = 5.0,
) -> Response:
    """A truck broke down: re-plan its undelivered stops and show the new plan."""
    _dispatcher(viewer)
    plans = report_breakdown(
        plate=plate,
        session=session,
        principal=viewer,
        settings=settings,
        body=BreakdownReport(time_limit_s=time_limit_s),
    )
    if plans:
        return redirect(f"/dispatch/plans/{plans[-1].id}?replanned={plate}")
    return redirect(f"/dispatch?breakdown={plate}")


def _truck_for(session: Session, viewer: Principal, plate: str | None) -> Truck | None:
    """A driver's own truck; a dispatcher or admin may look at any truck by plate."""
    if viewer.role is Role.driver:
        return session.get(Truck, viewer.truck_id) if viewer.truck_id else None
    if plate:
        return session.scalars(select(Truck).where(Truck.plate == plate)).first()
    return None


def _driver_page(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Any,
    *,
    plate: str | None = None,
    day: date | None = None,
    problem: DomainError | None = None,
    failed_delivery: int | None = None,
) -> HTMLResponse:
    require_role(viewer, Role.driver, Role.dispatcher)
    day = day or business_today(settings)
    truck = _truck_for(session, viewer, plate)
    stops = manifest(session=session, truck=truck, day=day) if truck is not None else None
    return render(
        request,
        "dispatch/driver.html",
        {
            "day": day,
            "truck": truck,
            "manifest": stops,
            "next_steps": {
                status.value: sorted(step.value for step in steps)
                for status, steps in TRANSITIONS.items()
            },
            "trucks": []
            if viewer.role is Role.driver
            else list(session.scalars(select(Truck.plate).order_by(Truck.plate))),
            "problem": problem,
            "failed_delivery": failed_delivery,
        },
        status_code=problem.status if problem else 200,
    )


@router.get("/driver")
def driver_home(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    truck: str | None = None,
    day: date | None = None,
) -> HTMLResponse:
    """A truck's stops of the day in driving order, with a button per allowed step."""
    return _driver_page(request, session, viewer, settings, plate=truck, day=day)


@router.post("/driver/deliveries/{delivery_id}/status", dependencies=[Depends(check_csrf)])
def delivery_step(
    request: Request,
    delivery_id: int,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    status: Annotated[DeliveryStatus, Form()],
    receiver_name: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    truck: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Move one delivery one step (loaded, en route, delivered with who took it, or
    failed with why); a missing name or reason is shown beside the stop."""
    require_role(viewer, Role.driver, Role.dispatcher)
    try:
        move_delivery(
            session=session,
            delivery_id=delivery_id,
            to_status=status,
            principal=viewer,
            receiver_name=receiver_name.strip() or None,
            reason=reason.strip() or None,
        )
    except InvalidInput as error:
        session.rollback()
        return _driver_page(
            request,
            session,
            viewer,
            settings,
            plate=truck or None,
            problem=error,
            failed_delivery=delivery_id,
        )
    suffix = f"?truck={truck}" if truck and viewer.role is not Role.driver else ""
    return redirect(f"/driver{suffix}#delivery-{delivery_id}")
