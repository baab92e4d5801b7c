"""Signing keys: kids, the owner-only key file, rotation and the published key set."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from passes.keys import (
    InvalidKeySet,
    KeyFileError,
    KeyRing,
    PublicKeySet,
    SigningKey,
    base64url,
    key_id,
    load_or_create_signing_key,
    raw_public_key,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _private_bytes(key: SigningKey) -> bytes:
    return key.private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def test_kid_is_the_first_eight_bytes_of_sha256_over_the_raw_public_key() -> None:
    key = SigningKey.generate()
    raw = raw_public_key(public_key=key.public_key)
    assert len(raw) == 32
    assert key.kid == hashlib.sha256(raw).digest()[:8]
    assert key_id(public_key=key.public_key) == key.kid


def test_a_missing_key_file_is_created_owner_only_in_a_private_folder(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "passes" / "signing.pem"
    old_umask = os.umask(0o022)
    try:
        created = load_or_create_signing_key(path=path)
    finally:
        os.umask(old_umask)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(path.parent.parent) == 0o700
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert [entry.name for entry in path.parent.iterdir()] == ["signing.pem"]
    loaded = load_or_create_signing_key(path=path)
    assert loaded.kid == created.kid
    assert _private_bytes(loaded) == _private_bytes(created)


def test_an_existing_folder_keeps_its_permissions(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    load_or_create_signing_key(path=tmp_path / "signing.pem")
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "signing.pem") == 0o600


def test_a_key_file_that_is_not_ed25519_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ec.pem"
    path.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(KeyFileError, match="not Ed25519"):
        load_or_create_signing_key(path=path)
    (tmp_path / "junk.pem").write_text("not a key")
    with pytest.raises(KeyFileError, match="no unencrypted PEM"):
        load_or_create_signing_key(path=tmp_path / "junk.pem")


def test_the_private_key_never_shows_in_repr() -> None:
    key = SigningKey.generate()
    text = repr(key) + str(key) + repr(KeyRing(active=key))
    private = _private_bytes(key)
    assert key.kid.hex() in repr(key)
    for form in (private.hex(), base64url(private), private.hex().upper()):
        assert form not in text


def test_the_key_set_json_round_trips_and_names_each_key_by_its_kid() -> None:
    first, second = SigningKey.generate(), SigningKey.generate()
    key_set = PublicKeySet([first.public_key, second.public_key])
    document = json.loads(key_set.to_json())
    assert set(document["keys"]) == {base64url(first.kid), base64url(second.kid)}
    entry = document["keys"][base64url(first.kid)]
    assert entry == {
        "kty": "OKP",
        "crv": "Ed25519",
        "alg": "EdDSA",
        "x": base64url(raw_public_key(public_key=first.public_key)),
    }
    again = PublicKeySet.from_json(key_set.to_json())
    assert set(again) == {first.kid, second.kid}
    restored = again.get(first.kid)
    assert restored is not None
    assert raw_public_key(public_key=restored) == raw_public_key(public_key=first.public_key)


def _key_set_document(key: SigningKey) -> Any:
    return json.loads(PublicKeySet([key.public_key]).to_json())


def test_a_key_set_naming_a_key_after_another_kid_is_refused() -> None:
    key, other = SigningKey.generate(), SigningKey.generate()
    document = _key_set_document(key)
    document["keys"][base64url(other.kid)] = document["keys"].pop(base64url(key.kid))
    with pytest.raises(InvalidKeySet, match="not the kid"):
        PublicKeySet.from_json(json.dumps(document))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("alg", "ES256", "must have alg"),
        ("crv", "X25519", "must have crv"),
        ("kty", "EC", "must have kty"),
        ("x", "AAAA", "32 raw bytes"),
        ("x", "not base64url!", "not Base64url"),
    ],
)
def test_a_key_set_entry_that_is_not_an_ed25519_eddsa_key_is_refused(
    field: str, value: str, message: str
) -> None:
    key = SigningKey.generate()
    document = _key_set_document(key)
    document["keys"][base64url(key.kid)][field] = value
    with pytest.raises(InvalidKeySet, match=message):
        PublicKeySet.from_json(json.dumps(document))


@pytest.mark.parametrize("text", ["", "[]", '{"keys": []}', '{"keys": {"a": 1}}', "{"])
def test_a_key_set_that_is_not_the_expected_json_is_refused(text: str) -> None:
    with pytest.raises(InvalidKeySet):
        PublicKeySet.from_json(text)


def test_rotation_keeps_the_old_public_key_published_until_it_is_dropped() -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    ring = KeyRing(active=old).rotated(new_active=new)
    assert ring.active is new
    assert set(ring.public_keys()) == {old.kid, new.kid}
    dropped = ring.without(kid=old.kid)
    assert set(dropped.public_keys()) == {new.kid}
    with pytest.raises(ValueError, match="rotate first"):
        ring.without(kid=new.kid)
    with pytest.raises(KeyError):
        dropped.without(kid=old.kid)
    with pytest.raises(ValueError, match="already the active"):
        ring.rotated(new_active=new)
