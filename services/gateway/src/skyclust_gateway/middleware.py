"""Cross-cutting behaviour of the gateway as a security boundary: the audit record of
every change, body limits, security headers and the last-resort 500 (rate limits are
in `rate_limits`).

Each is plain ASGI, wrapping `receive` or `send` where it needs to: no per-request task
group or response stream, so a read pays a few function calls for all of them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from skyclust_common import nats_permissions
from skyclust_common.envelope import new_event

from .envelope import failure, request_id_var

log = logging.getLogger(__name__)

CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
# Audit events are not workspace events: they stay off the workspace's live stream.
# Only the gateway's NATS user may publish on AUDIT_SUBJECT (identity trusts it for that).
AUDIT_SUBJECT = nats_permissions.AUDIT_SUBJECT
_RESOURCES = {
    "credentials": "credential",
    "clusters": "cluster",
    "workspaces": "workspace",
    "members": "member",
    "api-keys": "api_key",
    "auth": "session",
    "events": "stream",
    "vpcs": "vpc",
    "subnets": "subnet",
    "security-groups": "security_group",
    "node-groups": "node_group",
}


def _resource_type(path: str) -> str:
    parts = [p for p in path.split("/") if p and not p.startswith("{")]
    for part in reversed(parts):
        if part in _RESOURCES:
            return _RESOURCES[part]
    return parts[-1] if parts else "api"


def _outcome(status: int) -> str:
    if status in (401, 403):
        return "denied"
    return "success" if status < 400 else "failure"


class AuditMiddleware:
    """Every change through the gateway becomes an AuditRecorded event, whatever its
    outcome, with who, what, on which resource, from where and the request id.

    The response of a change is held back until its record is published, so a client
    that has its answer can already find the record on the bus."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in CHANGES:
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, receive, hold)
        finally:
            status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
            body = None
            if scope["method"] == "POST" and status < 300:
                body = b"".join(
                    m.get("body", b"") for m in held if m["type"] == "http.response.body"
                )
            try:
                await self._record(scope, status, body)
            except Exception as exc:
                log.error("audit record not published", extra={"error": str(exc)})
        for message in held:
            await send(message)

    async def _record(self, scope: Scope, status: int, body: bytes | None) -> None:
        app = scope.get("app")
        bus = getattr(getattr(app, "state", None), "bus", None)
        if bus is None:
            return
        route = scope.get("route")
        endpoint = scope.get("endpoint")
        template = str(getattr(route, "path", scope["path"]))
        principal = scope["state"].get("principal")
        data: dict[str, Any] = {}
        if body:
            try:
                data = orjson.loads(body).get("data") or {}
            except (ValueError, AttributeError):
                data = {}
        params = scope.get("path_params") or {}
        ids = [str(v) for k, v in params.items() if k.endswith("_id")]
        resource_id = ids[-1] if ids else (str(data.get("id")) if data.get("id") else None)
        workspace_id = principal.workspace_id if principal else None
        actor_type, actor_id = ("anonymous", None)
        if principal is not None:
            actor_type, actor_id = principal.actor_type, principal.actor_id
        elif isinstance(data.get("user"), dict):  # a sign-up: the new user did it
            actor_type, actor_id = "user", data["user"].get("id")
            workspace_id = (data.get("workspace") or {}).get("id")
            resource_id = actor_id
        headers = Headers(scope=scope)
        client = scope.get("client")
        record = {
            "workspace_id": workspace_id,
            "actor_type": actor_type,
            "actor_id": actor_id,
            "action": getattr(endpoint, "__name__", scope["method"].lower()),
            "resource_type": _resource_type(template),
            "resource_id": resource_id,
            "outcome": _outcome(status),
            "status_code": status,
            "client_address": client[0] if client else None,
            "user_agent": (headers.get("user-agent") or "")[:512] or None,
            "request_id": request_id_var.get() or None,
            "correlation_id": None,
            "details": {"method": scope["method"], "path": template},
            "occurred_at": datetime.now(UTC).isoformat(),
        }
        event = new_event(
            "AuditRecorded",
            record,
            source="gateway",
            subject=resource_id or record["action"],
            workspace_id=workspace_id,
            actor_id=actor_id,
        )
        await bus.publish(event, subject=AUDIT_SUBJECT)


class BodyLimitMiddleware:
    """Refuses a body over `limit` bytes with 413, counted on the bytes that arrive:
    a declared Content-Length is checked before anything reads the body, and a chunked
    (or understated) body is cut off as soon as it passes the limit."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # Raised into whatever reads the body; FastAPI and the error handlers
                    # turn it into the 413 envelope, inside the request id.
                    raise PayloadTooLarge(self.limit)
            return message

        watched = WatchedSend(send)
        try:
            await self.app(scope, counted, watched)
        except PayloadTooLarge:
            # Read outside any route (by a middleware): answered here unless an answer
            # has already begun, when the connection can only be dropped.
            if watched.started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = failure(413, "PAYLOAD_TOO_LARGE", f"request body over {self.limit} bytes")
        await response(scope, receive, send)


class WatchedSend:
    """`send`, noting whether the response has begun: after that, an error can no longer
    be answered, only the connection dropped."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self.send(message)


class PayloadTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over {limit} bytes")


class UnhandledErrorMiddleware:
    """The innermost layer: an exception no handler took becomes the 500 envelope here,
    where the request id is still set and the audit sees the 500, instead of in
    Starlette's outermost error middleware, outside both."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watched = WatchedSend(send)
        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unhandled error")
            if watched.started:
                raise
            await failure(500, "INTERNAL_ERROR", "internal error")(scope, receive, send)


_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}
_CSP = ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
# The console's pages: its own scripts, styles and API only; no inline script or style
# (the SVG charts set attributes, not style text), no framing, no foreign form targets.
_CONSOLE_CSP = (
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)
_NO_STORE = ("Cache-Control", "no-store")


def _encoded(pairs: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode(), value.encode()) for name, value in pairs]


# The headers each kind of path gets, encoded once.
_HEADERS_DOCS = _encoded(list(_SECURITY_HEADERS.items()))
_HEADERS_OTHER = _encoded([*_SECURITY_HEADERS.items(), _CSP])
_HEADERS_CONSOLE = _encoded([*_SECURITY_HEADERS.items(), _CONSOLE_CSP])
_HEADERS_API = _encoded([*_SECURITY_HEADERS.items(), _CSP, _NO_STORE])


class SecurityHeadersMiddleware:
    """Security headers on every answer, unless the route set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/docs"):
            extra = _HEADERS_DOCS
        elif path.startswith("/api/"):
            extra = _HEADERS_API
        elif path.startswith("/console"):
            extra = _HEADERS_CONSOLE
        else:
            extra = _HEADERS_OTHER

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in extra if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
