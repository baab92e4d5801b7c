"""The signed, versioned list of revoked pass ids that checkpoints carry offline.

The list is a COSE_Sign1 message (the same profile and keys as the passes) over the CBOR
map ``{1: issuer, 6: issued_at, -1: version, -2: [pass ids, sorted]}``. A checkpoint
accepts a list only when a published key signed it and its version is not older than the
one it already holds, so an old list cannot be replayed to bring revoked passes back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import cbor2

from passes.cose import (
    MalformedMessage,
    decode_cbor,
    read_message,
    sign_message,
    signature_is_valid,
)
from passes.keys import PublicKeySet, SigningKey

LIST_ISSUER = 1
LIST_ISSUED_AT = 6
LIST_VERSION = -1
LIST_REVOKED = -2
LIST_KEYS = frozenset({LIST_ISSUER, LIST_ISSUED_AT, LIST_VERSION, LIST_REVOKED})
"""Every key of a list's payload, and no other: what a pass's claims never are."""

MAX_LIST_BYTES = 8 * 1024 * 1024
"""Largest signed list read: about 500,000 revoked pass ids of 16 characters."""

MAX_TIMESTAMP = 253_402_300_799
"""9999-12-31T23:59:59Z: the last instant a list or pass may name."""


class RejectionReason(StrEnum):
    DAMAGED = "damaged"
    UNKNOWN_KEY = "unknown_key"
    FORGED = "forged"
    OLDER_VERSION = "older_version"


class RevocationListRejected(ValueError):
    """A revocation list a checkpoint must not use, with the reason why."""

    def __init__(self, reason: RejectionReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class RevocationList:
    """Pass ids revoked as of ``issued_at``; ``version`` only ever grows."""

    issuer: str
    version: int
    issued_at: datetime
    revoked_pass_ids: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if type(self.version) is not int or self.version < 0:
            raise ValueError("the version is a non-negative integer")
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware")
        object.__setattr__(self, "issued_at", _whole_seconds_utc(self.issued_at))
        object.__setattr__(self, "revoked_pass_ids", frozenset(self.revoked_pass_ids))
        if not all(isinstance(pass_id, str) and pass_id for pass_id in self.revoked_pass_ids):
            raise ValueError("revoked pass ids are non-empty strings")

    def is_revoked(self, pass_id: str) -> bool:
        """Whether the pass ``pass_id`` is on this list."""
        return pass_id in self.revoked_pass_ids

    def with_revoked(self, *, pass_ids: Iterable[str], issued_at: datetime) -> RevocationList:
        """The next version of this list, with ``pass_ids`` added."""
        return RevocationList(
            issuer=self.issuer,
            version=self.version + 1,
            issued_at=issued_at,
            revoked_pass_ids=self.revoked_pass_ids | frozenset(pass_ids),
        )


def _whole_seconds_utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(microsecond=0)


def sign_revocation_list(*, revocation: RevocationList, signing_key: SigningKey) -> bytes:
    """The list as signed bytes (COSE_Sign1 over CBOR), the file checkpoints download."""
    payload = cbor2.dumps(
        {
            LIST_ISSUER: revocation.issuer,
            LIST_ISSUED_AT: int(revocation.issued_at.timestamp()),
            LIST_VERSION: revocation.version,
            LIST_REVOKED: sorted(revocation.revoked_pass_ids),
        }
    )
    return sign_message(payload=payload, signing_key=signing_key)


def read_revocation_list(
    data: bytes, *, public_keys: PublicKeySet, known_version: int | None = None
) -> RevocationList:
    """The list in signed bytes if a published key signed it and it is not older.

    Raises RevocationListRejected (damaged, unknown_key, forged or older_version) rather
    than returning a list a checkpoint should not trust.
    """
    if not isinstance(data, bytes | bytearray) or len(data) > MAX_LIST_BYTES:
        raise RevocationListRejected(RejectionReason.DAMAGED, "not bytes, or too large")
    try:
        message = read_message(bytes(data))
    except MalformedMessage as error:
        raise RevocationListRejected(RejectionReason.DAMAGED, str(error)) from error
    public_key = public_keys.get(message.kid)
    if public_key is None:
        raise RevocationListRejected(
            RejectionReason.UNKNOWN_KEY, f"kid {message.kid.hex()} is not published"
        )
    if not signature_is_valid(message=message, public_key=public_key):
        raise RevocationListRejected(RejectionReason.FORGED, "the signature does not verify")
    revocation = _list_of_payload(message.payload)
    if known_version is not None and revocation.version < known_version:
        raise RevocationListRejected(
            RejectionReason.OLDER_VERSION,
            f"version {revocation.version} is older than version {known_version}",
        )
    return revocation


def _list_of_payload(payload: bytes) -> RevocationList:
    try:
        content = decode_cbor(payload)
        if not isinstance(content, dict):
            raise ValueError("the payload is not a map")
        if set(content) != LIST_KEYS or not all(type(key) is int for key in content):
            # A pass is signed with the same key and holds these four keys too (its kind
            # and regions under -1 and -2): only the exact set tells a list from a pass.
            raise ValueError("a revocation list holds exactly the keys 1, 6, -1 and -2")
        issuer = content[LIST_ISSUER]
        issued_at = content[LIST_ISSUED_AT]
        version = content[LIST_VERSION]
        revoked = content[LIST_REVOKED]
        if not isinstance(issuer, str) or not isinstance(revoked, list):
            raise ValueError("issuer must be text and the revoked ids an array")
        if type(issued_at) is not int or not 0 <= issued_at <= MAX_TIMESTAMP:
            raise ValueError("issued_at must be an integer time")
        if not all(isinstance(pass_id, str) for pass_id in revoked):
            raise ValueError("revoked ids must be text")
        return RevocationList(
            issuer=issuer,
            version=version,
            issued_at=datetime.fromtimestamp(issued_at, UTC),
            revoked_pass_ids=frozenset(revoked),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise RevocationListRejected(
            RejectionReason.DAMAGED, f"the signed content is not a revocation list: {error}"
        ) from error


def revocation_list_json(*, revocation: RevocationList) -> str:
    """The list as JSON for people (not signed: the signed bytes are the authority)."""
    document = {
        "issuer": revocation.issuer,
        "version": revocation.version,
        "issued_at": revocation.issued_at.isoformat().replace("+00:00", "Z"),
        "revoked_pass_ids": sorted(revocation.revoked_pass_ids),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
