"""The bureau's daily bulletin: one business day's figures and summary, drafted, reviewed
and published; a published revision is frozen, a correction is a new revision."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin
from models.types import UTCDateTime


class BulletinStatus(enum.StrEnum):
    draft = "draft"
    published = "published"


class Bulletin(TimestampMixin, Base):
    """One revision of a day's bulletin; ``figures`` are the tables as computed when the
    draft was made, so what was published never changes with later corrections."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("business_date", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    business_date: Mapped[date] = mapped_column(index=True)
    revision: Mapped[int] = mapped_column(default=1)
    status: Mapped[BulletinStatus] = mapped_column(
        Enum(BulletinStatus, native_enum=False, length=16, validate_strings=True),
        default=BulletinStatus.draft,
    )
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary_en: Mapped[str] = mapped_column(Text)
    summary_zh: Mapped[str] = mapped_column(Text)
    correction_note: Mapped[str | None] = mapped_column(String(500))
    """Why this revision replaces the one before (published revisions after the first)."""
    drafted_by: Mapped[str] = mapped_column(String(120))
    published_by: Mapped[str | None] = mapped_column(String(120))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
