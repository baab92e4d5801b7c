"""Plan jobs: a day's plan asked for, solved later by a worker (or a background thread of
the web process), with how far the solver got and how it ended.

The row is the truth: the queue carries only its id, the API and the pages read the row.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now
from models.types import UTCDateTime


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class PlanJob(Base):
    """One request to solve a day into a draft plan: its options, its progress (0..1,
    solver seconds over the time limit), the plan it made or the problem it met."""

    __tablename__ = "plan_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=16, validate_strings=True),
        default=JobStatus.queued,
        index=True,
    )
    requested_by: Mapped[str] = mapped_column(String(120))
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The plan options as ``dispatch.plan_jobs.options_json`` writes them."""
    plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_plans.id", ondelete="SET NULL")
    )
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The problem+json body the synchronous path would have answered with."""
    error_text: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The problem's message id and values, for the pages to translate."""
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When its work last showed life (claimed, or progress written): a running job
    silent for long lost its process, and is sent again."""
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (CheckConstraint("progress >= 0 AND progress <= 1", name="progress_range"),)
