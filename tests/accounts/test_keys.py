"""API keys as an admin manages them: the secret shown once, bound by code, revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from accounts.authentication import authenticate_token
from accounts.keys import issue_key, list_keys, read_key, revoke_key
from core.access import Principal
from core.errors import Forbidden, InvalidInput, Unauthenticated
from models import Role
from models.base import utc_now
from tests.factories import make_enterprise

ADMIN = Principal("user", 7, "root", Role.admin)


def test_a_key_is_issued_bound_to_an_enterprise_and_works_until_revoked(
    session: Session,
) -> None:
    enterprise = make_enterprise(session, code="T-E")
    issued = issue_key(
        session=session, principal=ADMIN, name="erp", role=Role.store, enterprise="T-E"
    )
    assert (issued.key.enterprise, issued.key.created_by) == ("T-E", ADMIN.label)
    assert issued.secret.startswith(f"sw_{issued.key.prefix}_")
    caller = authenticate_token(session, issued.secret)
    assert (caller.role, caller.enterprise_id) == (Role.store, enterprise.id)
    assert read_key(session=session, principal=ADMIN, key_id=issued.key.id) == issued.key
    listed = list_keys(session=session, principal=ADMIN, role=Role.store, limit=50, offset=0)
    assert issued.key.id in [key.id for key in listed.items]

    assert not revoke_key(session=session, principal=ADMIN, key_id=issued.key.id).active
    with pytest.raises(Unauthenticated):
        authenticate_token(session, issued.secret)


def test_a_key_that_would_have_expired_already_or_is_asked_by_a_non_admin_is_refused(
    session: Session,
) -> None:
    with pytest.raises(InvalidInput, match="in the past"):
        issue_key(
            session=session,
            principal=ADMIN,
            name="late",
            role=Role.bureau,
            expires_at=utc_now() - timedelta(seconds=1),
        )
    with pytest.raises(Forbidden):
        issue_key(
            session=session,
            principal=Principal("user", 8, "li", Role.bureau),
            name="mine",
            role=Role.bureau,
        )
