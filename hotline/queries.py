"""Reads of the hotline the API and the pages share: the queue with each ticket's SLA
clocks, one ticket with its trail, and what a caller sees through the follow link."""

from __future__ import annotations

import enum
import hmac
import io
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, Connection, Select, cast, func, select
from sqlalchemy.orm import Session, aliased

from core.access import Principal, within_region
from core.errors import NotFound
from core.lookups import PageOf, page
from core.security import sha256_hex
from hotline.routing import load_sla_policy
from hotline.sla import EVENT_KINDS, compute_sla_clocks
from hotline.tickets import DESK_ROLES, member_group_ids, ticket_by_number
from models import (
    Compound,
    Product,
    Region,
    Role,
    Store,
    Ticket,
    TicketEvent,
    TicketStatus,
    WorkingGroup,
)
from models.base import utc_now

OPEN_STATUSES = (TicketStatus.new, TicketStatus.assigned, TicketStatus.waiting_on_caller)
RUNNING_CLOCK_STATES = ("running", "paused", "breached")


class TicketOrder(enum.StrEnum):
    """How the queue is ordered: newest first, or nearest to breaching an SLA first."""

    newest = "newest"
    due = "due"


@dataclass(frozen=True)
class ClockView:
    """One SLA clock of a ticket as people read it."""

    state: str
    elapsed_minutes: float
    target_minutes: float
    remaining_minutes: float
    due_at: datetime | None
    escalation_level: int


@dataclass(frozen=True)
class TicketEventView:
    """One entry of a ticket's audit trail."""

    at: datetime
    kind: str
    actor: str
    status: str | None
    priority: str | None
    working_group: str | None
    level: str | None
    note: str | None


@dataclass(frozen=True)
class TicketView:
    """A ticket with codes instead of ids and its SLA clocks now."""

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
    first_response: ClockView | None
    resolution_clock: ClockView | None
    events: list[TicketEventView] | None = None


@dataclass(frozen=True)
class PublicTicketView:
    """What the caller sees through the private follow link: no one else's data, no
    internal notes."""

    number: str
    category: str
    status: str
    created_at: datetime
    replies: list[tuple[datetime, str]]
    resolution: str | None


EVENT_FRAME_COLUMNS = ["ticket_id", "at", "kind", "status", "priority"]

TicketIds = Collection[int] | Select[Any]
"""Tickets whose trails are read: listed, or a query of their ids (a national queue's
open tickets are more than a statement may list as parameters)."""


def sla_events(
    *, session: Session, ticket_ids: TicketIds | None = None, open_only: bool = False
) -> pd.DataFrame:
    """The audit events the SLA clocks read, as the frame :func:`compute_sla_clocks` takes;
    of some tickets (listed, or a query of their ids), of the open ones, or of all.

    On PostgreSQL the trails of many tickets travel as one CSV COPY with instants as
    epoch microseconds and words as categories, parsed by pandas in C: 800,000 events as
    Python row objects took most of the recompute's time.
    """
    connection = session.connection()
    query = select(
        TicketEvent.ticket_id,
        TicketEvent.at,
        TicketEvent.kind,
        TicketEvent.status,
        TicketEvent.priority,
    ).where(TicketEvent.kind.in_(EVENT_KINDS))
    if isinstance(ticket_ids, Select):
        query = query.where(TicketEvent.ticket_id.in_(ticket_ids))
    elif ticket_ids is not None:
        query = query.where(TicketEvent.ticket_id.in_(list(ticket_ids)))
    if open_only:
        query = query.join(Ticket, Ticket.id == TicketEvent.ticket_id).where(
            Ticket.status.in_(OPEN_STATUSES)
        )
    if connection.dialect.name == "postgresql" and not isinstance(ticket_ids, Collection):
        session.flush()
        return _copied_events(connection, query)
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=EVENT_FRAME_COLUMNS)


