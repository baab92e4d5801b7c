"""Residential compounds (小区): where locked-down residents wait for deliveries."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from models.region import Region
    from models.store import Store


class LockdownStatus(enum.StrEnum):
    open = "open"
    locked = "locked"


class Compound(TimestampMixin, Base):
    """A compound, its lockdown period, the store designated to supply it and the contact
    (property manager or volunteer) who receives deliveries at the gate."""

    __tablename__ = "compounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    households: Mapped[int | None]
    population: Mapped[int | None]
    lockdown_status: Mapped[LockdownStatus] = mapped_column(
        Enum(LockdownStatus, native_enum=False, length=16, validate_strings=True),
        default=LockdownStatus.open,
    )
    lockdown_start_date: Mapped[date | None]
    lockdown_end_date: Mapped[date | None]
    supplier_store_id: Mapped[int | None] = mapped_column(
        ForeignKey("stores.id", ondelete="RESTRICT")
    )
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship("Region", lazy="raise")
    supplier_store: Mapped[Store | None] = relationship("Store", lazy="raise")

    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint(
            "lockdown_end_date IS NULL OR lockdown_start_date IS NULL "
            "OR lockdown_end_date >= lockdown_start_date",
            name="lockdown_period_ordered",
        ),
    )
