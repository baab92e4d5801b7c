"""Pass tokens: the round trip, every failure status, key rotation and the size target."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import base45
import cbor2
import pytest

from passes.cose import sign_message
from passes.credentials import (
    MAX_MESSAGE_BYTES,
    MAX_TOKEN_CHARS,
    TOKEN_PREFIX,
    PassClaims,
    PassKind,
    VerificationStatus,
    issue_token,
    mask_holder,
    verify_token,
)
from passes.keys import KeyRing, PublicKeySet, SigningKey
from passes.revocation import RevocationList
from tests.passes.factories import (
    ISSUED,
    ISSUER,
    PLATE,
    make_staff_claims,
    make_vehicle_claims,
    message_of,
    token_of,
)

DURING = ISSUED + timedelta(days=2)
BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _verify(
    token: str,
    public_keys: PublicKeySet,
    revocation: RevocationList,
    *,
    now: datetime = DURING,
    region: str | None = "310112",
) -> tuple[VerificationStatus, PassClaims | None]:
    verification = verify_token(
        token, public_keys=public_keys, revocation=revocation, now=now, region=region
    )
    return verification.status, verification.claims


@pytest.mark.parametrize("make_claims", [make_vehicle_claims, make_staff_claims])
def test_an_issued_token_verifies_with_its_claims(
    make_claims: Callable[[], PassClaims],
    signing_key: SigningKey,
    public_keys: PublicKeySet,
    no_revocations: RevocationList,
) -> None:
    claims = make_claims()
    token = issue_token(claims=claims, signing_key=signing_key)
    assert token.startswith(TOKEN_PREFIX)
    assert set(token) <= set(BASE45_ALPHABET) | set(TOKEN_PREFIX)
    verification = verify_token(
        token, public_keys=public_keys, revocation=no_revocations, now=DURING, region="310115"
    )
    assert verification.status is VerificationStatus.VALID
    assert verification.is_valid and verification.authentic
    assert verification.claims == claims
    assert verification.kid == signing_key.kid


def test_a_region_is_checked_only_when_given(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    token = issue_token(claims=make_vehicle_claims(), signing_key=signing_key)
    assert _verify(token, public_keys, no_revocations, region=None)[0] is VerificationStatus.VALID
    status, claims = _verify(token, public_keys, no_revocations, region="310101")
    assert status is VerificationStatus.WRONG_REGION
    assert claims == make_vehicle_claims()


def test_validity_runs_from_not_before_up_to_but_not_including_expiry(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    claims = make_vehicle_claims()
    token = issue_token(claims=claims, signing_key=signing_key)
    second = timedelta(seconds=1)
    expected = [
        (claims.not_before - second, VerificationStatus.NOT_YET_VALID),
        (claims.not_before, VerificationStatus.VALID),
        (claims.expires_at - second, VerificationStatus.VALID),
        (claims.expires_at, VerificationStatus.EXPIRED),
        (claims.expires_at + timedelta(days=30), VerificationStatus.EXPIRED),
    ]
    for now, status in expected:
        assert _verify(token, public_keys, no_revocations, now=now) == (status, claims)
    shanghai = timezone(timedelta(hours=8))
    local_start = claims.not_before.astimezone(shanghai)
    assert _verify(token, public_keys, no_revocations, now=local_start)[0] == "valid"


def test_a_revoked_pass_is_revoked_even_when_expired_or_in_another_region(
    signing_key: SigningKey, public_keys: PublicKeySet
) -> None:
    claims = make_vehicle_claims()
    token = issue_token(claims=claims, signing_key=signing_key)
    revocation = RevocationList(
        issuer=ISSUER, version=7, issued_at=DURING, revoked_pass_ids=frozenset({claims.pass_id})
    )
    for now, region in [(DURING, "310112"), (claims.expires_at, "310112"), (DURING, "999999")]:
        verification = verify_token(
            token, public_keys=public_keys, revocation=revocation, now=now, region=region
        )
        assert verification.status is VerificationStatus.REVOKED
        assert "version 7" in verification.reason


def test_a_token_from_a_key_that_is_not_published_is_unknown_key(
    public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    stranger = SigningKey.generate()
    token = issue_token(claims=make_vehicle_claims(), signing_key=stranger)
    verification = verify_token(
        token, public_keys=public_keys, revocation=no_revocations, now=DURING
    )
    assert verification.status is VerificationStatus.UNKNOWN_KEY
    assert verification.kid == stranger.kid
    assert verification.claims == make_vehicle_claims()
    assert not verification.authentic


def test_a_flipped_signature_bit_is_forged(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    token = issue_token(claims=make_vehicle_claims(), signing_key=signing_key)
    message = bytearray(message_of(token))
    message[-1] ^= 0x01
    status, claims = _verify(token_of(bytes(message)), public_keys, no_revocations)
    assert status is VerificationStatus.FORGED
    assert claims == make_vehicle_claims()


def test_an_altered_payload_byte_is_forged_and_shows_the_altered_claims(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    token = issue_token(claims=make_vehicle_claims(), signing_key=signing_key)
    message = message_of(token)
    genuine, altered = PLATE.encode(), PLATE.replace("5", "6").encode()
    assert message.count(genuine) == 1
    verification = verify_token(
        token_of(message.replace(genuine, altered)),
        public_keys=public_keys,
        revocation=no_revocations,
        now=DURING,
    )
    assert verification.status is VerificationStatus.FORGED
    assert verification.claims is not None
    assert verification.claims.subject == PLATE.replace("5", "6")
    assert not verification.authentic


def test_a_longer_validity_spliced_in_is_forged(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    claims = make_vehicle_claims()
    token = issue_token(claims=claims, signing_key=signing_key)
    message = message_of(token)
    expiry = cbor2.dumps(int(claims.expires_at.timestamp()))
    later = cbor2.dumps(int((claims.expires_at + timedelta(days=365)).timestamp()))
    assert len(expiry) == len(later) and message.count(expiry) == 1
    status, _ = _verify(
        token_of(message.replace(expiry, later)),
        public_keys,
        no_revocations,
        now=claims.expires_at + timedelta(days=1),
    )
    assert status is VerificationStatus.FORGED


def test_a_token_signed_by_a_retired_key_stays_valid_until_the_key_is_dropped(
    no_revocations: RevocationList,
) -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    ring = KeyRing(active=old)
    old_token = issue_token(claims=make_vehicle_claims(), signing_key=ring.active)
    ring = ring.rotated(new_active=new)
    new_token = issue_token(
        claims=make_vehicle_claims(pass_id="VP-2025-000124"), signing_key=ring.active
    )
    published = PublicKeySet.from_json(ring.public_keys().to_json())
    assert _verify(old_token, published, no_revocations)[0] is VerificationStatus.VALID
    assert _verify(new_token, published, no_revocations)[0] is VerificationStatus.VALID
    after_drop = PublicKeySet.from_json(ring.without(kid=old.kid).public_keys().to_json())
    assert _verify(old_token, after_drop, no_revocations)[0] is VerificationStatus.UNKNOWN_KEY
    assert _verify(new_token, after_drop, no_revocations)[0] is VerificationStatus.VALID


def _damaged_reason(token: str, public_keys: PublicKeySet, revocation: RevocationList) -> str:
    verification = verify_token(token, public_keys=public_keys, revocation=revocation, now=DURING)
    assert verification.status is VerificationStatus.DAMAGED, verification
    assert verification.claims is None
    return verification.reason


def test_damaged_tokens_say_what_is_wrong(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    token = issue_token(claims=make_vehicle_claims(), signing_key=signing_key)
    body = token[len(TOKEN_PREFIX) :]
    cases = {
        "HC1:" + body: "does not start with SW1:",
        "sw1:" + body: "does not start with SW1:",
        body: "does not start with SW1:",
        "": "does not start with SW1:",
        TOKEN_PREFIX + body[:10] + "a" + body[11:]: "not Base45",
        TOKEN_PREFIX + body + "0" * ((1 - len(body)) % 3 or 3): "not Base45",
        TOKEN_PREFIX + "0" * (MAX_TOKEN_CHARS + 1 - len(TOKEN_PREFIX)): "longer than",
        token_of(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, "text", b""]))): "must be byte strings",
        token_of(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b""]))): "array of four items",
        token_of(cbor2.dumps(cbor2.CBORTag(17, [b"", {}, b"", b""]))): "not a tagged COSE_Sign1",
        token_of(cbor2.dumps([1, 2, 3])): "not a tagged COSE_Sign1",
        token_of(message_of(token) + b"\x00"): "bytes after the CBOR item",
        TOKEN_PREFIX + base45.b45encode(b"not zlib at all").decode(): "not a zlib stream",
        TOKEN_PREFIX + base45.b45encode(zlib.compress(message_of(token)) + b"!").decode(): (
            "bytes after the zlib stream"
        ),
    }
    for damaged, reason in cases.items():
        assert reason in _damaged_reason(damaged, public_keys, no_revocations), damaged
    assert (
        _damaged_reason(1234, public_keys, no_revocations)  # type: ignore[arg-type]
        == "a token is text"
    )


def test_every_truncation_of_a_token_is_damaged(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    token = issue_token(claims=make_vehicle_claims(), signing_key=signing_key)
    for length in range(len(token)):
        _damaged_reason(token[:length], public_keys, no_revocations)


def test_a_zip_bomb_is_refused_before_it_is_inflated_past_the_cap(
    public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    compressed = zlib.compress(b"\0" * 1_000_000, 9)
    bomb = TOKEN_PREFIX + base45.b45encode(compressed).decode()
    assert len(bomb) <= MAX_TOKEN_CHARS, "the bomb must get past the length cap"
    assert "inflates to more than" in _damaged_reason(bomb, public_keys, no_revocations)
    just_over = token_of(b"\0" * (MAX_MESSAGE_BYTES + 1))
    assert "inflates to more than" in _damaged_reason(just_over, public_keys, no_revocations)


def test_a_trailing_line_break_from_a_scanner_is_ignored(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    token = issue_token(claims=make_vehicle_claims(), signing_key=signing_key)
    assert _verify(token + "\r\n", public_keys, no_revocations)[0] is VerificationStatus.VALID


def _wrap(protected: object, unprotected: object, payload: bytes, signature: bytes) -> str:
    structure = [cbor2.dumps(protected), unprotected, payload, signature]
    return token_of(cbor2.dumps(cbor2.CBORTag(18, structure)))


def test_headers_outside_the_profile_are_damaged(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    kid = signing_key.kid
    payload, signature = b"\xa0", b"\0" * 64
    cases = {
        _wrap({1: -7, 4: kid}, {}, payload, signature): "EdDSA",
        _wrap({1: -8}, {}, payload, signature): "exactly alg and kid",
        _wrap({1: -8, 4: kid}, {4: kid}, payload, signature): "unprotected header must be empty",
        _wrap({1: -8, 4: kid[:4]}, {}, payload, signature): "kid must be 8 bytes",
        _wrap({1: -8, 4: kid, 3: 0}, {}, payload, signature): "exactly alg and kid",
        _wrap({True: -8, 4: kid}, {}, payload, signature): "exactly alg and kid",
    }
    for token, reason in cases.items():
        assert reason in _damaged_reason(token, public_keys, no_revocations)


def test_a_signed_payload_that_is_not_a_claims_set_is_damaged_not_valid(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    good = cbor2.loads(cbor2.dumps({1: ISSUER}))
    for payload in [b"\xa0", cbor2.dumps(good), cbor2.dumps("text"), b"\xff"]:
        token = token_of(sign_message(payload=payload, signing_key=signing_key))
        verification = verify_token(
            token, public_keys=public_keys, revocation=no_revocations, now=DURING
        )
        assert verification.status is VerificationStatus.DAMAGED
        assert verification.kid == signing_key.kid


def test_a_naive_now_is_a_programming_error(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    token = issue_token(claims=make_vehicle_claims(), signing_key=signing_key)
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_token(
            token, public_keys=public_keys, revocation=no_revocations, now=datetime(2025, 3, 2)
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pass_id": "VP 1"}, "pass id"),
        ({"pass_id": "V" * 33}, "pass id"),
        ({"regions": ()}, "regions"),
        ({"regions": ("310115", "310115")}, "regions"),
        ({"regions": tuple(f"R{i}" for i in range(17))}, "regions"),
        ({"regions": ("31 0115",)}, "region code"),
        ({"subject": ""}, "subject"),
        ({"subject": "A\nB"}, "control"),
        ({"issuer": "X" * 65}, "issuer"),
        ({"expires_at": ISSUED}, "expire after"),
        ({"not_before": datetime(2025, 3, 1)}, "timezone-aware"),
        ({"kind": "truck"}, "truck"),
    ],
)
def test_claims_outside_the_format_are_refused_at_issue(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make_vehicle_claims(**changes)


def test_claims_times_are_kept_in_utc_to_the_second() -> None:
    shanghai = timezone(timedelta(hours=8))
    claims = make_vehicle_claims(
        not_before=datetime(2025, 3, 1, 16, 0, 0, 999_999, tzinfo=shanghai)
    )
    assert claims.not_before == ISSUED
    assert claims.not_before.tzinfo is UTC
    assert claims.kind is PassKind.VEHICLE
    assert replace(claims, kind="staff").kind is PassKind.STAFF  # type: ignore[arg-type]


def test_a_holder_is_masked_to_name_ends_and_the_last_four_id_characters() -> None:
    assert mask_holder(name="张三丰", identity_number="310101199001011234") == "张*丰 ****1234"
    assert mask_holder(name="李四", identity_number=" 11010119800101567X ") == "李* ****567X"
    assert mask_holder(name="Wang Xiaoming", identity_number="E12345678") == "W*g ****5678"
    with pytest.raises(ValueError):
        mask_holder(name="", identity_number="1234")
    with pytest.raises(ValueError):
        mask_holder(name="王五", identity_number="123")


def test_a_token_that_would_be_too_long_to_scan_is_refused_at_issue(
    signing_key: SigningKey,
) -> None:
    long_claims = make_vehicle_claims(
        regions=tuple(f"R{index:015d}" for index in range(16)),
        subject="车" * 64,
        issuer="发" * 64,
    )
    token = issue_token(claims=long_claims, signing_key=signing_key)
    assert len(token) <= MAX_TOKEN_CHARS


def _claims_payload(**extra: object) -> dict[int, object]:
    claims = make_vehicle_claims()
    payload: dict[int, object] = {
        1: claims.issuer,
        2: claims.subject,
        4: int(claims.expires_at.timestamp()),
        5: int(claims.not_before.timestamp()),
        6: int(claims.issued_at.timestamp()),
        7: claims.pass_id.encode(),
        -1: 1,
        -2: list(claims.regions),
    }
    payload.update({int(key.removeprefix("claim")): value for key, value in extra.items()})
    return payload


def test_unknown_claims_are_ignored_but_only_plain_cbor_is_read(
    signing_key: SigningKey, public_keys: PublicKeySet, no_revocations: RevocationList
) -> None:
    """Tagged values, sets and bad UTF-8 make the claims unreadable, as in the browser."""

    def status_of(payload: bytes) -> tuple[VerificationStatus, PassClaims | None]:
        token = token_of(sign_message(payload=payload, signing_key=signing_key))
        return _verify(token, public_keys, no_revocations)

    extra_plain = cbor2.dumps(_claims_payload(claim99=[1, "x", b"y", None, 2.5, {3: True}]))
    assert status_of(extra_plain) == (VerificationStatus.VALID, make_vehicle_claims())
    for extra in (cbor2.CBORTag(1, 1740787200), {1, 2}, cbor2.CBORTag(4242, b"")):
        status, claims = status_of(cbor2.dumps(_claims_payload(claim99=extra)))
        assert (status, claims) == (VerificationStatus.DAMAGED, None), extra
    issuer = ISSUER.encode()
    bad_utf8 = cbor2.dumps(_claims_payload()).replace(issuer, b"\xa8" + issuer[1:])
    assert status_of(bad_utf8) == (VerificationStatus.DAMAGED, None)
