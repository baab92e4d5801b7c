"""The worked example in docs/passes.md is a real token: it verifies and can be rebuilt."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from passes.cose import read_message, sign_message
from passes.credentials import VerificationStatus, verify_token
from passes.keys import KeyRing, PublicKeySet, SigningKey
from passes.revocation import RevocationList
from tests.passes.factories import message_of

DOCS = Path(__file__).resolve().parents[2] / "docs" / "passes.md"


def _block(text: str, marker: str) -> str:
    found = re.search(rf"<!-- {marker} -->\n```\n(.*?)\n```", text, flags=re.S)
    assert found, marker
    return found.group(1)


def test_the_documented_token_verifies_with_the_documented_key_set() -> None:
    text = DOCS.read_text()
    token = _block(text, "example-token")
    key_set_json = re.search(r"```json\n(\{\n  \"keys\".*?)\n```", text, flags=re.S)
    assert key_set_json
    public_keys = PublicKeySet.from_json(key_set_json.group(1))
    revocation = RevocationList(issuer="CN-310000-SWB", version=12, issued_at=datetime.now(UTC))
    expected = [
        (datetime(2025, 3, 2, tzinfo=UTC), "310112", VerificationStatus.VALID),
        (datetime(2025, 3, 15, tzinfo=UTC), "310112", VerificationStatus.EXPIRED),
        (datetime(2025, 3, 2, tzinfo=UTC), "440300", VerificationStatus.WRONG_REGION),
    ]
    for now, region, status in expected:
        verification = verify_token(
            token, public_keys=public_keys, revocation=revocation, now=now, region=region
        )
        assert verification.status is status
    stated_length = re.search(r"Token \((\d+) characters", text)
    assert stated_length and len(token) == int(stated_length.group(1))


def test_the_documented_bytes_are_the_token_and_rebuild_from_the_documented_seed() -> None:
    text = DOCS.read_text()
    token = _block(text, "example-token")
    documented_message = bytes.fromhex(_block(text, "example-cose").replace("\n", ""))
    assert message_of(token) == documented_message
    seed = hashlib.sha256(b"supplywatch docs example key").digest()
    assert seed.hex() in text
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(seed))
    assert key.kid.hex() == "c46e6ee1f11cb5fb"
    assert json.loads(KeyRing(active=key).public_keys().to_json())["keys"]["xG5u4fEctfs"]
    message = read_message(documented_message)
    assert b"VP-2025-000123" in message.payload
    assert sign_message(payload=message.payload, signing_key=key) == documented_message
