"""Prometheus metrics and structured (JSON) logs.

Each app owns its registry, so several apps in one process (tests) never clash, and
labels are bounded: route templates, never raw paths, never store × product.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("supplywatch.access")


class Metrics:
    """The service's own metrics, registered in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "supplywatch_http_requests",
            "HTTP requests by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "supplywatch_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.report_lines = Counter(
            "supplywatch_report_lines_received",
            "Report lines accepted, by source (report or bulk) and outcome.",
            ["source", "outcome"],
            registry=self.registry,
        )
        self.rejected_batches = Counter(
            "supplywatch_report_batches_rejected",
            "Reports or bulk files rejected whole, by source.",
            ["source"],
            registry=self.registry,
        )
        self.replica_fallbacks = Counter(
            "supplywatch_read_replica_fallbacks",
            "Reads meant for the read replica served by the primary because the replica "
            "did not answer.",
            registry=self.registry,
        )


class MetricsMiddleware:
    """Counts and times every request by its route template, and writes an access log."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            label = route_template(scope)
            method = scope.get("method", "")
            status = status_holder["status"]
            self.metrics.requests.labels(method, label, str(status)).inc()
            self.metrics.latency.labels(method, label).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "route": label,
                    "path": scope.get("path"),
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


def route_template(scope: Scope) -> str:
    """The matched route's full template (``/api/v1/stores/{store}``), or "unmatched".

    FastAPI ≥ 0.12x resolves included routers lazily and records the full template in
    ``scope["fastapi"]["effective_route_context"]``; older versions leave the full
    route in ``scope["route"]``.
    """
    fastapi_scope = scope.get("fastapi")
    candidates = [scope.get("route")]
    if isinstance(fastapi_scope, dict):
        candidates.insert(0, fastapi_scope.get("effective_route_context"))
    for candidate in candidates:
        template = getattr(candidate, "path_format", None)
        if template:
            return str(template)
    return "unmatched"


_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with any ``extra=`` fields as keys."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


def configure_logging(*, json_logs: bool, level: str) -> None:
    """Send the service's logs to stderr, as JSON lines unless told otherwise."""
    handler = logging.StreamHandler(sys.stderr)
    if json_logs:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("supplywatch")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
