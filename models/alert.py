"""Alerts and what people do with them: lifecycle events, acknowledgements, silences,
and the thresholds the bureau tunes. History is kept for good."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Enum, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, utc_now
from models.types import UTCDateTime


class AlertRule(enum.StrEnum):
    low_supply = "low_supply"
    stockout = "stockout"
    price_spike = "price_spike"
    sales_surge = "sales_surge"
    missing_report = "missing_report"
    ticket_sla = "ticket_sla"
    complaint_cluster = "complaint_cluster"


class Severity(enum.StrEnum):
    warning = "warning"
    critical = "critical"


class AlertStatus(enum.StrEnum):
    pending = "pending"
    firing = "firing"
    acknowledged = "acknowledged"
    resolved = "resolved"


def _enum(kind: type[enum.StrEnum], length: int = 16) -> Enum:
    return Enum(kind, native_enum=False, length=length, validate_strings=True)


class Alert(Base):
    """One breach of a rule on one scope × product, from first seen to resolved.

    A fingerprint (rule + scope + product) has at most one open alert; a breach after
    it resolved opens a new one. ``pending`` alerts wait for the rule's N consecutive
    runs before they fire.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    rule: Mapped[AlertRule] = mapped_column(_enum(AlertRule, 32))
    severity: Mapped[Severity] = mapped_column(_enum(Severity))
    status: Mapped[AlertStatus] = mapped_column(_enum(AlertStatus))
    scope_level: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[int]
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("product_categories.id"))
    value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[str] = mapped_column(Text)
    summary_text: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The summary as a message id and values (``core.text.text_json``), for pages to word
    in the reader's language; ``summary`` is its English."""
    consecutive_runs: Mapped[int] = mapped_column(default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_date: Mapped[date] = mapped_column(Date)
    last_date: Mapped[date] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)
    assignee: Mapped[str | None] = mapped_column(String(64))
    """The bureau user (username) handling it, set by assigning its group."""
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        Index("ix_alerts_fingerprint_status", "fingerprint", "status"),
        Index("ix_alerts_status_severity_last_seen_at", "status", "severity", "last_seen_at"),
        Index("ix_alerts_last_date", "last_date"),
    )


class AlertEvent(Base):
    """What happened to an alert and who did it: the audit trail of its lifecycle."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120))
    severity: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)


class Silence(TimestampMixin, Base):
    """Mutes notifications of alerts matching every given matcher until ``ends_at``."""

    __tablename__ = "silences"

    id: Mapped[int] = mapped_column(primary_key=True)
    matchers: Mapped[dict[str, Any]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    comment: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    expired_by: Mapped[str | None] = mapped_column(String(120))
    muting_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When the open alerts it mutes got their ``silenced`` event: on creation for one in
    force, at the first run after it starts for a pending one (null until then)."""


class ThresholdOverride(Base):
    """Threshold changes for one category or one product (only the fields it changes)."""

    __tablename__ = "threshold_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(80), unique=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("product_categories.id", ondelete="CASCADE")
    )
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_by: Mapped[str] = mapped_column(String(120))


class RuleSetting(Base):
    """Whether a rule runs, and how many consecutive runs it must hold before firing."""

    __tablename__ = "rule_settings"

    rule: Mapped[AlertRule] = mapped_column(_enum(AlertRule, 32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    for_runs: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_by: Mapped[str] = mapped_column(String(120), default="system")
