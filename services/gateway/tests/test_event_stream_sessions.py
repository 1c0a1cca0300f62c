"""The event stream's sessions and permissions, against a real nats-server and a real
uvicorn: tickets that last as long as their session, streams closed when their session
ends, and the hub within the gateway's NATS permissions."""

from __future__ import annotations

import asyncio
import secrets
import shutil
import uuid

import nats
import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.messaging import Bus, BusConfig
from skyclust_gateway.streaming import StreamHub
from skyclust_tools.embedded import NatsServer, free_port, scratch_dir
from skyclust_tools.nats_auth import inbox_prefix, nats_config

from .stream_harness import (
    Gateway,
    auth,
    open_stream,
    token,
)

pytestmark = pytest.mark.integration


async def test_an_eventsource_reconnects_with_its_ticket_after_a_minute(
    gateway: Gateway,
) -> None:
    workspace, sid = str(uuid.uuid4()), str(uuid.uuid4())
    ticket = token(workspace, typ="stream", sid=sid, ttl=30 * 24 * 3600)
    client = await open_stream(gateway.port, f"ticket={ticket}")
    first = await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-1"})
    assert [e["id"] for e in await client.collect(1)] == [first]
    await client.close()
    gateway.clock_offset = 3600  # an hour later, far past the old 60 s ticket
    second = await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-2"})
    again = await open_stream(gateway.port, f"ticket={ticket}", {"Last-Event-ID": str(first)})
    assert again.status == 200
    assert [e["id"] for e in await again.collect(1)] == [second]
    # The session ends: the open stream closes and the next reconnect is refused.
    gateway.live_sessions[sid] = False
    assert await again.next_event(timeout=5) is None
    refused = await open_stream(gateway.port, f"ticket={ticket}", {"Last-Event-ID": str(second)})
    assert refused.status == 401
    assert refused.body is not None and refused.body["error"]["code"] == "SESSION_REVOKED"
    # And a ticket past its session's end is expired, whatever the session says.
    gateway.clock_offset = 31 * 24 * 3600
    gateway.live_sessions[sid] = True
    expired = await open_stream(gateway.port, f"ticket={ticket}")
    assert expired.status == 401
    assert expired.body is not None and expired.body["error"]["code"] == "TOKEN_EXPIRED"


async def test_a_revoked_session_event_closes_its_streams(gateway: Gateway) -> None:
    workspace, sid = str(uuid.uuid4()), str(uuid.uuid4())
    gateway.hub.session_check = None  # only the SessionsRevoked event can close it
    client = await open_stream(gateway.port, "", auth(workspace, sid=sid))
    other = await open_stream(gateway.port, "", auth(workspace, sid=str(uuid.uuid4())))
    revoked = await gateway.publish(
        workspace, "SessionsRevoked", {"session_ids": [sid], "reason": "logout"}
    )
    assert [e["id"] for e in await client.collect(2)] == [revoked]
    assert client.closed
    assert [e["id"] for e in await other.collect(1)] == [revoked]
    assert not other.closed
    await other.close()


async def test_tickets_need_a_session(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    ticket = token(workspace, typ="stream", sid=None)
    client = await open_stream(gateway.port, f"ticket={ticket}")
    assert client.status == 401
    assert client.body is not None and client.body["error"]["code"] == "TICKET_NEEDS_SESSION"


async def test_the_hub_follows_and_replays_under_the_gateways_nats_permissions() -> None:
    # The gateway's NATS user (skyclust_tools.nats_auth) may create its ordered consumer
    # and get messages from the event stream; a replay it may not do would time out.
    passwords = {"gateway": secrets.token_urlsafe(12), "provisioning": secrets.token_urlsafe(12)}
    root = scratch_dir("sc-sse-auth-")
    config = root / "nats.conf"
    config.write_text(nats_config(passwords))
    server = NatsServer(free_port(), root / "js", config_file=config).start()
    workspace = str(uuid.uuid4())
    try:
        gateway_nc = await nats.connect(
            server.url,
            user="gateway",
            password=passwords["gateway"],
            inbox_prefix=inbox_prefix("gateway"),
        )
        publisher = await nats.connect(
            server.url,
            user="provisioning",
            password=passwords["provisioning"],
            inbox_prefix=inbox_prefix("provisioning"),
        )
        bus = Bus(gateway_nc, load_registry(), BusConfig(service="gateway"))
        await bus.ensure_streams()
        hub = StreamHub(bus.js, buffer_events=16)
        await hub.start()
        js = publisher.jetstream()
        live = await hub.open(workspace)
        subject = f"skyclust.evt.{workspace}.ClusterReady"
        first = (await js.publish(subject, b'{"data": {}}')).seq
        await asyncio.wait_for(live.wake.wait(), 5)
        assert [f.split(b"\n", 1)[0] for f in live.frames] == [b"id: %d" % first]
        second = (await js.publish(subject, b'{"data": {}}')).seq
        resumed = await hub.open(workspace, cursor=first)
        assert [f.split(b"\n", 1)[0] for f in resumed.frames] == [b"id: %d" % second]
        await hub.stop()
        await gateway_nc.close()
        await publisher.close()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
