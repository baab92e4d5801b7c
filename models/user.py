"""People, their sign-in sessions, and the API keys machines use."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin
from models.types import UTCDateTime


class Role(enum.StrEnum):
    admin = "admin"
    bureau = "bureau"
    store = "store"
    dispatcher = "dispatcher"
    driver = "driver"
    receiver = "receiver"
    producer = "producer"
    operator = "operator"
    working_group = "working_group"
    checkpoint = "checkpoint"
    service_officer = "service_officer"


def _role_column() -> Mapped[Role]:
    return mapped_column(Enum(Role, native_enum=False, length=16, validate_strings=True))


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = _role_column()
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT")
    )
    truck_id: Mapped[int | None] = mapped_column(ForeignKey("trucks.id", ondelete="RESTRICT"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id", ondelete="RESTRICT"))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producers.id", ondelete="RESTRICT"))
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="RESTRICT")
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    """Staff (admin, bureau) bound to a region see only what lies inside it; None: all."""
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ApiKey(TimestampMixin, Base):
    """A bearer key; only its SHA-256 is stored (looked up by it); the prefix names it."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = _role_column()
    store_id: Mapped[int | None] = mapped_column(ForeignKey("stores.id", ondelete="RESTRICT"))
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT")
    )
    truck_id: Mapped[int | None] = mapped_column(ForeignKey("trucks.id", ondelete="RESTRICT"))
    compound_id: Mapped[int | None] = mapped_column(ForeignKey("compounds.id", ondelete="RESTRICT"))
    producer_id: Mapped[int | None] = mapped_column(ForeignKey("producers.id", ondelete="RESTRICT"))
    checkpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("checkpoints.id", ondelete="RESTRICT")
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    """Staff (admin, bureau) bound to a region see only what lies inside it; None: all."""
    created_by: Mapped[str | None] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserSession(Base):
    """A signed-in person's session token (hashed), for the web pages and the API."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
