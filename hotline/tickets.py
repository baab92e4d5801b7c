"""Hotline tickets: filing (by an operator on the phone or a resident on the public form)
and every action on them, each written to the ticket's audit trail.

The trail is the single source of the SLA clocks (:mod:`hotline.sla`), so every action
that moves a clock writes the event kind the clock reads (``status_changed``,
``replied_to_caller``, ``called_back``, ``resolved``, ``reopened``, ``merged``,
``priority_changed``); the others (``assigned``, ``commented``, ``linked``) are audit
only. Functions flush, never commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import Principal, region_subtree, require_role, within_region
from core.database import lock_for_change, serialize_on
from core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from core.lookups import get_optional_by_code, unknown_code
from core.security import sha256_hex
from core.text import N_, control_character_problem, field_problem, phrase
from core.typed_text import checked_text
from core.words import word
from hotline.routing import route_ticket, working_group_by_code
from models import (
    Alert,
    AssignmentLevel,
    CallerKind,
    Compound,
    DeliveryRequest,
    Product,
    Region,
    Role,
    Store,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketPriority,
    TicketStatus,
    WorkingGroupMember,
)
from models.base import utc_now

T = TypeVar("T")
MAX_TEXT_LENGTH = 4000
"""The longest ticket text or note kept (a caller's story, not a document)."""
CLOSED = (TicketStatus.resolved, TicketStatus.merged)
DESK_ROLES = (Role.bureau, Role.operator)
FILING_ROLES = (*DESK_ROLES, Role.service_officer)
PUBLIC_FILING_LOCK_SPACE = 0x5357_4854  # advisory locks of public filings, by address ("SWHT")
PUBLIC_FORM = "public web form"
ROUTING_RULES = "routing rules"
SYSTEM_ACTORS = {PUBLIC_FORM: N_("public web form"), ROUTING_RULES: N_("routing rules")}
"""Who acted on a ticket when no person did, as the record keeps it (English, unchanged);
each with its message id, so a page names it in the reader's words."""
"""Who files a ticket: the desk, and service officers for the problems raised on visits."""


@dataclass(frozen=True)
class TicketInput:
    """What a caller tells the hotline; places and products by code."""

    category: TicketCategory
    text: str
    region: str
    caller_kind: CallerKind = CallerKind.resident
    caller_name: str | None = None
    caller_phone: str | None = None
    compound: str | None = None
    store: str | None = None
    product: str | None = None
    priority: TicketPriority = TicketPriority.normal


@dataclass(frozen=True)
class PublicFiling:
    """Who files from the public form: the caller's address (the adapter's client address:
    an IPv6 caller as its /64, which one caller usually holds whole) and its hourly
    allowance."""

    address: str
    per_hour: int


def _check_text(value: str, field: str) -> str:
    """The text as typed (plain text, never interpreted, line breaks kept); empty (or only
    invisible characters), oversized, or holding another control character is a 422."""
    checked_text(
        value,
        field,
        limit=MAX_TEXT_LENGTH,
        multiline=True,
        required=True,
        blank_hint=N_("write what happened"),
    )
    return value


def _check_caller(new: TicketInput) -> None:
    """The caller's name and phone are one line each without control characters (they head
    the ticket and the queue, as a visit's contact does); a 422 naming each bad one."""
    problems = [
        problem
        for field, value in (("caller_name", new.caller_name), ("caller_phone", new.caller_phone))
        if value is not None
        and (problem := control_character_problem(value, ["body", field])) is not None
    ]
    if problems:
        raise InvalidInput(
            "the caller's name and phone must be one line without control characters",
            errors=problems,
        )


def _record(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
    status: str | None = None,
    priority: str | None = None,
    working_group_id: int | None = None,
    level: str | None = None,
) -> TicketEvent:
    """Append one event to the ticket's trail."""
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at,
        kind=kind,
        actor=actor,
        note=note,
        status=status,
        priority=priority,
        working_group_id=working_group_id,
        level=level,
    )
    session.add(event)
    ticket.updated_at = at
    return event


