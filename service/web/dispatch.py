"""The dispatcher's board and the driver's page.

The driver sees the truck's stops of the day in driving order (address, contact,
items) with a button for each step the tracking rules allow.

The board lists the day's open requests by compound and priority and the fleet, plans
the day with a time limit, shows a plan on a map (a route per truck in its own colour)
and as tables, moves a stop, commits, re-plans after a breakdown, follows the
deliveries and prints manifests. Every read and action is the same dispatch function
the API calls (``dispatch.queries``, ``planning``, ``commitment``, ``tracking``), so a
capacity or time-window check the API makes is made here too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError, InvalidInput
from core.text import Text, field_problem, phrase
from dispatch import commitment, planning
from dispatch.access import require_dispatcher, require_plan_writer
from dispatch.demand import update_request
from dispatch.queries.deliveries import driver_manifest
from dispatch.queries.demand import RequestItemView, followed_requests, list_requests
from dispatch.queries.master_data import list_depots, list_trucks, truck_plates
from dispatch.queries.plans import (
    PlanView,
    delivery_statuses,
    latest_plan_of_truck,
    plan_places,
    plan_truck_plates,
    plans_of_day,
    read_plan,
    route_contacts,
)
from dispatch.solver import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S, MIN_TIME_LIMIT_S
from dispatch.suggestions import feasible_trucks
from dispatch.tracking import TRANSITIONS, move_delivery
from models import DeliveryStatus, RequestStatus, Role
from models.base import utc_now
from pass_office.fleet import issue_plan_passes, pass_tokens
from passes import pass_qr_code
from service.configuration import business_today
from service.http.dependencies import PassAuthorityDep, SessionDep, SessionFactoryDep
from service.http.schemas import MAX_DATABASE_ID, DatabaseId
from service.settings import Settings
from service.web.common import (
    LONG_PAGE_WORK,
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    language_of,
    page_unless_htmx,
    product_names,
    redirect,
    render,
    unit_words_of,
)
from service.web.form_wording import plain_problem
from service.web.problems import field_word

router = APIRouter(route_class=PageRoute, include_in_schema=False)

EVERYTHING = 5000
"""More requests and trucks than a board shows at once: the board lists them all."""
TIME_LIMIT: TypeAdapter[float] = TypeAdapter(
    Annotated[float, Field(ge=MIN_TIME_LIMIT_S, le=MAX_TIME_LIMIT_S)]
)
"""The seconds the solver may take, as the plan form's field accepts them."""
BREAKDOWN_TIME_LIMIT_S = 5.0
"""The seconds a breakdown's re-plan may take when none is typed: the drivers wait."""
MAX_PART = 10_000
"""The highest part number of a split request (as the API's moves allow)."""
NUMBER_DIGITS = 6
"""Digits a part or position typed into the move form may have (the API allows up to
100,000 positions), so no number reaches the database too large for it."""
SUGGESTIONS_SHOWN = 8
"""Trucks listed for a stop, least added distance first (the rest are counted)."""


@router.get("/dispatch")
def board(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: date | None = None,
) -> HTMLResponse:
    """Open requests by compound and priority, the fleet, and the day's plans."""
    return board_page(request, session, viewer, settings, day)


def board_page(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Settings,
    day: date | None,
    *,
    time_limit: str | float = DEFAULT_TIME_LIMIT_S,
    time_limit_problem: Text | None = None,
) -> HTMLResponse:
    """The board, with the plan form's time limit as typed and its problem, if any."""
    require_dispatcher(viewer)
    day = day or business_today(settings)
    requests = list_requests(
        session=session,
        principal=viewer,
        status=RequestStatus.open,
        delivery_date=day,
        limit=EVERYTHING,
        offset=0,
    ).items
    requests.sort(key=lambda r: (r.priority.value != "urgent", r.compound, r.window_start))
    trucks = list_trucks(session=session, principal=viewer, limit=EVERYTHING, offset=0).items
    depots = list_depots(session=session, principal=viewer, limit=EVERYTHING, offset=0).items
    names = product_names(session, language_of(request))
    failed = followed_requests(
        session=session,
        principal=viewer,
        status=RequestStatus.failed,
        delivery_date=day,
        limit=EVERYTHING,
    )
    return render(
        request,
        "dispatch/board.html",
        {
            "day": day,
            "requests": requests,
            "items_text": {
                view.id: _items_text(view.items, names, unit_words_of(request))
                for view in [*requests, *(followed.request for followed in failed)]
            },
            "trucks": trucks,
            "depot_names": {depot.code: depot.name for depot in depots},
            "plans": plans_of_day(session=session, principal=viewer, day=day),
            "failed": failed,
            "time_limit": time_limit,
            "time_limit_problem": time_limit_problem,
        },
        status_code=422 if time_limit_problem else 200,
    )