def _copied_events(connection: Connection, query: Select[*tuple[Any, ...]]) -> pd.DataFrame:
    """The events ``query`` selects through ``COPY ... TO STDOUT`` (PostgreSQL), with
    instants as epoch microseconds."""
    epoch_microseconds = cast(func.date_part("epoch", TicketEvent.at) * 1_000_000, BigInteger)
    compiled = query.with_only_columns(
        TicketEvent.ticket_id,
        epoch_microseconds,
        TicketEvent.kind,
        TicketEvent.status,
        TicketEvent.priority,
        maintain_column_froms=True,
    ).compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    # psycopg binds a COPY's parameters on the client, quoting each value; the enum
    # columns store their members' names (``models.hotline._enum``).
    parameters = {
        name: value.name if isinstance(value, enum.Enum) else value
        for name, value in compiled.params.items()
    }
    sql = f"COPY ({compiled}) TO STDOUT WITH (FORMAT csv)"
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    buffer = io.BytesIO()
    with driver_connection.cursor() as cursor, cursor.copy(sql, parameters) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    if buffer.getbuffer().nbytes == 0:
        return pd.DataFrame(columns=EVENT_FRAME_COLUMNS)
    frame = pd.read_csv(
        buffer,
        names=EVENT_FRAME_COLUMNS,
        dtype={
            "ticket_id": "int64",
            "at": "int64",
            "kind": "category",
            "status": "category",
            "priority": "category",
        },
    )
    frame["at"] = pd.to_datetime(frame["at"], unit="us", utc=True)
    return frame


