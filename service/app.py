"""The FastAPI application: wiring only (middleware, error rendering, routers)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from accounts.authentication import ensure_admin_key
from core.database import (
    SessionFactory,
    create_database_engine,
    create_session_factory,
    session_scope,
)
from core.errors import PROBLEM_JSON, DomainError, NotFound, listed_within_budget, problem
from core.job_metrics import JobCollector
from core.kept_documents import DocumentShelf
from core.text import clipped, echoed
from dispatch.metrics import DispatchCollector
from models.base import utc_now
from monitors.metrics import MonitorCollector
from service.api import api_router
from service.api.health import health_router
from service.configuration import pass_authority
from service.middleware import BodySizeLimitMiddleware
from service.observability import Metrics, MetricsMiddleware, configure_logging
from service.scheduling import build_scheduler, recover_interrupted_jobs
from service.security_headers import SecurityHeadersMiddleware
from service.settings import Settings, get_settings
from service.web import static_files, web_router
from service.web.common import error_page

log = logging.getLogger("supplywatch.app")

REPLICA_CONNECT_S = 2
"""How long a request waits for the read replica to answer before reading the primary."""
DOCUMENTS_KEPT = 64
"""Published bulletins' PDFs kept per process (a revision in a language, ~100 kB each)."""
DOCUMENT_MAKERS = 2
"""PDFs made at once: the rest wait their turn instead of taking every worker."""
DOCUMENT_WAIT_SECONDS = 20.0
"""How long a caller waits for a turn before a 503 with Retry-After."""

BULK_UPLOAD_PATHS = (
    "/api/v1/reports/bulk",
    "/api/v1/reports/bulk-jobs",
    "/api/v1/producers/import",
    "/api/v1/passes/bulk",
)


def create_app(
    settings: Settings | None = None, *, session_factory: SessionFactory | None = None
) -> FastAPI:
    """Build the service for ``settings``; tests pass their own session factory."""
    settings = settings or get_settings()
    configure_logging(json_logs=settings.log_json, level=settings.log_level)
    engines = []
    if session_factory is None:
        engines.append(
            create_database_engine(
                settings.database_url, lock_wait_s=settings.database_lock_wait_seconds
            )
        )
        session_factory = create_session_factory(engines[-1])
    replica_session_factory = None
    if settings.read_database_url:
        # A replica that does not answer in 2 s is skipped for the primary, not waited on.
        engines.append(
            create_database_engine(
                settings.read_database_url, connect_args={"connect_timeout": REPLICA_CONNECT_S}
            )
        )
        replica_session_factory = create_session_factory(engines[-1])

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if settings.admin_token:
            with session_scope(session_factory) as session:
                ensure_admin_key(session, settings.admin_token)
        stop = None
        if settings.scheduler_in_process:
            if not settings.broker_url:
                _run_jobs_left_by_the_last_process(settings, session_factory)
            _thread, stop = build_scheduler(settings, session_factory).start_thread()
        # What is loaded by now lives as long as the process: the cycle collector need not
        # walk it again and again. Its full passes over every module, model and route
        # paused requests for hundreds of ms (bench/api.py's p99 ~830 ms, ~320-370 frozen).
        gc.freeze()
        yield
        gc.unfreeze()  # a process that builds apps again and again (tests) keeps nothing
        if stop is not None:
            stop.set()
        for engine in engines:
            engine.dispose()

    app = FastAPI(
        title="supplywatch",
        version="0.1.0",
        description=(
            "Daily stock, sales and prices from a city's stores; days of supply, alerts, "
            "and emergency deliveries to locked-down compounds."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by service.web.api_docs from the vendored Swagger UI
        redoc_url=None,  # ReDoc injects inline styles and web workers; Swagger UI is enough
    )
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.replica_session_factory = replica_session_factory
    app.state.pass_authority = pass_authority(settings)
    app.state.metrics = Metrics()
    app.state.document_shelf = DocumentShelf(
        capacity=DOCUMENTS_KEPT, makers=DOCUMENT_MAKERS, wait_seconds=DOCUMENT_WAIT_SECONDS
    )
    app.state.metrics.registry.register(MonitorCollector(session_factory))
    app.state.metrics.registry.register(DispatchCollector(session_factory))
    app.state.metrics.registry.register(JobCollector(session_factory))

    app.add_middleware(
        BodySizeLimitMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_upload_bytes=settings.max_upload_bytes,
        upload_paths=BULK_UPLOAD_PATHS,
    )
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    app.add_middleware(SecurityHeadersMiddleware)
    _install_problem_handlers(app)
    app.include_router(health_router)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(web_router)
    app.mount("/static", static_files(), name="static")
    return app


def _problem_response(
    request: Request,
    status: int,
    body: dict[str, Any],
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body.setdefault("instance", request.url.path)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


NOT_PAGES = ("/api/", "/static/", "/healthz", "/readyz", "/metrics", "/openapi.json")
"""Paths whose missing address answers a problem (JSON), even to a browser."""


def _wants_a_page(request: Request) -> bool:
    """Whether a request for an address that does not exist came from a person in a
    browser (who should see a page saying so), not from a program or a static asset."""
    accepted = request.headers.get("accept", "")
    return "text/html" in accepted and not request.url.path.startswith(NOT_PAGES)


def _install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        body = problem(
            status=exc.status,
            title=exc.title,
            detail=exc.detail,
            type_slug=exc.type_slug,
            errors=exc.errors,
            extra=exc.extra,
        )
        return _problem_response(request, exc.status, body, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [echoed(part) if not isinstance(part, int) else part for part in e["loc"]],
                "msg": clipped(e["msg"]),
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid"}
        where = ".".join(str(p) for p in first["loc"])
        detail = f"{where}: {first['msg']}"
        if len(errors) > 1:
            detail += f" (and {len(errors) - 1} more)"
        listed = listed_within_budget(errors)
        body = problem(
            status=422,
            title="Invalid input",
            detail=detail,
            type_slug="validation-error",
            errors=errors[:listed],
            extra={"errors_listed": listed} if listed < len(errors) else None,
        )
        return _problem_response(request, 422, body)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _wants_a_page(request):
            missing = NotFound("there is no page at {path}", path=request.url.path)
            return await error_page(request, missing)
        title = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}.get(
            exc.status_code, "HTTP error"
        )
        body = problem(
            status=exc.status_code,
            title=title,
            detail=str(exc.detail),
            type_slug=title.lower().replace(" ", "-"),
        )
        return _problem_response(request, exc.status_code, body, exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        body = problem(
            status=500,
            title="Internal server error",
            detail="the server failed to handle this request; it has been logged",
            type_slug="internal-error",
        )
        return _problem_response(request, 500, body)


def _run_jobs_left_by_the_last_process(settings: Settings, factory: SessionFactory) -> None:
    """The only web process, with no broker, runs every job itself: whatever is still
    queued or running when it starts was left by the process before it (stopped or
    killed), so it runs again now rather than after the scheduler's silence."""
    try:
        recover_interrupted_jobs(settings, factory, silent_since=utc_now())
    except Exception:
        log.exception("could not recover the jobs left by the last process")