def _items_text(
    items: list[RequestItemView], names: dict[str, str], unit_name: Callable[[str], str]
) -> str:
    """A request's items on one line by name ("Rice 20 kg, Soybean oil 5 L"), joined here:
    the board shows hundreds of requests, and a template loop per item was most of its
    render time."""
    return ", ".join(
        f"{names.get(item.product, item.product)} {item.quantity:,.0f} {unit_name(item.unit)}"
        for item in items
    )


def typed_time_limit(typed: str, default: float = DEFAULT_TIME_LIMIT_S) -> float | Text:
    """The seconds typed in a plan or breakdown form, or what to type instead: the form
    is shown again with it beside the field, never the error page."""
    try:
        return TIME_LIMIT.validate_python(typed.strip() or default)
    except ValidationError as error:
        return plain_problem(error.errors()[0])


@router.post("/dispatch/plans", dependencies=[Depends(check_csrf), LONG_PAGE_WORK])
def plan_day(
    request: Request,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    day: Annotated[date, Form()],
    time_limit_s: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """Solve the day into a draft plan within the time limit, then show it; a time limit
    out of bounds shows the board again with the problem beside the field."""
    require_plan_writer(viewer)
    seconds = typed_time_limit(time_limit_s)
    if isinstance(seconds, Text):
        return board_page(
            request,
            session,
            viewer,
            settings,
            day,
            time_limit=time_limit_s,
            time_limit_problem=seconds,
        )
    plan = planning.create_draft(
        session=session,
        options=planning.PlanOptions(
            plan_date=day, time_limit_s=seconds, today=business_today(settings)
        ),
        created_by=viewer.label,
        read_in=session_factory,
    )
    return redirect(f"/dispatch/plans/{plan.id}")


def _read_plan(session: Session, viewer: Principal, settings: Settings, plan_id: int) -> PlanView:
    return read_plan(session=session, principal=viewer, plan_id=plan_id, zone=settings.zone)


def _plan_page(
    request: Request,
    session: Session,
    plan: PlanView,
    template: str = "dispatch/plan.html",
    *,
    status_code: int | None = None,
    **context: Any,
) -> HTMLResponse:
    """A plan with its routes on a map and as tables (or as printable manifests)."""
    places = plan_places(session=session, plan=plan)
    return render(
        request,
        template,
        {
            "plan": plan,
            "route_map": {
                "places": {
                    code: {
                        "lon": place.lon,
                        "lat": place.lat,
                        "name": place.name,
                        "kind": place.kind,
                    }
                    for code, place in places.items()
                },  # not dataclasses.asdict: its deep copy of every place was a slow part
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
            "delivery_statuses": delivery_statuses(session=session, plan_id=plan.id),
            "plates": plan_truck_plates(session=session, plan_id=plan.id),
            "breakdown_default": int(BREAKDOWN_TIME_LIMIT_S),
            **context,
        },
        status_code=status_code or (400 if context.get("problem") else 200),
    )


@router.get("/dispatch/plans/{plan_id}")
def plan_page(
    request: Request,
    plan_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> HTMLResponse:
    require_dispatcher(viewer)
    return _plan_page(request, session, _read_plan(session, viewer, settings, plan_id))


@router.get("/dispatch/plans/{plan_id}/suggestions")
def stop_suggestions(
    request: Request,
    plan_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    request_id: Annotated[int, Query(ge=1, le=MAX_DATABASE_ID)],
    part: Annotated[int | None, Query(ge=0, le=MAX_PART)] = None,
) -> Response:
    """The trucks that could take one stop, fetched when the dispatcher asks about that
    stop (never for every stop at page load), each with a button that moves it there."""
    if (whole := page_unless_htmx(request, f"/dispatch/plans/{plan_id}")) is not None:
        return whole
    require_dispatcher(viewer)
    suggestions = feasible_trucks(
        session=session,
        principal=viewer,
        plan_id=plan_id,
        request_id=request_id,
        part=part,
        zone=settings.zone,
    )
    return render(
        request,
        "dispatch/suggestions.html",
        {"suggestions": suggestions, "shown": SUGGESTIONS_SHOWN},
    )


@router.get("/dispatch/plans/{plan_id}/manifests")
def manifests(
    request: Request,
    plan_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
) -> HTMLResponse:
    """One printable page per truck: its stops, contacts and loads."""
    require_dispatcher(viewer)
    plan = _read_plan(session, viewer, settings, plan_id)
    contacts = route_contacts(session=session, plan=plan)
    day_start = datetime.combine(plan.date, time(0), tzinfo=settings.zone)
    tokens = pass_tokens(
        session=session,
        plan_id=plan_id,
        start=day_start,
        end=day_start + timedelta(days=1),
    )
    return _plan_page(
        request,
        session,
        plan,
        "dispatch/manifests.html",
        compounds=contacts.compounds,
        trucks=contacts.crews,
        items=contacts.items,
        product_names=product_names(session, language_of(request)),
        pass_codes={
            plate: Markup(pass_qr_code(token=token, scale=2).svg) for plate, token in tokens.items()
        },
    )


def _stop_number(field: str, typed: str) -> int | None:
    """A stop's part or position typed in the move form (None if empty), or a 422 naming
    the field: ``str.isdigit`` alone also passes "²", which ``int`` cannot read."""
    typed = typed.strip()
    if not typed:
        return None
    if typed.isascii() and typed.isdigit():
        return int(typed)
    worded = field_word(field)
    raise InvalidInput(
        "{field} is not a number",
        errors=[
            field_problem(
                ["body", field],
                phrase("{where}: {problem}", where=worded, problem=phrase("Enter a number")),
            )
        ],
        field=worded,
    )


@router.post("/dispatch/plans/{plan_id}/moves", dependencies=[Depends(check_csrf)])
def move_a_stop(
    request: Request,
    plan_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    request_id: Annotated[int, Form(ge=1, le=MAX_DATABASE_ID)],
    version: Annotated[int, Form(ge=1, le=MAX_DATABASE_ID)],
    to_truck: Annotated[str, Form()] = "",
    part: Annotated[str, Form(max_length=NUMBER_DIGITS)] = "",
    position: Annotated[str, Form(max_length=NUMBER_DIGITS)] = "",
) -> Response:
    """Move a stop to another truck (re-checked for capacity and windows), or show why
    it cannot go there; nothing is saved then."""
    require_plan_writer(viewer)
    try:
        stop_part = _stop_number("part", part)
        stop_position = _stop_number("position", position)
    except InvalidInput as error:
        plan = _read_plan(session, viewer, settings, plan_id)
        return _plan_page(request, session, plan, problem=error, status_code=error.status)
    try:
        planning.move_stop(
            session=session,
            plan_id=plan_id,
            request_id=request_id,
            part=stop_part,
            to_truck=to_truck.strip() or None,
            position=stop_position,
            expected_version=version,
        )
    except InvalidInput as error:
        session.rollback()
        plan = _read_plan(session, viewer, settings, plan_id)
        return _plan_page(
            request,
            session,
            plan,
            problem=error,
            refused_stop=(request_id, stop_part),
            typed_truck=to_truck,
        )
    return redirect(f"/dispatch/plans/{plan_id}?moved={request_id}")


@router.post("/dispatch/plans/{plan_id}/commit", dependencies=[Depends(check_csrf)])
def commit_plan(
    plan_id: DatabaseId,
    session: SessionDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    authority: PassAuthorityDep,
    version: Annotated[int, Form(ge=1, le=MAX_DATABASE_ID)],
) -> Response:
    require_plan_writer(viewer)
    commitment.commit_plan(
        session=session,
        plan_id=plan_id,
        expected_version=version,
        actor=viewer.label,
        zone=settings.zone,
    )
    issue_plan_passes(
        session=session,
        plan_id=plan_id,
        authority=authority,
        actor=viewer.label,
        now=utc_now(),
        zone=settings.zone,
    )
    return redirect(f"/dispatch/plans/{plan_id}?committed=1")


@router.post("/dispatch/requests/{request_id}/reopen", dependencies=[Depends(check_csrf)])
def reopen_request(request_id: DatabaseId, session: SessionDep, viewer: ViewerDep) -> Response:
    """Put a request whose delivery failed back in the day's open queue, to plan again."""
    reopened = update_request(
        session=session,
        principal=viewer,
        request_id=request_id,
        changes={"status": RequestStatus.open},
    )
    return redirect(f"/dispatch?day={reopened.delivery_date.isoformat()}&reopened={request_id}")


@router.post("/dispatch/plans/{plan_id}/discard", dependencies=[Depends(check_csrf)])
def discard(plan_id: DatabaseId, session: SessionDep, viewer: ViewerDep) -> Response:
    require_plan_writer(viewer)
    plan = planning.discard(session=session, plan_id=plan_id)
    return redirect(f"/dispatch?day={plan.plan_date.isoformat()}&discarded={plan.id}")


@router.post(
    "/dispatch/trucks/{plate}/breakdown", dependencies=[Depends(check_csrf), LONG_PAGE_WORK]
)
def breakdown(
    request: Request,
    plate: str,
    session: SessionDep,
    session_factory: SessionFactoryDep,
    viewer: ViewerDep,
    settings: SettingsDep,
    time_limit_s: Annotated[str, Form(max_length=32)] = "",
    plan_id: Annotated[int | None, Form(ge=1, le=MAX_DATABASE_ID)] = None,
) -> Response:
    """A truck broke down: re-plan its undelivered stops and show the new plan; a time
    limit out of bounds shows the plan again with the problem beside the truck's field,
    and nothing changes."""
    require_plan_writer(viewer)
    seconds = typed_time_limit(time_limit_s, default=BREAKDOWN_TIME_LIMIT_S)
    if isinstance(seconds, Text):
        shown = plan_id or latest_plan_of_truck(session=session, plate=plate)
        if shown is None:
            raise InvalidInput(seconds)
        return _plan_page(
            request,
            session,
            _read_plan(session, viewer, settings, shown),
            status_code=422,
            breakdown_truck=plate,
            breakdown_time_limit=time_limit_s,
            breakdown_problem=seconds,
        )
    plans = commitment.breakdown(
        session=session,
        read_in=session_factory,
        plate=plate,
        actor=viewer.label,
        zone=settings.zone,
        time_limit_s=seconds,
    )
    if plans:
        return redirect(f"/dispatch/plans/{plans[-1].id}?replanned={plate}")
    return redirect(f"/dispatch?breakdown={plate}")


def _driver_page(
    request: Request,
    session: Session,
    viewer: Principal,
    settings: Settings,
    *,
    plate: str | None = None,
    day: date | None = None,
    problem: DomainError | None = None,
    failed_delivery: int | None = None,
    failed_step: str = "",
) -> HTMLResponse:
    day = day or business_today(settings)
    manifest = driver_manifest(session=session, principal=viewer, plate=plate, day=day)
    return render(
        request,
        "dispatch/driver.html",
        {
            "day": day,
            "manifest": manifest,
            "product_names": product_names(session, language_of(request)),
            "next_steps": {
                status.value: sorted(step.value for step in steps)
                for status, steps in TRANSITIONS.items()
            },
            "trucks": []
            if viewer.role is Role.driver
            else truck_plates(session=session, principal=viewer),
            "problem": problem,
            "failed_delivery": failed_delivery,
            "failed_step": failed_step,
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
    delivery_id: DatabaseId,
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
            failed_step=status.value,
        )
    suffix = f"?truck={truck}" if truck and viewer.role is not Role.driver else ""
    return redirect(f"/driver{suffix}#delivery-{delivery_id}")