def ticket_clocks(
    *,
    session: Session,
    ticket_ids: TicketIds | None,
    open_only: bool = False,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Both SLA clocks of the given tickets (all, or all open, for None), from their trails
    under the current policy."""
    events = sla_events(session=session, ticket_ids=ticket_ids, open_only=open_only)
    policy = load_sla_policy(session=session)
    if events.empty:
        return compute_sla_clocks(
            events=pd.DataFrame(columns=["ticket_id", "at", "kind"]),
            policy=policy,
            now=now or utc_now(),
        )
    return compute_sla_clocks(events=events, policy=policy, now=now or utc_now())


def _clock(clocks: pd.DataFrame, ticket_id: int, name: str) -> ClockView | None:
    """One clock of one ticket from the computed frame (None before its trail exists)."""
    if ticket_id not in clocks.index:
        return None
    row: dict[Any, Any] = clocks.loc[ticket_id].to_dict()
    due = row[f"{name}_due_at"]
    return ClockView(
        state=str(row[f"{name}_state"]),
        elapsed_minutes=round(float(row[f"{name}_elapsed_minutes"]), 1),
        target_minutes=float(row[f"{name}_target_minutes"]),
        remaining_minutes=round(float(row[f"{name}_remaining_minutes"]), 1),
        due_at=None if pd.isna(due) else due.to_pydatetime(),
        escalation_level=int(row[f"{name}_escalation_level"]),
    )


@cache
def _listing_query() -> Select:
    """Tickets with the codes they point to (built once: aliasing costs per build)."""
    merged_into = aliased(Ticket)
    return (
        select(
            Ticket,
            Region.code,
            Compound.code,
            Store.code,
            Product.code,
            WorkingGroup.code,
            merged_into.number,
        )
        .join(Region, Region.id == Ticket.region_id)
        .outerjoin(Compound, Compound.id == Ticket.compound_id)
        .outerjoin(Store, Store.id == Ticket.store_id)
        .outerjoin(Product, Product.id == Ticket.product_id)
        .outerjoin(WorkingGroup, WorkingGroup.id == Ticket.working_group_id)
        .outerjoin(merged_into, merged_into.id == Ticket.merged_into_id)
    )


def _views(
    session: Session, rows: list, now: datetime, clocks: pd.DataFrame | None = None
) -> list[TicketView]:
    if clocks is None:
        clocks = ticket_clocks(session=session, ticket_ids=[row[0].id for row in rows], now=now)
    views = []
    for ticket, region, compound, store, product, group, merged_into in rows:
        views.append(
            TicketView(
                number=ticket.number,
                channel=ticket.channel.value,
                caller_name=ticket.caller_name,
                caller_phone=ticket.caller_phone,
                caller_kind=ticket.caller_kind.value,
                category=ticket.category.value,
                text=ticket.text,
                region=region,
                compound=compound,
                store=store,
                product=product,
                delivery_request=ticket.delivery_request_id,
                alert=ticket.alert_id,
                priority=ticket.priority.value,
                status=ticket.status.value,
                working_group=group,
                level=ticket.level.value if ticket.level else None,
                merged_into=merged_into,
                resolution=ticket.resolution,
                created_at=ticket.created_at,
                updated_at=ticket.updated_at,
                first_response=_clock(clocks, ticket.id, "first_response"),
                resolution_clock=_clock(clocks, ticket.id, "resolution"),
            )
        )
    return views


def list_tickets(
    *,
    session: Session,
    principal: Principal,
    status: TicketStatus | None = None,
    open_only: bool = False,
    working_group: str | None = None,
    order: TicketOrder = TicketOrder.newest,
    limit: int,
    offset: int,
    now: datetime | None = None,
) -> PageOf[TicketView]:
    """The queue: tickets the caller may work on with their clocks, newest first or
    nearest to breaching first (then those with no clock running, newest first)."""
    now = now or utc_now()
    query = (
        _listing_query()
        .where(within_region(principal, Ticket.region_id))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
    )
    if principal.role not in (Role.admin, *DESK_ROLES):
        query = query.where(
            Ticket.working_group_id.in_(
                sorted(member_group_ids(session=session, principal=principal))
            )
        )
    if status is not None:
        query = query.where(Ticket.status == status)
    if open_only:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    if working_group is not None:
        query = query.where(WorkingGroup.code == working_group)
    if order is TicketOrder.due:
        return _page_by_due(session, query, limit=limit, offset=offset, now=now)
    rows, total = page(session, query, limit=limit, offset=offset)
    items = _views(session, list(rows), now)
    return PageOf(items=items, total=total, limit=limit, offset=offset)


def _page_by_due(
    session: Session, query: Select, *, limit: int, offset: int, now: datetime
) -> PageOf[TicketView]:
    """One page of ``query``'s tickets, nearest to breaching first: every match's clocks
    are computed, so the oldest overdue ticket is never left beyond the first page."""
    matching = query.with_only_columns(Ticket.id).order_by(None)
    identifiers = list(session.scalars(matching))
    clocks = ticket_clocks(session=session, ticket_ids=matching, now=now)
    remaining = pd.Series(float("inf"), index=pd.Index(identifiers, dtype="int64"))
    for name in ("first_response", "resolution") if not clocks.empty else ():
        running = clocks[f"{name}_state"].astype(str).isin(RUNNING_CLOCK_STATES)
        minutes = clocks[f"{name}_remaining_minutes"].astype(float).where(running)
        remaining = remaining.clip(upper=minutes.reindex(remaining.index).fillna(float("inf")))
    # nearest to breaching first; among tickets with no clock running, newest first
    ordered = pd.DataFrame({"remaining": remaining, "newest": -remaining.index}).sort_values(
        ["remaining", "newest"], kind="stable"
    )
    chosen = [int(number) for number in ordered.index[offset : offset + limit]]
    rows = {row[0].id: row for row in session.execute(query.where(Ticket.id.in_(chosen)))}
    shown = clocks[clocks.index.isin(chosen)] if not clocks.empty else clocks
    items = _views(session, [rows[number] for number in chosen], now, clocks=shown)
    return PageOf(items=items, total=len(identifiers), limit=limit, offset=offset)


def read_ticket(
    *, session: Session, principal: Principal, number: str, now: datetime | None = None
) -> TicketView:
    """One ticket with its whole audit trail, for the desk."""
    ticket = ticket_by_number(session=session, principal=principal, number=number)
    row = session.execute(_listing_query().where(Ticket.id == ticket.id)).one()
    view = _views(session, [row], now or utc_now())[0]
    groups: dict[int, str] = {
        row.id: row.code for row in session.execute(select(WorkingGroup.id, WorkingGroup.code))
    }
    events = [
        TicketEventView(
            at=event.at,
            kind=event.kind,
            actor=event.actor,
            status=event.status,
            priority=event.priority,
            working_group=groups.get(event.working_group_id) if event.working_group_id else None,
            level=event.level,
            note=event.note,
        )
        for event in session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.at, TicketEvent.id)
        )
    ]
    return TicketView(**{**view.__dict__, "events": events})


def follow_ticket(*, session: Session, number: str, token: str) -> PublicTicketView:
    """What the follow link shows; a wrong number or token gives the same 404, so guessing
    numbers reveals nothing."""
    ticket = session.scalars(select(Ticket).where(Ticket.number == number)).first()
    expected = ticket.follow_token_hash if ticket is not None else None
    if ticket is None or expected is None or not hmac.compare_digest(expected, sha256_hex(token)):
        raise NotFound("no ticket with this number and follow link")
    replies = [
        (event.at, event.note or "")
        for event in session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "replied_to_caller")
            .order_by(TicketEvent.at, TicketEvent.id)
        )
    ]
    return PublicTicketView(
        number=ticket.number,
        category=ticket.category.value,
        status=ticket.status.value,
        created_at=ticket.created_at,
        replies=replies,
        resolution=ticket.resolution,
    )
