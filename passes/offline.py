"""Offline verification for checkpoint systems that are not browsers (the CLI's verify).

A checkpoint holds two files it downloaded while online: the published key set (JSON)
and the signed revocation list. Both are checked before any token is judged: a key set
that is not sound or a list that is forged, signed by an unknown key or older than the
one already held raises, because a checkpoint must not judge passes with either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from passes.credentials import Verification, verify_token
from passes.keys import PublicKeySet
from passes.revocation import RevocationList, read_revocation_list


@dataclass(frozen=True)
class CheckpointTrust:
    """The key set and the verified revocation list a checkpoint judges tokens with."""

    public_keys: PublicKeySet
    revocation: RevocationList


def load_checkpoint_trust(
    *, keys_json: str | bytes, revocation_bytes: bytes, known_version: int | None = None
) -> CheckpointTrust:
    """The trust material in a key set file and a signed list, both checked.

    Raises InvalidKeySet or RevocationListRejected; ``known_version`` is the version of
    the list the checkpoint held before, which the new one may not be older than.
    """
    public_keys = PublicKeySet.from_json(keys_json)
    revocation = read_revocation_list(
        revocation_bytes, public_keys=public_keys, known_version=known_version
    )
    return CheckpointTrust(public_keys=public_keys, revocation=revocation)


@lru_cache(maxsize=4)
def _cached_trust(keys_json: str | bytes, revocation_bytes: bytes) -> CheckpointTrust:
    return load_checkpoint_trust(keys_json=keys_json, revocation_bytes=revocation_bytes)


def verify_offline(
    token: str,
    *,
    keys_json: str | bytes,
    revocation_bytes: bytes,
    now: datetime,
    region: str | Sequence[str] | None,
) -> Verification:
    """The status of ``token`` judged with a checkpoint's downloaded files alone.

    The files are parsed and checked once and kept (by value) for later calls, so a
    checkpoint scanning all day pays for the list's signature only when the list changes.
    Raises InvalidKeySet or RevocationListRejected for bad files, never for a bad token.
    """
    trust = _cached_trust(keys_json, bytes(revocation_bytes))
    return verify_token(
        token,
        public_keys=trust.public_keys,
        revocation=trust.revocation,
        now=now,
        region=region,
    )