def _region_of(session: Session, code: str, principal: Principal | None = None) -> Region:
    """The active region of a ticket's place; unknown, or outside a region-bound caller's
    region, is the same 422 naming ``region``; none named (a blank form field) says so."""
    if not code.strip():
        raise InvalidInput(
            "the ticket names no region",
            errors=[field_problem(["body", "region"], "name the district or community")],
        )
    region = get_optional_by_code(session, Region, code, label=phrase("region"), field="region")
    assert region is not None
    if principal is not None and not principal.in_region(region.id):
        raise unknown_code(label=phrase("region"), code=code, field="region")
    return region


def _place_in_region(
    session: Session, principal: Principal | None, model: type[Store] | type[Compound], code: str
) -> Store | Compound | None:
    """A store or compound named in a body, refused like an unknown code when it lies
    outside a region-bound caller's region."""
    field = "store" if model is Store else "compound"
    found = get_optional_by_code(session, model, code, label=phrase(field), field=field)
    if found is not None and principal is not None and not principal.in_region(found.region_id):
        raise unknown_code(label=phrase(field), code=code, field=field)
    return found


def _refuse_places_outside(
    session: Session,
    region: Region,
    *,
    compound: Store | Compound | None,
    store: Store | Compound | None,
) -> None:
    """Refuse a store or compound outside the ticket's region: the ticket goes to that
    region's bureau, which would be handed a place it does not manage."""
    named = [(field, place) for field, place in (("compound", compound), ("store", store)) if place]
    if not named:
        return
    inside = region_subtree(session, region.id)
    problems = [
        field_problem(["body", field], "is not in region {region}", region=region.code)
        for field, place in named
        if place.region_id not in inside
    ]
    if problems:
        raise InvalidInput(
            "the place named lies outside region {region}", errors=problems, region=region.code
        )


def _public_places(
    session: Session, region: Region, new: TicketInput
) -> tuple[Store | Compound | None, Store | Compound | None, Product | None, str | None]:
    """The compound, store and product the public form named, and a note for the desk on
    each code that names nothing known (or a place outside the ticket's region), which is
    left unlinked: the resident gets the same acknowledgement either way, so the form does
    not tell a stranger which codes exist, and a mistyped code does not lose a complaint."""
    inside = region_subtree(session, region.id)
    unmatched: list[str] = []

    def place(
        model: type[Store] | type[Compound], field: str, code: str | None
    ) -> Store | Compound | None:
        if code is None:
            return None
        found = session.scalars(select(model).where(model.code == code)).first()
        if not isinstance(found, (Store, Compound)):
            unmatched.append(f"{field} {code!r}")
            return None
        if found.region_id not in inside:
            unmatched.append(f"{field} {code!r} (not in region {region.code})")
            return None
        return found

    compound = place(Compound, "compound", new.compound)
    store = place(Store, "store", new.store)
    product = None
    if new.product is not None:
        product = session.scalars(select(Product).where(Product.code == new.product)).first()
        if product is None:
            unmatched.append(f"product {new.product!r}")
    note = (
        f"the caller named {', '.join(unmatched)}, which matched nothing it could be linked "
        "to; left unlinked for the desk to check"
        if unmatched
        else None
    )
    return compound, store, product, note


def _check_public_allowance(session: Session, filing: PublicFiling, now: datetime) -> str:
    """The address's hash; a 429 once it filed its hourly allowance (counted in the table,
    so every server process shares the count)."""
    address_hash = sha256_hex(f"hotline:{filing.address}")
    # tickets sent at once would all count the same rows: one at a time per address
    serialize_on(session, space=PUBLIC_FILING_LOCK_SPACE, name=address_hash)
    recent = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.filed_from_hash == address_hash, Ticket.created_at > now - timedelta(hours=1))
    )
    if int(recent or 0) >= filing.per_hour:
        raise TooManyRequests(
            "too many tickets from this address; try again within the hour or call the hotline",
            headers={"Retry-After": "3600"},
        )
    return address_hash


def _refuse_together(refusals: list[InvalidInput]) -> None:
    """Refuse with every problem the checks found: one check's own refusal as it is, several
    as one 422 listing each field's problem, so a call is fixed in one go."""
    if len(refusals) == 1:
        raise refusals[0]
    if refusals:
        problems = [problem for refusal in refusals for problem in refusal.problems or []]
        raise InvalidInput("the ticket has {count} problems", errors=problems, count=len(problems))


