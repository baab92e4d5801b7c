"""Background jobs: long work a person or a machine asked for (a bulk report file to check
and store, a plan's passes to print), done later by a worker (or a background thread of
the web process), with how far it got and how it ended.

One table for every kind: the lifecycle, the progress, who asked and how the job ended
are the same for each; only the input (``params``, ``input``) and the result (``result``,
``output``) differ, and those are JSON and bytes. The row is the truth: the queue carries
only its id, the API and the pages read the row.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Enum, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now
from models.plan_job import JobStatus
from models.types import UTCDateTime


class JobKind(enum.StrEnum):
    report_upload = "report_upload"
    plan_passes_pdf = "plan_passes_pdf"


class BackgroundJob(Base):
    """One piece of long work: its kind, who asked (the principal the worker acts as), its
    input, its progress (``done`` of ``total`` units: rows, passes), and the result it made
    or the problem it met."""

    __tablename__ = "background_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(
        Enum(JobKind, native_enum=False, length=32, validate_strings=True), index=True
    )
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=16, validate_strings=True),
        default=JobStatus.queued,
        index=True,
    )
    submitted_by: Mapped[str] = mapped_column(String(120))
    """The submitter's label, as audit trails name it."""
    principal: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The submitter as ``core.jobs.principal_json`` keeps it: the worker acts as it, and
    only it may follow the job."""
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the kind needs besides the input (a file's name, a plan's id)."""
    input: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    """The uploaded bytes, kept from the request's commit until the job has ended."""
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The body the synchronous path would have answered with (JSON kinds)."""
    output: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    """The file the job made (a PDF), to download once it has succeeded."""
    media_type: Mapped[str | None] = mapped_column(String(80))
    filename: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The problem+json body the synchronous path would have answered with."""
    error_text: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """The problem's message id and values, for the pages to translate."""
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When its work last showed life (claimed, or progress written): a running job
    silent for long lost its process, and is sent again."""
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("done >= 0 AND (total IS NULL OR done <= total)", name="progress_range"),
    )
