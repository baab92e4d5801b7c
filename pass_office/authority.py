"""Who signs passes: the issuer's name and its key ring, handed in by the adapters (which
read the key file named by a setting); the private key never reaches the database."""

from __future__ import annotations

from dataclasses import dataclass

from passes import KeyRing


@dataclass(frozen=True)
class PassAuthority:
    """The issuer written into every token and the keys that sign and verify them."""

    issuer: str
    keys: KeyRing

    @property
    def active_kid(self) -> str:
        """The hex kid of the key that signs new passes (stored beside each pass)."""
        return self.keys.active.kid.hex()

    def public_keys_json(self) -> str:
        """The published key set (active and retired public keys) as checkpoints load it."""
        return self.keys.public_keys().to_json()
