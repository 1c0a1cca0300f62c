"""Rate limits: per client address on every request (a middleware, before anything is
parsed), and per workspace on every authorized request (a dependency, once the caller
is known)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import Principal
from .envelope import failure
from .errors import RateLimited


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
            raise RateLimited(
                details={"retry_after": 60 - int(time.time()) % 60},
            )


class ClientRateLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        client = scope.get("client")
        try:
            await state.limiter.hit(
                f"client:{client[0] if client else 'unknown'}",
                state.settings.rate_limit_per_client_per_minute,
            )
        except RateLimited as exc:
            await failure(exc.status, exc.code, exc.message, exc.details)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def workspace_rate_limit(request: Request, principal: Principal) -> None:
    """Counts an authorized request against its workspace's limit."""
    await request.app.state.limiter.hit(
        f"workspace:{principal.workspace_id}",
        request.app.state.settings.rate_limit_per_workspace_per_minute,
    )