def file_ticket(
    *,
    session: Session,
    new: TicketInput,
    principal: Principal | None,
    public: PublicFiling | None = None,
    now: datetime | None = None,
) -> tuple[Ticket, str | None]:
    """File a ticket, routed by the rules; returns it and, for the public form, the follow
    token shown once (only its hash is kept). Every field is checked before refusing, so
    a refusal names all that is wrong; an unknown region still stops the checks that need
    it (places outside it, routing)."""
    now = now or utc_now()
    if principal is not None:
        require_role(principal, *FILING_ROLES)
    elif public is None:
        raise Forbidden("a ticket is filed by an operator or through the public form")
    refusals: list[InvalidInput] = []

    def noted(check: Callable[[], T]) -> T | None:
        try:
            return check()
        except InvalidInput as refusal:
            refusals.append(refusal)
            return None

    text = noted(lambda: _check_text(new.text, "text"))
    noted(lambda: _check_caller(new))
    region = noted(lambda: _region_of(session, new.region, principal))
    unmatched_note: str | None = None
    compound: Store | Compound | None = None
    store: Store | Compound | None = None
    product: Product | None = None
    if public is not None:
        if region is not None:
            compound, store, product, unmatched_note = _public_places(session, region, new)
    else:
        if compound_code := new.compound:
            compound = noted(lambda: _place_in_region(session, principal, Compound, compound_code))
        if store_code := new.store:
            store = noted(lambda: _place_in_region(session, principal, Store, store_code))
        product = noted(
            lambda: get_optional_by_code(
                session, Product, new.product, label=phrase("product"), field="product"
            )
        )
        if region is not None:
            noted(lambda: _refuse_places_outside(session, region, compound=compound, store=store))
    _refuse_together(refusals)
    assert text is not None and region is not None
    address_hash = _check_public_allowance(session, public, now) if public else None
    token = secrets.token_urlsafe(24) if public else None
    route = route_ticket(session=session, category=new.category, region_id=region.id)
    ticket = Ticket(
        number=f"pending-{secrets.token_hex(6)}",
        channel=TicketChannel.web if public else TicketChannel.phone,
        caller_name=new.caller_name,
        caller_phone=new.caller_phone,
        caller_kind=new.caller_kind,
        category=new.category,
        text=text,
        region_id=region.id,
        compound_id=compound.id if compound else None,
        store_id=store.id if store else None,
        product_id=product.id if product else None,
        priority=new.priority,
        status=TicketStatus.assigned if route else TicketStatus.new,
        working_group_id=route.working_group_id if route else None,
        level=route.level if route else None,
        filed_by=principal.label if principal else PUBLIC_FORM,
        filed_from_hash=address_hash,
        follow_token_hash=sha256_hex(token) if token else None,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    ticket.number = f"HL{ticket.id:07d}"
    actor = ticket.filed_by
    _record(
        session,
        ticket,
        "created",
        actor=actor,
        at=now,
        priority=new.priority.value,
        note=unmatched_note,
    )
    if route:
        _record(
            session,
            ticket,
            "assigned",
            actor=ROUTING_RULES,
            at=now,
            working_group_id=route.working_group_id,
            level=route.level.value,
        )
    session.flush()
    return ticket, token


def quoted_number(typed: str) -> str:
    """The ticket number a caller quotes ("hl123", "123", "HL0000123") as it is stored;
    anything else as typed, to be found by no ticket. Digits are 0 to 9 only: ``isdigit``
    also takes signs such as ``²`` or ``①`` that ``int`` cannot read."""
    typed = typed.strip().upper()
    digits = typed[2:] if typed.startswith("HL") else typed
    if digits and digits.isascii() and digits.isdigit():
        return f"HL{int(digits):07d}"
    return typed


def ticket_by_number(*, session: Session, principal: Principal, number: str) -> Ticket:
    """The ticket with this number if the caller may work on it, else 404 or 403 (a 404
    too for a ticket outside a region-bound caller's region)."""
    ticket = session.scalars(
        select(Ticket).where(Ticket.number == number, within_region(principal, Ticket.region_id))
    ).first()
    if ticket is None:
        raise NotFound("ticket {number!r} not found", number=number)
    require_ticket_access(session=session, principal=principal, ticket=ticket)
    return ticket


def member_group_ids(*, session: Session, principal: Principal) -> set[int]:
    """The working groups a signed-in working-group member belongs to."""
    if principal.kind != "user":
        return set()
    return set(
        session.scalars(
            select(WorkingGroupMember.working_group_id).where(
                WorkingGroupMember.user_id == principal.id
            )
        )
    )


def require_ticket_access(*, session: Session, principal: Principal, ticket: Ticket) -> None:
    """Desk roles work on every ticket; a working-group member on its groups' tickets."""
    if principal.role in (Role.admin, *DESK_ROLES):
        return
    if principal.role is Role.working_group and ticket.working_group_id in member_group_ids(
        session=session, principal=principal
    ):
        return
    raise Forbidden(
        "ticket {number} is not assigned to a working group of yours", number=ticket.number
    )


def _open_ticket(session: Session, principal: Principal, number: str) -> Ticket:
    """A ticket the caller may change and that is still open (read under a row lock, so
    two changes sent at once see each other); a closed one is a 409."""
    ticket = ticket_by_number(session=session, principal=principal, number=number)
    lock_for_change(session, ticket)
    _require_open(ticket)
    return ticket


def _require_open(ticket: Ticket) -> None:
    """A 409 for a ticket that is resolved, closed or merged."""
    if ticket.status in CLOSED:
        raise Conflict(
            "ticket {number} is {status}; reopen it before changing it",
            number=ticket.number,
            status=word(ticket.status),
        )


def assign_ticket(
    *,
    session: Session,
    principal: Principal,
    number: str,
    working_group: str,
    level: AssignmentLevel,
    note: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Re-assign a ticket by hand to another working group or level."""
    now = now or utc_now()
    ticket = _open_ticket(session, principal, number)
    group = working_group_by_code(session=session, code=working_group)
    ticket.working_group_id = group.id
    ticket.level = level
    if ticket.status is TicketStatus.new:
        ticket.status = TicketStatus.assigned
    _record(
        session,
        ticket,
        "assigned",
        actor=principal.label,
        at=now,
        working_group_id=group.id,
        level=level.value,
        note=_check_text(note, "note") if note else None,
    )
    session.flush()
    return ticket


def comment_on_ticket(
    *,
    session: Session,
    principal: Principal,
    number: str,
    text: str,
    to_caller: bool,
    now: datetime | None = None,
) -> Ticket:
    """Add an internal note or a reply the caller reads (the reply ends the first-response
    clock)."""
    now = now or utc_now()
    ticket = _open_ticket(session, principal, number)
    kind = "replied_to_caller" if to_caller else "commented"
    _record(session, ticket, kind, actor=principal.label, at=now, note=_check_text(text, "text"))
    session.flush()
    return ticket


def record_call_back(
    *, session: Session, principal: Principal, number: str, note: str, now: datetime | None = None
) -> Ticket:
    """Record that the desk called the caller back (a first response as good as a reply)."""
    now = now or utc_now()
    ticket = _open_ticket(session, principal, number)
    _record(
        session,
        ticket,
        "called_back",
        actor=principal.label,
        at=now,
        note=_check_text(note, "note"),
    )
    session.flush()
    return ticket


def set_waiting_on_caller(
    *,
    session: Session,
    principal: Principal,
    number: str,
    waiting: bool,
    note: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Pause the clocks while the desk waits on the caller, or resume them."""
    now = now or utc_now()
    ticket = _open_ticket(session, principal, number)
    checked_note = _check_text(note, "note") if note else None
    if waiting == (ticket.status is TicketStatus.waiting_on_caller):
        raise Conflict(
            "ticket {number} is already {status}", number=ticket.number, status=word(ticket.status)
        )
    if waiting and not _caller_was_answered(session, ticket):
        # the wait pauses the first-response clock: it cannot stand in for the answer
        raise Conflict(
            "reply to or call back the caller first: ticket {number} waits on its caller only "
            "once they were asked something",
            number=ticket.number,
        )
    ticket.status = (
        TicketStatus.waiting_on_caller
        if waiting
        else (TicketStatus.assigned if ticket.working_group_id else TicketStatus.new)
    )
    _record(
        session,
        ticket,
        "status_changed",
        actor=principal.label,
        at=now,
        status=ticket.status.value,
        note=checked_note,
    )
    session.flush()
    return ticket


PRIORITY_ORDER = (
    TicketPriority.urgent,
    TicketPriority.high,
    TicketPriority.normal,
    TicketPriority.low,
)
"""Most urgent first."""


def _caller_was_answered(session: Session, ticket: Ticket) -> bool:
    """Whether the desk has replied to or called back the caller (the first response)."""
    answered = session.scalar(
        select(TicketEvent.id)
        .where(
            TicketEvent.ticket_id == ticket.id,
            TicketEvent.kind.in_(("replied_to_caller", "called_back")),
        )
        .limit(1)
    )
    return answered is not None


def _breached(session: Session, ticket: Ticket, now: datetime) -> bool:
    """Whether either SLA clock of ``ticket`` is past its target at ``now``."""
    from hotline.queries import ticket_clocks  # the queries read tickets through this module

    session.flush()
    clocks = ticket_clocks(session=session, ticket_ids=[ticket.id], now=now)
    if ticket.id not in clocks.index:
        return False
    row = clocks.loc[ticket.id]
    return any(row[f"{clock}_state"] == "breached" for clock in ("first_response", "resolution"))


def change_priority(
    *,
    session: Session,
    principal: Principal,
    number: str,
    priority: TicketPriority,
    now: datetime | None = None,
) -> Ticket:
    """Change a ticket's priority; its clocks then run against the new targets. Lowering
    it once a clock has breached would turn the breach back into time left: the bureau's
    decision, not the desk's."""
    now = now or utc_now()
    ticket = _open_ticket(session, principal, number)
    lowered = PRIORITY_ORDER.index(priority) > PRIORITY_ORDER.index(ticket.priority)
    if (
        lowered
        and principal.role not in (Role.admin, Role.bureau)
        and _breached(session, ticket, now)
    ):
        raise Forbidden(
            "ticket {number} has already breached an SLA target: only the bureau may lower its "
            "priority",
            number=ticket.number,
        )
    ticket.priority = priority
    _record(
        session, ticket, "priority_changed", actor=principal.label, at=now, priority=priority.value
    )
    session.flush()
    return ticket


def _linked_in_region(session: Session, principal: Principal, linked: object) -> bool:
    """Whether a delivery request (by its compound) or an alert (by its store or district)
    lies inside the caller's region; one with no place is outside for a bound caller."""
    if not principal.is_region_bound:
        return True
    if isinstance(linked, DeliveryRequest):
        compound = session.get(Compound, linked.compound_id)
        return compound is not None and principal.in_region(compound.region_id)
    if not isinstance(linked, Alert):
        return False
    if linked.store_id is not None:
        store = session.get(Store, linked.store_id)
        return store is not None and principal.in_region(store.region_id)
    return principal.in_region(linked.district_id)


def _linked_inside(session: Session, region: Region, linked: object) -> bool:
    """Whether a delivery request (by its compound) or an alert (by its store, else its
    district) lies in ``region`` or below it: a ticket's links stay with its bureau."""
    if isinstance(linked, DeliveryRequest):
        compound = session.get(Compound, linked.compound_id)
        place = compound.region_id if compound is not None else None
    elif isinstance(linked, Alert) and linked.store_id is not None:
        store = session.get(Store, linked.store_id)
        place = store.region_id if store is not None else None
    else:
        place = linked.district_id if isinstance(linked, Alert) else None
    return place is not None and place in region_subtree(session, region.id)


def link_ticket(
    *,
    session: Session,
    principal: Principal,
    number: str,
    store: str | None = None,
    compound: str | None = None,
    delivery_request: int | None = None,
    alert: int | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Link the ticket to the store, compound, delivery request or alert it concerns."""
    now = now or utc_now()
    ticket = _open_ticket(session, principal, number)
    links: list[str] = []
    if store is not None:
        found_store = _place_in_region(session, principal, Store, store)
        ticket.store_id = found_store.id if found_store else None
        links.append(f"store {store}")
    if compound is not None:
        found = _place_in_region(session, principal, Compound, compound)
        ticket.compound_id = found.id if found else None
        links.append(f"compound {compound}")
    region = session.get_one(Region, ticket.region_id)
    _refuse_places_outside(
        session,
        region,
        compound=session.get(Compound, ticket.compound_id) if compound is not None else None,
        store=session.get(Store, ticket.store_id) if store is not None else None,
    )
    for field, model, identifier, label in (
        ("delivery_request", DeliveryRequest, delivery_request, phrase("delivery request")),
        ("alert", Alert, alert, phrase("alert")),
    ):
        if identifier is None:
            continue
        linked = session.get(model, identifier)
        if linked is None or not _linked_in_region(session, principal, linked):
            raise unknown_code(label=label, code=identifier, field=field)
        if not _linked_inside(session, region, linked):
            raise InvalidInput(
                "the {label} named lies outside region {region}",
                errors=[
                    field_problem(["body", field], "is not in region {region}", region=region.code)
                ],
                label=label,
                region=region.code,
            )
        setattr(ticket, f"{field}_id", identifier)
        links.append(f"{field} {identifier}")
    if not links:
        raise InvalidInput(
            "name what the ticket concerns",
            errors=[field_problem(["body"], "give a store, compound, delivery request or alert")],
        )
    _record(session, ticket, "linked", actor=principal.label, at=now, note=", ".join(links))
    session.flush()
    return ticket


def resolve_ticket(
    *,
    session: Session,
    principal: Principal,
    number: str,
    resolution: str,
    now: datetime | None = None,
) -> Ticket:
    """Resolve a ticket with the resolution the caller is told; stops its clocks."""
    now = now or utc_now()
    ticket = _open_ticket(session, principal, number)
    ticket.resolution = _check_text(resolution, "resolution")
    ticket.status = TicketStatus.resolved
    _record(session, ticket, "resolved", actor=principal.label, at=now, note=ticket.resolution)
    session.flush()
    return ticket


def reopen_ticket(
    *,
    session: Session,
    principal: Principal,
    number: str,
    reason: str,
    now: datetime | None = None,
) -> Ticket:
    """Reopen a resolved ticket (its resolution clock resumes where it stopped)."""
    now = now or utc_now()
    ticket = ticket_by_number(session=session, principal=principal, number=number)
    # under a row lock, as every other change: two reopenings sent at once would both
    # read "resolved" and both write a reopening into the trail the clocks read
    lock_for_change(session, ticket)
    if ticket.status is not TicketStatus.resolved:
        raise Conflict(
            "only a resolved ticket can be reopened; ticket {number} is {status}",
            number=ticket.number,
            status=word(ticket.status),
        )
    ticket.status = TicketStatus.assigned if ticket.working_group_id else TicketStatus.new
    _record(
        session,
        ticket,
        "reopened",
        actor=principal.label,
        at=now,
        note=_check_text(reason, "reason"),
    )
    session.flush()
    return ticket


def merge_ticket(
    *,
    session: Session,
    principal: Principal,
    number: str,
    into: str,
    now: datetime | None = None,
) -> Ticket:
    """Merge a duplicate into the ticket that carries on; the duplicate's clocks stop."""
    now = now or utc_now()
    ticket = ticket_by_number(session=session, principal=principal, number=number)
    target = session.scalars(
        select(Ticket).where(Ticket.number == into, within_region(principal, Ticket.region_id))
    ).first()
    if target is None or target.id == ticket.id:
        raise InvalidInput(
            "ticket {number} cannot be merged into {into!r}",
            errors=[field_problem(["body", "into"], "name another existing ticket")],
            number=ticket.number,
            into=into,
        )
    require_ticket_access(session=session, principal=principal, ticket=target)
    if target.region_id not in region_subtree(session, ticket.region_id):
        # The duplicate's bureau must still see the ticket it was merged into.
        raise InvalidInput(
            "ticket {number} cannot be merged into {into}, outside its region",
            errors=[field_problem(["body", "into"], "is not in the ticket's region")],
            number=ticket.number,
            into=into,
        )
    # Both rows locked in one order (by id): A into B and B into A sent at once cannot
    # both pass the checks and make a cycle, and cannot deadlock either.
    for row in sorted((ticket, target), key=lambda row: row.id):
        lock_for_change(session, row)
    _require_open(ticket)
    _require_open(target)
    ticket.status = TicketStatus.merged
    ticket.merged_into_id = target.id
    _record(session, ticket, "merged", actor=principal.label, at=now, note=f"into {target.number}")
    _record(
        session,
        target,
        "commented",
        actor=principal.label,
        at=now,
        note=f"merged {ticket.number} into this ticket",
    )
    session.flush()
    return ticket
