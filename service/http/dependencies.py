"""Dependencies the API and the pages share: the request's session, settings and caller."""

from __future__ import annotations

import ipaddress
import logging
import math
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from accounts.authentication import authenticate_token
from core.access import Principal
from core.database import (
    SessionFactory,
    is_lock_timeout,
    is_unique_violation,
    mark_read_only,
    read_apart,
)
from core.errors import Conflict, ServiceBusy, Unauthenticated
from core.job_allowance import long_work_in_request
from core.kept_documents import DocumentShelf
from pass_office.authority import PassAuthority
from service.observability import Metrics
from service.settings import Settings

log = logging.getLogger("supplywatch.http")

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


async def get_document_shelf(request: Request) -> DocumentShelf:
    """The documents this process made and keeps (async: a lookup)."""
    shelf: DocumentShelf = request.app.state.document_shelf
    return shelf


async def get_pass_authority(request: Request) -> PassAuthority:
    """The issuer and signing keys the app loaded at start (async: a lookup)."""
    authority: PassAuthority = request.app.state.pass_authority
    return authority


async def get_session_factory(request: Request) -> SessionFactory:
    """The factory of the app's sessions, for work that needs a short transaction of its
    own beside the request's (async: no thread-pool hop for a lookup)."""
    factory: SessionFactory = request.app.state.session_factory
    return factory


def refuse_request(request: Request) -> None:
    """Mark the request refused: its session rolls back everything the request wrote, even
    when the error was turned into a page instead of reaching the session dependency."""
    request.state.refused = True


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed after the endpoint returns, before the
    response is sent (function scope); rolled back if anything raised or the request was
    refused (an error rendered as a page). While open it is also ``request.state.session``,
    so a page's render reads what its template asks for (unit names) in the same transaction."""
    factory: SessionFactory = request.app.state.session_factory
    session = factory()
    if request.method in ("GET", "HEAD"):
        mark_read_only(session)
    request.state.session = session
    try:
        yield session
        if getattr(request.state, "refused", False):
            session.rollback()
        else:
            session.commit()
    except OperationalError as error:
        session.rollback()
        if is_lock_timeout(error):
            raise _busy(request) from error
        raise
    except IntegrityError as error:
        session.rollback()
        if is_unique_violation(error):
            raise Conflict(
                "another request made the same thing at the same moment; nothing was saved, "
                "read it again and retry if still needed"
            ) from error
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        request.state.session = None
        session.close()


def get_replica_session(
    request: Request, primary: Annotated[Session, Depends(get_session, scope="function")]
) -> Iterator[Session]:
    """A read-only session on the read replica for reads that tolerate a little lag; the
    request's own session when no replica is set or it cannot be reached (a dead replica
    must not take the dashboards down). A replica session is never committed."""
    replica: SessionFactory | None = request.app.state.replica_session_factory
    session = _connected_reader(replica) if replica is not None else None
    if session is None:
        if replica is not None:
            log.warning("the read replica cannot be reached; reading from the primary")
            metrics: Metrics = request.app.state.metrics
            metrics.replica_fallbacks.inc()
        yield primary
        return
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def _connected_reader(factory: SessionFactory) -> Session | None:
    """A read-only session of ``factory`` with its connection open, or None when its
    database does not answer."""
    session = factory()
    try:
        mark_read_only(session)
        session.connection()
    except OperationalError:
        session.close()
        return None
    return session


def _busy(request: Request) -> ServiceBusy:
    """The 503 of a write that waited for another's lock as long as the settings allow."""
    settings: Settings = request.app.state.settings
    wait = settings.database_lock_wait_seconds
    return ServiceBusy(
        "the database is busy with another write; nothing was saved, try again in {seconds} s",
        seconds=math.ceil(wait),
        headers={"Retry-After": str(math.ceil(wait))},
    )


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
    token = credentials.credentials
    return read_apart(session, lambda: authenticate_token(session, token))


def client_address(request: Request) -> str:
    """The address sign-in throttling counts attempts against: the peer as the server
    saw it (behind a proxy, name it in SUPPLYWATCH_FORWARDED_ALLOW_IPS so this is the
    real client, not the proxy); an IPv6 peer counts
    as its /64, which one attacker usually holds whole."""
    host = request.client.host if request.client is not None else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
ReplicaSessionDep = Annotated[Session, Depends(get_replica_session, scope="function")]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
PassAuthorityDep = Annotated[PassAuthority, Depends(get_pass_authority)]
DocumentShelfDep = Annotated[DocumentShelf, Depends(get_document_shelf)]


def hold_long_work(
    session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> Iterator[None]:
    """An endpoint that runs long work in its request holds one of the caller's job
    allowance while it runs (a 429 past it), as a queued job does."""
    with long_work_in_request(
        session, principal=principal, most_unfinished=settings.max_unfinished_jobs
    ):
        yield


LONG_WORK = Depends(hold_long_work, scope="function")
"""For the ``dependencies`` of an endpoint that solves, re-plans or reads a file in its request."""
