"""``supplywatch passes``: verify a pass offline with downloaded files (for checkpoint
systems that are not browsers), and export the key set and signed revocation list that
checkpoints download. Nothing here prints a private key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from core.database import create_database_engine, create_session_factory, session_scope
from models.base import utc_now
from pass_office.authority import passes_in_force_signed_by
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
from passes.rotation import (
    KeyFiles,
    read_key_ring,
    retire_key,
    retired_kids,
    rotate_signing_key,
)
from service.configuration import pass_authority
from service.settings import get_settings

passes_app = typer.Typer(
    help="Transport passes: verify offline, export keys and revocations, rotate keys.",
    no_args_is_help=True,
)
EXIT_NOT_VALID = 1
EXIT_BAD_FILES = 2
EXIT_KEY_IN_USE = 3
"""``retire-key`` refused: passes the key signed are still in force."""


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
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Retire it even while passes it signed are in force: they then fail as "
            "unknown_key at every checkpoint, though the pass office still lists them approved",
        ),
    ] = False,
) -> None:
    """Stop publishing a retired key: every pass it signed then fails as unknown_key once
    the service restarts (a running process keeps the keys it started with). Refused while
    passes it signed are in force, unless --force."""
    files = _key_files()
    try:
        wanted = bytes.fromhex(kid)
    except ValueError:
        wanted = b""
    if wanted.hex() not in retired_kids(read_key_ring(files)):
        typer.echo(f"{kid} is not a retired key of this installation; nothing changed", err=True)
        raise typer.Exit(code=EXIT_BAD_FILES)
    settings = get_settings()
    engine = create_database_engine(settings.database_url)
    try:
        with session_scope(create_session_factory(engine)) as session:
            signed = passes_in_force_signed_by(session=session, kid=wanted.hex(), now=utc_now())
    finally:
        engine.dispose()
    if signed.count and signed.last_valid_to is not None:
        until = signed.last_valid_to.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")
        in_force = (
            f"{signed.count} pass(es) in force signed by {wanted.hex()}, the last valid until "
            f"{until} ({settings.zone.key})"
        )
        if not force:
            typer.echo(
                f"{in_force}: retiring the key now would make them fail as unknown_key at every "
                "checkpoint while the pass office still lists them approved. Retire it after "
                "that time, or revoke and reissue them first (--force retires it anyway); "
                "nothing changed",
                err=True,
            )
            raise typer.Exit(code=EXIT_KEY_IN_USE)
        typer.echo(
            f"warning: {in_force} now fail as unknown_key at every checkpoint (after the "
            "restart), yet the pass office still lists them approved and prints them: revoke "
            "and reissue them",
            err=True,
        )
    ring = retire_key(files, kid=wanted)
    remaining = ", ".join(retired_kids(ring)) or "none"
    typer.echo(
        f"retired key {wanted.hex()} dropped; still published: {remaining}. Restart every "
        f"service process: until then they still accept its passes and publish it"
    )
