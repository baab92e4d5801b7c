"""Liveness, readiness and Prometheus metrics, outside the versioned API."""

from __future__ import annotations

import hmac
from ipaddress import ip_address

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.database import SessionFactory, mark_read_only
from core.errors import Unauthenticated
from service.migrate import current_revisions, head_revisions
from service.observability import Metrics
from service.settings import Settings

health_router = APIRouter(tags=["operations"])


@health_router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@health_router.get(
    "/readyz",
    summary="The database answers and its schema is at the newest migration",
    responses={503: {"description": "Not ready: database unreachable or migrations pending"}},
)
def readyz(request: Request) -> JSONResponse:
    factory: SessionFactory = request.app.state.session_factory
    try:
        with factory() as session:
            mark_read_only(session)
            session.execute(text("SELECT 1"))
            current = current_revisions(session.connection())
    except SQLAlchemyError as error:
        return JSONResponse(
            {"status": "unavailable", "database": "unreachable", "error": type(error).__name__},
            status_code=503,
        )
    expected = head_revisions()
    if current != expected:
        return JSONResponse(
            {
                "status": "unavailable",
                "database": "reachable",
                "migrations": "pending",
                "current": sorted(current),
                "head": sorted(expected),
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "reachable", "migrations": "at head"})


def _from_allowed_network(request: Request, settings: Settings) -> bool:
    """Whether the client's address lies in a network allowed to scrape without the token."""
    if request.client is None:
        return False
    try:
        address = ip_address(request.client.host)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.metrics_networks)


def _has_metrics_token(request: Request, settings: Settings) -> bool:
    """Whether the request carries the configured scraper token as a bearer token."""
    if settings.metrics_token is None:
        return False
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    expected = settings.metrics_token.get_secret_value()
    # as bytes: compare_digest takes ASCII text only (a non-ASCII token raised TypeError,
    # a 500); a header's text is its bytes read as Latin-1, the setting's its UTF-8 bytes
    return scheme.lower() == "bearer" and hmac.compare_digest(
        sent.strip().encode("latin-1"), expected.encode("utf-8")
    )


async def require_metrics_access(request: Request) -> None:
    """Refuse /metrics to anyone but a scraper with the token or from an allowed network:
    its figures (district days of supply, alerts) are ones the API refuses a store key."""
    settings: Settings = request.app.state.settings
    if _has_metrics_token(request, settings) or _from_allowed_network(request, settings):
        return
    raise Unauthenticated(
        "/metrics needs 'Authorization: Bearer <SUPPLYWATCH_METRICS_TOKEN>' or a client "
        "address in SUPPLYWATCH_METRICS_ALLOWED_NETWORKS",
        headers={"WWW-Authenticate": "Bearer"},
    )


@health_router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="For a scraper with the bearer token SUPPLYWATCH_METRICS_TOKEN or from a "
    "network in SUPPLYWATCH_METRICS_ALLOWED_NETWORKS (by default the machine itself).",
    response_class=Response,
    dependencies=[Depends(require_metrics_access)],
    responses={
        200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}},
        401: {"description": "No scraper token and an address outside the allowed networks"},
    },
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics
    assert isinstance(registry, Metrics)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
