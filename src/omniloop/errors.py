"""Every error Omniloop answers with, and the one handler that renders them.

Errors are a typed tree rooted at :class:`OmniloopError`; each carries a stable machine
``code`` and an HTTP ``status``, and renders as ``application/problem+json``::

    OmniloopError                      500 internal_error
    ├── MalformedRequest               400 malformed_json
    ├── ValidationFailed               422 validation_error
    ├── Unauthorized                   401 unauthorized
    ├── Forbidden                      403 forbidden
    ├── NotFound                       404 not_found
    ├── Conflict                       409 conflict
    │   ├── AlreadyExists              409 already_exists
    │   ├── IdempotencyConflict        409 idempotency_conflict
    │   └── (domain conflicts, e.g. inventory.errors.InsufficientStock 409 insufficient_stock)
    ├── RateLimited                    429 rate_limited
    └── Unavailable                    503 unavailable (also: database overloaded or unreachable)

Domains add their own leaves in their ``errors.py``; routes never raise ``HTTPException``
for business rules.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_BASE = "https://omniloop.dev/problems/"
PROBLEM_JSON = "application/problem+json"

log = logging.getLogger("omniloop.errors")


class OmniloopError(Exception):
    """Root of every error the API reports."""

    code = "internal_error"
    status = 500
    title = "Internal error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class MalformedRequest(OmniloopError):
    code, status, title = "malformed_json", 400, "Malformed request body"


class ValidationFailed(OmniloopError):
    code, status, title = "validation_error", 422, "Validation failed"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        if field is not None:
            extra.setdefault("errors", [{"field": field, "message": detail}])
        super().__init__(detail, **extra)


class Unauthorized(OmniloopError):
    code, status, title = "unauthorized", 401, "Unauthorized"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["WWW-Authenticate"] = 'Bearer realm="omniloop"'


class Forbidden(OmniloopError):
    code, status, title = "forbidden", 403, "Forbidden"


class NotFound(OmniloopError):
    code, status, title = "not_found", 404, "Not found"


class MethodNotAllowed(OmniloopError):
    code, status, title = "method_not_allowed", 405, "Method not allowed"


class Conflict(OmniloopError):
    code, status, title = "conflict", 409, "Conflict"


class AlreadyExists(Conflict):
    code, title = "already_exists", "Already exists"


class IdempotencyConflict(Conflict):
    code, title = "idempotency_conflict", "Idempotency key reused with another request"


class PayloadTooLarge(OmniloopError):
    code, status, title = "payload_too_large", 413, "Payload too large"


class RateLimited(OmniloopError):
    code, status, title = "rate_limited", 429, "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **extra)
        self.headers["Retry-After"] = str(retry_after)


class Unavailable(OmniloopError):
    code, status, title = "unavailable", 503, "Service unavailable"


def problem_response(error: OmniloopError, request: Request | None = None) -> JSONResponse:
    instance = request.url.path if request is not None else None
    return JSONResponse(
        error.to_problem(instance),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=error.headers or None,
    )


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        prefix, parts = parts[0], parts[1:]
        return ".".join(parts) if parts else prefix
    return ".".join(parts)


def validation_problem(exc: RequestValidationError) -> OmniloopError:
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        err = errors[0]
        ctx = err.get("ctx") or {}
        reason = ctx.get("error", "invalid JSON")
        return MalformedRequest(f"request body is not valid JSON: {reason}")
    details = [
        {"field": _field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e["type"]}
        for e in errors
    ]
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return ValidationFailed(summary or "request does not validate", errors=details)


_TRANSIENT_MARKERS = (
    "too many clients",
    "database is locked",
    "connection refused",
    "connection was closed",
    "cannot connect",
    "could not connect",
    "server closed the connection",
    "the database system is starting up",
    "deadlock detected",
    "could not serialize access",
)


def is_transient_database_error(exc: BaseException) -> bool:
    """True for failures a retry can cure: overload, lost connections, lock timeouts."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, OperationalError | SATimeoutError):
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return any(marker in text for marker in _TRANSIENT_MARKERS)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, ours or the framework's, as problem+json."""

    @app.exception_handler(OmniloopError)
    async def _omniloop(request: Request, exc: OmniloopError) -> JSONResponse:
        return problem_response(exc, request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(exc), request)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        mapped: OmniloopError
        if exc.status_code == 404:
            mapped = NotFound(f"no route {request.method} {request.url.path}")
        elif exc.status_code == 405:
            mapped = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
        elif exc.status_code == 401:
            mapped = Unauthorized(str(exc.detail))
        elif exc.status_code == 413:
            mapped = PayloadTooLarge(str(exc.detail))
        else:
            mapped = OmniloopError(str(exc.detail))
            mapped.status, mapped.code, mapped.title = exc.status_code, "http_error", "HTTP error"
        return problem_response(mapped, request)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if is_transient_database_error(exc):
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
            error = Unavailable("the database is busy or unreachable; retry shortly")
            error.headers["Retry-After"] = "1"
            return problem_response(error, request)
        log.exception("database error on %s %s", request.method, request.url.path)
        return problem_response(OmniloopError("an unexpected error occurred"), request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(OmniloopError("an unexpected error occurred"), request)
