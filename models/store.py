"""Stores: the outlets that post daily reports."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import Enum, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from models.enterprise import Enterprise
    from models.region import Region


class StoreKind(enum.StrEnum):
    supermarket = "supermarket"
    farmers_market = "farmers_market"
    other = "other"


class Store(TimestampMixin, Base):
    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[StoreKind] = mapped_column(
        Enum(StoreKind, native_enum=False, length=32, validate_strings=True)
    )
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(300))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    key_supplier: Mapped[bool] = mapped_column(default=False)
    service_officer: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)

    region: Mapped[Region] = relationship("Region", lazy="raise", back_populates="stores")
    enterprise: Mapped[Enterprise | None] = relationship(
        "Enterprise", lazy="raise", back_populates="stores"
    )
