"""The response envelope, request ids, and the one place errors become responses."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from skyclust_common.errors import SkyclustError
from skyclust_common.observability import current_traceparent, extract_trace, tracer

log = logging.getLogger(__name__)
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,128}$")

T = TypeVar("T")


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorEnvelope(BaseModel):
    success: bool
    data: None = None
    error: ErrorBody
    message: str | None = None
    request_id: str
    timestamp: datetime


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


# What any route may answer besides success; documented so clients (and the OpenAPI
# fuzzing test) know every status the gateway can return.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("Malformed request"),
    401: _error("Missing, invalid or expired token"),
    403: _error("Your role may not do this"),
    404: _error("Not found, or in another workspace"),
    409: _error("Conflict with the current state"),
    413: _error("Request body too large"),
    422: _error("The request does not match the schema"),
    429: _error("Rate limited; see Retry-After"),
    500: _error("Internal error (a bug; never a stack trace)"),
    502: _error("The cloud provider failed"),
    503: _error("A service SkyClust depends on is unavailable"),
}


class Envelope(BaseModel, Generic[T]):
    success: bool
    data: T | None = None
    error: ErrorBody | None = None
    message: str | None = None
    request_id: str
    timestamp: datetime


def _now() -> str:
    return datetime.now(UTC).isoformat()


def ok(data: Any, status: int = 200, message: str | None = None) -> JSONResponse:
    return JSONResponse(
        {
            "success": True,
            "data": data,
            "error": None,
            "message": message,
            "request_id": request_id_var.get(),
            "timestamp": _now(),
        },
        status_code=status,
    )


def failure(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> JSONResponse:
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if status == 429 and details and "retry_after" in details:
        headers["Retry-After"] = str(details["retry_after"])
    return JSONResponse(
        {
            "success": False,
            "data": None,
            "error": {"code": code, "message": message, "details": details or {}},
            "message": message,
            "request_id": request_id_var.get(),
            "timestamp": _now(),
        },
        status_code=status,
        headers=headers,
    )


class RequestIdMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        span_name = f"{request.method} {request.url.path}"
        try:
            with tracer(__name__).start_as_current_span(
                span_name, context=extract_trace(dict(request.headers))
            ):
                traceparent = current_traceparent()
                response = await call_next(request)
        finally:
            request_id_var.reset(token)
        response.headers["X-Request-ID"] = request_id
        if traceparent:
            response.headers["traceparent"] = traceparent
        return response


_HTTP_CODES = {
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SkyclustError)
    async def skyclust_error(request: Request, exc: SkyclustError) -> JSONResponse:
        if exc.status >= 500:
            log.error("request failed", extra={"code": exc.code, "error": exc.message})
        return failure(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        # Field locations and problem kinds only: never echo submitted values.
        errors = [
            {
                "field": ".".join(str(part) for part in err.get("loc", ()) if part != "body"),
                "problem": err.get("type", "invalid"),
                "message": err.get("msg", ""),
            }
            for err in exc.errors()
        ]
        fields = ", ".join(e["field"] or "(body)" for e in errors)
        return failure(422, "VALIDATION_ERROR", f"invalid request: {fields}", {"errors": errors})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "HTTP_ERROR")
        return failure(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return failure(500, "INTERNAL_ERROR", "internal error")
