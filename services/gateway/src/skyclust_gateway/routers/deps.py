from __future__ import annotations

from typing import Any

from fastapi import Request

from skyclust_common.messaging import Bus

from ..envelope import request_id_var


class Services:
    """Request/reply to the owning services, carrying the request id along."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def call(self, service: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        headers = {"X-Request-ID": request_id_var.get()}
        return await self.bus.request(service, name, data, headers=headers)


# async: FastAPI runs a plain `def` dependency on its thread pool, a hand-off per request.
async def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc
