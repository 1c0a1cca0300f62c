"""A real gateway (uvicorn, a real nats-server, a real hub) and an SSE client, for the
event stream tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, cast

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from skyclust_common.contracts import load_registry
from skyclust_common.messaging import Bus, BusConfig, connect_nats
from skyclust_gateway.app import attach, create_app
from skyclust_gateway.auth import JwksCache, TokenVerifier
from skyclust_gateway.settings import GatewaySettings
from skyclust_gateway.streaming import SessionCache, StreamHub
from skyclust_tools.embedded import free_port

KEY = Ed25519PrivateKey.generate()


class FakeJwks(JwksCache):
    def __init__(self) -> None:
        super().__init__(bus=cast(Bus, None), ttl=300)

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

    async def publish(
        self, workspace: str, name: str, data: dict[str, Any], source: str | None = None
    ) -> int:
        """Publish as the event's owner would, unless `source` names another."""
        if source is None:
            known = {c.name: c.owner for c in load_registry()}
            source = f"skyclust/{known.get(name, 'test')}"
        body = {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "source": source,
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
