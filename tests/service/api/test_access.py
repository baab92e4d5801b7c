"""Keys for machines, passwords for people; admin manages both; failed sign-ins throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accounts.authentication import SIGN_IN_REFUSED
from models import ApiKey, Role, User
from service.app import create_app
from service.settings import Settings
from tests.factories import make_key, make_store


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    return make_key(session, Role.admin)


def test_admin_creates_a_store_key_that_works_once_shown_and_can_be_revoked(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    make_store(session, code="PDS-0001")
    created = client.post(
        "/api/v1/keys", json={"name": "till 1", "role": "store", "store": "PDS-0001"}, headers=admin
    )
    assert created.status_code == 201, created.text
    secret = created.json()["key"]
    key_id = created.json()["id"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["role"] == "store"
    shown = client.get(f"/api/v1/keys/{key_id}", headers=admin).json()
    assert "key" not in shown and shown["store"] == "PDS-0001"
    stored = session.scalars(select(ApiKey).where(ApiKey.id == key_id)).one()
    assert secret not in (stored.key_hash, stored.prefix)
    assert client.delete(f"/api/v1/keys/{key_id}", headers=admin).json()["active"] is False
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_store_key_must_be_bound_to_exactly_one_store_or_enterprise(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.post("/api/v1/keys", json={"name": "x", "role": "store"}, headers=admin)
    assert response.status_code == 422
    bureau_bound = client.post(
        "/api/v1/keys", json={"name": "x", "role": "bureau", "store": "nowhere"}, headers=admin
    )
    assert bureau_bound.status_code == 422


def test_a_key_name_is_one_line(client: TestClient, admin: dict[str, str]) -> None:
    """A key's name heads the key lists: a line break or a reversing mark is refused."""
    for name in ("till\n1", "till \u202e1"):
        refused = client.post("/api/v1/keys", json={"name": name, "role": "bureau"}, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["loc"] == ["body", "name"]


@pytest.mark.parametrize("role", ["service_officer", "working_group"])
def test_an_officer_or_group_member_gets_no_key_that_would_be_no_one_and_signs_in_instead(
    client: TestClient, session: Session, admin: dict[str, str], role: str
) -> None:
    keys_before = session.scalar(select(func.count()).select_from(ApiKey))
    refused = client.post("/api/v1/keys", json={"name": "field", "role": role}, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert [e["loc"] for e in refused.json()["errors"]] == [["body", "role"]]
    assert "POST /api/v1/auth/login" in refused.json()["detail"]
    assert session.scalar(select(func.count()).select_from(ApiKey)) == keys_before


@pytest.mark.parametrize(
    "expires_at",
    ["9999-12-31T23:59:59-12:00", "2999-01-01T00:00:00+00:00", "0001-01-01T00:00:00+14:00"],
)
def test_a_key_expiring_at_the_calendars_edge_or_decades_ahead_is_refused_naming_expires_at(
    client: TestClient, admin: dict[str, str], expires_at: str
) -> None:
    response = client.post(
        "/api/v1/keys",
        json={"name": "x", "role": "bureau", "expires_at": expires_at},
        headers=admin,
    )
    assert response.status_code == 422, response.text
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "expires_at"]]
    in_a_year = (datetime.now(UTC) + timedelta(days=365)).isoformat()
    kept = client.post(
        "/api/v1/keys", json={"name": "y", "role": "bureau", "expires_at": in_a_year}, headers=admin
    )
    assert kept.status_code == 201, kept.text


@pytest.mark.parametrize("role", [Role.bureau, Role.store, Role.dispatcher, Role.driver])
def test_only_admin_manages_keys_and_users(
    client: TestClient, session: Session, role: Role
) -> None:
    store = make_store(session) if role is Role.store else None
    headers = make_key(session, role, store=store)
    assert client.get("/api/v1/keys", headers=headers).status_code == 403
    assert (
        client.post(
            "/api/v1/keys", json={"name": "x", "role": "admin"}, headers=headers
        ).status_code
        == 403
    )
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert (
        client.post(
            "/api/v1/users",
            json={"username": "eve", "password": "p4ssword!", "role": "admin"},
            headers=headers,
        ).status_code
        == 403
    )
    assert session.scalars(select(User).where(User.username == "eve")).first() is None


