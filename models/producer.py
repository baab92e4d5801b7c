"""The emergency supply registry: producers that can restock the city, and what each can
supply per day."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Enum, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class ProducerKind(enum.StrEnum):
    livestock_farm = "livestock_farm"
    vegetable_grower = "vegetable_grower"
    grain_mill = "grain_mill"
    edible_oil_plant = "edible_oil_plant"
    wholesaler = "wholesaler"
    other = "other"


class Producer(TimestampMixin, Base):
    """A farm, grower, mill, oil plant or wholesaler in the registry; kept when inactive."""

    __tablename__ = "producers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ProducerKind] = mapped_column(
        Enum(ProducerKind, native_enum=False, length=32, validate_strings=True)
    )
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )


class ProducerProduct(Base):
    """What one producer supplies of one product: usual daily capacity (canonical unit),
    lead time, and the smallest lot it sells."""

    __tablename__ = "producer_products"

    producer_id: Mapped[int] = mapped_column(
        ForeignKey("producers.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    daily_capacity: Mapped[float] = mapped_column(Float)
    lead_time_days: Mapped[int] = mapped_column(default=0)
    minimum_lot: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("daily_capacity > 0", name="daily_capacity_positive"),
        CheckConstraint("lead_time_days >= 0", name="lead_time_not_negative"),
        CheckConstraint("minimum_lot IS NULL OR minimum_lot >= 0", name="minimum_lot_not_negative"),
    )
