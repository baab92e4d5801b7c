"""The 24-hour supply hotline: operators file tickets from the phone, working groups work
them (assign, comment, wait on the caller, link, resolve, reopen, merge, call back), and
residents file from the public form without signing in and follow their ticket through a
private link. Every action is audited; the SLA clocks come from that trail."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from pydantic import Field

from core.access import require_national, require_role
from hotline import queries, routing, tickets
from hotline.escalation import escalate_tickets
from hotline.tickets import MAX_TEXT_LENGTH, PublicFiling, TicketInput
from models import (
    AssignmentLevel,
    CallerKind,
    Role,
    RoutingRule,
    Ticket,
    TicketCategory,
    TicketPriority,
    TicketStatus,
)
from service.configuration import business_today, complaint_cluster_settings
from service.http.dependencies import PrincipalDep, SessionDep, SettingsDep, client_address
from service.http.schemas import (
    CODE_PATTERN,
    PROBLEM_RESPONSES,
    Page,
    PageDep,
    ReadModel,
    StrictModel,
)

router = APIRouter(prefix="/hotline", tags=["hotline"], responses=PROBLEM_RESPONSES)
public_router = APIRouter(prefix="/public", tags=["hotline"], responses=PROBLEM_RESPONSES)

TicketText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_LENGTH)]
NUMBER_PATTERN = r"^HL[0-9]{7,12}$"


class TicketCreate(StrictModel):
    category: TicketCategory
    text: TicketText = Field(description="What the caller said, kept as plain text")
    region: str = Field(pattern=CODE_PATTERN, description="Code of the place's region")
    compound: str | None = Field(default=None, pattern=CODE_PATTERN)
    store: str | None = Field(default=None, pattern=CODE_PATTERN)
    product: str | None = Field(default=None, pattern=CODE_PATTERN)
    caller_kind: CallerKind = CallerKind.resident
    caller_name: str | None = Field(default=None, max_length=200)
    caller_phone: str | None = Field(default=None, max_length=64)
    priority: TicketPriority = TicketPriority.normal


class PublicTicketCreate(StrictModel):
    category: TicketCategory
    text: TicketText
    region: str = Field(pattern=CODE_PATTERN)
    compound: str | None = Field(default=None, pattern=CODE_PATTERN)
    store: str | None = Field(default=None, pattern=CODE_PATTERN)
    product: str | None = Field(default=None, pattern=CODE_PATTERN)
    caller_kind: CallerKind = CallerKind.resident
    caller_name: str | None = Field(default=None, max_length=200)
    caller_phone: str | None = Field(default=None, max_length=64)


class ClockRead(ReadModel):
    state: str
    elapsed_minutes: float
    target_minutes: float
    remaining_minutes: float
    due_at: datetime | None
    escalation_level: int


class TicketEventRead(ReadModel):
    at: datetime
    kind: str
    actor: str
    status: str | None
    priority: str | None
    working_group: str | None
    level: str | None
    note: str | None


class TicketRead(ReadModel):
    number: str
    channel: str
    caller_name: str | None
    caller_phone: str | None
    caller_kind: str
    category: str
    text: str
    region: str
    compound: str | None
    store: str | None
    product: str | None
    delivery_request: int | None
    alert: int | None
    priority: str
    status: str
    working_group: str | None
    level: str | None
    merged_into: str | None
    resolution: str | None
    created_at: datetime
    updated_at: datetime
    first_response: ClockRead | None
    resolution_clock: ClockRead | None
    events: list[TicketEventRead] | None = None


class PublicFiled(ReadModel):
    number: str
    follow_token: str = Field(description="Shown once; only its hash is stored")
    follow_url: str


class PublicReply(ReadModel):
    at: datetime
    text: str


class PublicTicketRead(ReadModel):
    number: str
    category: str
    status: str
    created_at: datetime
    replies: list[PublicReply]
    resolution: str | None


class AssignmentBody(StrictModel):
    working_group: str = Field(pattern=CODE_PATTERN)
    level: AssignmentLevel
    note: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)


class CommentBody(StrictModel):
    text: TicketText
    to_caller: bool = Field(default=False, description="A reply the caller reads, else internal")


class NoteBody(StrictModel):
    note: TicketText


class WaitingBody(StrictModel):
    waiting: bool = Field(description="True: wait on the caller (clocks pause); false: resume")
    note: str | None = Field(default=None, max_length=MAX_TEXT_LENGTH)


class PriorityBody(StrictModel):
    priority: TicketPriority


class LinkBody(StrictModel):
    store: str | None = Field(default=None, pattern=CODE_PATTERN)
    compound: str | None = Field(default=None, pattern=CODE_PATTERN)
    delivery_request: int | None = Field(default=None, ge=1, le=2_147_483_647)
    alert: int | None = Field(default=None, ge=1, le=2_147_483_647)


class ResolutionBody(StrictModel):
    resolution: TicketText


class ReopenBody(StrictModel):
    reason: TicketText


class MergeBody(StrictModel):
    into: str = Field(pattern=NUMBER_PATTERN, description="Number of the ticket that carries on")


class RoutingRuleBody(StrictModel):
    category: TicketCategory | None = Field(default=None, description="None: any category")
    region: str | None = Field(default=None, pattern=CODE_PATTERN, description="None: anywhere")
    working_group: str = Field(pattern=CODE_PATTERN)
    level: AssignmentLevel


class RoutingRuleRead(ReadModel):
    category: str | None
    region: str | None
    working_group: str
    level: str


class EscalationRead(ReadModel):
    alerts_opened: int
    alerts_pending: int
    alerts_fired: int
    alerts_escalated: int
    alerts_deescalated: int
    alerts_continuing: int
    alerts_resolved: int
    notifications_queued: int


def _read(session: SessionDep, principal: PrincipalDep, ticket: Ticket) -> TicketRead:
    view = queries.read_ticket(session=session, principal=principal, number=ticket.number)
    return TicketRead.model_validate(view)


@router.post("/tickets", status_code=status.HTTP_201_CREATED, summary="File a ticket (operator)")
def file_ticket(body: TicketCreate, session: SessionDep, principal: PrincipalDep) -> TicketRead:
    # a service officer files from a visit (POST /officers/visits), as on the pages
    require_role(principal, *tickets.DESK_ROLES)
    ticket, _ = tickets.file_ticket(
        session=session, new=TicketInput(**body.model_dump()), principal=principal
    )
    return _read(session, principal, ticket)


@router.get("/tickets", summary="The queue: tickets you may work on, with their SLA clocks")
def list_tickets(
    session: SessionDep,
    principal: PrincipalDep,
    paging: PageDep,
    status_is: Annotated[TicketStatus | None, Query(alias="status")] = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
    working_group: Annotated[str | None, Query(max_length=64)] = None,
    order: Annotated[
        queries.TicketOrder,
        Query(description="newest first, or `due`: nearest to breaching an SLA first"),
    ] = queries.TicketOrder.newest,
) -> Page[TicketRead]:
    found = queries.list_tickets(
        session=session,
        principal=principal,
        status=status_is,
        open_only=open_only,
        working_group=working_group,
        order=order,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page[TicketRead].model_validate(found, from_attributes=True)


@router.get("/tickets/{number}", summary="One ticket with its audit trail and SLA clocks")
def read_ticket(number: str, session: SessionDep, principal: PrincipalDep) -> TicketRead:
    return TicketRead.model_validate(
        queries.read_ticket(session=session, principal=principal, number=number)
    )


@router.post("/tickets/{number}/assignment", summary="Re-assign a ticket by hand")
def assign_ticket(
    number: str, body: AssignmentBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.assign_ticket(
        session=session, principal=principal, number=number, **body.model_dump()
    )
    return _read(session, principal, ticket)


@router.post("/tickets/{number}/comments", summary="Add an internal note or a reply to the caller")
def comment_on_ticket(
    number: str, body: CommentBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.comment_on_ticket(
        session=session,
        principal=principal,
        number=number,
        text=body.text,
        to_caller=body.to_caller,
    )
    return _read(session, principal, ticket)


@router.post("/tickets/{number}/call-backs", summary="Record a call back to the caller")
def record_call_back(
    number: str, body: NoteBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.record_call_back(
        session=session, principal=principal, number=number, note=body.note
    )
    return _read(session, principal, ticket)


@router.post("/tickets/{number}/waiting", summary="Wait on the caller (clocks pause) or resume")
def set_waiting(
    number: str, body: WaitingBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.set_waiting_on_caller(
        session=session, principal=principal, number=number, waiting=body.waiting, note=body.note
    )
    return _read(session, principal, ticket)


@router.post("/tickets/{number}/priority", summary="Change a ticket's priority")
def change_priority(
    number: str, body: PriorityBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.change_priority(
        session=session, principal=principal, number=number, priority=body.priority
    )
    return _read(session, principal, ticket)


@router.post("/tickets/{number}/links", summary="Link a store, compound, delivery request or alert")
def link_ticket(
    number: str, body: LinkBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.link_ticket(
        session=session, principal=principal, number=number, **body.model_dump()
    )
    return _read(session, principal, ticket)


@router.post("/tickets/{number}/resolution", summary="Resolve a ticket with its resolution")
def resolve_ticket(
    number: str, body: ResolutionBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.resolve_ticket(
        session=session, principal=principal, number=number, resolution=body.resolution
    )
    return _read(session, principal, ticket)


@router.post("/tickets/{number}/reopening", summary="Reopen a resolved ticket")
def reopen_ticket(
    number: str, body: ReopenBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.reopen_ticket(
        session=session, principal=principal, number=number, reason=body.reason
    )
    return _read(session, principal, ticket)


@router.post("/tickets/{number}/merge", summary="Merge a duplicate into another ticket")
def merge_ticket(
    number: str, body: MergeBody, session: SessionDep, principal: PrincipalDep
) -> TicketRead:
    ticket = tickets.merge_ticket(
        session=session, principal=principal, number=number, into=body.into
    )
    return _read(session, principal, ticket)


@router.get("/routing-rules", summary="The routing rules: category and region → working group")
def list_routing_rules(session: SessionDep, principal: PrincipalDep) -> list[RoutingRuleRead]:
    return [
        RoutingRuleRead.model_validate(view)
        for view in routing.list_routing_rules(session=session, principal=principal)
    ]


@router.put("/routing-rules", summary="Set the rule for one category and region")
def set_routing_rule(
    body: RoutingRuleBody, session: SessionDep, principal: PrincipalDep
) -> RoutingRuleRead:
    rule: RoutingRule = routing.set_routing_rule(
        session=session, principal=principal, **body.model_dump()
    )
    return RoutingRuleRead.model_validate(routing.rule_view(session=session, rule=rule))


class WorkingGroupRead(ReadModel):
    code: str
    name: str
    name_zh: str | None
    members: list[str]


class SlaTargetBody(StrictModel):
    first_response_minutes: float = Field(ge=1, le=routing.MOST_FIRST_RESPONSE_MINUTES)
    resolution_minutes: float = Field(ge=1, le=routing.MOST_RESOLUTION_MINUTES)


class SlaTargetRead(ReadModel):
    priority: str
    first_response_minutes: float
    resolution_minutes: float


@router.get("/working-groups", summary="The working groups and their members")
def list_working_groups(session: SessionDep, principal: PrincipalDep) -> list[WorkingGroupRead]:
    return [
        WorkingGroupRead.model_validate(view)
        for view in routing.list_working_groups(session=session, principal=principal)
    ]


@router.put(
    "/working-groups/{code}/members/{username}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Put a working-group user in a group",
)
def add_member(code: str, username: str, session: SessionDep, principal: PrincipalDep) -> None:
    routing.add_member(session=session, principal=principal, code=code, username=username)


@router.put("/sla-targets/{priority}", summary="Set one priority's SLA targets (minutes)")
def set_sla_target(
    priority: TicketPriority, body: SlaTargetBody, session: SessionDep, principal: PrincipalDep
) -> SlaTargetRead:
    setting = routing.set_sla_target(
        session=session, principal=principal, priority=priority, **body.model_dump()
    )
    return SlaTargetRead(
        priority=setting.priority.value,
        first_response_minutes=setting.first_response_minutes,
        resolution_minutes=setting.resolution_minutes,
    )


@router.post("/escalations", summary="Raise and resolve the hotline's alerts now")
def escalate(session: SessionDep, principal: PrincipalDep, settings: SettingsDep) -> EscalationRead:
    require_role(principal, Role.bureau)
    require_national(principal)
    counts = escalate_tickets(
        session=session,
        now=datetime.now(settings.zone),
        business_date=business_today(settings),
        cluster=complaint_cluster_settings(settings),
        external_url=settings.base_url.rstrip("/"),
    )
    return EscalationRead.model_validate(counts)


@public_router.post(
    "/tickets",
    status_code=status.HTTP_201_CREATED,
    summary="File a ticket from the public form (no sign-in; rate-limited per address)",
)
def file_public_ticket(
    body: PublicTicketCreate, request: Request, session: SessionDep, settings: SettingsDep
) -> PublicFiled:
    address = client_address(request)
    ticket, token = tickets.file_ticket(
        session=session,
        new=TicketInput(**body.model_dump()),
        principal=None,
        public=PublicFiling(address=address, per_hour=settings.hotline_public_tickets_per_hour),
    )
    assert token is not None, "a ticket from the public form always gets a follow token"
    return PublicFiled(
        number=ticket.number,
        follow_token=token,
        follow_url=f"{settings.base_url.rstrip('/')}/hotline/follow/{ticket.number}?token={token}",
    )


@public_router.get("/tickets/{number}", summary="Follow a ticket with its private token")
def follow_ticket(
    number: str,
    session: SessionDep,
    token: Annotated[str, Query(min_length=1, max_length=200)],
) -> PublicTicketRead:
    view = queries.follow_ticket(session=session, number=number, token=token)
    return PublicTicketRead(
        number=view.number,
        category=view.category,
        status=view.status,
        created_at=view.created_at,
        replies=[PublicReply(at=at, text=text) for at, text in view.replies],
        resolution=view.resolution,
    )
