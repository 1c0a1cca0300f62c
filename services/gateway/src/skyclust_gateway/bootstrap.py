"""The gateway's composition root."""

from __future__ import annotations

from fastapi import FastAPI

from skyclust_common.messaging import Bus
from skyclust_common.runtime import Runtime, ServiceSpec

from .app import attach, create_app
from .auth import follow_revocations
from .public_api.bridge import PublicBridge
from .read_cache import ReadCache
from .settings import GatewaySettings
from .streaming import SessionCache, StreamHub

SERVICE = "gateway"
# The reads answered from the cache: what dashboards and scripts poll.
CACHED_READS = {
    "provisioning": frozenset({"ListClusters", "GetCluster", "ListNodeGroups", "GetNodeGroup"})
}


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
    cache = ReadCache(
        CACHED_READS,
        ttl=settings.read_cache_seconds,
        live=lambda: hub.live,
        reconnects=lambda: int(runtime.bus.nc.stats["reconnects"]),
    )
    hub.on_event = cache.changed
    await hub.start(timers=False)
    app.state.stream_hub = hub
    app.state.services.cache = cache
    # The runtime owns the hub's timers, and stops the hub (closing its streams)
    # before the bus closes.
    runtime.every(
        "sse-heartbeat",
        settings.sse_heartbeat_seconds,
        hub.heartbeat,
        first_after=settings.sse_heartbeat_seconds,
        on_stop=hub.stop,
    )
    runtime.every(
        "sse-session-check",
        settings.sse_session_check_seconds,
        hub.check_sessions,
        first_after=settings.sse_session_check_seconds,
    )
    await public_nats_api(runtime, app, settings)


async def public_nats_api(runtime: Runtime, app: FastAPI, settings: GatewaySettings) -> None:
    """Other systems' commands, reads and events over NATS (docs/nats-api.md)."""
    bridge = PublicBridge(
        runtime.bus,
        app.state.services,
        retry_seconds=tuple(settings.retry_backoff_seconds),
        give_up_after_seconds=settings.public_command_give_up_seconds,
        # Longer than a request to the owning service may take: a command still being
        # carried out is not delivered a second time.
        ack_wait_seconds=max(settings.ack_wait_seconds, 2 * settings.rpc_timeout_seconds + 5),
    )
    await bridge.start(settings.stream_replicas, settings.duplicate_window_seconds)
    # Each tick waits up to a second for work: the interval is only the gap between.
    runtime.every("public-commands", 0.01, bridge.poll_commands, on_stop=bridge.stop)
    runtime.every("public-events", 0.01, bridge.poll_events)


async def wire_app(runtime: Runtime, settings: GatewaySettings) -> None:
    """The spec's wire: onto the app the runtime built from `SPEC.app`."""
    if runtime.app is None:
        raise RuntimeError("the gateway is wired onto its own app: ServiceSpec.app builds it")
    await wire(runtime, runtime.app, settings)


def address(settings: GatewaySettings) -> tuple[str, int]:
    return settings.gateway_host, settings.gateway_port


SPEC = ServiceSpec(
    name=SERVICE,
    settings=GatewaySettings,
    wire=wire_app,
    app=create_app,
    address=address,
)
