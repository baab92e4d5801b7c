"""The emergency fleet: depots trucks leave from, and the trucks themselves."""

from __future__ import annotations

import enum
from datetime import time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, Float, ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from models.store import Store


class Depot(TimestampMixin, Base):
    """A warehouse or a designated supplier store (``store_id``) that loads trucks."""

    __tablename__ = "depots"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"))
    opens_at: Mapped[time] = mapped_column(Time, default=time(0, 0))
    closes_at: Mapped[time] = mapped_column(Time, default=time(23, 59, 59))
    active: Mapped[bool] = mapped_column(default=True)

    store: Mapped[Store | None] = relationship("Store", lazy="raise")

    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint("closes_at > opens_at", name="hours_ordered"),
    )


class TruckStatus(enum.StrEnum):
    available = "available"
    out_of_service = "out_of_service"


class Truck(TimestampMixin, Base):
    """One truck of the fleet: what it carries, where it starts, and its crew's shift."""

    __tablename__ = "trucks"

    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(32), unique=True)
    capacity_kg: Mapped[int]
    volume_m3: Mapped[float | None] = mapped_column(Float)
    depot_id: Mapped[int] = mapped_column(ForeignKey("depots.id", ondelete="RESTRICT"), index=True)
    status: Mapped[TruckStatus] = mapped_column(
        Enum(TruckStatus, native_enum=False, length=16, validate_strings=True),
        default=TruckStatus.available,
    )
    crew: Mapped[str | None] = mapped_column(String(300))
    crew_phone: Mapped[str | None] = mapped_column(String(64))
    shift_start: Mapped[time] = mapped_column(Time, default=time(7, 0))
    shift_end: Mapped[time] = mapped_column(Time, default=time(19, 0))
    max_route_minutes: Mapped[int | None]

    depot: Mapped[Depot] = relationship("Depot", lazy="raise")

    __table_args__ = (
        CheckConstraint("capacity_kg > 0", name="capacity_positive"),
        CheckConstraint("volume_m3 IS NULL OR volume_m3 > 0", name="volume_positive"),
        CheckConstraint("shift_end > shift_start", name="shift_ordered"),
        CheckConstraint(
            "max_route_minutes IS NULL OR max_route_minutes > 0", name="max_route_positive"
        ),
    )
