"""Transport passes and staff permits as signed tokens a checkpoint verifies offline.

A token is built the way the EU Digital COVID Certificate is: the pass's claims as a CBOR
Web Token claims set (RFC 8392, integer keys), signed as a COSE_Sign1 message (RFC 9052)
with Ed25519, zlib-compressed, Base45-encoded (RFC 9285) and prefixed with ``SW1:``.
Every character is in the QR code's alphanumeric set, so a QR code carries it at 5.5 bits
a character. ``docs/passes.md`` describes the format byte by byte.

:func:`verify_token` never raises on a token: it says which one of the
:class:`VerificationStatus` values applies, and returns the claims whenever they could be
read (``Verification.authentic`` says whether a published key signed them).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import base45
import cbor2

from passes.cose import MalformedMessage, decode_cbor, is_plain, read_message, sign_message
from passes.cose import signature_is_valid as _signature_is_valid
from passes.keys import PublicKeySet, SigningKey
from passes.revocation import MAX_TIMESTAMP, RevocationList

TOKEN_PREFIX = "SW1:"
"""Names the format and its version; a new format gets a new prefix."""

MAX_TOKEN_CHARS = 2048
"""Longest token read; a vehicle pass with three regions is about 260 characters."""

MAX_MESSAGE_BYTES = 2048
"""Largest inflated COSE message read, so a small zip bomb cannot cost memory."""

CLAIM_ISSUER = 1  # iss: text
CLAIM_SUBJECT = 2  # sub: text, the plate of a vehicle or the masked holder of a permit
CLAIM_EXPIRES = 4  # exp: integer seconds since 1970-01-01T00:00:00Z
CLAIM_NOT_BEFORE = 5  # nbf: integer seconds
CLAIM_ISSUED_AT = 6  # iat: integer seconds
CLAIM_PASS_ID = 7  # cti: bytes, the UTF-8 of the pass id
CLAIM_KIND = -1  # private: 1 vehicle pass, 2 staff permit
CLAIM_REGIONS = -2  # private: array of region codes (text)

MAX_REGIONS = 16
_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}")
_REGION_CODE = re.compile(r"[A-Za-z0-9._-]{1,16}")
_MAX_TEXT_CHARS = 64


class PassKind(StrEnum):
    VEHICLE = "vehicle"
    STAFF = "staff"


_KIND_CODES = {PassKind.VEHICLE: 1, PassKind.STAFF: 2}
_KINDS_BY_CODE = {code: kind for kind, code in _KIND_CODES.items()}


class VerificationStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    REVOKED = "revoked"
    WRONG_REGION = "wrong_region"
    UNKNOWN_KEY = "unknown_key"
    FORGED = "forged"
    DAMAGED = "damaged"


_UNSIGNED = frozenset(
    {VerificationStatus.UNKNOWN_KEY, VerificationStatus.FORGED, VerificationStatus.DAMAGED}
)


@dataclass(frozen=True)
class PassClaims:
    """What a pass asserts: who issued it, for whom, where and when it may be used.

    Times are kept in UTC to the whole second (the token carries integer seconds); an
    aware time in another zone is converted, and its fraction of a second dropped.
    """

    issuer: str
    pass_id: str
    kind: PassKind
    subject: str
    regions: tuple[str, ...]
    not_before: datetime
    expires_at: datetime
    issued_at: datetime

    def __post_init__(self) -> None:
        _check_text("issuer", self.issuer)
        _check_text("subject", self.subject)
        if not isinstance(self.pass_id, str) or not _CODE.fullmatch(self.pass_id):
            raise ValueError("a pass id is 1-32 letters, digits, '.', '_' or '-'")
        object.__setattr__(self, "kind", PassKind(self.kind))
        regions = tuple(self.regions)
        if not 1 <= len(regions) <= MAX_REGIONS or len(set(regions)) != len(regions):
            raise ValueError(f"a pass names 1-{MAX_REGIONS} distinct regions")
        if not all(isinstance(code, str) and _REGION_CODE.fullmatch(code) for code in regions):
            raise ValueError("a region code is 1-16 letters, digits, '.', '_' or '-'")
        object.__setattr__(self, "regions", regions)
        for name in ("not_before", "expires_at", "issued_at"):
            object.__setattr__(self, name, _whole_seconds_utc(name, getattr(self, name)))
        if self.expires_at <= self.not_before:
            raise ValueError("a pass must expire after it becomes valid")


def _check_text(name: str, value: object) -> None:
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_TEXT_CHARS:
        raise ValueError(f"the {name} is text of 1-{_MAX_TEXT_CHARS} characters")
    if not value.isprintable():
        raise ValueError(f"the {name} may not hold control characters")


def _whole_seconds_utc(name: str, instant: object) -> datetime:
    if not isinstance(instant, datetime) or instant.tzinfo is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    utc = instant.astimezone(UTC).replace(microsecond=0)
    if not 0 <= utc.timestamp() <= MAX_TIMESTAMP:
        raise ValueError(f"{name} must lie between 1970 and 9999")
    return utc


def mask_holder(*, name: str, identity_number: str) -> str:
    """A staff permit's subject: enough of the holder to match an ID card, not to copy it.

    Keeps the first and last character of the name (one star between, whatever its length)
    and the last four characters of the identity number: ``张*丰 ****1234``.
    """
    name = name.strip()
    identity_number = identity_number.strip()
    if not name or len(identity_number) < 4:
        raise ValueError("a name and an identity number of at least four characters")
    masked_name = name[0] + "*" + (name[-1] if len(name) > 2 else "")
    return f"{masked_name} ****{identity_number[-4:]}"


@dataclass(frozen=True)
class Verification:
    """The one answer a checkpoint acts on, with the claims when they could be read."""

    status: VerificationStatus
    claims: PassClaims | None
    kid: bytes | None
    reason: str

    @property
    def is_valid(self) -> bool:
        """Whether the holder may pass: signed, in force, not revoked, in this region."""
        return self.status is VerificationStatus.VALID

    @property
    def authentic(self) -> bool:
        """Whether a published key signed the claims (false for forged and unknown keys)."""
        return self.status not in _UNSIGNED


def _claims_map(claims: PassClaims) -> dict[int, Any]:
    return {
        CLAIM_ISSUER: claims.issuer,
        CLAIM_SUBJECT: claims.subject,
        CLAIM_EXPIRES: int(claims.expires_at.timestamp()),
        CLAIM_NOT_BEFORE: int(claims.not_before.timestamp()),
        CLAIM_ISSUED_AT: int(claims.issued_at.timestamp()),
        CLAIM_PASS_ID: claims.pass_id.encode("utf-8"),
        CLAIM_KIND: _KIND_CODES[claims.kind],
        CLAIM_REGIONS: list(claims.regions),
    }


def issue_token(*, claims: PassClaims, signing_key: SigningKey) -> str:
    """The ``SW1:`` token for ``claims`` signed by ``signing_key``: what the QR code carries."""
    message = sign_message(payload=cbor2.dumps(_claims_map(claims)), signing_key=signing_key)
    token = TOKEN_PREFIX + base45.b45encode(zlib.compress(message, 9)).decode("ascii")
    if len(token) > MAX_TOKEN_CHARS or len(message) > MAX_MESSAGE_BYTES:
        raise ValueError("these claims make a token too long for a checkpoint to read")
    return token


def _claims_of_payload(payload: bytes) -> PassClaims | None:
    """The claims a payload holds, or None when it is not a claims set of this format."""
    try:
        content = decode_cbor(payload)
        if not isinstance(content, dict) or not is_plain(content):
            return None
        times = [content[CLAIM_NOT_BEFORE], content[CLAIM_EXPIRES], content[CLAIM_ISSUED_AT]]
        if not all(type(value) is int and 0 <= value <= MAX_TIMESTAMP for value in times):
            return None
        kind = content[CLAIM_KIND]
        pass_id = content[CLAIM_PASS_ID]
        regions = content[CLAIM_REGIONS]
        if type(kind) is not int or kind not in _KINDS_BY_CODE:
            return None
        if not isinstance(pass_id, bytes) or not isinstance(regions, list):
            return None
        not_before, expires_at, issued_at = (datetime.fromtimestamp(t, UTC) for t in times)
        return PassClaims(
            issuer=content[CLAIM_ISSUER],
            pass_id=pass_id.decode("utf-8"),
            kind=_KINDS_BY_CODE[kind],
            subject=content[CLAIM_SUBJECT],
            regions=tuple(regions),
            not_before=not_before,
            expires_at=expires_at,
            issued_at=issued_at,
        )
    except (ValueError, KeyError, TypeError, OverflowError):
        return None


def _inflate(compressed: bytes) -> bytes:
    """The zlib stream inflated to at most MAX_MESSAGE_BYTES, or ValueError saying why not."""
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(compressed, MAX_MESSAGE_BYTES + 1)
    except zlib.error as error:
        raise ValueError("not a zlib stream") from error
    if len(inflated) > MAX_MESSAGE_BYTES or inflater.unconsumed_tail:
        raise ValueError(f"inflates to more than {MAX_MESSAGE_BYTES} bytes")
    if not inflater.eof:
        raise ValueError("the zlib stream is truncated")
    if inflater.unused_data:
        raise ValueError("bytes after the zlib stream")
    return inflated


def verify_token(
    token: str,
    *,
    public_keys: PublicKeySet,
    revocation: RevocationList,
    now: datetime,
    region: str | Sequence[str] | None = None,
) -> Verification:
    """Which one status a scanned token has at ``now`` (and in ``region`` if given: a code,
    or a place's code followed by those of the regions above it, any of which a pass may
    name: a city's pass holds at every checkpoint in the city).

    Never raises on a token, whatever its content; raises ValueError only for a naive
    ``now``, a caller's mistake. Precedence once the signature holds: revoked, then
    not yet valid or expired, then wrong region.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    try:
        return _verify(token, public_keys, revocation, now, region)
    except Exception as error:  # the promise is a status for any input, never an exception
        return Verification(VerificationStatus.DAMAGED, None, None, f"unreadable: {error!r}")


def _damaged(reason: str) -> Verification:
    return Verification(VerificationStatus.DAMAGED, None, None, reason)


def _verify(
    token: object,
    public_keys: PublicKeySet,
    revocation: RevocationList,
    now: datetime,
    region: str | Sequence[str] | None,
) -> Verification:
    if not isinstance(token, str):
        return _damaged("a token is text")
    token = token.rstrip("\r\n")
    if len(token) > MAX_TOKEN_CHARS:
        return _damaged(f"longer than {MAX_TOKEN_CHARS} characters")
    if not token.startswith(TOKEN_PREFIX):
        return _damaged(f"does not start with {TOKEN_PREFIX}")
    try:
        compressed = base45.b45decode(token[len(TOKEN_PREFIX) :])
    except ValueError:
        return _damaged("not Base45")
    try:
        message = read_message(_inflate(compressed))
    except MalformedMessage as error:
        return _damaged(f"not a COSE_Sign1 pass: {error}")
    except ValueError as error:
        return _damaged(str(error))

    claims = _claims_of_payload(message.payload)
    public_key = public_keys.get(message.kid)
    if public_key is None:
        return Verification(
            VerificationStatus.UNKNOWN_KEY,
            claims,
            message.kid,
            f"kid {message.kid.hex()} is not a published key",
        )
    if not _signature_is_valid(message=message, public_key=public_key):
        return Verification(
            VerificationStatus.FORGED, claims, message.kid, "the signature does not verify"
        )
    if claims is None:
        return Verification(
            VerificationStatus.DAMAGED, None, message.kid, "signed, but not a pass's claims"
        )
    return _judge(claims, message.kid, revocation, now, region)


def _judge(
    claims: PassClaims,
    kid: bytes,
    revocation: RevocationList,
    now: datetime,
    region: str | Sequence[str] | None,
) -> Verification:
    status = VerificationStatus.VALID
    reason = "signed, in force, not revoked"
    if revocation.is_revoked(claims.pass_id):
        status, reason = VerificationStatus.REVOKED, f"revoked (list version {revocation.version})"
    elif now < claims.not_before:
        status, reason = VerificationStatus.NOT_YET_VALID, "not valid before its start"
    elif now >= claims.expires_at:
        status, reason = VerificationStatus.EXPIRED, "expired"
    elif region is not None and not _names_one_of(claims.regions, region):
        here = region if isinstance(region, str) else region[0]
        status, reason = VerificationStatus.WRONG_REGION, f"not valid in region {here}"
    return Verification(status, claims, kid, reason)


def _names_one_of(regions: Sequence[str], place: str | Sequence[str]) -> bool:
    """Whether a pass naming ``regions`` holds at ``place`` (one code, or several)."""
    allowed = {place} if isinstance(place, str) else set(place)
    return any(code in allowed for code in regions)
