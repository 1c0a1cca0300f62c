"""Cross-cutting behaviour of the gateway as a security boundary: the audit record of
every change, rate limits, and security headers."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

from skyclust_common.envelope import new_event
from skyclust_common.errors import TooManyRequests

from .envelope import failure, request_id_var

log = logging.getLogger(__name__)

CHANGES = {"POST", "PUT", "PATCH", "DELETE"}
# Audit events are not workspace events: they stay off the workspace's live stream.
AUDIT_SUBJECT = "skyclust.evt.audit.AuditRecorded"
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


class AuditMiddleware(BaseHTTPMiddleware):
    """Every change through the gateway becomes an AuditRecorded event, whatever its
    outcome, with who, what, on which resource, from where and the request id."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.method not in CHANGES:
            return await call_next(request)
        response = await call_next(request)
        body: bytes | None = None
        if request.method == "POST" and response.status_code < 300:
            chunks = [chunk async for chunk in response.body_iterator]  # type: ignore[attr-defined]
            body = b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks)
            response = Response(
                body,
                status_code=response.status_code,
                headers=dict(response.headers),
                media_type=response.media_type,
            )
        try:
            await self._record(request, response.status_code, body)
        except Exception as exc:
            log.error("audit record not published", extra={"error": str(exc)})
        return response

    async def _record(self, request: Request, status: int, body: bytes | None) -> None:
        bus = getattr(request.app.state, "bus", None)
        if bus is None:
            return
        route = request.scope.get("route")
        endpoint = request.scope.get("endpoint")
        template = getattr(route, "path", request.url.path)
        principal = getattr(request.state, "principal", None)
        data: dict[str, Any] = {}
        if body:
            try:
                data = json.loads(body).get("data") or {}
            except (ValueError, AttributeError):
                data = {}
        params = request.scope.get("path_params") or {}
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
        record = {
            "workspace_id": workspace_id,
            "actor_type": actor_type,
            "actor_id": actor_id,
            "action": getattr(endpoint, "__name__", request.method.lower()),
            "resource_type": _resource_type(template),
            "resource_id": resource_id,
            "outcome": _outcome(status),
            "status_code": status,
            "client_address": request.client.host if request.client else None,
            "user_agent": (request.headers.get("user-agent") or "")[:512] or None,
            "request_id": request_id_var.get() or None,
            "correlation_id": None,
            "details": {"method": request.method, "path": template},
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


class RateLimiter:
    """Fixed one-minute windows per key: in Redis when configured (shared by every
    gateway), otherwise in this process."""

    def __init__(self, redis_url: str | None = None) -> None:
        self._windows: dict[str, tuple[int, int]] = {}
        self._redis: Any = None
        if redis_url:
            import redis.asyncio as redis

            self._redis = redis.from_url(redis_url)

    async def hit(self, key: str, limit: int) -> None:
        window = int(time.time() // 60)
        if self._redis is not None:
            redis_key = f"skyclust:rl:{key}:{window}"
            count = int(await self._redis.incr(redis_key))
            if count == 1:
                await self._redis.expire(redis_key, 120)
        else:
            start, count = self._windows.get(key, (window, 0))
            count = count + 1 if start == window else 1
            self._windows[key] = (window, count)
            if len(self._windows) > 50000:
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        if count > limit:
            raise TooManyRequests(
                "rate limit exceeded; slow down",
                code="RATE_LIMITED",
                details={"retry_after": 60 - int(time.time()) % 60},
            )


class ClientRateLimitMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        limiter: RateLimiter = request.app.state.limiter
        limit: int = request.app.state.settings.rate_limit_per_client_per_minute
        client = request.client.host if request.client else "unknown"
        try:
            await limiter.hit(f"client:{client}", limit)
        except TooManyRequests as exc:
            return failure(exc.status, exc.code, exc.message, exc.details)
        return await call_next(request)


_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


class SecurityHeadersMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/docs"):
            response.headers.setdefault(
                "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"
            )
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
