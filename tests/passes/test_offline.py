"""verify_offline: judging tokens with only the two files a checkpoint downloaded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from passes.credentials import VerificationStatus, issue_token
from passes.keys import InvalidKeySet, KeyRing, SigningKey
from passes.offline import load_checkpoint_trust, verify_offline
from passes.revocation import (
    RejectionReason,
    RevocationList,
    RevocationListRejected,
    sign_revocation_list,
)
from tests.passes.factories import ISSUED, ISSUER, make_vehicle_claims

NOW = ISSUED + timedelta(days=1)


def test_a_checkpoint_judges_tokens_from_its_files() -> None:
    ring = KeyRing(active=SigningKey.generate())
    keys_json = ring.public_keys().to_json()
    revoked = make_vehicle_claims(pass_id="VP-REVOKED")
    revocation_bytes = sign_revocation_list(
        revocation=RevocationList(
            issuer=ISSUER,
            version=1,
            issued_at=ISSUED,
            revoked_pass_ids=frozenset({revoked.pass_id}),
        ),
        signing_key=ring.active,
    )
    expectations = {
        issue_token(claims=make_vehicle_claims(), signing_key=ring.active): "valid",
        issue_token(claims=revoked, signing_key=ring.active): "revoked",
        issue_token(claims=make_vehicle_claims(), signing_key=SigningKey.generate()): (
            "unknown_key"
        ),
        "SW1:" + "0" * 30: "damaged",
    }
    for token, status in expectations.items():
        verification = verify_offline(
            token,
            keys_json=keys_json,
            revocation_bytes=revocation_bytes,
            now=NOW,
            region="310104",
        )
        assert verification.status == status
    elsewhere = verify_offline(
        next(iter(expectations)),
        keys_json=keys_json.encode(),
        revocation_bytes=revocation_bytes,
        now=NOW,
        region="440300",
    )
    assert elsewhere.status is VerificationStatus.WRONG_REGION


def test_bad_files_raise_instead_of_judging_tokens() -> None:
    ring = KeyRing(active=SigningKey.generate())
    keys_json = ring.public_keys().to_json()
    token = issue_token(claims=make_vehicle_claims(), signing_key=ring.active)
    stranger_list = sign_revocation_list(
        revocation=RevocationList(issuer=ISSUER, version=1, issued_at=ISSUED),
        signing_key=SigningKey.generate(),
    )
    with pytest.raises(RevocationListRejected) as caught:
        verify_offline(
            token, keys_json=keys_json, revocation_bytes=stranger_list, now=NOW, region=None
        )
    assert caught.value.reason is RejectionReason.UNKNOWN_KEY
    with pytest.raises(InvalidKeySet):
        verify_offline(token, keys_json="{}", revocation_bytes=stranger_list, now=NOW, region=None)


def test_a_checkpoint_refuses_a_list_older_than_the_one_it_holds() -> None:
    ring = KeyRing(active=SigningKey.generate())
    older = sign_revocation_list(
        revocation=RevocationList(issuer=ISSUER, version=4, issued_at=ISSUED),
        signing_key=ring.active,
    )
    with pytest.raises(RevocationListRejected) as caught:
        load_checkpoint_trust(
            keys_json=ring.public_keys().to_json(), revocation_bytes=older, known_version=5
        )
    assert caught.value.reason is RejectionReason.OLDER_VERSION
