"""Monitor runs: every computation of days of supply and alerts, and the SQLite run guard."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime


class RunStatus(enum.StrEnum):
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"


class MonitorRun(Base):
    """One monitor run for a business day: when, how it ended, what it produced."""

    __tablename__ = "monitor_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_date: Mapped[date] = mapped_column(Date)
    trigger: Mapped[str] = mapped_column(String(32))
    requested_by: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, native_enum=False, length=16, validate_strings=True)
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The settings the run computes with; a fanned-out run's workers use them, not
    their own (None: recorded before runs kept them)."""

    __table_args__ = (
        Index("ix_monitor_runs_business_date_started_at", "business_date", "started_at"),
    )


class PartStatus(enum.StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class MonitorRunPart(Base):
    """One part of a fanned-out monitor run: the stores of whole districts that one
    worker computes, with how far it got, how often it was tried and the sums and store
    candidates it hands back for the run to finish the day with."""

    __tablename__ = "monitor_run_parts"

    run_id: Mapped[int] = mapped_column(ForeignKey("monitor_runs.id", ondelete="CASCADE"))
    part_number: Mapped[int] = mapped_column(autoincrement=False)
    region_ids: Mapped[list[int]] = mapped_column(JSON)
    stores: Mapped[int]
    status: Mapped[PartStatus] = mapped_column(
        Enum(PartStatus, native_enum=False, length=16, validate_strings=True)
    )
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(120))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (PrimaryKeyConstraint("run_id", "part_number", name="pk_monitor_run_parts"),)


class RunLock(Base):
    """SQLite's stand-in for PostgreSQL's advisory lock: one row per held lock, with a
    lease so a crashed holder cannot block runs for ever."""

    __tablename__ = "run_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
