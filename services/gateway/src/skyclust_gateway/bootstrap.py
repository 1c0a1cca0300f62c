"""The gateway's composition root."""

from __future__ import annotations

from fastapi import FastAPI

from skyclust_common.messaging import Bus
from skyclust_common.runtime import Runtime

from .app import attach
from .auth import follow_revocations
from .settings import GatewaySettings
from .streaming import SessionCache, StreamHub

SERVICE = "gateway"


def stream_hub(bus: Bus, settings: GatewaySettings) -> StreamHub:
    async def ask(session_id: str) -> bool:
        reply = await bus.request("identity", "CheckSession", {"session_id": session_id})
        return bool(reply["live"])

    return StreamHub(
        bus.js,
        buffer_events=settings.sse_buffer_events,
        max_replays=settings.sse_max_replays,
        heartbeat_seconds=settings.sse_heartbeat_seconds,
        session_check_seconds=settings.sse_session_check_seconds,
        session_check=SessionCache(ask, ttl=settings.sse_session_check_seconds),
    )


async def wire(runtime: Runtime, app: FastAPI, settings: GatewaySettings) -> None:
    attach(app, runtime.bus, settings)
    await follow_revocations(runtime.bus, app.state.verifier.revocations)
    hub = stream_hub(runtime.bus, settings)
    await hub.start()
    app.state.stream_hub = hub