def test_an_admin_cannot_create_a_username_differing_only_in_case_from_another(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    body = {"username": "li.wei", "password": "correct horse", "role": "bureau"}
    assert client.post("/api/v1/users", json=body, headers=admin).status_code == 201
    again = client.post("/api/v1/users", json={**body, "username": "LI.Wei"}, headers=admin)
    assert again.status_code == 409, again.text
    assert "differs only in case from 'li.wei'" in again.json()["detail"]
    assert session.scalars(select(User).where(User.username == "LI.Wei")).first() is None


def test_a_person_signs_in_with_a_password_and_uses_the_session(
    client: TestClient, session: Session, admin: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/users",
        json={
            "username": "li.wei",
            "password": "correct horse",
            "role": "bureau",
            "full_name": "Li Wei",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert "password" not in created.text
    stored = session.scalars(select(User).where(User.username == "li.wei")).one()
    assert stored.password_hash.startswith("$argon2id$")
    login = client.post(
        "/api/v1/auth/login", json={"username": "li.wei", "password": "correct horse"}
    )
    assert login.status_code == 200, login.text
    assert login.json()["user"]["role"] == "bureau"
    assert "supplywatch_session" in login.headers["set-cookie"]
    assert "HttpOnly" in login.headers["set-cookie"]
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["name"] == "li.wei"
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_name_changed_later_is_held_to_the_rules_it_was_added_under(
    client: TestClient, admin: dict[str, str]
) -> None:
    client.post(
        "/api/v1/users",
        json={"username": "qian", "password": "secret-pass", "role": "bureau", "full_name": "Qian"},
        headers=admin,
    )
    for name in ("Qian\u202eteg", "Qian\nWu", "Qian\x1b[2J"):
        refused = client.patch("/api/v1/users/qian", json={"full_name": name}, headers=admin)
        assert refused.status_code == 422, name
        assert refused.json()["errors"][0]["loc"] == ["body", "full_name"]
    assert client.get("/api/v1/users/qian", headers=admin).json()["full_name"] == "Qian"


def test_a_deactivated_user_loses_their_sessions(client: TestClient, admin: dict[str, str]) -> None:
    client.post(
        "/api/v1/users",
        json={"username": "zhang", "password": "secret-pass", "role": "dispatcher"},
        headers=admin,
    )
    token = client.post(
        "/api/v1/auth/login", json={"username": "zhang", "password": "secret-pass"}
    ).json()["token"]
    assert client.delete("/api/v1/users/zhang", headers=admin).json()["active"] is False
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
        == 401
    )
    again = client.post("/api/v1/auth/login", json={"username": "zhang", "password": "secret-pass"})
    assert again.status_code == 401


def _signed_in_admin(client: TestClient, admin: dict[str, str], username: str) -> dict[str, str]:
    created = client.post(
        "/api/v1/users",
        json={"username": username, "password": "admin-pass-1", "role": "admin"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    login = client.post(
        "/api/v1/auth/login", json={"username": username, "password": "admin-pass-1"}
    )
    return {"Authorization": f"Bearer {login.json()['token']}"}


def test_an_admin_cannot_deactivate_their_own_account(
    client: TestClient, admin: dict[str, str]
) -> None:
    chen = _signed_in_admin(client, admin, "chen")
    _signed_in_admin(client, admin, "zhou")
    for refused in (
        client.delete("/api/v1/users/chen", headers=chen),
        client.patch("/api/v1/users/chen", json={"active": False}, headers=chen),
    ):
        assert refused.status_code == 409, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "your own account" in refused.json()["detail"]
    assert client.get("/api/v1/auth/me", headers=chen).status_code == 200
    assert client.delete("/api/v1/users/zhou", headers=chen).json()["active"] is False


def test_the_last_national_admin_cannot_be_deactivated_until_another_is_added(
    client: TestClient, admin: dict[str, str]
) -> None:
    _signed_in_admin(client, admin, "chen")
    last = client.delete("/api/v1/users/chen", headers=admin)
    assert last.status_code == 409, last.text
    assert "last active national admin" in last.json()["detail"]
    assert client.get("/api/v1/users/chen", headers=admin).json()["active"] is True

    _signed_in_admin(client, admin, "zhou")
    assert client.delete("/api/v1/users/chen", headers=admin).json()["active"] is False
    assert client.delete("/api/v1/users/zhou", headers=admin).status_code == 409


def test_repeated_failed_sign_ins_from_one_address_are_throttled(
    client: TestClient, admin: dict[str, str], settings: Settings
) -> None:
    client.post(
        "/api/v1/users",
        json={"username": "wang", "password": "right-password", "role": "bureau"},
        headers=admin,
    )
    for _ in range(settings.login_address_attempts):
        wrong = client.post("/api/v1/auth/login", json={"username": "wang", "password": "guess"})
        assert wrong.status_code == 401
        assert wrong.json()["detail"] == SIGN_IN_REFUSED
    throttled = client.post(
        "/api/v1/auth/login", json={"username": "wang", "password": "right-password"}
    )
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert throttled.headers["content-type"] == "application/problem+json"


def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "ghost", "password": "x"})
    assert response.status_code == 401
    assert response.json()["detail"] == SIGN_IN_REFUSED


def test_the_admin_token_setting_ensures_an_admin_key_at_start(
    settings: Settings, session_factory: object
) -> None:
    configured = settings.model_copy(update={"admin_token": "bootstrap-admin-token-123"})
    app = create_app(configured, session_factory=session_factory)  # type: ignore[arg-type]
    headers = {"Authorization": "Bearer bootstrap-admin-token-123"}
    with TestClient(app) as started:
        assert started.get("/api/v1/auth/me", headers=headers).json()["role"] == "admin"
    with TestClient(app) as restarted:
        assert restarted.get("/api/v1/keys", headers=headers).json()["total"] == 1


def test_a_revoked_admin_token_stays_revoked_after_a_restart(
    settings: Settings, session_factory: sessionmaker[Session], admin: dict[str, str]
) -> None:
    """An admin revokes the key of the configured admin token (it leaked); the service
    restarts with the same setting, and the key stays revoked."""
    token = "bootstrap-admin-token-leaked-456"
    configured = settings.model_copy(update={"admin_token": token})
    leaked = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(configured, session_factory=session_factory)) as started:
        assert started.get("/api/v1/auth/me", headers=leaked).status_code == 200
        listed = started.get("/api/v1/keys", headers=admin).json()["items"]
        key_id = next(key["id"] for key in listed if "SUPPLYWATCH_ADMIN_TOKEN" in key["name"])
        assert started.delete(f"/api/v1/keys/{key_id}", headers=admin).json()["active"] is False
        assert started.get("/api/v1/auth/me", headers=leaked).status_code == 401

    with TestClient(create_app(configured, session_factory=session_factory)) as restarted:
        assert restarted.get("/api/v1/auth/me", headers=leaked).status_code == 401
        assert restarted.get(f"/api/v1/keys/{key_id}", headers=admin).json()["active"] is False
