"""Keys, a key ring and an empty revocation list for the pass tests."""

from __future__ import annotations

import pytest

from passes.keys import KeyRing, PublicKeySet, SigningKey
from passes.revocation import RevocationList
from tests.passes.factories import ISSUED, ISSUER


@pytest.fixture(scope="session")
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture(scope="session")
def public_keys(signing_key: SigningKey) -> PublicKeySet:
    return KeyRing(active=signing_key).public_keys()


@pytest.fixture(scope="session")
def no_revocations() -> RevocationList:
    return RevocationList(issuer=ISSUER, version=1, issued_at=ISSUED)
