"""The live event stream, fanned out in memory.

One ordered JetStream consumer per gateway process reads every event of the event
stream. Each event is decoded once, framed once as SSE bytes, and handed to the open
streams of its workspace. No JetStream consumer is created per connection, so the
number of streams is bounded by this process's memory, not by the server's consumer
limit.

A stream that resumes (`Last-Event-ID`) reads the events it missed with direct
gets on the stream (no consumer either) while the live feed is already being buffered
for it; live events the replay already delivered are dropped by sequence, so the join
has no gap and no duplicate.

Each stream has a bounded buffer. A client that falls `buffer_events` behind is closed
right after the last event it was sent, and resumes from there with Last-Event-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from starlette.responses import Response

log = logging.getLogger(__name__)

EVENTS_STREAM = "SKYCLUST_EVENTS"
EVENTS_SUBJECTS = "skyclust.evt.>"
_RESOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")


class StreamError(Exception):
    """A stream that cannot be opened; carries the status and stable code to answer."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


def valid_resource(value: str) -> bool:
    return bool(_RESOURCE.match(value))


def valid_name(value: str) -> bool:
    return bool(_NAME.match(value))


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    workspace: str
    name: str
    resources: frozenset[str]
    frame: bytes
    session_ids: tuple[str, ...] = ()


def decode(subject: str, seq: int, data: bytes) -> Event | None:
    """The event as the stream will send it, or None for a message that is not one."""
    parts = subject.split(".")
    if len(parts) != 4:
        return None
    workspace, name = parts[2], parts[3]
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    resources: set[str] = set()
    subject_id = body.get("subject")
    if isinstance(subject_id, str):
        resources.add(subject_id)
    inner = body.get("data")
    session_ids: tuple[str, ...] = ()
    if isinstance(inner, dict):
        for key in ("cluster_id", "network_id"):
            value = inner.get(key)
            if isinstance(value, str):
                resources.add(value)
        if name == "SessionsRevoked" and isinstance(inner.get("session_ids"), list):
            session_ids = tuple(str(s) for s in inner["session_ids"])
    # SSE ends a field at a newline: a payload that has one is written compactly.
    payload = data if b"\n" not in data and b"\r" not in data else json.dumps(body).encode()
    frame = b"id: %d\nevent: %s\ndata: %s\n\n" % (seq, name.encode(), payload)
    return Event(seq, workspace, name, frozenset(resources), frame, session_ids)


class Connection:
    """One open stream: its filters and the frames not yet written."""

    __slots__ = (
        "closed_at",
        "closing",
        "floor",
        "frames",
        "gone",
        "last_seq",
        "limit",
        "ping",
        "reason",
        "resource",
        "session_id",
        "types",
        "wake",
        "workspace",
        "writer",
    )

    def __init__(
        self,
        workspace: str,
        types: frozenset[str] | None,
        resource: str | None,
        session_id: str | None,
        limit: int,
    ) -> None:
        self.workspace = workspace
        self.types = types
        self.resource = resource
        self.session_id = session_id
        self.limit = limit
        self.frames: deque[bytes] = deque()
        self.wake = asyncio.Event()
        # The highest sequence queued: live events at or below it were already sent.
        self.last_seq = 0
        # While replaying, live events are kept but not yet woken for.
        self.floor: int | None = None
        self.ping = False
        self.closing = False
        self.reason = ""
        self.gone = False
        self.closed_at = 0.0
        self.writer: asyncio.Task[Any] | None = None

    def matches(self, event: Event) -> bool:
        if self.types is not None and event.name not in self.types:
            return False
        return self.resource is None or self.resource in event.resources

    def offer(self, event: Event) -> None:
        if self.closing or event.seq <= self.last_seq or not self.matches(event):
            return
        if len(self.frames) >= self.limit:
            # Everything queued is still written; the client resumes after the last of it.
            self.close("overflow")
            return
        self.frames.append(event.frame)
        self.last_seq = event.seq
        if self.floor is None:
            self.wake.set()

    def close(self, reason: str) -> None:
        if not self.closing:
            self.closing = True
            self.reason = reason
            self.closed_at = time.monotonic()
        self.wake.set()


SessionCheck = Callable[[str], Awaitable[bool]]


