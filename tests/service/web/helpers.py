"""Signing in to the pages from a test client, as a browser would."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from accounts.authentication import create_user
from models import RegionLevel, Role, Store
from tests.factories import make_region

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token the page at ``path`` carries in its forms."""
    found = CSRF_FIELD.search(client.get(path).text)
    assert found, f"{path} has no CSRF field"
    return found.group(1)


def make_person(session: Session, username: str, role: Role, *, store: Store | None = None) -> str:
    """A user whose password is ``<username>-password``; returns the password."""
    password = f"{username}-password"
    create_user(
        session,
        username=username,
        password=password,
        role=role,
        store_id=store.id if store else None,
    )
    session.commit()
    return password


def sign_in(client: TestClient, username: str, password: str, next_page: str = "") -> Response:
    """Post the sign-in form (not following the redirect)."""
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "next": next_page,
            "csrf_token": csrf(client),
        },
        follow_redirects=False,
    )


def make_weidong(session: Session) -> None:
    """The hotline stories' city 4104 with its district Weidong (410403), committed."""
    city = make_region(session, code="4104", level=RegionLevel.city)
    make_region(session, code="410403", name="Weidong", parent=city)
    session.commit()
