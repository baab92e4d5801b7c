"""Signed transport passes and staff permits: tokens, keys, revocation lists, QR codes.

Self-contained: imports only the standard library and well-kept libraries (python-cwt,
cryptography, cbor2, base45, segno), so checkpoints and other services can use it alone.
"""

from passes.credentials import (
    TOKEN_PREFIX,
    PassClaims,
    PassKind,
    Verification,
    VerificationStatus,
    issue_token,
    mask_holder,
    verify_token,
)
from passes.keys import (
    InvalidKeySet,
    KeyFileError,
    KeyRing,
    PublicKeySet,
    SigningKey,
    key_id,
    load_or_create_signing_key,
)
from passes.offline import CheckpointTrust, load_checkpoint_trust, verify_offline
from passes.qr import PassQrCode, pass_qr_code, pass_qr_png
from passes.revocation import (
    RejectionReason,
    RevocationList,
    RevocationListRejected,
    read_revocation_list,
    revocation_list_json,
    sign_revocation_list,
)

__all__ = [
    "TOKEN_PREFIX",
    "CheckpointTrust",
    "InvalidKeySet",
    "KeyFileError",
    "KeyRing",
    "PassClaims",
    "PassKind",
    "PassQrCode",
    "PublicKeySet",
    "RejectionReason",
    "RevocationList",
    "RevocationListRejected",
    "SigningKey",
    "Verification",
    "VerificationStatus",
    "issue_token",
    "key_id",
    "load_checkpoint_trust",
    "load_or_create_signing_key",
    "mask_holder",
    "pass_qr_code",
    "pass_qr_png",
    "read_revocation_list",
    "revocation_list_json",
    "sign_revocation_list",
    "verify_offline",
    "verify_token",
]
