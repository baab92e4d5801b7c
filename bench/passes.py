"""Benchmark of transport passes: verification and issue rates, token and list sizes.

Prints ``name=value`` lines:

    verify_per_s=            verify_offline (the checkpoint CLI's path) on one core, over
                             distinct vehicle passes, keys and a 1,000-entry revoked list
                             loaded once, per second of wall time; target at least 5,000
    verify_per_cpu_s=        the same per second of the process's CPU time (what a core
                             of its own would do, when the machine is shared)
    ed25519_verify_per_cpu_s= the bare Ed25519 check of one token's Sig_structure with
                             cryptography: the ceiling no verifier of this format passes
    issue_per_s=             issue_token on one core (and issue_per_cpu_s likewise)
    token_chars=             the longest token among the sample's vehicle passes (3 regions)
    qr_version=              the QR version (error correction Q) that token needs; target <= 13
    revocation_list_bytes=   the signed revocation list with 1,000 revoked pass ids
    issue_800_seconds=       bulk issue of 800 vehicle passes through the API (POST
                             /api/v1/passes/bulk with a CSV: checked, stored, signed,
                             audited, committed), on a fresh migrated database; target <= 10

The process is pinned to one CPU when the system allows it. Usage:
``.venv/bin/python bench/passes.py [--seconds S] [--tokens N] [--database-url URL]``
(default: a fresh SQLite file; a PostgreSQL URL names an empty database to migrate).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and "import passes" would
# load this very file instead of the package: put the repository root first instead.
_HERE = Path(__file__).resolve().parent
REPO = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(REPO))

import argparse  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

import base45  # noqa: E402
import cbor2  # noqa: E402

from passes import (  # noqa: E402
    KeyRing,
    PassClaims,
    PassKind,
    RevocationList,
    SigningKey,
    Verification,
    VerificationStatus,
    issue_token,
    pass_qr_code,
    sign_revocation_list,
    verify_offline,
)
from passes.cose import read_message  # noqa: E402
from passes.credentials import TOKEN_PREFIX  # noqa: E402

ISSUER = "CN-310000-SWB"
ISSUED = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
DISTRICTS = ("310101", "310104", "310105", "310106", "310107", "310109", "310110", "310112")


def vehicle_claims(number: int) -> PassClaims:
    """Vehicle pass ``number`` of an episode: a plate, three districts, 14 days."""
    return PassClaims(
        issuer=ISSUER,
        pass_id=f"VP-2025-{number:06d}",
        kind=PassKind.VEHICLE,
        subject=f"沪A·D{number % 100_000:05d}",
        regions=tuple(DISTRICTS[(number + offset) % len(DISTRICTS)] for offset in range(3)),
        not_before=ISSUED,
        expires_at=ISSUED + timedelta(days=14),
        issued_at=ISSUED,
    )


def rate(*, operation: Callable[[int], object], seconds: float) -> tuple[float, float]:
    """Calls of ``operation`` per second of wall time and per second of this process's CPU.

    On a shared machine the wall rate falls when other processes take the CPU; the CPU
    rate is what one core the process had to itself would do.
    """
    calls = 0
    started, started_cpu = time.perf_counter(), time.process_time()
    deadline = started + seconds
    while True:
        for _ in range(100):
            operation(calls)
            calls += 1
        now = time.perf_counter()
        if now >= deadline:
            return calls / (now - started), calls / (time.process_time() - started_cpu)


def pin_to_one_cpu() -> str:
    """Pins this process to one CPU when the system allows it; returns which, for the log."""
    if not hasattr(os, "sched_setaffinity"):
        return "unpinned"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return str(cpu)


def issue_800_seconds(*, database_url: str | None, passes: int = 800) -> float:
    """Seconds the API takes to bulk issue ``passes`` vehicle passes from one CSV file."""
    from fastapi.testclient import TestClient

    from accounts.authentication import create_api_key
    from core.database import create_database_engine, create_session_factory, session_scope
    from models import Enterprise, EnterpriseKind, Region, RegionLevel, Role
    from service.app import create_app
    from service.migrate import upgrade_to_head
    from service.settings import Settings

    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{folder}/bench.db"
        upgrade_to_head(url)
        engine = create_database_engine(url)
        with session_scope(create_session_factory(engine)) as session:
            for code in DISTRICTS:
                session.add(Region(code=code, name=code, level=RegionLevel.district))
            session.add(Enterprise(code="BENCH-CHAIN", name="Bench", kind=EnterpriseKind.chain))
            _, secret = create_api_key(session, name="bench bureau", role=Role.bureau)
        engine.dispose()
        settings = Settings(
            database_url=url,
            log_json=False,
            log_level="WARNING",
            passes_signing_key_file=Path(folder) / "signing.pem",
        )
        start = datetime.now(UTC).date()
        lines = ["kind,enterprise,plate,driver_name,purpose,regions,valid_from,valid_to"]
        lines += [
            f"vehicle,BENCH-CHAIN,沪A·D{number:05d},Driver {number},vegetables,"
            f"{DISTRICTS[number % 8]};{DISTRICTS[(number + 1) % 8]};{DISTRICTS[(number + 2) % 8]},"
            f"{start},{start + timedelta(days=14)}"
            for number in range(passes)
        ]
        data = ("\n".join(lines) + "\n").encode("utf-8")
        with TestClient(create_app(settings)) as client:
            started = time.perf_counter()
            response = client.post(
                "/api/v1/passes/bulk",
                files={"file": ("passes.csv", data, "text/csv")},
                headers={"Authorization": f"Bearer {secret}"},
            )
            elapsed = time.perf_counter() - started
        if response.status_code != 200 or response.json()["issued"] != passes:
            raise SystemExit(f"bulk issue failed: {response.status_code} {response.text[:500]}")
        return elapsed


def main() -> None:
    """Prints the pass figures as name=value lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per rate measured")
    parser.add_argument("--tokens", type=int, default=800, help="distinct passes verified")
    parser.add_argument("--database-url", default=None, help="empty database for issue_800_seconds")
    arguments = parser.parse_args()
    print(f"cpu={pin_to_one_cpu()}")
    print(f"load_average_1m={os.getloadavg()[0]:.2f} (of {os.cpu_count()} CPUs)")

    ring = KeyRing(active=SigningKey.generate()).rotated(new_active=SigningKey.generate())
    keys_json = ring.public_keys().to_json()
    revocation = RevocationList(
        issuer=ISSUER,
        version=1,
        issued_at=ISSUED,
        revoked_pass_ids=frozenset(f"VP-2024-{number:06d}" for number in range(1000)),
    )
    revocation_bytes = sign_revocation_list(revocation=revocation, signing_key=ring.active)
    claims = [vehicle_claims(number) for number in range(arguments.tokens)]
    tokens = [issue_token(claims=item, signing_key=ring.active) for item in claims]
    now = ISSUED + timedelta(days=1)

    def verify(call: int) -> Verification:
        index = call % len(tokens)
        return verify_offline(
            tokens[index],
            keys_json=keys_json,
            revocation_bytes=revocation_bytes,
            now=now,
            region=claims[index].regions[1],
        )

    statuses = {verify(call).status for call in range(len(tokens))}
    if statuses != {VerificationStatus.VALID}:
        raise SystemExit(f"the sample passes should all verify, got {statuses}")

    def issue(call: int) -> object:
        return issue_token(claims=claims[call % len(claims)], signing_key=ring.active)

    message = read_message(zlib.decompress(base45.b45decode(tokens[0][len(TOKEN_PREFIX) :])))
    public_key = ring.active.public_key
    signed_bytes = cbor2.dumps(["Signature1", message.protected, b"", message.payload])

    def bare_check(call: int) -> object:
        public_key.verify(message.signature, signed_bytes)
        return None

    longest = max(tokens, key=len)
    verify_wall, verify_cpu = rate(operation=verify, seconds=arguments.seconds)
    _, bare_cpu = rate(operation=bare_check, seconds=arguments.seconds)
    issue_wall, issue_cpu = rate(operation=issue, seconds=arguments.seconds)
    print(f"verify_per_s={verify_wall:.0f}")
    print(f"verify_per_cpu_s={verify_cpu:.0f}")
    print(f"ed25519_verify_per_cpu_s={bare_cpu:.0f}")
    print(f"issue_per_s={issue_wall:.0f}")
    print(f"issue_per_cpu_s={issue_cpu:.0f}")
    print(f"token_chars={len(longest)}")
    print(f"token_chars_min={min(len(token) for token in tokens)}")
    print(f"qr_version={pass_qr_code(token=longest).version}")
    print(f"revocation_list_bytes={len(revocation_bytes)}")
    print(f"issue_800_seconds={issue_800_seconds(database_url=arguments.database_url):.2f}")


if __name__ == "__main__":
    main()
