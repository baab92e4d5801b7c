"""The hotline's public pages: a resident files a ticket without signing in and follows it
through the private link (the same domain functions as ``/api/v1/public/tickets``). The
desk's pages are in :mod:`service.web.hotline_desk`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from core.errors import DomainError
from core.text import N_
from core.words import word
from hotline.queries import follow_ticket
from hotline.tickets import MAX_TEXT_LENGTH, PublicFiling, TicketInput, file_ticket
from masterdata.choices import ChoiceKind, code_typed
from models import TicketCategory, TicketStatus
from service.http.dependencies import SessionDep, client_address
from service.web.common import (
    PageRoute,
    SettingsDep,
    check_csrf,
    field_errors,
    render,
)
from service.web.forms import TypedFields
from service.web.problems import labelled_problems

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LABELS = {
    "category": N_("What is it about?"),
    "text": N_("What happened?"),
    "region": N_("District or community"),
    "store": N_("Store (optional)"),
    "caller_name": N_("Your name (optional)"),
    "caller_phone": N_("Your phone (optional)"),
}
"""The public form's labels (as ``hotline/report.html`` shows them), naming its fields in
the message above it."""


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
            "message": labelled_problems(error, LABELS) if error else None,
            "max_text": MAX_TEXT_LENGTH,
        },
        status_code=status_code,
    )


@router.get("/hotline/report")
def report_form(request: Request) -> HTMLResponse:
    return _form(request, values={})


@router.post("/hotline/report", dependencies=[Depends(check_csrf)])
def report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    category: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=MAX_TEXT_LENGTH * 2)] = "",
    region: Annotated[str, Form(max_length=64)] = "",
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
    fields = TypedFields()
    chosen = fields.choice(TicketCategory, "category", category)
    try:
        ticket, token = fields.check(
            lambda: file_ticket(
                session=session,
                new=TicketInput(
                    category=chosen,
                    text=text,
                    region=code_typed(session=session, kind=ChoiceKind.region, typed=region),
                    store=code_typed(session=session, kind=ChoiceKind.store, typed=store) or None,
                    caller_name=caller_name.strip() or None,
                    caller_phone=caller_phone.strip() or None,
                ),
                principal=None,
                public=PublicFiling(
                    address=client_address(request),
                    per_hour=settings.hotline_public_tickets_per_hour,
                ),
            )
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
