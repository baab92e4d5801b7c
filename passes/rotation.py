"""Rotating the signing key on disk: a new key signs from now on, while the public key it
replaces joins the retired key set (a JSON file the service publishes beside the active
key), so passes it signed stay valid until they expire; retiring a key later drops it from
that set, and its passes then fail as ``unknown_key``.

The retired set is written before the new private key replaces the old one, so a crash
between the two leaves the old key active and merely listed twice, never a pass unverifiable.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from passes.keys import (
    KEY_FILE_MODE,
    KeyRing,
    PublicKeySet,
    SigningKey,
    key_id,
    load_or_create_signing_key,
)

PUBLIC_FILE_MODE = 0o644


@dataclass(frozen=True)
class KeyFiles:
    """Where the active private key and the retired public keys live."""

    signing_key: Path
    retired_keys: Path


def read_key_ring(files: KeyFiles) -> KeyRing:
    """The active key (created when missing) and the retired public keys still published."""
    active = load_or_create_signing_key(path=files.signing_key)
    retired: tuple[Ed25519PublicKey, ...] = ()
    if files.retired_keys.exists():
        published = PublicKeySet.from_json(files.retired_keys.read_bytes())
        retired = tuple(
            key for kid in published if kid != active.kid and (key := published.get(kid))
        )
    return KeyRing(active=active, retired=retired)


def _replace(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a temporary file beside ``path`` with ``mode``, then move it into
    place: readers see the old file or the new one, never half of one."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _write_retired(files: KeyFiles, ring: KeyRing) -> None:
    files.retired_keys.parent.mkdir(parents=True, exist_ok=True)
    _replace(
        files.retired_keys,
        PublicKeySet(ring.retired).to_json().encode("utf-8"),
        PUBLIC_FILE_MODE,
    )


def rotate_signing_key(files: KeyFiles) -> KeyRing:
    """Make a new signing key active and keep the one it replaces published as retired."""
    ring = read_key_ring(files).rotated(new_active=SigningKey.generate())
    _write_retired(files, ring)
    pem = ring.active.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _replace(files.signing_key, pem, KEY_FILE_MODE)
    return ring


def retire_key(files: KeyFiles, *, kid: bytes) -> KeyRing:
    """Stop publishing retired key ``kid`` (KeyError when it is not retired, ValueError for
    the active key): the passes it signed no longer verify."""
    ring = read_key_ring(files).without(kid=kid)
    _write_retired(files, ring)
    return ring


def retired_kids(ring: KeyRing) -> list[str]:
    """The hex kids of the ring's retired keys, as the pass office stores them."""
    return [key_id(public_key=key).hex() for key in ring.retired]
