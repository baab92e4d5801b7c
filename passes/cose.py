"""COSE_Sign1 messages (RFC 9052) signed with Ed25519: the envelope of passes and lists.

Signing and signature checks go through python-cwt's COSE implementation; this module
only fixes our profile of it and reads untrusted bytes defensively. A message is the
tagged array ``18([protected, unprotected, payload, signature])`` where ``protected`` is
the CBOR map ``{1: -8, 4: kid}`` (alg EdDSA, 8-byte kid) wrapped in a byte string, the
unprotected map is empty, and the signature is Ed25519 over the CBOR encoding of
``["Signature1", protected, h'', payload]``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cwt import COSE, COSEKey, CWTError
from cwt.cose_key_interface import COSEKeyInterface

from passes.keys import KID_BYTES, SigningKey, key_id, raw_public_key

COSE_SIGN1_TAG = 18
HEADER_ALGORITHM = 1
HEADER_KID = 4
ALGORITHM_EDDSA = -8
MAX_CBOR_DEPTH = 8
"""Deepest nesting our messages use is 3 (tag, array, bytes); anything deeper is refused."""

_COSE_KEY_TYPE_OKP = 1
_COSE_CURVE_ED25519 = 6


class MalformedMessage(ValueError):
    """Bytes that are not a COSE_Sign1 message of our profile."""


@dataclass(frozen=True)
class SignedMessage:
    """The parts of a COSE_Sign1 message, read but not yet verified."""

    encoded: bytes
    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes


def decode_cbor(data: bytes) -> Any:
    """The one CBOR item ``data`` holds, refusing trailing bytes and deep nesting."""
    stream = io.BytesIO(data)
    try:
        item = cbor2.CBORDecoder(stream, max_depth=MAX_CBOR_DEPTH).decode()
    except Exception as error:
        raise MalformedMessage("not valid CBOR") from error
    if stream.tell() != len(data):
        raise MalformedMessage("bytes after the CBOR item")
    return item


_PLAIN_TYPES = (int, float, str, bytes, bool, type(None))


def is_plain(value: object) -> bool:
    """Whether a decoded value holds only numbers, text, bytes, booleans, null, arrays and
    maps (no tagged values, sets or dates), as the browser verifier's CBOR reader sees it."""
    if type(value) is list:
        return all(is_plain(item) for item in value)
    if type(value) is dict:
        return all(type(key) in _PLAIN_TYPES and is_plain(item) for key, item in value.items())
    return type(value) in _PLAIN_TYPES


def sign_message(*, payload: bytes, signing_key: SigningKey) -> bytes:
    """A tagged COSE_Sign1 message over ``payload``, signed by ``signing_key`` and naming it."""
    protected = {HEADER_ALGORITHM: ALGORITHM_EDDSA, HEADER_KID: signing_key.kid}
    encoded = COSE.new().encode_and_sign(
        payload, key=_cose_signing_key(signing_key), protected=protected, unprotected={}
    )
    if not isinstance(encoded, bytes):
        raise TypeError("python-cwt returned a CBORTag where bytes were asked for")
    return encoded


def read_message(encoded: bytes) -> SignedMessage:
    """The parts of a COSE_Sign1 message of our profile; MalformedMessage for anything else."""
    item = decode_cbor(encoded)
    if not isinstance(item, cbor2.CBORTag) or item.tag != COSE_SIGN1_TAG:
        raise MalformedMessage("not a tagged COSE_Sign1 message")
    parts = item.value
    if not isinstance(parts, list) or len(parts) != 4:
        raise MalformedMessage("a COSE_Sign1 message is an array of four items")
    protected, unprotected, payload, signature = parts
    if not all(isinstance(part, bytes) for part in (protected, payload, signature)):
        raise MalformedMessage("protected header, payload and signature must be byte strings")
    if unprotected != {}:
        raise MalformedMessage("the unprotected header must be empty")
    header = decode_cbor(protected)
    if (
        not isinstance(header, dict)
        or set(header) != {HEADER_ALGORITHM, HEADER_KID}
        or not all(type(label) is int for label in header)
    ):
        raise MalformedMessage("the protected header must hold exactly alg and kid")
    if type(header[HEADER_ALGORITHM]) is not int or header[HEADER_ALGORITHM] != ALGORITHM_EDDSA:
        raise MalformedMessage("the algorithm must be EdDSA (-8)")
    kid = header[HEADER_KID]
    if not isinstance(kid, bytes) or len(kid) != KID_BYTES:
        raise MalformedMessage(f"the kid must be {KID_BYTES} bytes")
    return SignedMessage(
        encoded=encoded, protected=protected, kid=kid, payload=payload, signature=signature
    )


def signature_is_valid(*, message: SignedMessage, public_key: Ed25519PublicKey) -> bool:
    """Whether ``public_key`` signed this message's protected header and payload."""
    cose_key = _cose_verifying_key_of_raw(raw_public_key(public_key=public_key))
    if cose_key.kid != message.kid:
        return False
    try:
        verified = COSE.new().decode(message.encoded, keys=[cose_key])
    except (CWTError, ValueError):
        return False
    return bool(verified == message.payload)


@lru_cache(maxsize=8)
def _cose_signing_key(signing_key: SigningKey) -> COSEKeyInterface:
    private = signing_key.private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return COSEKey.new(
        {
            1: _COSE_KEY_TYPE_OKP,
            2: signing_key.kid,
            3: ALGORITHM_EDDSA,
            -1: _COSE_CURVE_ED25519,
            -2: raw_public_key(public_key=signing_key.public_key),
            -4: private,
        }
    )


@lru_cache(maxsize=64)
def _cose_verifying_key_of_raw(raw: bytes) -> COSEKeyInterface:
    return COSEKey.new(
        {
            1: _COSE_KEY_TYPE_OKP,
            2: key_id(public_key=Ed25519PublicKey.from_public_bytes(raw)),
            3: ALGORITHM_EDDSA,
            -1: _COSE_CURVE_ED25519,
            -2: raw,
        }
    )
