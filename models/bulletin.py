"""The bureau's daily bulletin: one business day's figures and summary, drafted, reviewed
and published; a published revision is frozen, a correction is a new revision."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin
from models.types import UTCDateTime


class BulletinStatus(enum.StrEnum):
    draft = "draft"
    published = "published"


class Bulletin(TimestampMixin, Base):
    """One revision of a region's bulletin of a day; ``figures`` are the tables as computed
    when the draft was made, so what was published never changes with later corrections."""

    __tablename__ = "bulletins"
    __table_args__ = (
        UniqueConstraint("region_id", "business_date", "revision"),
        # NULLs are distinct in a unique constraint: the whole deployment's revisions
        # need their own (partial) unique index.
        Index(
            "uq_bulletins_business_date_whole_deployment",
            "business_date",
            "revision",
            unique=True,
            postgresql_where=text("region_id IS NULL"),
            sqlite_where=text("region_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    """The region whose stores the figures cover; None for the whole deployment (a
    deployment with several root cities, or a bulletin drafted before bulletins had
    regions there)."""
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
