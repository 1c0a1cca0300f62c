"""The event stream against a real nats-server, served by a real uvicorn: one
subscription per process fanned out to many streams, resume without gap or duplicate,
slow clients closed and resumed, streams that cannot be set up refused before the 200,
and tickets that last as long as their session."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import nats
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from skyclust_common.contracts import load_registry
from skyclust_common.messaging import Bus, BusConfig, connect_nats
from skyclust_gateway.app import attach, create_app
from skyclust_gateway.auth import JwksCache, TokenVerifier
from skyclust_gateway.settings import GatewaySettings
from skyclust_gateway.streaming import SessionCache, StreamHub
from skyclust_tools.embedded import NatsServer, free_port, scratch_dir
from skyclust_tools.nats_auth import inbox_prefix, nats_config

pytestmark = pytest.mark.integration

KEY = Ed25519PrivateKey.generate()


class FakeJwks(JwksCache):
    def __init__(self) -> None:
        super().__init__(bus=None, ttl=300)

    async def jwks(self) -> dict[str, Any]:
        public: dict[str, Any] = json.loads(OKPAlgorithm.to_jwk(KEY.public_key()))
        return {"keys": [{**public, "kid": "k1", "alg": "EdDSA", "use": "sig"}]}


def token(
    workspace: str,
    *,
    typ: str = "access",
    sid: str | None = "s1",
    ttl: int = 300,
    now: float | None = None,
) -> str:
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "sub": str(uuid.uuid4()),
        "wid": workspace,
        "role": "viewer",
        "iss": "skyclust",
        "aud": "skyclust-stream" if typ == "stream" else "skyclust-api",
        "iat": issued,
        "nbf": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
        "typ": typ,
    }
    if sid is not None:
        claims["sid"] = sid
    return jwt.encode(claims, KEY, algorithm="EdDSA", headers={"kid": "k1"})


@dataclass
class Gateway:
    port: int
    bus: Bus
    hub: StreamHub
    verifier: TokenVerifier
    live_sessions: dict[str, bool]
    # Added to the verifier's clock: a ticket's lifetime is tested without waiting.
    offset: list[float]

    @property
    def clock_offset(self) -> float:
        return self.offset[0]

    @clock_offset.setter
    def clock_offset(self, value: float) -> None:
        self.offset[0] = value

    async def publish(self, workspace: str, name: str, data: dict[str, Any]) -> int:
        body = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": "skyclust/test",
            "type": f"io.skyclust.{name}.v1",
            "time": "2026-01-01T00:00:00Z",
            "subject": data.get("cluster_id"),
            "data": data,
            "workspaceid": workspace,
        }
        subject = f"skyclust.evt.{workspace}.{name}"
        return await self.bus.publish_raw(subject, json.dumps(body).encode())


@contextlib.asynccontextmanager
async def running_gateway(nats_url: str, **overrides: Any) -> AsyncIterator[Gateway]:
    settings = GatewaySettings(nats_url=nats_url, **overrides)
    app = create_app(settings)
    nc = await connect_nats(nats_url, name="gateway-test", attempts=3)
    bus = Bus(nc, load_registry(), BusConfig(service="gateway"))
    await bus.ensure_streams()
    attach(app, bus, settings)
    offset = [0.0]
    verifier = TokenVerifier(
        FakeJwks(), "skyclust", "skyclust-api", clock=lambda: time.time() + offset[0]
    )
    app.state.verifier = verifier

    live_sessions: dict[str, bool] = {}

    async def ask(session_id: str) -> bool:
        return live_sessions.get(session_id, True)

    check = SessionCache(ask, ttl=0.2)
    hub = StreamHub(
        bus.js,
        buffer_events=settings.sse_buffer_events,
        max_replays=settings.sse_max_replays,
        heartbeat_seconds=settings.sse_heartbeat_seconds,
        session_check_seconds=0.3,
        session_check=check,
    )
    await hub.start()
    app.state.stream_hub = hub
    gateway = Gateway(0, bus, hub, verifier, live_sessions, offset)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            lifespan="off",
            log_config=None,
            access_log=False,
            http="httptools",
            limit_concurrency=None,
            backlog=2048,
        )
    )
    serving = asyncio.create_task(server.serve())
    await wait_for(lambda: server.started)
    gateway.port = port
    try:
        yield gateway
    finally:
        await hub.stop()
        server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(serving, timeout=5)
        await nc.close()


@pytest.fixture
async def gateway(nats_server: NatsServer) -> AsyncIterator[Gateway]:
    async with running_gateway(
        nats_server.url, sse_buffer_events=16, sse_heartbeat_seconds=0.5
    ) as gw:
        yield gw


@dataclass
class SseClient:
    """A small SSE client over a raw socket, the way an EventSource reads a stream."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any] | None
    reader: asyncio.StreamReader | None
    writer: asyncio.StreamWriter | None
    ids: list[int] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False

    async def next_event(self, timeout: float = 5.0) -> dict[str, Any] | None:
        """The next event, or None when the server closed the stream."""
        assert self.reader is not None
        fields: dict[str, str] = {}
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
            if not line:
                self.closed = True
                return None
            text = line.decode().rstrip("\r\n")
            if text == "":
                if "data" in fields:
                    event = {
                        "id": int(fields["id"]),
                        "event": fields["event"],
                        "data": json.loads(fields["data"]),
                    }
                    self.ids.append(event["id"])
                    self.events.append(event)
                    return event
                fields = {}
                continue
            if text.startswith(":"):
                continue
            name, _, value = text.partition(": ")
            fields[name] = value

    async def collect(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        while len(got) < count:
            event = await self.next_event(timeout)
            if event is None:
                break
            got.append(event)
        return got

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()


async def open_stream(
    port: int, query: str, headers: dict[str, str] | None = None, *, slow: bool = False
) -> SseClient:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if slow:
        # A small receive window, so a client that stops reading backs the server up
        # after a few events instead of after megabytes of kernel buffer.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 17)
    lines = [f"GET /api/v1/events/stream?{query} HTTP/1.1", "Host: gw", "Accept: text/event-stream"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    status = int(status_line.split()[1])
    response_headers: dict[str, str] = {}
    while True:
        line = (await reader.readline()).decode().rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        response_headers[name.strip().lower()] = value.strip()
    if status != 200:
        length = int(response_headers.get("content-length", "0"))
        body = json.loads(await reader.readexactly(length)) if length else None
        writer.close()
        return SseClient(status, response_headers, body, None, None)
    return SseClient(status, response_headers, None, reader, writer)


def auth(workspace: str, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(workspace, **kwargs)}"}


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


async def test_events_reach_only_their_workspace_with_the_stream_sequence_as_id(
    gateway: Gateway,
) -> None:
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    client = await open_stream(gateway.port, "", auth(mine))
    assert client.status == 200
    assert client.headers["content-type"].startswith("text/event-stream")
    await gateway.publish(other, "ClusterReady", {"cluster_id": "c-other"})
    seq = await gateway.publish(mine, "ClusterReady", {"cluster_id": "c-1"})
    event = await client.next_event()
    assert event is not None
    assert event["id"] == seq
    assert event["event"] == "ClusterReady"
    assert event["data"]["data"]["cluster_id"] == "c-1"
    await client.close()


async def test_types_and_resource_filters(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    by_type = await open_stream(gateway.port, "types=ClusterFailed", auth(workspace))
    by_resource = await open_stream(gateway.port, "resource=c-2", auth(workspace))
    await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-1"})
    await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-2"})
    await gateway.publish(workspace, "NetworkReady", {"network_id": "n-1", "cluster_id": "c-2"})
    failed = await gateway.publish(workspace, "ClusterFailed", {"cluster_id": "c-1"})
    typed = await by_type.collect(1)
    followed = await by_resource.collect(2)
    assert [e["id"] for e in typed] == [failed]
    assert [e["event"] for e in followed] == ["ClusterReady", "NetworkReady"]
    assert all(e["data"]["data"]["cluster_id"] == "c-2" for e in followed)
    bad = await open_stream(gateway.port, "resource=not%20an%20id", auth(workspace))
    assert bad.status == 400
    assert bad.body is not None and bad.body["error"]["code"] == "INVALID_FILTER"
    await by_type.close()
    await by_resource.close()


async def test_resume_replays_the_gap_then_joins_live_without_duplicates(
    gateway: Gateway,
) -> None:
    workspace = str(uuid.uuid4())
    first = await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-0"})
    missed = [
        await gateway.publish(workspace, "ClusterReady", {"cluster_id": f"c-{i}"})
        for i in range(1, 6)
    ]
    client = await open_stream(gateway.port, "", {**auth(workspace), "Last-Event-ID": str(first)})
    assert client.status == 200
    later = [
        await gateway.publish(workspace, "ClusterReady", {"cluster_id": f"c-{i}"})
        for i in range(6, 9)
    ]
    got = await client.collect(len(missed) + len(later))
    assert [e["id"] for e in got] == missed + later
    # The query parameter works the same for clients that cannot set the header.
    again = await open_stream(gateway.port, f"last_event_id={missed[-1]}", auth(workspace))
    assert [e["id"] for e in await again.collect(3)] == later
    await client.close()
    await again.close()


async def test_bad_cursors_are_refused(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    head = await gateway.publish(workspace, "ClusterReady", {"cluster_id": "c-1"})
    for cursor in ("abc", "-1", str(head + 1_000_000)):
        client = await open_stream(gateway.port, "", {**auth(workspace), "Last-Event-ID": cursor})
        assert client.status == 400, cursor
        assert client.body is not None and client.body["error"]["code"] == "BAD_CURSOR"


async def test_a_stream_that_cannot_subscribe_fails_before_the_200(
    nats_server: NatsServer,
) -> None:
    async with running_gateway(nats_server.url) as gw:
        workspace = str(uuid.uuid4())
        await gw.bus.nc.close()  # the gateway lost NATS: no live feed, no replay
        client = await open_stream(gw.port, "", auth(workspace))
        resuming = await open_stream(gw.port, "", {**auth(workspace), "Last-Event-ID": "1"})
        await gw.hub.stop()
        stopped = await open_stream(gw.port, "", auth(workspace))
    for refused in (client, resuming, stopped):
        assert refused.status == 503
        assert refused.body is not None
        assert refused.body["error"]["code"] == "STREAM_UNAVAILABLE"


async def test_too_many_resuming_streams_get_retry_after(nats_server: NatsServer) -> None:
    async with running_gateway(nats_server.url, sse_max_replays=1) as gw:
        workspace = str(uuid.uuid4())
        await gw.publish(workspace, "ClusterReady", {"cluster_id": "c-1"})
        gw.hub.replays = 1  # one replay in progress
        busy = await open_stream(gw.port, "", {**auth(workspace), "Last-Event-ID": "1"})
        gw.hub.replays = 0
    assert busy.status == 503
    assert busy.body is not None and busy.body["error"]["code"] == "STREAM_BUSY"
    assert int(busy.headers["retry-after"]) >= 1


async def test_a_slow_client_is_closed_and_loses_nothing_on_resume(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    # A client that does not read: its socket fills, the server's writes back up,
    # the 16-event buffer overflows and the stream is closed after its last event.
    slow = await open_stream(gateway.port, "", auth(workspace), slow=True)
    stuck = await open_stream(gateway.port, "", auth(workspace), slow=True)
    # Large events, so the kernel's socket buffers fill well before the last one.
    padding = "x" * 60000
    sent = [
        await gateway.publish(workspace, "ClusterReady", {"cluster_id": f"c-{i}", "p": padding})
        for i in range(300)
    ]
    got: list[int] = []
    while True:
        event = await slow.next_event(timeout=10)
        if event is None:
            break
        got.append(event["id"])
    assert slow.closed
    assert 0 < len(got) < len(sent)
    assert got == sent[: len(got)]  # in order, no gap, up to where it was closed
    resumed = await open_stream(
        gateway.port, "", {**auth(workspace), "Last-Event-ID": str(got[-1])}
    )
    rest: list[int] = []
    while len(got) + len(rest) < len(sent):
        event = await resumed.next_event(timeout=10)
        if event is None:  # a replay longer than one buffer: resume again
            resumed = await open_stream(
                gateway.port, "", {**auth(workspace), "Last-Event-ID": str((got + rest)[-1])}
            )
            continue
        rest.append(event["id"])
    assert got + rest == sent
    await resumed.close()
    # The one that never reads again is dropped by the server, not kept for ever.
    await wait_for(lambda: gateway.hub.connections == 0, timeout=10)
    assert stuck.reader is not None
    with contextlib.suppress(ConnectionError):
        while await asyncio.wait_for(stuck.reader.read(1 << 20), 5):
            pass
    await stuck.close()


async def test_hundreds_of_streams_miss_no_event(gateway: Gateway) -> None:
    workspace = str(uuid.uuid4())
    clients = [await open_stream(gateway.port, "", auth(workspace)) for _ in range(300)]
    assert all(c.status == 200 for c in clients)
    await wait_for(lambda: gateway.hub.connections >= 300)
    sent = []
    for i in range(10):
        sent.append(await gateway.publish(workspace, "ClusterReady", {"cluster_id": f"c-{i}"}))
        await asyncio.sleep(0.01)
    received = await asyncio.gather(*(c.collect(len(sent)) for c in clients))
    assert all([e["id"] for e in got] == sent for got in received)
    for c in clients:
        await c.close()
    await wait_for(lambda: gateway.hub.connections == 0)


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
