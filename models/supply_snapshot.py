"""Supply snapshots: what a monitor run computed for a scope × product (or category) on a
business day, kept so history can be charted."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import (
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class ScopeLevel(enum.StrEnum):
    store = "store"
    district = "district"
    city = "city"


class SupplyStatus(enum.StrEnum):
    stocked_out = "stocked_out"
    critical = "critical"
    low = "low"
    adequate = "adequate"
    overstocked = "overstocked"
    no_demand = "no_demand"
    unknown = "unknown"


class SupplySnapshot(Base):
    """Days of supply of one scope (a store, or a district or city region) for one product
    or one category (``item_kind``) on one business day. Aggregates are ratios of sums."""

    __tablename__ = "supply_snapshots"

    # The key is the snapshot's identity in chart order (a scope × item's days side by
    # side), so one index serves uniqueness and history; a surrogate id and a second
    # five-column index made storing a province's 600,000 rows about 30 % slower.
    business_date: Mapped[date] = mapped_column(Date)
    scope_level: Mapped[ScopeLevel] = mapped_column(
        Enum(ScopeLevel, native_enum=False, length=16, validate_strings=True)
    )
    scope_id: Mapped[int] = mapped_column(autoincrement=False)
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int] = mapped_column(autoincrement=False)
    # category_id, district_id and run_id are ids without foreign keys, like scope_id and
    # item_id: the run that writes a snapshot read them from their tables in the same
    # transaction, and three per-row key checks tripled the time PostgreSQL took to
    # store a province's 600,000 snapshots (revision 0005).
    category_id: Mapped[int] = mapped_column()
    district_id: Mapped[int | None] = mapped_column()
    stock: Mapped[float | None] = mapped_column(Float)
    expected_daily_sales: Mapped[float | None] = mapped_column(Float)
    days_of_supply: Mapped[float | None] = mapped_column(Float)
    status: Mapped[SupplyStatus] = mapped_column(
        Enum(SupplyStatus, native_enum=False, length=16, validate_strings=True)
    )
    stale: Mapped[bool] = mapped_column(default=False)
    trusted: Mapped[bool] = mapped_column(default=True)
    stores_total: Mapped[int | None]
    stores_reporting: Mapped[int | None]
    stores_stocked_out: Mapped[int | None]
    coverage: Mapped[float | None] = mapped_column(Float)
    price: Mapped[float | None] = mapped_column(Float)
    sales: Mapped[float | None] = mapped_column(Float)
    run_id: Mapped[int | None] = mapped_column()

    __table_args__ = (
        PrimaryKeyConstraint(
            "scope_level",
            "scope_id",
            "item_kind",
            "item_id",
            "business_date",
            name="pk_supply_snapshots",
        ),
        # A day's rows of one level (the supply list, the dashboard, a re-run's delete);
        # its keys repeat, so PostgreSQL keeps it small by deduplication.
        Index("ix_supply_snapshots_business_date_scope_level", "business_date", "scope_level"),
    )


class ReportingRate(Base):
    """Report completeness of a district on a business day, as DHIS2 defines it:
    received ÷ expected, and received before the cut-off ÷ expected."""

    __tablename__ = "reporting_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_date: Mapped[date] = mapped_column(Date)
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    expected: Mapped[int]
    received: Mapped[int]
    on_time: Mapped[int]
    reporting_rate: Mapped[float | None] = mapped_column(Float)
    on_time_rate: Mapped[float | None] = mapped_column(Float)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("monitor_runs.id", ondelete="SET NULL"))

    __table_args__ = (
        UniqueConstraint("business_date", "district_id", name="uq_reporting_rates_day_district"),
    )
