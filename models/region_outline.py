"""Region outlines: a GeoJSON geometry per region, drawn under the points of every map."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class RegionOutline(TimestampMixin, Base):
    """A region's boundary as a GeoJSON Polygon or MultiPolygon (longitude, latitude)."""

    __tablename__ = "region_outlines"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="CASCADE"), unique=True
    )
    geometry: Mapped[dict[str, Any]] = mapped_column(JSON)
    positions: Mapped[int] = mapped_column(Integer)
