"""Dependencies the API and the pages share: the request's session, settings and caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from accounts.authentication import authenticate_token
from core.access import Principal
from core.database import SessionFactory, mark_read_only
from core.errors import Unauthenticated
from pass_office.authority import PassAuthority
from service.observability import Metrics
from service.settings import Settings

SESSION_COOKIE = "supplywatch_session"
"""The cookie that carries a signed-in person's session token in the pages."""


async def get_settings(request: Request) -> Settings:
    """The settings the app was built with (async: no thread-pool hop for a lookup)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_metrics(request: Request) -> Metrics:
    """The app's metrics (async: no thread-pool hop for a lookup)."""
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_pass_authority(request: Request) -> PassAuthority:
    """The issuer and signing keys the app loaded at start (async: a lookup)."""
    authority: PassAuthority = request.app.state.pass_authority
    return authority


async def get_session_factory(request: Request) -> SessionFactory:
    """The factory of the app's sessions, for work that needs a short transaction of its
    own beside the request's (async: no thread-pool hop for a lookup)."""
    factory: SessionFactory = request.app.state.session_factory
    return factory


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed after the endpoint returns, before the
    response is sent (function scope), rolled back if anything raised."""
    factory: SessionFactory = request.app.state.session_factory
    session = factory()
    if request.method in ("GET", "HEAD"):
        mark_read_only(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


bearer_scheme = HTTPBearer(
    auto_error=False, description="An API key or a session token from /auth/login"
)


def get_principal(
    session: Annotated[Session, Depends(get_session, scope="function")],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The authenticated caller, or 401."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise Unauthenticated(
            "send 'Authorization: Bearer <api key>'", headers={"WWW-Authenticate": "Bearer"}
        )
    return authenticate_token(session, credentials.credentials)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
PassAuthorityDep = Annotated[PassAuthority, Depends(get_pass_authority)]
