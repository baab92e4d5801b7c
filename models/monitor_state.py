"""What an incremental monitor run keeps between runs: marks of changed store-days and
each store's recent report lines as packed matrices.

``report_changes`` is written by the report write path in the transaction that changed
the lines; a run consumes (deletes) exactly the marks it read. ``monitor_line_states``
holds, per store, the product ids and the stock, sales and price of the last
``days`` business days up to ``through_date`` (float64, NaN where there was no line).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now
from models.types import UTCDateTime


class ReportChange(Base):
    """A store's report for a business day changed (lines added, updated or removed) since
    a monitor run last read it."""

    __tablename__ = "report_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    report_date: Mapped[date] = mapped_column(Date)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class MonitorLineState(Base):
    """One store's report lines of the window ending on ``through_date``, as numpy bytes:
    ``product_ids`` (int64) and products × ``days`` matrices (float64, C order, the last
    column is ``through_date``)."""

    __tablename__ = "monitor_line_states"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    region_id: Mapped[int] = mapped_column(Integer)
    """The store's region when the state was written: rows sit with their region when the
    tables are distributed by region."""
    through_date: Mapped[date] = mapped_column(Date)
    days: Mapped[int] = mapped_column(Integer)
    product_ids: Mapped[bytes] = mapped_column(LargeBinary)
    stock: Mapped[bytes] = mapped_column(LargeBinary)
    sales: Mapped[bytes] = mapped_column(LargeBinary)
    price: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
