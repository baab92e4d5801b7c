"""Daily report lines and their revision history.

One row per (store, business day, product). A correction replaces the row and the
old values go to ``report_revisions``, so nothing a store once said is lost.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, utc_now
from models.types import UTCDateTime


class DailyReport(TimestampMixin, Base):
    """One product's end-of-day stock, sales and price at one store on one business day."""

    __tablename__ = "daily_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"))
    report_date: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    stock: Mapped[float] = mapped_column(Float)
    sales: Mapped[float] = mapped_column(Float)
    price: Mapped[float] = mapped_column(Float)
    received: Mapped[float | None] = mapped_column(Float)
    submitted_by: Mapped[str] = mapped_column(String(120))

    __table_args__ = (
        UniqueConstraint("store_id", "report_date", "product_id", name="uq_daily_reports_line"),
        # Lines arrive day after day, so a BRIN index finds a day's pages at a fraction of
        # a btree's upkeep per insert, and the planner never takes it for a single store's
        # day (which uq_daily_reports_line serves).
        Index("ix_daily_reports_report_date", "report_date", postgresql_using="brin"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("sales >= 0", name="sales_not_negative"),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("received IS NULL OR received >= 0", name="received_not_negative"),
    )


class RevisionKind(enum.StrEnum):
    updated = "updated"
    deleted = "deleted"


class ReportRevision(Base):
    """A value a store replaced or removed: who changed it, when, and old → new."""

    __tablename__ = "report_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"))
    report_date: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    kind: Mapped[RevisionKind] = mapped_column(
        Enum(RevisionKind, native_enum=False, length=16, validate_strings=True)
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    changed_by: Mapped[str] = mapped_column(String(120))
    old_stock: Mapped[float] = mapped_column(Float)
    old_sales: Mapped[float] = mapped_column(Float)
    old_price: Mapped[float] = mapped_column(Float)
    old_received: Mapped[float | None] = mapped_column(Float)
    old_submitted_by: Mapped[str] = mapped_column(String(120))
    new_stock: Mapped[float | None] = mapped_column(Float)
    new_sales: Mapped[float | None] = mapped_column(Float)
    new_price: Mapped[float | None] = mapped_column(Float)
    new_received: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (Index("ix_report_revisions_store_id_report_date", "store_id", "report_date"),)
