"""Rotating the signing key as an operator does it: ``supplywatch passes rotate-key`` makes
a new key sign new passes while the old key's passes still verify (its public key stays
published), and ``retire-key`` stops publishing it once those passes have expired (only
``--force`` retires it sooner), after which they fail."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accounts.authentication import create_api_key
from core.database import create_database_engine, create_session_factory, session_scope
from models import Enterprise, EnterpriseKind, Region, RegionLevel, Role, TransportPass
from service.app import create_app
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.pass_office.factories import vehicle_body

SUPPLYWATCH = str(Path(sys.executable).parent / "supplywatch")


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(
    request: pytest.FixtureRequest, empty_database_url: Callable[[str], str], tmp_path: Path
) -> Settings:
    """A migrated installation with a district, a chain, and its key files under tmp."""
    url = empty_database_url(request.param)
    upgrade_to_head(url)
    engine = create_database_engine(url)
    with session_scope(create_session_factory(engine)) as session:
        session.add(Region(code="310115", name="Pudong", level=RegionLevel.district))
        session.add(Enterprise(code="LIANHUA", name="Lianhua", kind=EnterpriseKind.chain))
    engine.dispose()
    return Settings(
        database_url=url,
        log_json=False,
        passes_signing_key_file=tmp_path / "keys" / "signing.pem",
        passes_retired_keys_file=tmp_path / "keys" / "retired.json",
    )


def _run(
    settings: Settings, *arguments: str, retired: bool = True
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "SUPPLYWATCH_DATABASE_URL": settings.database_url,
        "SUPPLYWATCH_PASSES_SIGNING_KEY_FILE": str(settings.passes_signing_key_file),
    }
    if retired:
        environment["SUPPLYWATCH_PASSES_RETIRED_KEYS_FILE"] = str(settings.passes_retired_keys_file)
    return subprocess.run(
        [SUPPLYWATCH, "passes", *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _issue(settings: Settings, plate: str) -> dict[str, str]:
    """A pass the bureau issues through the API of a service started now (with the keys
    on disk now), and the kids the service publishes."""
    engine = create_database_engine(settings.database_url)
    with session_scope(create_session_factory(engine)) as session:
        _, secret = create_api_key(session, name=f"bureau {plate}", role=Role.bureau)
    engine.dispose()
    with TestClient(create_app(settings)) as client:
        body = vehicle_body(regions=["310115"], enterprise="LIANHUA", plate=plate)
        issued = client.post(
            "/api/v1/passes", json=body, headers={"Authorization": f"Bearer {secret}"}
        )
        assert issued.status_code == 201, issued.text
        return {
            "token": issued.json()["token"],
            "kid": issued.json()["signing_kid"],
            "published": ",".join(sorted(client.get("/api/v1/passes/keys").json()["keys"])),
        }


def _verdict(settings: Settings, token: str) -> str:
    """What a service started now with the keys on disk says of ``token``."""
    with TestClient(create_app(settings)) as client:
        status: str = client.post("/api/v1/passes/verify", json={"token": token}).json()["status"]
        return status


def test_old_passes_verify_after_a_rotation_until_their_key_is_retired(
    settings: Settings,
) -> None:
    old = _issue(settings, "沪A·00001")
    key_before = settings.passes_signing_key_file.read_bytes()

    rotated = _run(settings, "rotate-key")
    assert rotated.returncode == 0, rotated.stderr
    assert f"still published: {old['kid']}" in rotated.stdout
    assert settings.passes_signing_key_file.read_bytes() != key_before
    assert "PRIVATE" not in rotated.stdout + rotated.stderr
    assert stat.S_IMODE(settings.passes_signing_key_file.stat().st_mode) == 0o600

    new = _issue(settings, "沪A·00002")
    assert new["kid"] != old["kid"]
    assert len(new["published"].split(",")) == 2
    assert _verdict(settings, old["token"]) == "valid"
    assert _verdict(settings, new["token"]) == "valid"

    refused = _run(settings, "retire-key", new["kid"])
    assert refused.returncode == 2 and "nothing changed" in refused.stderr
    assert _verdict(settings, new["token"]) == "valid"

    _expire(settings, old["token"])
    retired = _run(settings, "retire-key", old["kid"])
    assert retired.returncode == 0, retired.stderr
    assert "Restart every service process" in retired.stdout
    assert _verdict(settings, old["token"]) == "unknown_key"
    assert _verdict(settings, new["token"]) == "valid"


def _expire(settings: Settings, token: str) -> None:
    """Move the validity of the pass with ``token`` into the past, as if it had run out."""
    engine = create_database_engine(settings.database_url)
    with session_scope(create_session_factory(engine)) as session:
        row = session.scalars(select(TransportPass).where(TransportPass.token == token)).one()
        row.valid_from = datetime.now(UTC) - timedelta(days=3)
        row.valid_to = datetime.now(UTC) - timedelta(days=1)
    engine.dispose()


def test_a_key_whose_passes_are_in_force_is_retired_only_with_force(
    settings: Settings,
) -> None:
    old = _issue(settings, "沪A·00004")
    assert _run(settings, "rotate-key").returncode == 0
    assert settings.passes_retired_keys_file is not None
    published = settings.passes_retired_keys_file.read_bytes()

    refused = _run(settings, "retire-key", old["kid"])
    assert refused.returncode == 3, refused.stdout
    assert f"1 pass(es) in force signed by {old['kid']}, the last valid until" in refused.stderr
    assert "(Asia/Shanghai)" in refused.stderr and "nothing changed" in refused.stderr
    assert settings.passes_retired_keys_file.read_bytes() == published
    assert _verdict(settings, old["token"]) == "valid"

    forced = _run(settings, "retire-key", old["kid"], "--force")
    assert forced.returncode == 0, forced.stderr
    assert "1 pass(es) in force" in forced.stderr and "revoke and reissue" in forced.stderr
    assert _verdict(settings, old["token"]) == "unknown_key"


def test_a_rotation_without_a_retired_keys_file_changes_nothing(settings: Settings) -> None:
    before = _issue(settings, "沪A·00003")
    key_before = settings.passes_signing_key_file.read_bytes()
    refused = _run(settings, "rotate-key", retired=False)
    assert refused.returncode == 2
    assert "SUPPLYWATCH_PASSES_RETIRED_KEYS_FILE" in refused.stderr
    assert settings.passes_signing_key_file.read_bytes() == key_before
    assert _verdict(settings, before["token"]) == "valid"
