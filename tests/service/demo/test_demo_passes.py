"""The demo city's passes as a visitor meets them: issued passes that verify green, a
revoked one that verifies red, applications waiting, and a checkpoint login that records
scans and may do nothing else."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.database import create_database_engine, create_session_factory, session_scope
from service.app import create_app
from service.configuration import pass_authority
from service.demo import load_demo_city
from service.migrate import upgrade_to_head
from service.settings import Settings
from tests.factories import business_today


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_the_demo_has_issued_passes_a_revoked_one_and_a_checkpoint_login(
    backend_name: str, empty_database_url: Callable[[str], str], tmp_path: Path
) -> None:
    url = empty_database_url(backend_name)
    upgrade_to_head(url)
    settings = Settings(
        database_url=url,
        log_json=False,
        log_level="WARNING",
        passes_signing_key_file=tmp_path / "signing.pem",
    )
    engine = create_database_engine(url)
    with session_scope(create_session_factory(engine)) as session:
        summary = load_demo_city(
            session,
            seed=5,
            end_date=business_today(),
            days=8,
            pass_authority=pass_authority(settings),
        )
    engine.dispose()
    keys = {key.role.value: {"Authorization": f"Bearer {key.secret}"} for key in summary.api_keys}
    logins = {login.username: login for login in summary.logins}
    assert logins["checkpoint"].password == "checkpoint-demo"
    with TestClient(create_app(settings)) as client:
        bureau, gate = keys["bureau"], keys["checkpoint"]
        issued = client.get(
            "/api/v1/passes", params={"state": "approved", "limit": 100}, headers=bureau
        ).json()
        assert issued["total"] == summary.passes - 1
        waiting = client.get(
            "/api/v1/passes", params={"state": "applied"}, headers=keys["producer"]
        ).json()
        assert waiting["total"] == summary.pass_applications
        revoked = client.get(f"/api/v1/passes/{summary.revoked_pass}", headers=bureau).json()
        assert revoked["state"] == "revoked"

        answer = client.post("/api/v1/passes/verify", json={"token": revoked["token"]}).json()
        assert answer["status"] == "revoked"
        vehicle = next(item for item in issued["items"] if item["kind"] == "vehicle")
        scans = client.post(
            "/api/v1/passes/scans", json={"scans": [{"token": vehicle["token"]}]}, headers=gate
        )
        assert scans.status_code == 201, scans.text
        assert scans.json()[0]["result"] in ("valid", "wrong_region")
        assert client.get("/api/v1/passes", headers=gate).status_code == 403
        log = client.get(
            "/api/v1/passes/scans", params={"checkpoint": "G310-W"}, headers=bureau
        ).json()
        assert log["total"] == 5
