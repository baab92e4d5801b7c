"""The hotline desk's pages: the queue of tickets with their SLA clocks, a call filed from
the phone, and one ticket with its audit trail and every action on it (reply or note, call
back, wait on the caller, priority, assignment, links, resolve, reopen, merge).

Each page calls the hotline's own functions, the ones ``/api/v1/hotline`` calls, so a rule
holds whichever way the desk works; a refused action writes nothing and shows the ticket
again with the problem beside the form it came from.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import Principal, require_role
from core.errors import DomainError, InvalidInput
from core.text import N_, field_problem, phrase
from core.words import word
from hotline import tickets
from hotline.queries import TicketOrder, list_tickets, read_ticket
from hotline.routing import (
    add_member,
    list_routing_rules,
    list_working_groups,
    load_sla_policy,
    set_routing_rule,
    set_sla_target,
)
from hotline.tickets import MAX_TEXT_LENGTH, SYSTEM_ACTORS, TicketInput
from masterdata.choices import ChoiceKind, code_typed
from masterdata.regions import read_region
from models import (
    AssignmentLevel,
    CallerKind,
    Compound,
    Role,
    Store,
    TicketCategory,
    TicketPriority,
    TicketStatus,
)
from service.http.dependencies import SessionDep
from service.web.common import (
    ListPage,
    PageRoute,
    ViewerDep,
    allowed,
    check_csrf,
    field_errors,
    language_of,
    names_by_code,
    product_names,
    redirect,
    region_names,
    render,
)
from service.web.forms import TypedFields
from service.web.problems import labelled_problems

router = APIRouter(route_class=PageRoute, include_in_schema=False)
Choice = TypeVar("Choice", TicketCategory, TicketPriority, CallerKind, AssignmentLevel)

QUEUE_PAGE_SIZE = 100
"""Tickets a page of the queue shows (the filters narrow it; the total says how many match)."""
DESK_ROLES = (Role.bureau, Role.operator, Role.working_group)
FILING_ROLES = (Role.bureau, Role.operator)
"""Who files a call from the phone on the page (service officers file from a visit)."""
DONE = (
    "filed",
    "replied",
    "noted",
    "called_back",
    "waiting",
    "resumed",
    "priority",
    "assigned",
    "linked",
    "resolved",
    "reopened",
    "merged",
)
"""What an action's redirect may announce (anything else in ``done`` is ignored)."""
TypedText = Annotated[str, Form(max_length=MAX_TEXT_LENGTH * 2)]
TypedCode = Annotated[str, Form(max_length=64)]


def _words() -> dict[str, str | Any]:
    """The hotline's words by value, for the queue's and the ticket's columns."""
    return {
        value: word(member)
        for enum in (TicketCategory, TicketStatus, TicketPriority, CallerKind, AssignmentLevel)
        for value, member in enum.__members__.items()
    }


