"""Who signs passes: the issuer's name and its key ring, handed in by the adapters (which
read the key file named by a setting); the private key never reaches the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import PassStatus, TransportPass
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


@dataclass(frozen=True)
class PassesOfKey:
    """The issued passes in force that one key signed: how many, and when the last expires
    (None when there are none)."""

    count: int
    last_valid_to: datetime | None


def passes_in_force_signed_by(*, session: Session, kid: str, now: datetime) -> PassesOfKey:
    """The issued passes signed by key ``kid`` (hex) still in force or due at ``now``: while
    any is, retiring the key would make them fail as unknown_key at every checkpoint while
    the pass office still lists them approved."""
    count, last = session.execute(
        select(func.count(TransportPass.id), func.max(TransportPass.valid_to)).where(
            TransportPass.signing_kid == kid.lower(),
            TransportPass.status == PassStatus.approved,
            TransportPass.valid_to > now,
        )
    ).one()
    return PassesOfKey(count=int(count or 0), last_valid_to=last)
