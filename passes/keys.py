"""Ed25519 keys that sign passes and revocation lists, and the key set checkpoints trust.

A key is named by its kid: the first 8 bytes of the SHA-256 of its raw 32-byte public
key, as the EU Digital COVID Certificate names its signing keys. A private key lives in
a PEM file (PKCS #8) that only its owner may read; nothing here prints, logs or
serialises it (its dataclass field is left out of ``repr``).

Rotation: a :class:`KeyRing` has one active signing key and the public keys of the keys
it replaced, which stay published so that passes they signed remain valid until they
expire; a key dropped from the ring makes its passes ``unknown_key``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KID_BYTES = 8
"""Length of a key id: the first 8 bytes of SHA-256 over the raw public key."""

RAW_PUBLIC_KEY_BYTES = 32
KEY_TYPE = "OKP"
CURVE = "Ed25519"
ALGORITHM = "EdDSA"
"""JOSE name of the signature algorithm; COSE calls it -8."""

KEY_FILE_MODE = 0o600
KEY_DIRECTORY_MODE = 0o700

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class KeyFileError(Exception):
    """A signing key file exists but holds no usable Ed25519 private key."""


class InvalidKeySet(ValueError):
    """A published key set (JSON) that cannot be trusted as written."""


def key_id(*, public_key: Ed25519PublicKey) -> bytes:
    """The 8-byte kid of a public key: how a token names the key that verifies it."""
    return hashlib.sha256(raw_public_key(public_key=public_key)).digest()[:KID_BYTES]


def raw_public_key(*, public_key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key (RFC 8032), as the key set publishes them."""
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def base64url(data: bytes) -> str:
    """Unpadded Base64url text of ``data`` (RFC 4648 §5), the key set's encoding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_base64url(text: str) -> bytes:
    """Bytes of unpadded Base64url text; ValueError on anything else, so bad JSON is refused."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not unpadded Base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error as error:
        raise ValueError("not unpadded Base64url") from error


