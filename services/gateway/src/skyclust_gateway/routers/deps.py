from __future__ import annotations

from typing import Any

from fastapi import Request

from skyclust_common.messaging import Bus

from ..envelope import request_id_var
from ..read_cache import ReadCache, fresh_read_var


class Services:
    """Request/reply to the owning services, carrying the request id along. With a read
    cache, its hot reads may be answered from memory (see read_cache.py), and every other
    call for a workspace drops that workspace's cached answers."""

    def __init__(self, bus: Bus, cache: ReadCache | None = None) -> None:
        self.bus = bus
        self.cache = cache

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        cache = self.cache
        if cache is None:
            return await self._ask(service, name, data)
        if cache.cacheable(service, name):
            return await cache.read(service, name, data, lambda: self._ask(service, name, data))
        workspace = data.get("workspace_id")
        try:
            return await self._ask(service, name, data)
        finally:
            # After the answer (or a failure, which may still have changed something):
            # a read sent before this call and answered after it is then not stored.
            if isinstance(workspace, str):
                cache.changed(workspace)

    async def _ask(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        headers = {"X-Request-ID": request_id_var.get()}
        return await self.bus.request(service, name, data, headers=headers)


# async: FastAPI runs a plain `def` dependency on its thread pool, a hand-off per request.
async def services(request: Request) -> Services:
    fresh_read_var.set("no-cache" in request.headers.get("cache-control", "").lower())
    svc: Services = request.app.state.services
    return svc
