"""Enterprises: retail chains and market operators that own stores."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, TimestampMixin

if TYPE_CHECKING:
    from models.store import Store


class EnterpriseKind(enum.StrEnum):
    chain = "chain"
    market_operator = "market_operator"
    other = "other"


class Enterprise(TimestampMixin, Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[EnterpriseKind] = mapped_column(
        Enum(EnterpriseKind, native_enum=False, length=32, validate_strings=True)
    )
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(default=True)

    stores: Mapped[list[Store]] = relationship("Store", lazy="raise", back_populates="enterprise")
