"""Service officers: bureau users assigned to key supply enterprises and stores, and the
log of their visits and contacts (a problem raised on a visit becomes a hotline ticket)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now
from models.types import UTCDateTime


class VisitMode(enum.StrEnum):
    on_site = "on_site"
    phone = "phone"
    video = "video"
    message = "message"


class OfficerAssignment(Base):
    """One officer looks after one enterprise (and so its stores) or one store; each
    enterprise or store has at most one officer."""

    __tablename__ = "officer_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), unique=True
    )
    store_id: Mapped[int | None] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), unique=True
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    assigned_by: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        CheckConstraint(
            "(enterprise_id IS NULL) != (store_id IS NULL)", name="one_enterprise_or_store"
        ),
    )


class OfficerVisit(Base):
    """A visit or contact of an officer with an enterprise (at one of its stores or not)."""

    __tablename__ = "officer_visits"

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT")
    )
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"))
    visit_date: Mapped[date] = mapped_column(Date)
    mode: Mapped[VisitMode] = mapped_column(
        Enum(VisitMode, native_enum=False, length=16, validate_strings=True)
    )
    contact: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    recorded_by: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        Index("ix_officer_visits_officer_id_visit_date", "officer_id", "visit_date"),
        Index("ix_officer_visits_enterprise_id", "enterprise_id"),
        Index("ix_officer_visits_store_id", "store_id"),
    )


class VisitProblem(Base):
    """A problem raised on a visit and the hotline ticket it became."""

    __tablename__ = "officer_visit_problems"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(
        ForeignKey("officer_visits.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="RESTRICT"), unique=True
    )
