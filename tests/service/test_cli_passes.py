"""The pass commands as an operator and a checkpoint system run them: export the key set
and the signed revocation list, then verify passes with those files and no server."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accounts.authentication import create_api_key
from core.database import create_database_engine, create_session_factory, session_scope
from models import Enterprise, EnterpriseKind, Region, RegionLevel, Role
from service.app import create_app
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.pass_office.factories import vehicle_body

SUPPLYWATCH = str(Path(sys.executable).parent / "supplywatch")


@pytest.fixture(params=["sqlite", "postgresql"])
def installation(
    request: pytest.FixtureRequest, empty_database_url: Callable[[str], str], tmp_path: Path
) -> dict[str, str]:
    """A migrated database and a signing key file, as the CLI reads them from the
    environment."""
    url = empty_database_url(request.param)
    upgrade_to_head(url)
    return {
        **os.environ,
        "SUPPLYWATCH_DATABASE_URL": url,
        "SUPPLYWATCH_PASSES_SIGNING_KEY_FILE": str(tmp_path / "keys" / "signing.pem"),
    }


def run(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SUPPLYWATCH, "passes", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def issue_two_and_revoke_one(environment: dict[str, str]) -> tuple[str, str]:
    """Through the API of the same installation: two passes, the second revoked."""
    url = environment["SUPPLYWATCH_DATABASE_URL"]
    engine = create_database_engine(url)
    with session_scope(create_session_factory(engine)) as session:
        session.add(Region(code="310115", name="Pudong", level=RegionLevel.district))
        session.add(Enterprise(code="LIANHUA", name="Lianhua", kind=EnterpriseKind.chain))
        _, secret = create_api_key(session, name="bureau", role=Role.bureau)
    engine.dispose()
    settings = Settings(
        database_url=url,
        log_json=False,
        passes_signing_key_file=Path(environment["SUPPLYWATCH_PASSES_SIGNING_KEY_FILE"]),
    )
    headers = {"Authorization": f"Bearer {secret}"}
    tokens: list[Any] = []
    with TestClient(create_app(settings)) as client:
        for plate in ("沪A·00001", "沪A·00002"):
            body = vehicle_body(regions=["310115"], enterprise="LIANHUA", plate=plate)
            tokens.append(client.post("/api/v1/passes", json=body, headers=headers).json())
        revoked = client.post(
            f"/api/v1/passes/{tokens[1]['code']}/revoke", json={"reason": "sold"}, headers=headers
        )
        assert revoked.status_code == 200, revoked.text
    return tokens[0]["token"], tokens[1]["token"]


def test_a_checkpoint_verifies_passes_offline_with_exported_files(
    installation: dict[str, str], tmp_path: Path
) -> None:
    valid, revoked = issue_two_and_revoke_one(installation)
    keys, listed = tmp_path / "keys.json", tmp_path / "revoked.cose"
    exported = run(installation, "export", "--keys", str(keys), "--revoked", str(listed))
    assert exported.returncode == 0, exported.stderr
    assert "1 revoked" in exported.stdout
    assert "PRIVATE" not in exported.stdout + keys.read_text()

    offline = {
        key: value for key, value in installation.items() if not key.startswith("SUPPLYWATCH_")
    }
    files = ("--keys", str(keys), "--revoked", str(listed))
    green = run(offline, "verify", valid, *files, "--region", "310115")
    assert green.returncode == 0, green.stderr
    assert "status=valid" in green.stdout and "subject=沪A·00001" in green.stdout

    red = run(offline, "verify", revoked, *files)
    assert (red.returncode, red.stdout.splitlines()[0]) == (1, "status=revoked")

    tampered = valid[:-6] + ("A" if valid[-6] != "A" else "B") + valid[-5:]
    forged = run(offline, "verify", tampered, *files)
    assert forged.returncode == 1
    assert forged.stdout.splitlines()[0] in ("status=forged", "status=damaged")
    assert "subject=" not in forged.stdout

    elsewhere = run(offline, "verify", valid, *files, "--region", "440300")
    assert elsewhere.stdout.splitlines()[0] == "status=wrong_region"

    keys.write_text('{"keys": {"AAAAAAAAAAA": {"kty": "OKP"}}}')
    broken = run(offline, "verify", valid, *files)
    assert broken.returncode == 2
    assert broken.stderr.startswith("error:")
