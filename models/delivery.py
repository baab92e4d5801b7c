"""Deliveries of committed plans, tracked to the compound's gate, and their audit trail."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utc_now
from models.types import UTCDateTime


class DeliveryStatus(enum.StrEnum):
    assigned = "assigned"
    loaded = "loaded"
    en_route = "en_route"
    delivered = "delivered"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE_DELIVERY = (DeliveryStatus.assigned, DeliveryStatus.loaded, DeliveryStatus.en_route)
"""Deliveries a committed plan still counts on their truck for."""


def _status_column() -> Mapped[DeliveryStatus]:
    return mapped_column(Enum(DeliveryStatus, native_enum=False, length=16, validate_strings=True))


class Delivery(Base):
    """One stop of a committed plan: a truck bringing ``load_kg`` of a request."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("dispatch_plans.id", ondelete="RESTRICT"), index=True
    )
    request_id: Mapped[int] = mapped_column(
        ForeignKey("delivery_requests.id", ondelete="RESTRICT"), index=True
    )
    truck_id: Mapped[int] = mapped_column(ForeignKey("trucks.id", ondelete="RESTRICT"), index=True)
    sequence: Mapped[int]
    part: Mapped[int | None]
    load_kg: Mapped[int]
    planned_arrival_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[DeliveryStatus] = _status_column()
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    receiver_name: Mapped[str | None] = mapped_column(String(200))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    __table_args__ = (CheckConstraint("load_kg > 0", name="load_positive"),)


class DeliveryEvent(Base):
    """One status change of a delivery: who moved it, from what to what, and when."""

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[DeliveryStatus | None] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16, validate_strings=True)
    )
    to_status: Mapped[DeliveryStatus] = _status_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    actor: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(String(500))
