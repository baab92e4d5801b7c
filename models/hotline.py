"""The 24-hour supply hotline: tickets, their audit trail, working groups, routing rules
and the SLA targets per priority. The trail is what the SLA clocks are computed from."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, utc_now
from models.types import UTCDateTime


class TicketChannel(enum.StrEnum):
    phone = "phone"
    web = "web"


class CallerKind(enum.StrEnum):
    resident = "resident"
    store = "store"
    producer = "producer"
    driver = "driver"
    other = "other"


class TicketCategory(enum.StrEnum):
    cannot_buy = "cannot_buy"
    price_complaint = "price_complaint"
    store_closed_or_short = "store_closed_or_short"
    delivery_late = "delivery_late"
    pass_or_checkpoint = "pass_or_checkpoint"
    producer_cannot_sell = "producer_cannot_sell"
    other = "other"


class TicketPriority(enum.StrEnum):
    urgent = "urgent"
    high = "high"
    normal = "normal"
    low = "low"


class TicketStatus(enum.StrEnum):
    new = "new"
    assigned = "assigned"
    waiting_on_caller = "waiting_on_caller"
    resolved = "resolved"
    merged = "merged"


class AssignmentLevel(enum.StrEnum):
    city = "city"
    county = "county"


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=32, validate_strings=True)


class WorkingGroup(TimestampMixin, Base):
    """One of the bureau's working groups a ticket can be routed to."""

    __tablename__ = "working_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class WorkingGroupMember(Base):
    """A person who works the tickets of a working group."""

    __tablename__ = "working_group_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    working_group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    __table_args__ = (
        UniqueConstraint("working_group_id", "user_id", name="uq_working_group_members_pair"),
    )


class RoutingRule(TimestampMixin, Base):
    """Category and region (either may be empty: any) → working group and level."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[TicketCategory | None] = mapped_column(_enum(TicketCategory))
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), index=True
    )
    working_group_id: Mapped[int] = mapped_column(
        ForeignKey("working_groups.id", ondelete="RESTRICT")
    )
    level: Mapped[AssignmentLevel] = mapped_column(_enum(AssignmentLevel))
    updated_by: Mapped[str] = mapped_column(String(120), default="system")


class SlaTargetSetting(Base):
    """The bureau's SLA targets of one priority, in minutes of running clock."""

    __tablename__ = "sla_targets"

    priority: Mapped[TicketPriority] = mapped_column(_enum(TicketPriority), primary_key=True)
    first_response_minutes: Mapped[float] = mapped_column(Float)
    resolution_minutes: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_by: Mapped[str] = mapped_column(String(120), default="system")


class Ticket(TimestampMixin, Base):
    """One request to the hotline, from the first call to its resolution.

    The public follow link's token is stored only as its SHA-256; the caller's text is
    stored as the plain text they typed and escaped wherever it is shown.
    """

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    channel: Mapped[TicketChannel] = mapped_column(_enum(TicketChannel))
    caller_name: Mapped[str | None] = mapped_column(String(200))
    caller_phone: Mapped[str | None] = mapped_column(String(64))
    caller_kind: Mapped[CallerKind] = mapped_column(_enum(CallerKind))
    category: Mapped[TicketCategory] = mapped_column(_enum(TicketCategory))
    text: Mapped[str] = mapped_column(Text)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id", ondelete="RESTRICT"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    delivery_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_requests.id", ondelete="RESTRICT")
    )
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="RESTRICT"))
    priority: Mapped[TicketPriority] = mapped_column(_enum(TicketPriority))
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus))
    working_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_groups.id", ondelete="RESTRICT")
    )
    level: Mapped[AssignmentLevel | None] = mapped_column(_enum(AssignmentLevel))
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT")
    )
    resolution: Mapped[str | None] = mapped_column(Text)
    filed_by: Mapped[str] = mapped_column(String(120))
    filed_from_hash: Mapped[str | None] = mapped_column(String(64))
    follow_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    __table_args__ = (
        Index("ix_tickets_status_working_group_id", "status", "working_group_id"),
        Index("ix_tickets_region_id_created_at", "region_id", "created_at"),
        Index("ix_tickets_filed_from_hash_created_at", "filed_from_hash", "created_at"),
    )


class TicketEvent(Base):
    """What happened to a ticket, when and by whom: the audit trail the SLA clocks read."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120))
    status: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(16))
    working_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("working_groups.id", ondelete="RESTRICT")
    )
    level: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_ticket_events_ticket_id_at", "ticket_id", "at"),)
