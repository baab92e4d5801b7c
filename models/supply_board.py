"""The supply/demand board: producers' offers, buyers' needs, match runs and their
proposals, and the supply orders accepted proposals become, with their audit trail."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, utc_now
from models.types import UTCDateTime


def _enum(kind: type[enum.StrEnum]) -> Enum:
    return Enum(kind, native_enum=False, length=16, validate_strings=True)


class PostingStatus(enum.StrEnum):
    """An offer's or a need's state, worked out from its quantities, dates and withdrawal."""

    open = "open"
    partly_matched = "partly_matched"
    matched = "matched"
    expired = "expired"
    withdrawn = "withdrawn"


class BuyerKind(enum.StrEnum):
    store = "store"
    chain = "chain"
    district = "district"


class ProposalStatus(enum.StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    declined = "declined"
    superseded = "superseded"


class Answer(enum.StrEnum):
    accepted = "accepted"
    declined = "declined"


class OrderStatus(enum.StrEnum):
    committed = "committed"
    shipped = "shipped"
    received = "received"


class SupplyOffer(TimestampMixin, Base):
    """What a producer offers: a quantity of one product at a price, to pick up at a place
    within a window. ``committed_quantity`` is what accepted proposals took; the database
    refuses more than ``quantity``."""

    __tablename__ = "supply_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    producer_id: Mapped[int] = mapped_column(
        ForeignKey("producers.id", ondelete="RESTRICT"), index=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[float] = mapped_column(Float)
    committed_quantity: Mapped[float] = mapped_column(Float, default=0.0)
    price: Mapped[float] = mapped_column(Float)
    minimum_lot: Mapped[float | None] = mapped_column(Float)
    available_from: Mapped[date] = mapped_column(Date)
    available_to: Mapped[date] = mapped_column(Date)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[str] = mapped_column(String(120))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "committed_quantity >= 0 AND committed_quantity <= quantity",
            name="committed_within_quantity",
        ),
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("minimum_lot IS NULL OR minimum_lot >= 0", name="minimum_lot_not_negative"),
        CheckConstraint("available_to >= available_from", name="window_ordered"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )


class SupplyNeed(TimestampMixin, Base):
    """What a store, a chain or the bureau (for a district) needs: a quantity of one
    product by a day, at most at a price, delivered to a place. ``committed_quantity``
    is what accepted proposals promised; never more than ``quantity``."""

    __tablename__ = "supply_needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_kind: Mapped[BuyerKind] = mapped_column(_enum(BuyerKind))
    store_id: Mapped[int | None] = mapped_column(
        ForeignKey("stores.id", ondelete="RESTRICT"), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True
    )
    district_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[float] = mapped_column(Float)
    committed_quantity: Mapped[float] = mapped_column(Float, default=0.0)
    max_price: Mapped[float] = mapped_column(Float)
    needed_by: Mapped[date] = mapped_column(Date)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(120))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "committed_quantity >= 0 AND committed_quantity <= quantity",
            name="committed_within_quantity",
        ),
        CheckConstraint("max_price > 0", name="max_price_positive"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        CheckConstraint(
            "(buyer_kind = 'store' AND store_id IS NOT NULL)"
            " OR (buyer_kind = 'chain' AND enterprise_id IS NOT NULL AND store_id IS NULL)"
            " OR (buyer_kind = 'district' AND store_id IS NULL AND enterprise_id IS NULL)",
            name="buyer_bound",
        ),
    )


class MatchRun(Base):
    """One run of the matcher over the open board: its settings, figures, and why needs
    were left short (``unmet``: need id, unmet quantity, reason)."""

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    business_date: Mapped[date] = mapped_column(Date, index=True)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    requested_by: Mapped[str] = mapped_column(String(120))
    maximum_distance_km: Mapped[float] = mapped_column(Float)
    price_weight: Mapped[float] = mapped_column(Float)
    offers: Mapped[int]
    needs: Mapped[int]
    proposals: Mapped[int]
    superseded: Mapped[int]
    total_cost: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    unmet: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class Proposal(Base):
    """An offer x need pair and quantity a match run proposed; both sides answer, and when
    both accept it becomes a supply order."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    match_run_id: Mapped[int] = mapped_column(
        ForeignKey("match_runs.id", ondelete="CASCADE"), index=True
    )
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("supply_offers.id", ondelete="CASCADE"), index=True
    )
    need_id: Mapped[int] = mapped_column(
        ForeignKey("supply_needs.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[float] = mapped_column(Float)
    price: Mapped[float | None] = mapped_column(Float)
    """The offer's price when the match proposed it: the terms both sides answer, whatever
    the producer asks later (None for proposals made before prices were kept)."""
    distance_km: Mapped[float] = mapped_column(Float)
    cost: Mapped[float] = mapped_column(Float)
    priority: Mapped[int] = mapped_column(default=0)
    status: Mapped[ProposalStatus] = mapped_column(_enum(ProposalStatus), index=True)
    producer_answer: Mapped[Answer | None] = mapped_column(_enum(Answer))
    producer_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    producer_answered_by: Mapped[str | None] = mapped_column(String(120))
    buyer_answer: Mapped[Answer | None] = mapped_column(_enum(Answer))
    buyer_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    buyer_answered_by: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("match_run_id", "offer_id", "need_id", name="uq_proposals_run_pair"),
    )


class SupplyOrder(Base):
    """An accepted proposal: a quantity committed from an offer to a need, then shipped
    and received, in part or in full (``received <= shipped <= quantity``)."""

    __tablename__ = "supply_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="RESTRICT"), unique=True
    )
    offer_id: Mapped[int] = mapped_column(
        ForeignKey("supply_offers.id", ondelete="RESTRICT"), index=True
    )
    need_id: Mapped[int] = mapped_column(
        ForeignKey("supply_needs.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[float] = mapped_column(Float)
    price: Mapped[float | None] = mapped_column(Float)
    """The price both sides agreed, fixed when the order was committed (None for orders
    committed before prices were kept: their offer's price stands in)."""
    shipped_quantity: Mapped[float] = mapped_column(Float, default=0.0)
    received_quantity: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus))
    business_date: Mapped[date] = mapped_column(Date, index=True)
    committed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    committed_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now, onupdate=utc_now)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "shipped_quantity >= 0 AND shipped_quantity <= quantity", name="shipped_within_quantity"
        ),
        CheckConstraint(
            "received_quantity >= 0 AND received_quantity <= shipped_quantity",
            name="received_within_shipped",
        ),
    )


class SupplyOrderEvent(Base):
    """One change of a supply order's quantities, by whom and when: its audit trail."""

    __tablename__ = "supply_order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("supply_orders.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    actor: Mapped[str] = mapped_column(String(120))
    kind: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus))
    quantity: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_supply_order_events_order_id_at", "order_id", "at"),)
