"""The signed revocation list: round trip, forged, unknown key, older version, its size."""

from __future__ import annotations

import json
from datetime import timedelta

import cbor2
import pytest

from passes.cose import sign_message
from passes.keys import PublicKeySet, SigningKey
from passes.revocation import (
    MAX_LIST_BYTES,
    RejectionReason,
    RevocationList,
    RevocationListRejected,
    read_revocation_list,
    revocation_list_json,
    sign_revocation_list,
)
from tests.passes.factories import ISSUED, ISSUER, message_of, token_of

THOUSAND = frozenset(f"VP-2025-{number:06d}" for number in range(1000))


def _list(version: int = 3, revoked: frozenset[str] = THOUSAND) -> RevocationList:
    return RevocationList(
        issuer=ISSUER, version=version, issued_at=ISSUED, revoked_pass_ids=revoked
    )


def _rejection(data: bytes, public_keys: PublicKeySet, **options: int) -> RejectionReason:
    with pytest.raises(RevocationListRejected) as caught:
        read_revocation_list(data, public_keys=public_keys, **options)
    return caught.value.reason


def test_a_signed_list_reads_back_whole(signing_key: SigningKey, public_keys: PublicKeySet) -> None:
    revocation = _list()
    signed = sign_revocation_list(revocation=revocation, signing_key=signing_key)
    assert read_revocation_list(signed, public_keys=public_keys) == revocation
    assert read_revocation_list(signed, public_keys=public_keys, known_version=3) == revocation
    assert revocation.is_revoked("VP-2025-000999")
    assert not revocation.is_revoked("VP-2025-001000")


def test_a_thousand_revoked_passes_fit_in_a_small_download(signing_key: SigningKey) -> None:
    signed = sign_revocation_list(revocation=_list(), signing_key=signing_key)
    assert 1000 * len("VP-2025-000000") < len(signed) < 16 * 1024


def test_a_list_with_a_flipped_bit_is_forged(
    signing_key: SigningKey, public_keys: PublicKeySet
) -> None:
    signed = bytearray(sign_revocation_list(revocation=_list(), signing_key=signing_key))
    position = bytes(signed).index(b"VP-2025-000500")
    signed[position + 13] ^= 0x01
    assert _rejection(bytes(signed), public_keys) is RejectionReason.FORGED


def test_a_list_with_an_entry_removed_is_forged(
    signing_key: SigningKey, public_keys: PublicKeySet
) -> None:
    signed = sign_revocation_list(revocation=_list(), signing_key=signing_key)
    forged_payload = cbor2.dumps(
        {1: ISSUER, 6: int(ISSUED.timestamp()), -1: 4, -2: sorted(THOUSAND - {"VP-2025-000007"})}
    )
    genuine = cbor2.loads(signed)
    genuine.value[2] = forged_payload
    assert _rejection(cbor2.dumps(genuine), public_keys) is RejectionReason.FORGED


def test_a_list_signed_by_an_unpublished_key_is_refused(public_keys: PublicKeySet) -> None:
    signed = sign_revocation_list(revocation=_list(), signing_key=SigningKey.generate())
    assert _rejection(signed, public_keys) is RejectionReason.UNKNOWN_KEY


def test_an_older_list_cannot_replace_a_newer_one(
    signing_key: SigningKey, public_keys: PublicKeySet
) -> None:
    older = sign_revocation_list(revocation=_list(version=2), signing_key=signing_key)
    rejection = _rejection(older, public_keys, known_version=3)
    assert rejection is RejectionReason.OLDER_VERSION


def test_bytes_that_are_not_a_signed_list_are_damaged(
    signing_key: SigningKey, public_keys: PublicKeySet
) -> None:
    pass_token_message = message_of(token_of(b"x"))
    for data in [b"", b"\xff", pass_token_message, b"\0" * (MAX_LIST_BYTES + 1)]:
        assert _rejection(data, public_keys) is RejectionReason.DAMAGED
    for payload in [cbor2.dumps({1: ISSUER}), cbor2.dumps([1, 2]), cbor2.dumps({-1: "one"})]:
        signed = sign_message(payload=payload, signing_key=signing_key)
        assert _rejection(signed, public_keys) is RejectionReason.DAMAGED


def test_each_version_adds_to_the_last() -> None:
    first = _list(version=1, revoked=frozenset({"VP-1"}))
    second = first.with_revoked(pass_ids=["VP-2"], issued_at=ISSUED + timedelta(hours=1))
    assert second.version == 2
    assert second.revoked_pass_ids == {"VP-1", "VP-2"}
    with pytest.raises(ValueError, match="non-negative"):
        _list(version=-1)


def test_the_list_for_people_is_json_with_every_id() -> None:
    document = json.loads(revocation_list_json(revocation=_list(version=5)))
    assert document["version"] == 5
    assert document["issuer"] == ISSUER
    assert document["issued_at"] == "2025-03-01T08:00:00Z"
    assert document["revoked_pass_ids"] == sorted(THOUSAND)