class SessionCache:
    """Whether a session is still live, asked of identity at most once per `ttl` per
    session. If identity cannot answer, the last answer stands; with none, the error
    goes to the caller (the stream is refused rather than opened unchecked)."""

    def __init__(
        self,
        ask: SessionCheck,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ask = ask
        self.ttl = ttl
        self._clock = clock
        self._answers: dict[str, tuple[bool, float]] = {}

    async def __call__(self, session_id: str) -> bool:
        now = self._clock()
        cached = self._answers.get(session_id)
        if cached is not None and now - cached[1] < self.ttl:
            return cached[0]
        try:
            live = await self._ask(session_id)
        except Exception:
            if cached is not None:
                return cached[0]
            raise
        if len(self._answers) > 50000:
            self._answers = {k: v for k, v in self._answers.items() if now - v[1] < self.ttl}
        self._answers[session_id] = (live, now)
        return live


class StreamHub:
    def __init__(
        self,
        js: JetStreamContext,
        *,
        buffer_events: int = 256,
        max_replays: int = 32,
        heartbeat_seconds: float = 15.0,
        session_check_seconds: float = 60.0,
        session_check: SessionCheck | None = None,
    ) -> None:
        self.js = js
        self.buffer_events = buffer_events
        self.max_replays = max_replays
        self.heartbeat_seconds = heartbeat_seconds
        self.session_check_seconds = session_check_seconds
        self.session_check = session_check
        self.by_workspace: dict[str, set[Connection]] = {}
        self.by_session: dict[str, set[Connection]] = {}
        self.replays = 0
        self.head = 0
        self.delivered = 0
        self._sub: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self.running = False

    # life cycle -----------------------------------------------------------------

    async def start(self, *, timers: bool = True) -> None:
        """`timers=False` leaves the heartbeat and session checks to the caller (the
        service runtime's periodic jobs)."""
        info = await self.js.stream_info(EVENTS_STREAM)
        self.head = int(info.state.last_seq)
        self._sub = await self.js.subscribe(
            EVENTS_SUBJECTS,
            stream=EVENTS_STREAM,
            ordered_consumer=True,
            cb=self._on_message,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.NEW),
            pending_msgs_limit=-1,
            pending_bytes_limit=-1,
        )
        self.running = True
        if timers:
            self._tasks = [
                asyncio.create_task(self._every(self.heartbeat_seconds, self.heartbeat)),
                asyncio.create_task(self._every(self.session_check_seconds, self.check_sessions)),
            ]

    async def stop(self) -> None:
        self.running = False
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()
        for connections in list(self.by_workspace.values()):
            for connection in list(connections):
                connection.close("shutdown")

    def _connected(self) -> bool:
        nc = getattr(self.js, "_nc", None)
        return nc is None or bool(nc.is_connected)

    @property
    def connections(self) -> int:
        return sum(len(c) for c in self.by_workspace.values())

    # the live feed --------------------------------------------------------------

    async def _on_message(self, msg: Any) -> None:
        try:
            seq = int(msg.metadata.sequence.stream)
        except Exception:
            return
        self.head = max(self.head, seq)
        event = decode(msg.subject, seq, msg.data)
        if event is None:
            return
        self.dispatch(event)

    def dispatch(self, event: Event) -> None:
        for connection in self.by_workspace.get(event.workspace, ()):
            connection.offer(event)
        self.delivered += 1
        for sid in event.session_ids:
            for connection in list(self.by_session.get(sid, ())):
                connection.close("session-revoked")

    @staticmethod
    async def _every(seconds: float, tick: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            with contextlib.suppress(Exception):
                await tick()

    async def heartbeat(self) -> None:
        """A ping for every stream, one timer for all of them."""
        stuck: list[Connection] = []
        cutoff = time.monotonic() - self.heartbeat_seconds
        for connections in self.by_workspace.values():
            for connection in connections:
                connection.ping = True
                connection.wake.set()
                if connection.closing and 0 < connection.closed_at < cutoff:
                    stuck.append(connection)
        # A client that stopped reading keeps its last writes pending for ever: a
        # heartbeat after it was told to go, its writer is cancelled, which makes the
        # server drop the connection.
        for connection in stuck:
            if connection.writer is not None:
                connection.writer.cancel()

    async def check_sessions(self) -> None:
        """Close the streams of sessions that ended without a SessionsRevoked event
        reaching this gateway (an expired refresh, a removed member)."""
        if self.session_check is None:
            return
        for sid in list(self.by_session):
            try:
                live = await self.session_check(sid)
            except Exception:
                continue
            if not live:
                for connection in list(self.by_session.get(sid, ())):
                    connection.close("session-revoked")

    # opening and closing streams ------------------------------------------------

    def register(self, connection: Connection) -> None:
        self.by_workspace.setdefault(connection.workspace, set()).add(connection)
        if connection.session_id is not None:
            self.by_session.setdefault(connection.session_id, set()).add(connection)

    def unregister(self, connection: Connection) -> None:
        connection.gone = True
        group = self.by_workspace.get(connection.workspace)
        if group is not None:
            group.discard(connection)
            if not group:
                del self.by_workspace[connection.workspace]
        if connection.session_id is not None:
            sessions = self.by_session.get(connection.session_id)
            if sessions is not None:
                sessions.discard(connection)
                if not sessions:
                    del self.by_session[connection.session_id]

    async def open(
        self,
        workspace: str,
        *,
        types: frozenset[str] | None = None,
        resource: str | None = None,
        cursor: int | None = None,
        session_id: str | None = None,
    ) -> Connection:
        """A registered connection, with the events after `cursor` already queued.
        Raises StreamError before anything is sent if the stream cannot be served."""
        if not self.running or not self._connected():
            raise StreamError(503, "STREAM_UNAVAILABLE", "the event stream is not available")
        connection = Connection(workspace, types, resource, session_id, self.buffer_events)
        if cursor is None:
            self.register(connection)
            return connection
        if self.replays >= self.max_replays:
            raise StreamError(
                503, "STREAM_BUSY", "too many streams are resuming; retry shortly", retry_after=1
            )
        self.replays += 1
        connection.floor = cursor
        connection.last_seq = cursor
        self.register(connection)
        try:
            await self._replay(connection, cursor)
        except StreamError:
            self.unregister(connection)
            raise
        except Exception as exc:
            self.unregister(connection)
            log.warning("stream replay failed", extra={"error": str(exc)})
            raise StreamError(
                503, "STREAM_UNAVAILABLE", "the event stream could not be resumed"
            ) from exc
        finally:
            self.replays -= 1
        connection.floor = None
        if connection.frames or connection.closing:
            connection.wake.set()
        return connection

    async def _replay(self, connection: Connection, cursor: int) -> None:
        # Registered first, so every event the live feed hands out from now on is
        # buffered; the replay covers up to the stream's head as of now, after which
        # the live feed has everything.
        info = await self.js.stream_info(EVENTS_STREAM)
        head = int(info.state.last_seq)
        if cursor > head:
            raise StreamError(400, "BAD_CURSOR", "Last-Event-ID is not an id from this stream")
        types = connection.types
        subject = f"skyclust.evt.{connection.workspace}."
        subject += next(iter(types)) if types is not None and len(types) == 1 else ">"
        replayed: list[bytes] = []
        seq = cursor + 1
        last = cursor
        full = False
        while seq <= head:
            try:
                msg = await self.js.get_msg(EVENTS_STREAM, seq=seq, subject=subject, next=True)
            except NotFoundError:
                break
            found = int(msg.seq or 0)
            if found <= 0 or found > head or msg.subject is None:
                break
            seq = found + 1
            event = decode(msg.subject, found, msg.data or b"")
            if event is None or not connection.matches(event):
                continue
            if len(replayed) >= connection.limit:
                full = True
                break
            replayed.append(event.frame)
            last = found
        # Live events buffered meanwhile that the replay already covered are dropped.
        live = [frame for frame in connection.frames if _seq_of(frame) > last]
        connection.frames = deque(replayed)
        if full:
            # More missed events than one buffer: send these, then let the client resume.
            connection.last_seq = last
            connection.close("overflow")
            return
        for frame in live:
            if len(connection.frames) >= connection.limit:
                connection.close("overflow")
                break
            connection.frames.append(frame)
            connection.last_seq = max(connection.last_seq, _seq_of(frame))
        connection.last_seq = max(connection.last_seq, last)


def _seq_of(frame: bytes) -> int:
    return int(frame[4 : frame.index(b"\n")])


HEADERS = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-accel-buffering", b"no"),
    # A stream ends only to make its client resume: the connection goes with it.
    (b"connection", b"close"),
]


