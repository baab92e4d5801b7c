"""Delivery requests: a compound's collected orders, with their weight and time window."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Enum, Float, ForeignKey, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin
from models.types import UTCDateTime

if TYPE_CHECKING:
    from models.compound import Compound


class RequestPriority(enum.StrEnum):
    normal = "normal"
    urgent = "urgent"


class RequestStatus(enum.StrEnum):
    open = "open"
    assigned = "assigned"
    delivered = "delivered"
    failed = "failed"
    cancelled = "cancelled"


class DeliveryRequest(TimestampMixin, Base):
    """What one compound needs on one day; ``weight_kg`` is the sum of its items'."""

    __tablename__ = "delivery_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    compound_id: Mapped[int] = mapped_column(
        ForeignKey("compounds.id", ondelete="RESTRICT"), index=True
    )
    delivery_date: Mapped[date] = mapped_column(index=True)
    priority: Mapped[RequestPriority] = mapped_column(
        Enum(RequestPriority, native_enum=False, length=16, validate_strings=True),
        default=RequestPriority.normal,
    )
    window_start: Mapped[time] = mapped_column(Time)
    window_end: Mapped[time] = mapped_column(Time)
    weight_kg: Mapped[float] = mapped_column(Float)
    status: Mapped[RequestStatus] = mapped_column(
        Enum(RequestStatus, native_enum=False, length=16, validate_strings=True),
        default=RequestStatus.open,
        index=True,
    )
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str | None] = mapped_column(String(120))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    compound: Mapped[Compound] = relationship("Compound", lazy="raise")
    items: Mapped[list[DeliveryRequestItem]] = relationship(
        "DeliveryRequestItem",
        lazy="raise",
        back_populates="request",
        cascade="all, delete-orphan",
        order_by="DeliveryRequestItem.id",
    )

    __table_args__ = (
        CheckConstraint("weight_kg > 0", name="weight_positive"),
        CheckConstraint("window_end > window_start", name="window_ordered"),
    )


class DeliveryRequestItem(Base):
    """One line of a request: a product, a quantity in the unit given, and its weight."""

    __tablename__ = "delivery_request_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_requests.id", ondelete="CASCADE"), index=True
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(ForeignKey("units.code", ondelete="RESTRICT"))
    weight_kg: Mapped[float] = mapped_column(Float)

    request: Mapped[DeliveryRequest] = relationship(
        "DeliveryRequest", lazy="raise", back_populates="items"
    )

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("weight_kg > 0", name="weight_positive"),
    )
