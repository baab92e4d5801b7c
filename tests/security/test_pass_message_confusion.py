"""A signed pass and a signed revocation list are the same kind of envelope (COSE_Sign1,
the same key). A checkpoint that reads the list from a file (``supplywatch passes
verify --revoked``, ``passes.offline``) must not take a pass for a list: the payload of a
pass read as a list is a valid-looking list (its kind as the version, its region codes as
the revoked ids) that revokes nothing, so anyone holding a pass could unrevoke every pass
at a checkpoint by handing in their own pass's signed bytes as the list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from passes.credentials import VerificationStatus, issue_token
from passes.keys import KeyRing, SigningKey
from passes.offline import load_checkpoint_trust, verify_offline
from passes.revocation import (
    RejectionReason,
    RevocationList,
    RevocationListRejected,
    sign_revocation_list,
)
from tests.passes.factories import ISSUED, ISSUER, make_vehicle_claims, message_of

NOW = ISSUED + timedelta(days=2)
REGION = "310112"


def test_a_revoked_pass_cannot_pose_as_the_revocation_list_that_unrevokes_it() -> None:
    signing_key = SigningKey.generate()
    keys_json = KeyRing(active=signing_key).public_keys().to_json()
    revoked = make_vehicle_claims(pass_id="VP-2025-000666")
    token = issue_token(claims=revoked, signing_key=signing_key)
    genuine = sign_revocation_list(
        revocation=RevocationList(
            issuer=ISSUER,
            version=0,
            issued_at=ISSUED,
            revoked_pass_ids=frozenset({"VP-2025-000666"}),
        ),
        signing_key=signing_key,
    )
    judged = verify_offline(
        token, keys_json=keys_json, revocation_bytes=genuine, now=NOW, region=REGION
    )
    assert judged.status is VerificationStatus.REVOKED

    # The holder hands the checkpoint the signed bytes inside their own QR code as "the list".
    posing = message_of(token)
    with pytest.raises(RevocationListRejected) as refused:
        verify_offline(token, keys_json=keys_json, revocation_bytes=posing, now=NOW, region=REGION)
    assert refused.value.reason is RejectionReason.DAMAGED
    with pytest.raises(RevocationListRejected):
        load_checkpoint_trust(keys_json=keys_json, revocation_bytes=posing)
