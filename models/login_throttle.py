"""Sign-in throttling state kept in the database (several workers share it): attempts per
client address in a window, and failures per account × address for the account lock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.types import UTCDateTime


class LoginAddress(Base):
    """Password attempts from one client address in the current window (reserved before
    the check, released on success), so a burst from one address is throttled alone."""

    __tablename__ = "login_addresses"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """Failed passwords for one account from one address; the account locks only when
    failures come from several addresses."""

    __tablename__ = "login_failures"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