@dataclass(frozen=True, eq=False)
class SigningKey:
    """An Ed25519 private key and its kid; its repr shows the kid only."""

    private_key: Ed25519PrivateKey = field(repr=False)

    @classmethod
    def generate(cls) -> SigningKey:
        """A fresh random signing key (from the operating system's CSPRNG)."""
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public half, which checkpoints use to verify what this key signed."""
        return self.private_key.public_key()

    @cached_property
    def kid(self) -> bytes:
        """The key id written into every token and list this key signs."""
        return key_id(public_key=self.public_key)

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid.hex()})"


def load_or_create_signing_key(*, path: Path) -> SigningKey:
    """The signing key in the PEM file at ``path``, created owner-only (0600) when missing.

    Missing parent folders are created 0700. A new key is written to a private temporary
    file and hard-linked into place, so a concurrent caller either wins or loads the
    winner's complete file; an existing folder's permissions are left as they are.
    """
    path = Path(path)
    try:
        return _read_signing_key(path)
    except FileNotFoundError:
        pass
    _make_private_directories(path.parent)
    key = SigningKey.generate()
    pem = key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), KEY_FILE_MODE)
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return _read_signing_key(path)
    finally:
        os.unlink(temporary)
    return key


def _make_private_directories(folder: Path) -> None:
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=KEY_DIRECTORY_MODE)
        except FileExistsError:
            continue
        os.chmod(directory, KEY_DIRECTORY_MODE)


def _read_signing_key(path: Path) -> SigningKey:
    data = path.read_bytes()
    try:
        private_key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"{path} holds no unencrypted PEM private key") from error
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyFileError(f"{path} holds a private key that is not Ed25519")
    return SigningKey(private_key)


class PublicKeySet:
    """Published public keys by kid: what a verifier trusts, exported as JSON."""

    __slots__ = ("_keys",)

    def __init__(self, public_keys: Iterable[Ed25519PublicKey] = ()) -> None:
        self._keys: dict[bytes, Ed25519PublicKey] = {
            key_id(public_key=public_key): public_key for public_key in public_keys
        }

    def get(self, kid: bytes) -> Ed25519PublicKey | None:
        """The public key named ``kid``, or None when it is not (or no longer) published."""
        return self._keys.get(kid)

    def __contains__(self, kid: object) -> bool:
        return kid in self._keys

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"PublicKeySet(kids=[{', '.join(kid.hex() for kid in self._keys)}])"

    def to_json(self) -> str:
        """The key set as JSON for third-party verifiers: kid -> JWK-style Ed25519 key."""
        document = {
            "keys": {
                base64url(kid): {
                    "kty": KEY_TYPE,
                    "crv": CURVE,
                    "alg": ALGORITHM,
                    "x": base64url(raw_public_key(public_key=public_key)),
                }
                for kid, public_key in self._keys.items()
            }
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str | bytes) -> PublicKeySet:
        """The key set a JSON document publishes; InvalidKeySet if any entry is not sound.

        Every entry must be an Ed25519 EdDSA key whose kid is the one its raw bytes give,
        so a key set cannot name a key after another one.
        """
        try:
            document = json.loads(text)
        except (ValueError, TypeError) as error:
            raise InvalidKeySet("the key set is not JSON") from error
        entries = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(entries, dict):
            raise InvalidKeySet('the key set has no "keys" object')
        public_keys: list[Ed25519PublicKey] = []
        for kid_text, entry in entries.items():
            public_keys.append(_public_key_of_entry(kid_text, entry))
        return cls(public_keys)


def _public_key_of_entry(kid_text: str, entry: object) -> Ed25519PublicKey:
    if not isinstance(entry, dict):
        raise InvalidKeySet(f"key {kid_text!r} is not an object")
    expected = {"kty": KEY_TYPE, "crv": CURVE, "alg": ALGORITHM}
    for name, value in expected.items():
        if entry.get(name) != value:
            raise InvalidKeySet(f"key {kid_text!r} must have {name} {value!r}")
    x = entry.get("x")
    try:
        raw = from_base64url(x) if isinstance(x, str) else b""
        kid = from_base64url(kid_text)
    except ValueError as error:
        raise InvalidKeySet(f"key {kid_text!r} is not Base64url") from error
    if len(raw) != RAW_PUBLIC_KEY_BYTES:
        raise InvalidKeySet(f"key {kid_text!r} must be {RAW_PUBLIC_KEY_BYTES} raw bytes")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as error:
        raise InvalidKeySet(f"key {kid_text!r} is not an Ed25519 public key") from error
    if key_id(public_key=public_key) != kid:
        raise InvalidKeySet(f"key {kid_text!r} is not the kid of its public key")
    return public_key


@dataclass(frozen=True, eq=False)
class KeyRing:
    """The active signing key and the retired public keys still published beside it."""

    active: SigningKey
    retired: tuple[Ed25519PublicKey, ...] = ()

    def public_keys(self) -> PublicKeySet:
        """Every key a verifier must trust now: the active one and those not yet dropped."""
        return PublicKeySet((self.active.public_key, *self.retired))

    def rotated(self, *, new_active: SigningKey) -> KeyRing:
        """A ring signing with ``new_active`` that still publishes the key it replaces."""
        if new_active.kid == self.active.kid:
            raise ValueError("the new signing key is already the active one")
        kept = tuple(key for key in self.retired if key_id(public_key=key) != new_active.kid)
        return KeyRing(active=new_active, retired=(self.active.public_key, *kept))

    def without(self, *, kid: bytes) -> KeyRing:
        """A ring that no longer publishes retired key ``kid``: its passes become unknown."""
        if kid == self.active.kid:
            raise ValueError("the active signing key cannot be dropped; rotate first")
        kept = tuple(key for key in self.retired if key_id(public_key=key) != kid)
        if len(kept) == len(self.retired):
            raise KeyError(kid.hex())
        return KeyRing(active=self.active, retired=kept)
