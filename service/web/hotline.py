"""The hotline's pages: a resident files a ticket without signing in and follows it
through the private link (the same domain functions as ``/api/v1/public/tickets``), and
the desk's queue of open tickets with their SLA clocks (as ``GET /api/v1/hotline/tickets``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.access import require_role
from core.errors import DomainError, InvalidInput
from core.text import field_problem
from core.words import word
from hotline.queries import TicketView, follow_ticket, list_tickets
from hotline.routing import list_working_groups
from hotline.tickets import MAX_TEXT_LENGTH, PublicFiling, TicketInput, file_ticket
from masterdata.regions import read_region
from models import Region, Role, TicketCategory, TicketPriority, TicketStatus
from service.http.dependencies import SessionDep, client_address
from service.web.common import (
    PageRoute,
    SettingsDep,
    ViewerDep,
    check_csrf,
    field_errors,
    language_of,
    names_by_code,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _form(
    request: Request,
    *,
    values: dict[str, str],
    error: DomainError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The public form, with what was typed and the problems beside their fields."""
    return render(
        request,
        "hotline/report.html",
        {
            "categories": [(category.value, word(category)) for category in TicketCategory],
            "values": values,
            "errors": field_errors(error) if error else {},
            "message": error.text if error else None,
            "max_text": MAX_TEXT_LENGTH,
        },
        status_code=status_code,
    )


def _region_code(session: Session, typed: str) -> str:
    """The region a caller typed, by its code or by its name (卫东区, Weidong): a resident
    knows the district's name, not its code. A name that no single active region bears
    stays as typed, for the form to refuse beside the field."""
    typed = typed.strip()
    if not typed or session.scalar(select(Region.id).where(Region.code == typed)) is not None:
        return typed
    named = session.scalars(
        select(Region.code)
        .where(Region.active.is_(True))
        .where(or_(Region.name_zh == typed, func.lower(Region.name) == typed.lower()))
        .limit(2)
    ).all()
    return named[0] if len(named) == 1 else typed


@router.get("/hotline/report")
def report_form(request: Request) -> HTMLResponse:
    return _form(request, values={})


@router.post("/hotline/report", dependencies=[Depends(check_csrf)])
def report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    category: Annotated[str, Form(max_length=64)],
    text: Annotated[str, Form(max_length=MAX_TEXT_LENGTH * 2)],
    region: Annotated[str, Form(max_length=64)],
    store: Annotated[str, Form(max_length=64)] = "",
    caller_name: Annotated[str, Form(max_length=200)] = "",
    caller_phone: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    values = {
        "category": category,
        "text": text,
        "region": region,
        "store": store,
        "caller_name": caller_name,
        "caller_phone": caller_phone,
    }
    try:
        if category not in {member.value for member in TicketCategory}:
            raise InvalidInput(
                "choose a category",
                errors=[field_problem(["body", "category"], "choose a category")],
            )
        ticket, token = file_ticket(
            session=session,
            new=TicketInput(
                category=TicketCategory(category),
                text=text,
                region=_region_code(session, region),
                store=store.strip() or None,
                caller_name=caller_name.strip() or None,
                caller_phone=caller_phone.strip() or None,
            ),
            principal=None,
            public=PublicFiling(
                address=client_address(request),
                per_hour=settings.hotline_public_tickets_per_hour,
            ),
        )
    except DomainError as error:
        session.rollback()
        return _form(request, values=values, error=error, status_code=error.status)
    follow_path = f"/hotline/follow/{ticket.number}?token={token}"
    return render(
        request,
        "hotline/filed.html",
        {"number": ticket.number, "follow_path": follow_path},
        status_code=201,
    )


@router.get("/hotline/follow/{number}")
def follow(request: Request, session: SessionDep, number: str, token: str = "") -> HTMLResponse:
    view = follow_ticket(session=session, number=number, token=token)
    return render(
        request,
        "hotline/follow.html",
        {
            "ticket": view,
            "category": word(TicketCategory(view.category)),
            "status": word(TicketStatus(view.status)),
        },
    )


def _minutes_to_breach(ticket: TicketView) -> float:
    """How soon the ticket's nearest open clock runs out (negative: overdue)."""
    open_clocks = [
        clock.remaining_minutes
        for clock in (ticket.first_response, ticket.resolution_clock)
        if clock is not None and clock.state in ("running", "paused", "breached")
    ]
    return min(open_clocks, default=float("inf"))


@router.get("/hotline/queue")
def queue(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """The open tickets the viewer may work on, nearest to breaching first."""
    require_role(viewer, Role.bureau, Role.operator, Role.working_group)
    found = list_tickets(session=session, principal=viewer, open_only=True, limit=200, offset=0)
    rows = sorted(found.items, key=_minutes_to_breach)
    language = language_of(request)
    regions = [read_region(session=session, code=code) for code in {t.region for t in rows}]
    groups = list_working_groups(session=session, principal=viewer)
    return render(
        request,
        "hotline/queue.html",
        {
            "tickets": rows,
            "total": found.total,
            "region_names": names_by_code(regions, language),
            "group_names": names_by_code(groups, language),
            "words": {
                value: word(member)
                for enum in (TicketCategory, TicketStatus, TicketPriority)
                for value, member in enum.__members__.items()
            },
        },
    )
