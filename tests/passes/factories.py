"""Typed helpers that build passes and take tokens apart, for the pass tests."""

from __future__ import annotations

import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import base45

from passes.credentials import TOKEN_PREFIX, PassClaims, PassKind

ISSUED = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
"""When the test passes are issued and start to be valid."""

ISSUER = "CN-310000-SWB"
PLATE = "沪A·D12345"
REGIONS = ("310115", "310112", "310104")


def make_vehicle_claims(**changes: object) -> PassClaims:
    """A 14-day vehicle pass for three districts, with any field changed."""
    claims = PassClaims(
        issuer=ISSUER,
        pass_id="VP-2025-000123",
        kind=PassKind.VEHICLE,
        subject=PLATE,
        regions=REGIONS,
        not_before=ISSUED,
        expires_at=ISSUED + timedelta(days=14),
        issued_at=ISSUED,
    )
    return replace(claims, **changes)  # type: ignore[arg-type]


def make_staff_claims(**changes: object) -> PassClaims:
    """A 7-day staff permit for one district, with any field changed."""
    claims = PassClaims(
        issuer=ISSUER,
        pass_id="SP-2025-004001",
        kind=PassKind.STAFF,
        subject="张*丰 ****1234",
        regions=("310115",),
        not_before=ISSUED,
        expires_at=ISSUED + timedelta(days=7),
        issued_at=ISSUED,
    )
    return replace(claims, **changes)  # type: ignore[arg-type]


def message_of(token: str) -> bytes:
    """The COSE_Sign1 bytes inside a well-formed token."""
    return zlib.decompress(base45.b45decode(token[len(TOKEN_PREFIX) :]))


def token_of(message: bytes, *, prefix: str = TOKEN_PREFIX) -> str:
    """A token carrying ``message`` exactly as the issuer would wrap it."""
    return prefix + base45.b45encode(zlib.compress(message, 9)).decode("ascii")