@router.get("/hotline/queue")
def queue(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    status: Annotated[str, Query(max_length=32)] = "open",
    group: Annotated[str, Query(max_length=64)] = "",
    page: ListPage = 1,
) -> HTMLResponse:
    """The tickets the viewer may work on: open ones nearest to breaching first, any other
    status newest first, of one working group or all, a page at a time."""
    require_role(viewer, *DESK_ROLES)
    chosen = TicketStatus(status) if status in TicketStatus.__members__ else None
    status = chosen.value if chosen else ("all" if status == "all" else "open")
    groups = list_working_groups(session=session, principal=viewer)
    group = group if group in {known.code for known in groups} else ""
    found = list_tickets(
        session=session,
        principal=viewer,
        status=chosen,
        open_only=status == "open",
        working_group=group or None,
        order=TicketOrder.due if status == "open" else TicketOrder.newest,
        limit=QUEUE_PAGE_SIZE,
        offset=(max(page, 1) - 1) * QUEUE_PAGE_SIZE,
    )
    rows = found.items
    language = language_of(request)
    return render(
        request,
        "hotline/queue.html",
        {
            "tickets": rows,
            "total": found.total,
            "status": status,
            "group": group,
            "page": max(page, 1),
            "pages": max(1, -(-found.total // QUEUE_PAGE_SIZE)),
            "first_shown": found.offset + 1,
            "query": urlencode({"status": status, "group": group}),
            "statuses": list(TicketStatus),
            "groups": groups,
            "region_names": names_by_code(
                [read_region(session=session, code=code) for code in {t.region for t in rows}],
                language,
            ),
            "group_names": names_by_code(groups, language),
            "words": _words(),
            "can_file": allowed(viewer, *FILING_ROLES),
        },
    )


@router.get("/hotline/find")
def find(
    session: SessionDep, viewer: ViewerDep, number: Annotated[str, Query(max_length=32)] = ""
) -> Response:
    """Go to the ticket a caller quotes ("hl123" or "HL0000123"), or say it is unknown; an
    empty box goes back to the queue."""
    require_role(viewer, *DESK_ROLES)
    if not number.strip():
        return redirect("/hotline/queue")
    view = read_ticket(session=session, principal=viewer, number=tickets.quoted_number(number))
    return redirect(f"/hotline/tickets/{view.number}")  # a 404 above names the number


CALL_LABELS = {
    "category": N_("What is it about?"),
    "text": N_("What the caller said"),
    "region": N_("District or community"),
    "priority": N_("Priority"),
    "caller_kind": N_("Who is calling"),
    "caller_name": N_("Name (optional)"),
    "caller_phone": N_("Phone to call back (optional)"),
    "store": N_("Store"),
    "compound": N_("Compound"),
    "product": N_("Product"),
}
"""The call form's labels (as ``hotline/new.html`` shows them), naming its fields in the
message above it."""


def _call_form(
    request: Request,
    *,
    values: dict[str, str],
    error: DomainError | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The desk's form of a call, with what was typed and each problem beside its field."""
    return render(
        request,
        "hotline/new.html",
        {
            "values": values,
            "errors": field_errors(error) if error else {},
            "problem": labelled_problems(error, CALL_LABELS) if error else None,
            "categories": list(TicketCategory),
            "priorities": list(TicketPriority),
            "caller_kinds": list(CallerKind),
            "words": _words(),
            "max_text": MAX_TEXT_LENGTH,
        },
        status_code=status_code,
    )


@router.get("/hotline/tickets/new")
def new_call(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """A blank call: normal priority, a resident calling."""
    require_role(viewer, *FILING_ROLES)
    return _call_form(
        request, values={"priority": "normal", "caller_kind": "resident", "category": ""}
    )


def _choice(kind: type[Choice], value: str, field: str) -> Choice:
    """One of a select's values, or a 422 naming the field (a page posts only its own)."""
    if value in kind.__members__:
        return kind(value)
    raise InvalidInput(
        "choose one of the listed values",
        errors=[field_problem(["body", field], phrase("choose one of the listed values"))],
    )


@router.post("/hotline/tickets/new", dependencies=[Depends(check_csrf)])
def file_call(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    text: TypedText = "",
    region: TypedCode = "",
    category: TypedCode = "",
    priority: TypedCode = "normal",
    caller_kind: TypedCode = "resident",
    caller_name: Annotated[str, Form(max_length=200)] = "",
    caller_phone: Annotated[str, Form(max_length=64)] = "",
    compound: TypedCode = "",
    store: TypedCode = "",
    product: TypedCode = "",
) -> Response:
    """File the call as a ticket, routed by the rules, and open it; or show every problem."""
    require_role(viewer, *FILING_ROLES)
    values = {
        "category": category,
        "priority": priority,
        "caller_kind": caller_kind,
        "caller_name": caller_name,
        "caller_phone": caller_phone,
        "region": region,
        "compound": compound,
        "store": store,
        "product": product,
        "text": text,
    }
    fields = TypedFields()
    chosen = (
        fields.choice(TicketCategory, "category", category),
        fields.choice(TicketPriority, "priority", priority),
        fields.choice(CallerKind, "caller_kind", caller_kind),
    )
    try:
        ticket, _ = fields.check(
            lambda: tickets.file_ticket(
                session=session,
                new=TicketInput(
                    category=chosen[0],
                    priority=chosen[1],
                    caller_kind=chosen[2],
                    caller_name=caller_name.strip() or None,
                    caller_phone=caller_phone.strip() or None,
                    text=text,
                    region=code_typed(session=session, kind=ChoiceKind.region, typed=region),
                    compound=compound.strip() or None,
                    store=store.strip() or None,
                    product=product.strip() or None,
                ),
                principal=viewer,
            )
        )
    except DomainError as error:
        session.rollback()
        return _call_form(request, values=values, error=error, status_code=error.status)
    return redirect(f"/hotline/tickets/{ticket.number}?done=filed")


def _ticket_page(
    request: Request,
    session: Session,
    viewer: Principal,
    number: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """One ticket: what the caller said, the places it concerns, both clocks, the trail and
    the actions its state allows."""
    view = read_ticket(session=session, principal=viewer, number=number)
    language = language_of(request)
    groups = list_working_groups(session=session, principal=viewer)
    return render(
        request,
        "hotline/ticket.html",
        {
            "ticket": view,
            "region_name": region_names(session, [view.region], language).get(
                view.region, view.region
            ),
            "product_name": (
                product_names(session, language).get(view.product, view.product)
                if view.product
                else None
            ),
            # Named beside their codes (which the desk quotes on the phone); the ticket's
            # reader was already let see the ticket these places belong to.
            "store_name": view.store
            and session.scalar(select(Store.name).where(Store.code == view.store)),
            "compound_name": view.compound
            and session.scalar(select(Compound.name).where(Compound.code == view.compound)),
            "groups": groups,
            "group_names": names_by_code(groups, language),
            "levels": list(AssignmentLevel),
            "priorities": list(TicketPriority),
            "words": _words(),
            "system_actors": SYSTEM_ACTORS,
            "is_open": view.status not in ("resolved", "merged"),
            "max_text": MAX_TEXT_LENGTH,
            "values": {},
            "errors": {},
            **context,
        },
        status_code=status_code,
    )


@router.get("/hotline/tickets/{number}")
def ticket_page(
    request: Request, number: str, session: SessionDep, viewer: ViewerDep, done: str = ""
) -> HTMLResponse:
    require_role(viewer, *DESK_ROLES)
    return _ticket_page(request, session, viewer, number, done=done if done in DONE else "")


def _act(
    request: Request,
    session: Session,
    viewer: Principal,
    number: str,
    *,
    form: str,
    values: dict[str, str],
    done: str,
    action: Any,
) -> Response:
    """Run one action on the ticket and come back to it announcing ``done``; a refusal
    writes nothing and shows the ticket with the problem beside the ``form`` it came from."""
    require_role(viewer, *DESK_ROLES)
    try:
        action()
    except DomainError as error:
        session.rollback()
        return _ticket_page(
            request,
            session,
            viewer,
            number,
            problem=error,
            failed_form=form,
            errors=field_errors(error),
            values=values,
            status_code=error.status,
        )
    return redirect(f"/hotline/tickets/{number}?done={done}#done")


@router.post("/hotline/tickets/{number}/comments", dependencies=[Depends(check_csrf)])
def comment(
    request: Request,
    number: str,
    session: SessionDep,
    viewer: ViewerDep,
    text: TypedText = "",
    to_caller: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """A reply the caller reads through their link (it answers the first-response clock),
    or a note only the desk reads."""
    replying = to_caller == "yes"
    return _act(
        request,
        session,
        viewer,
        number,
        form="comment",
        values={"text": text, "to_caller": to_caller},
        done="replied" if replying else "noted",
        action=lambda: tickets.comment_on_ticket(
            session=session, principal=viewer, number=number, text=text, to_caller=replying
        ),
    )


@router.post("/hotline/tickets/{number}/call-backs", dependencies=[Depends(check_csrf)])
def call_back(
    request: Request, number: str, session: SessionDep, viewer: ViewerDep, note: TypedText = ""
) -> Response:
    """Record the call back to the caller and what was said."""
    return _act(
        request,
        session,
        viewer,
        number,
        form="call_back",
        values={"note": note},
        done="called_back",
        action=lambda: tickets.record_call_back(
            session=session, principal=viewer, number=number, note=note
        ),
    )


@router.post("/hotline/tickets/{number}/waiting", dependencies=[Depends(check_csrf)])
def waiting(
    request: Request,
    number: str,
    session: SessionDep,
    viewer: ViewerDep,
    waiting: Annotated[str, Form(max_length=8)] = "yes",
    note: TypedText = "",
) -> Response:
    """Wait on the caller (the clocks pause) or go on with the ticket."""
    starts = waiting == "yes"
    return _act(
        request,
        session,
        viewer,
        number,
        form="waiting",
        values={"note": note},
        done="waiting" if starts else "resumed",
        action=lambda: tickets.set_waiting_on_caller(
            session=session,
            principal=viewer,
            number=number,
            waiting=starts,
            note=note.strip() or None,
        ),
    )


@router.post("/hotline/tickets/{number}/priority", dependencies=[Depends(check_csrf)])
def priority(
    request: Request, number: str, session: SessionDep, viewer: ViewerDep, priority: TypedCode = ""
) -> Response:
    """Change the priority; the clocks then run against its targets."""
    return _act(
        request,
        session,
        viewer,
        number,
        form="priority",
        values={"priority": priority},
        done="priority",
        action=lambda: tickets.change_priority(
            session=session,
            principal=viewer,
            number=number,
            priority=_choice(TicketPriority, priority, "priority"),
        ),
    )


@router.post("/hotline/tickets/{number}/assignment", dependencies=[Depends(check_csrf)])
def assign(
    request: Request,
    number: str,
    session: SessionDep,
    viewer: ViewerDep,
    working_group: TypedCode = "",
    level: TypedCode = "",
    note: TypedText = "",
) -> Response:
    """Hand the ticket to another working group or level, saying why."""
    return _act(
        request,
        session,
        viewer,
        number,
        form="assign",
        values={"working_group": working_group, "level": level, "note": note},
        done="assigned",
        action=lambda: tickets.assign_ticket(
            session=session,
            principal=viewer,
            number=number,
            working_group=working_group,
            level=_choice(AssignmentLevel, level, "level"),
            note=note.strip() or None,
        ),
    )


def _record_number(field: str, typed: str) -> int | None:
    """A delivery request's or an alert's number typed in the link form (None if empty)."""
    typed = typed.strip().lstrip("#")
    if not typed:
        return None
    if typed.isascii() and typed.isdigit() and 0 < int(typed) <= 2_147_483_647:
        return int(typed)
    raise InvalidInput(
        "{field} is not a number",
        errors=[field_problem(["body", field], phrase("Enter a number"))],
        field=field,
    )


@router.post("/hotline/tickets/{number}/links", dependencies=[Depends(check_csrf)])
def link(
    request: Request,
    number: str,
    session: SessionDep,
    viewer: ViewerDep,
    store: TypedCode = "",
    compound: TypedCode = "",
    delivery_request: TypedCode = "",
    alert: TypedCode = "",
) -> Response:
    """Link the store, compound, delivery request or alert the call is about."""
    return _act(
        request,
        session,
        viewer,
        number,
        form="link",
        values={
            "store": store,
            "compound": compound,
            "delivery_request": delivery_request,
            "alert": alert,
        },
        done="linked",
        action=lambda: tickets.link_ticket(
            session=session,
            principal=viewer,
            number=number,
            store=store.strip() or None,
            compound=compound.strip() or None,
            delivery_request=_record_number("delivery_request", delivery_request),
            alert=_record_number("alert", alert),
        ),
    )


@router.post("/hotline/tickets/{number}/resolution", dependencies=[Depends(check_csrf)])
def resolve(
    request: Request,
    number: str,
    session: SessionDep,
    viewer: ViewerDep,
    resolution: TypedText = "",
) -> Response:
    """Resolve the ticket with what the caller is told."""
    return _act(
        request,
        session,
        viewer,
        number,
        form="resolve",
        values={"resolution": resolution},
        done="resolved",
        action=lambda: tickets.resolve_ticket(
            session=session, principal=viewer, number=number, resolution=resolution
        ),
    )


@router.post("/hotline/tickets/{number}/reopening", dependencies=[Depends(check_csrf)])
def reopen(
    request: Request, number: str, session: SessionDep, viewer: ViewerDep, reason: TypedText = ""
) -> Response:
    """Reopen a resolved ticket, saying why (the caller called again)."""
    return _act(
        request,
        session,
        viewer,
        number,
        form="reopen",
        values={"reason": reason},
        done="reopened",
        action=lambda: tickets.reopen_ticket(
            session=session, principal=viewer, number=number, reason=reason
        ),
    )


@router.post("/hotline/tickets/{number}/merge", dependencies=[Depends(check_csrf)])
def merge(
    request: Request, number: str, session: SessionDep, viewer: ViewerDep, into: TypedCode = ""
) -> Response:
    """Merge this duplicate into the ticket that carries on."""
    target = into.strip().upper()
    return _act(
        request,
        session,
        viewer,
        number,
        form="merge",
        values={"into": into},
        done="merged",
        action=lambda: tickets.merge_ticket(
            session=session, principal=viewer, number=number, into=target
        ),
    )


def _settings_page(
    request: Request,
    session: Session,
    viewer: Principal,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Where tickets go and how long the desk has: the routing rules, the SLA targets of
    each priority and the working groups' members; the bureau changes them here."""
    language = language_of(request)
    rules = list_routing_rules(session=session, principal=viewer)
    groups = list_working_groups(session=session, principal=viewer)
    policy = load_sla_policy(session=session)
    return render(
        request,
        "hotline/settings.html",
        {
            "rules": rules,
            "groups": groups,
            "group_names": names_by_code(groups, language),
            "region_names": region_names(
                session, [rule.region for rule in rules if rule.region], language
            ),
            "targets": [(priority, policy.targets[priority.value]) for priority in TicketPriority],
            "categories": list(TicketCategory),
            "levels": list(AssignmentLevel),
            "words": _words(),
            "can_change": allowed(viewer, Role.bureau),
            "national": viewer.region_ids is None,
            "values": {},
            "errors": {},
            "failed_form": "",
            "done": "",
            **context,
        },
        status_code=status_code,
    )


SETTINGS_DONE = ("rule", "target", "member")


@router.get("/hotline/settings")
def settings_page(
    request: Request, session: SessionDep, viewer: ViewerDep, done: str = ""
) -> HTMLResponse:
    require_role(viewer, *DESK_ROLES)
    return _settings_page(request, session, viewer, done=done if done in SETTINGS_DONE else "")


def _change_settings(
    request: Request,
    session: Session,
    viewer: Principal,
    *,
    form: str,
    done: str,
    values: dict[str, str],
    action: Any,
) -> Response:
    """Run one change of the hotline's settings and come back announcing ``done``, or
    show the page with the problem beside the ``form`` it came from (nothing written)."""
    require_role(viewer, Role.bureau)
    try:
        action()
    except DomainError as error:
        session.rollback()
        return _settings_page(
            request,
            session,
            viewer,
            problem=error,
            failed_form=form,
            errors=field_errors(error),
            values=values,
            status_code=error.status,
        )
    return redirect(f"/hotline/settings?done={done}#done")


@router.post("/hotline/settings/rules", dependencies=[Depends(check_csrf)])
def set_rule(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    category: TypedCode = "",
    region: TypedCode = "",
    working_group: TypedCode = "",
    level: TypedCode = "",
) -> Response:
    """Send one category's tickets (or any category's) from one region (or anywhere) to a
    working group at a level."""
    return _change_settings(
        request,
        session,
        viewer,
        form="rule",
        done="rule",
        values={
            "category": category,
            "region": region,
            "working_group": working_group,
            "level": level,
        },
        action=lambda: set_routing_rule(
            session=session,
            principal=viewer,
            category=_choice(TicketCategory, category, "category") if category else None,
            region=code_typed(session=session, kind=ChoiceKind.region, typed=region) or None,
            working_group=working_group,
            level=_choice(AssignmentLevel, level, "level"),
        ),
    )


@router.post("/hotline/settings/targets/{priority}", dependencies=[Depends(check_csrf)])
def set_target(
    request: Request,
    priority: str,
    session: SessionDep,
    viewer: ViewerDep,
    first_response_minutes: TypedCode = "",
    resolution_minutes: TypedCode = "",
) -> Response:
    """Change one priority's first-response and resolution targets (minutes)."""

    def change() -> None:
        fields = TypedFields()
        first = fields.number("first_response_minutes", first_response_minutes)
        resolution = fields.number("resolution_minutes", resolution_minutes)
        fields.check(
            lambda: set_sla_target(
                session=session,
                principal=viewer,
                priority=_choice(TicketPriority, priority, "priority"),
                first_response_minutes=first,
                resolution_minutes=resolution,
            )
        )

    return _change_settings(
        request,
        session,
        viewer,
        form=f"target-{priority}"[:32],
        done="target",
        values={
            "first_response_minutes": first_response_minutes,
            "resolution_minutes": resolution_minutes,
        },
        action=change,
    )


@router.post("/hotline/settings/members", dependencies=[Depends(check_csrf)])
def add_group_member(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    working_group: TypedCode = "",
    username: TypedCode = "",
) -> Response:
    """Put a working-group user in a group, so they see and work its tickets."""
    return _change_settings(
        request,
        session,
        viewer,
        form="member",
        done="member",
        values={"working_group": working_group, "username": username},
        action=lambda: add_member(
            session=session, principal=viewer, code=working_group, username=username.strip()
        ),
    )