class EventStreamResponse(Response):
    """The SSE response written straight to ASGI: no task group or generator per
    stream, one wait per wake-up, every queued frame written in one send. A Response
    only so FastAPI passes it through as it is."""

    def __init__(self, hub: StreamHub, connection: Connection) -> None:
        self.hub = hub
        self.connection = connection
        self.status_code = 200
        self.background = None
        self.raw_headers = list(HEADERS)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        connection = self.connection
        hub = self.hub

        async def watch_disconnect() -> None:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    connection.close("client")
                    connection.gone = True
                    return

        watcher = asyncio.create_task(watch_disconnect())
        connection.writer = asyncio.current_task()
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await send(
                {"type": "http.response.body", "body": b": connected\n\n", "more_body": True}
            )
            frames = connection.frames
            while True:
                await connection.wake.wait()
                connection.wake.clear()
                if connection.gone:
                    return
                chunks: list[bytes] = []
                while frames:
                    chunks.append(frames.popleft())
                if connection.ping and not chunks:
                    chunks.append(b": ping\n\n")
                connection.ping = False
                if chunks:
                    await send(
                        {"type": "http.response.body", "body": b"".join(chunks), "more_body": True}
                    )
                if connection.closing and not frames:
                    with contextlib.suppress(Exception):
                        await send({"type": "http.response.body", "body": b""})
                    return
        finally:
            hub.unregister(connection)
            watcher.cancel()
