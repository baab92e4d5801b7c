"""verify_token on hostile input: it returns a status for anything and never raises.

Each property feeds a different layer (any text; Base45 text; zlib of any bytes; CBOR
structures shaped like COSE; edits of a genuine token) so the fuzzing reaches past the
first check. Every input must be judged by an explicit check, not by the catch-all that
guards verify_token, whose reasons start with "unreadable".
"""

from __future__ import annotations

import zlib
from datetime import timedelta

import base45
import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passes.credentials import (
    TOKEN_PREFIX,
    Verification,
    VerificationStatus,
    issue_token,
    verify_token,
)
from passes.keys import PublicKeySet, SigningKey
from passes.revocation import RevocationList
from tests.passes.factories import ISSUED, make_vehicle_claims, token_of

BASE45_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
NOW = ISSUED + timedelta(days=1)
FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

KEY = SigningKey.generate()
PUBLIC_KEYS = PublicKeySet([KEY.public_key])
NO_REVOCATIONS = RevocationList(issuer="fuzz", version=1, issued_at=ISSUED)
CLAIMS = make_vehicle_claims()
GENUINE = issue_token(claims=CLAIMS, signing_key=KEY)


def _judged(token: str) -> Verification:
    verification = verify_token(
        token, public_keys=PUBLIC_KEYS, revocation=NO_REVOCATIONS, now=NOW, region="310112"
    )
    assert isinstance(verification.status, VerificationStatus)
    assert not verification.reason.startswith("unreadable"), verification.reason
    return verification


cbor_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64 - 1)
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.binary(max_size=40)
)
cbor_values = st.recursive(
    cbor_leaves,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.integers(-3, 8) | st.text(max_size=3), children, max_size=5)
        | st.builds(cbor2.CBORTag, st.sampled_from([1, 2, 18, 24, 61, 258, 999]), children)
    ),
    max_leaves=25,
)
protected_headers = st.dictionaries(
    st.sampled_from([1, 4, 3, True]),
    st.sampled_from([-8, -7, KEY.kid, KEY.kid[:4], b"", "kid", 0]),
    max_size=3,
).map(cbor2.dumps) | st.binary(max_size=20)
cose_shaped = st.builds(
    lambda protected, unprotected, payload, signature, tag: cbor2.CBORTag(
        tag, [protected, unprotected, payload, signature]
    ),
    protected_headers,
    st.just({}) | st.dictionaries(st.integers(0, 5), cbor_leaves, max_size=2),
    cbor_values.map(cbor2.dumps) | st.binary(max_size=60),
    st.binary(min_size=0, max_size=70),
    st.sampled_from([18, 18, 18, 17, 98]),
)


@FUZZ
@given(st.text(max_size=3000))
def test_any_text_gets_a_status(token: str) -> None:
    _judged(token)


@FUZZ
@given(st.text(alphabet=BASE45_ALPHABET, max_size=600))
def test_any_base45_text_behind_the_prefix_gets_a_status(body: str) -> None:
    assert _judged(TOKEN_PREFIX + body).status is VerificationStatus.DAMAGED


@FUZZ
@given(st.binary(max_size=1200))
def test_any_compressed_bytes_get_a_status(message: bytes) -> None:
    assert _judged(token_of(message)).status is VerificationStatus.DAMAGED


@FUZZ
@given(st.binary(max_size=900))
def test_any_raw_bytes_behind_the_prefix_get_a_status(data: bytes) -> None:
    assert _judged(TOKEN_PREFIX + base45.b45encode(data).decode()).status == "damaged"


@FUZZ
@given(cbor_values)
def test_any_cbor_value_gets_a_status(value: object) -> None:
    assert _judged(token_of(cbor2.dumps(value))).status is VerificationStatus.DAMAGED


@FUZZ
@given(cose_shaped)
def test_cose_shaped_messages_are_never_valid(message: cbor2.CBORTag) -> None:
    verification = _judged(token_of(cbor2.dumps(message)))
    assert verification.status in {
        VerificationStatus.DAMAGED,
        VerificationStatus.FORGED,
        VerificationStatus.UNKNOWN_KEY,
    }


@FUZZ
@given(st.data())
def test_an_edited_genuine_token_is_never_valid_with_other_claims(data: st.DataObject) -> None:
    token = list(GENUINE)
    edits = data.draw(st.integers(1, 4))
    for _ in range(edits):
        position = data.draw(st.integers(0, len(token) - 1))
        token[position] = data.draw(st.sampled_from(BASE45_ALPHABET + "a:\n中"))
    verification = _judged("".join(token))
    if verification.authentic:
        assert verification.claims == CLAIMS


@FUZZ
@given(st.binary(min_size=1, max_size=8), st.integers(0, 200))
def test_bytes_spliced_into_a_genuine_message_are_never_valid(insert: bytes, at: int) -> None:
    message = zlib.decompress(base45.b45decode(GENUINE[len(TOKEN_PREFIX) :]))
    at = min(at, len(message))
    verification = _judged(token_of(message[:at] + insert + message[at:]))
    assert verification.status is not VerificationStatus.VALID


def test_the_genuine_token_of_the_fuzz_is_valid() -> None:
    assert _judged(GENUINE).status is VerificationStatus.VALID
