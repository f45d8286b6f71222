"""Logs, metrics and health: structured JSON logs with a request id, Prometheus metrics.

Metrics live in a registry per app (each worker process has its own; scrape each worker or
put them behind one that aggregates).
"""

from __future__ import annotations

import contextvars
import logging
import os
import sys
import time
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omniloop.errors import Unavailable

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "omniloop_request_id", default=None
)

access_log = logging.getLogger("omniloop.access")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(*, level: str = "info", json_logs: bool = True) -> None:
    """Send every log line to stderr, as one JSON object per line when ``json_logs``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    if json_logs:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "ts", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("omniloop")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


class Metrics:
    """The service's Prometheus instruments, in their own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "omniloop_http_requests_total",
            "HTTP requests by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "omniloop_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.reservation_conflicts = Counter(
            "omniloop_reservation_conflicts_total",
            "Reservations refused for insufficient stock.",
            registry=self.registry,
        )
        self.outbox_lag = Gauge(
            "omniloop_outbox_lag_seconds",
            "Age of the oldest event not yet dispatched (0 when none is waiting).",
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "omniloop_outbox_pending_events",
            "Events committed but not yet dispatched.",
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "omniloop_webhook_delivery_attempts_total",
            "Webhook delivery attempts by outcome.",
            ["outcome"],
            registry=self.registry,
        )


API_PREFIX = "/api/v1"


def _route_template(scope: Scope) -> str:
    """The matched route's template (``/api/v1/locations/{code}``), never the raw path, so
    metrics keep a bounded number of label values."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return "unmatched"
    # Routes included under a prefix report their own path only.
    if str(scope.get("path", "")).startswith(API_PREFIX + "/") and not path.startswith(API_PREFIX):
        return API_PREFIX + path
    return path


class RequestContextMiddleware:
    """Gives each request an id (``X-Request-ID``), logs it as JSON and counts it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 128 and incoming.isprintable() else ""
        request_id = request_id or uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status_holder: dict[str, int] = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope.get("method", "")
            status = status_holder["status"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            access_log.info(
                "request",
                extra={
                    "method": method,
                    "path": scope.get("path"),
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)


router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, Any]:
    return {"status": "ok", "pid": os.getpid()}


@router.get("/readyz", summary="The database is reachable")
async def readyz(request: Request) -> dict[str, Any]:
    db = request.app.state.db
    try:
        async with db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver failure means not ready
        raise Unavailable(f"database unreachable: {type(exc).__name__}") from None
    return {"status": "ready", "database": db.dialect}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    from omniloop.webhooks.service import outbox_backlog

    registry: Metrics = request.app.state.metrics
    try:
        pending, lag = await outbox_backlog(db=request.app.state.db)
        registry.outbox_pending.set(pending)
        registry.outbox_lag.set(lag)
    except Exception:  # metrics must answer even when the database does not
        logging.getLogger("omniloop.metrics").warning("could not read outbox backlog")
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
