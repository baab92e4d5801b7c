"""``supplywatch passes``: verify a pass offline with downloaded files (for checkpoint
systems that are not browsers), and export the key set and signed revocation list that
checkpoints download. Nothing here prints a private key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from core.database import create_database_engine, create_session_factory, session_scope
from pass_office.verification import signed_revocation_list
from passes import (
    InvalidKeySet,
    PublicKeySet,
    RevocationList,
    RevocationListRejected,
    Verification,
    load_checkpoint_trust,
    verify_token,
)
from passes.rotation import KeyFiles, retire_key, retired_kids, rotate_signing_key
from service.configuration import pass_authority
from service.settings import get_settings

passes_app = typer.Typer(
    help="Transport passes: verify offline, export keys and revocations, rotate keys.",
    no_args_is_help=True,
)
EXIT_NOT_VALID = 1
EXIT_BAD_FILES = 2


def _trust(keys: Path | None, revoked: Path | None) -> tuple[PublicKeySet, RevocationList]:
    """The key set and revocation list to judge with: the files given, else this
    installation's own public keys and, without a list, none revoked (said on stderr)."""
    if keys is not None and revoked is not None:
        trust = load_checkpoint_trust(
            keys_json=keys.read_bytes(), revocation_bytes=revoked.read_bytes()
        )
        return trust.public_keys, trust.revocation
    authority = pass_authority(get_settings())
    public_keys = (
        PublicKeySet.from_json(keys.read_bytes()) if keys else authority.keys.public_keys()
    )
    if revoked is not None:
        trust = load_checkpoint_trust(
            keys_json=public_keys.to_json(), revocation_bytes=revoked.read_bytes()
        )
        return public_keys, trust.revocation
    typer.echo(
        "warning: no revocation list given (--revoked): revocations are not checked", err=True
    )
    return public_keys, RevocationList(
        issuer=authority.issuer, version=0, issued_at=datetime.now(UTC)
    )


def _lines(result: Verification) -> list[str]:
    """The answer as ``name=value`` lines; the claims only when a published key signed them."""
    lines = [f"status={result.status.value}", f"reason={result.reason}"]
    if result.authentic and result.claims is not None:
        claims = result.claims
        lines += [
            f"pass={claims.pass_id}",
            f"kind={claims.kind.value}",
            f"subject={claims.subject}",
            f"regions={','.join(claims.regions)}",
            f"valid_from={claims.not_before.isoformat()}",
            f"valid_to={claims.expires_at.isoformat()}",
            f"issuer={claims.issuer}",
            f"kid={result.kid.hex() if result.kid else ''}",
        ]
    return lines


@passes_app.command("verify")
def verify(
    token: Annotated[str, typer.Argument(help="The QR code's text (quote it: it may hold spaces)")],
    keys: Annotated[Path | None, typer.Option(help="Published key set (JSON)")] = None,
    revoked: Annotated[Path | None, typer.Option(help="Signed revocation list (COSE)")] = None,
    region: Annotated[
        str | None,
        typer.Option(
            help="Region code the holder is crossing; or that code, then the codes of the "
            "regions above it, comma-separated (a pass naming any of them holds)"
        ),
    ] = None,
    at: Annotated[
        datetime | None, typer.Option(help="Judge at this time (default now, UTC)")
    ] = None,
) -> None:
    """Verify a pass with no server; exit 0 when valid, 1 when not, 2 for bad files."""
    try:
        public_keys, revocation = _trust(keys, revoked)
    except (OSError, InvalidKeySet, RevocationListRejected) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=EXIT_BAD_FILES) from error
    now = datetime.now(UTC) if at is None else (at if at.tzinfo else at.replace(tzinfo=UTC))
    result = verify_token(
        token,
        public_keys=public_keys,
        revocation=revocation,
        now=now,
        region=tuple(region.split(",")) if region else None,
    )
    for line in _lines(result):
        typer.echo(line)
    if not result.is_valid:
        raise typer.Exit(code=EXIT_NOT_VALID)


@passes_app.command("export")
def export(
    keys: Annotated[Path, typer.Option(help="Write the published key set (JSON) here")],
    revoked: Annotated[Path, typer.Option(help="Write the signed revocation list here")],
) -> None:
    """Write the files a checkpoint needs to verify offline (from this installation)."""
    settings = get_settings()
    authority = pass_authority(settings)
    engine = create_database_engine(settings.database_url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            current, signed = signed_revocation_list(session=session, authority=authority)
    finally:
        engine.dispose()
    keys.write_text(authority.public_keys_json(), encoding="utf-8")
    revoked.write_bytes(signed)
    typer.echo(
        f"wrote {len(authority.keys.public_keys())} public key(s) to {keys} and revocation list "
        f"version {current.version} ({len(current.revoked_pass_ids)} revoked) to {revoked}"
    )


def _key_files() -> KeyFiles:
    """The key files this installation signs with; rotation needs the retired set's file,
    which the service must read too, or the passes of the old key would stop verifying."""
    settings = get_settings()
    if settings.passes_retired_keys_file is None:
        typer.echo(
            "set SUPPLYWATCH_PASSES_RETIRED_KEYS_FILE (for the service too) to the file that "
            "keeps retired public keys published; nothing was changed",
            err=True,
        )
        raise typer.Exit(code=EXIT_BAD_FILES)
    return KeyFiles(settings.passes_signing_key_file, settings.passes_retired_keys_file)


@passes_app.command("rotate-key")
def rotate_key() -> None:
    """Sign with a new key from now on; passes of the old key stay valid until they expire
    (restart the service to sign with the new key)."""
    files = _key_files()
    ring = rotate_signing_key(files)
    typer.echo(
        f"new signing key {ring.active.kid.hex()}; still published: "
        f"{', '.join(retired_kids(ring))} (retire one with: supplywatch passes retire-key KID)"
    )


@passes_app.command("retire-key")
def retire(
    kid: Annotated[str, typer.Argument(help="Hex kid of a retired key (16 characters)")],
) -> None:
    """Stop publishing a retired key: every pass it signed then fails as unknown_key once
    the service restarts (a running process keeps the keys it started with)."""
    files = _key_files()
    try:
        ring = retire_key(files, kid=bytes.fromhex(kid))
    except (ValueError, KeyError):
        typer.echo(f"{kid} is not a retired key of this installation; nothing changed", err=True)
        raise typer.Exit(code=EXIT_BAD_FILES) from None
    remaining = ", ".join(retired_kids(ring)) or "none"
    typer.echo(
        f"retired key {kid} dropped; still published: {remaining}. Restart every service "
        f"process: until then they still accept its passes and publish it"
    )
