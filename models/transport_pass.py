"""Transport passes and staff permits, their audit trail, the road checkpoints that scan
them and every scan; a pass's signed token is public (it is what the QR carries), the
signing key never lives here."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin, utc_now
from models.types import UTCDateTime


class PassKind(enum.StrEnum):
    vehicle = "vehicle"
    staff = "staff"


class PassStatus(enum.StrEnum):
    """Stored states; ``expired`` is read from the dates, never stored."""

    applied = "applied"
    approved = "approved"
    rejected = "rejected"
    revoked = "revoked"


class ScanResult(enum.StrEnum):
    """What a checkpoint saw: the verifier's statuses, as a checkpoint records them."""

    valid = "valid"
    expired = "expired"
    not_yet_valid = "not_yet_valid"
    revoked = "revoked"
    wrong_region = "wrong_region"
    unknown_key = "unknown_key"
    forged = "forged"
    damaged = "damaged"


class Checkpoint(TimestampMixin, Base):
    """A road checkpoint (a gate on a national road at the city's edge) in a region."""

    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), index=True
    )
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(default=True)


class TransportPass(TimestampMixin, Base):
    """A vehicle pass or a staff permit from application to revocation; the token is set
    when it is approved (signed by key ``signing_kid``). Held by an enterprise or a
    producer, or by neither for the bureau's own emergency fleet."""

    __tablename__ = "transport_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[PassKind] = mapped_column(
        Enum(PassKind, native_enum=False, length=16, validate_strings=True)
    )
    status: Mapped[PassStatus] = mapped_column(
        Enum(PassStatus, native_enum=False, length=16, validate_strings=True), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="RESTRICT"), index=True
    )
    producer_id: Mapped[int | None] = mapped_column(
        ForeignKey("producers.id", ondelete="RESTRICT"), index=True
    )
    plate: Mapped[str | None] = mapped_column(String(32), index=True)
    vehicle_type: Mapped[str | None] = mapped_column(String(64))
    driver_name: Mapped[str | None] = mapped_column(String(100))
    driver_phone: Mapped[str | None] = mapped_column(String(32))
    purpose: Mapped[str | None] = mapped_column(String(300))
    goods: Mapped[str | None] = mapped_column(String(300))
    person_name: Mapped[str | None] = mapped_column(String(100))
    masked_holder: Mapped[str | None] = mapped_column(String(64), index=True)
    employer: Mapped[str | None] = mapped_column(String(200))
    workplace: Mapped[str | None] = mapped_column(String(200))
    home_compound: Mapped[str | None] = mapped_column(String(200))
    regions: Mapped[list[str]] = mapped_column(JSON)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_to: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    applied_by: Mapped[str] = mapped_column(String(120))
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    revoked_by: Mapped[str | None] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revocation_reason: Mapped[str | None] = mapped_column(String(500))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signing_kid: Mapped[str | None] = mapped_column(String(16))
    token: Mapped[str | None] = mapped_column(String(2048))

    __table_args__ = (
        CheckConstraint("valid_to > valid_from", name="validity_ordered"),
        CheckConstraint("enterprise_id IS NULL OR producer_id IS NULL", name="at_most_one_holder"),
        CheckConstraint(
            "(kind = 'vehicle' AND plate IS NOT NULL) "
            "OR (kind = 'staff' AND masked_holder IS NOT NULL)",
            name="subject_of_kind",
        ),
    )


class PassEvent(Base):
    """One state change of a pass: who, when, from and to which state, and why."""

    __tablename__ = "pass_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    pass_id: Mapped[int] = mapped_column(
        ForeignKey("transport_passes.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    actor: Mapped[str] = mapped_column(String(120))
    from_status: Mapped[PassStatus | None] = mapped_column(
        Enum(PassStatus, native_enum=False, length=16, validate_strings=True)
    )
    to_status: Mapped[PassStatus] = mapped_column(
        Enum(PassStatus, native_enum=False, length=16, validate_strings=True)
    )
    reason: Mapped[str | None] = mapped_column(String(500))


class PassScan(Base):
    """A pass shown at a checkpoint: when, what the server judged and, for a scan made
    offline and uploaded later, what the checkpoint's device showed."""

    __tablename__ = "pass_scans"

    id: Mapped[int] = mapped_column(primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("checkpoints.id", ondelete="RESTRICT"))
    pass_id: Mapped[int | None] = mapped_column(
        ForeignKey("transport_passes.id", ondelete="SET NULL"), index=True
    )
    pass_code: Mapped[str | None] = mapped_column(String(32))
    scanned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    recorded_by: Mapped[str] = mapped_column(String(120))
    result: Mapped[ScanResult] = mapped_column(
        Enum(ScanResult, native_enum=False, length=16, validate_strings=True)
    )
    device_result: Mapped[ScanResult | None] = mapped_column(
        Enum(ScanResult, native_enum=False, length=16, validate_strings=True)
    )
    offline: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        Index("ix_pass_scans_checkpoint_id_scanned_at", "checkpoint_id", "scanned_at"),
    )
