"""The response envelope, request ids, and the one place errors become responses."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skyclust_common import logs
from skyclust_common.errors import SkyclustError
from skyclust_common.observability import current_traceparent, extract_trace, tracer

from .errors import StreamBusy

log = logging.getLogger(__name__)
_tracer = tracer(__name__)
# The shared one, so every log line of the request carries its id.
request_id_var = logs.request_id_var
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


class FastJSONResponse(JSONResponse):
    """JSON rendered by orjson: the envelope of every answer, several times faster than
    the standard library's encoder. FastAPI's own documents (OpenAPI) are untouched."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def ok(data: Any, status: int = 200, message: str | None = None) -> JSONResponse:
    return FastJSONResponse(
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
    return FastJSONResponse(
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


class RequestIdMiddleware:
    """The outermost layer: a request id (the caller's when it is well formed) and a
    trace context for everything inside, echoed on the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        parent: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name in (b"traceparent", b"tracestate"):
                parent[name.decode()] = value.decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        try:
            with _tracer.start_as_current_span(
                f"{scope['method']} {scope['path']}",
                context=extract_trace(parent) if parent else None,
            ):
                echo = [(b"x-request-id", request_id.encode())]
                traceparent = current_traceparent()
                if traceparent:
                    echo.append((b"traceparent", traceparent.encode()))

                async def with_ids(message: Message) -> None:
                    if message["type"] == "http.response.start":
                        message["headers"] = [
                            *(
                                (name, value)
                                for name, value in message.get("headers", ())
                                if name.lower() not in (b"x-request-id", b"traceparent")
                            ),
                            *echo,
                        ]
                    await send(message)

                await self.app(scope, receive, with_ids)
        finally:
            request_id_var.reset(token)


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
        response = failure(exc.status, exc.code, exc.message, exc.details)
        if isinstance(exc, StreamBusy):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

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
