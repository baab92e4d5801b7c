"""Regions: the administrative tree (province →) city → district/county → township →
community; a province groups the cities a provincial bureau oversees."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import Enum, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from models.store import Store


class RegionLevel(enum.StrEnum):
    province = "province"
    city = "city"
    district = "district"
    township = "township"
    community = "community"


class Region(TimestampMixin, Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[RegionLevel] = mapped_column(
        Enum(RegionLevel, native_enum=False, length=16, validate_strings=True)
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    population: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Region | None] = relationship(
        "Region", remote_side="Region.id", lazy="raise", back_populates="children"
    )
    children: Mapped[list[Region]] = relationship("Region", lazy="raise", back_populates="parent")
    stores: Mapped[list[Store]] = relationship("Store", lazy="raise", back_populates="region")
