"""Secrets: password hashing (argon2id), API keys and session tokens (SHA-256 of random).

API keys and session tokens are 256-bit random values, so a fast hash is enough and
keeps every request cheap; passwords are low-entropy and get argon2.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

KEY_PREFIX = "sw_"
_password_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` to store."""
    return _password_hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash."""
    try:
        return _password_hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A fixed hash to verify against when a username is unknown, so timing does not tell.
DUMMY_PASSWORD_HASH = hash_password("not-a-real-password")


def sha256_hex(value: str) -> str:
    """Hex SHA-256 of a secret string."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """A new API key as (key shown once, lookup prefix, hash to store)."""
    prefix = secrets.token_hex(6)
    key = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, sha256_hex(key)


def new_session_token() -> tuple[str, str]:
    """A new session token as (token, hash to store)."""
    token = "sws_" + secrets.token_urlsafe(32)
    return token, sha256_hex(token)


CSRF_LABEL = b"supplywatch csrf v1"


def csrf_token_for_session(session_token: str) -> str:
    """The CSRF token of a sign-in session: an HMAC keyed by its secret token, so a form
    token taken from another browser or session never matches this one."""
    digest = hmac.new(session_token.encode(), CSRF_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
