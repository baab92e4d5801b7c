"""Lockdowns of whole regions (a district, a township), as the bureau records them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class RegionLockdown(TimestampMixin, Base):
    """A region sealed from ``start_date`` to ``end_date`` (open-ended while None): its
    needs are served first and its producers cannot ship."""

    __tablename__ = "region_lockdowns"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name="lockdown_period_ordered"
        ),
    )
