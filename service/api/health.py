"""Liveness, readiness and Prometheus metrics, outside the versioned API."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.database import SessionFactory, mark_read_only
from service.migrate import current_revisions, head_revisions
from service.observability import Metrics

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


@health_router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}}},
)
def metrics(request: Request) -> Response:
    registry = request.app.state.metrics
    assert isinstance(registry, Metrics)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
