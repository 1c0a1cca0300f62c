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
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from prometheus_client import Counter, Gauge

from ..errors import BadCursor, StreamBusy, StreamUnavailable
from .events import Connection, Event, decode, seq_of
from .sessions import SessionCheck

log = logging.getLogger(__name__)

EVENTS_STREAM = "SKYCLUST_EVENTS"
EVENTS_SUBJECTS = "skyclust.evt.>"

SSE_CONNECTIONS = Gauge("skyclust_sse_connections", "Event streams (SSE) open on this gateway")
SSE_CLOSED = Counter(
    "skyclust_sse_closed_total",
    "Event streams closed, by reason: client (it went away), overflow (it fell too far "
    "behind), session-revoked, shutdown",
    ["reason"],
)


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
        on_event: Callable[[str], None] | None = None,
    ) -> None:
        self.js = js
        # Told the workspace of every event, before its streams are (the read cache).
        self.on_event = on_event
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

    @property
    def live(self) -> bool:
        """Running and connected: every event of the stream reaches `on_event`."""
        return self.running and self._connected()

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
        if self.on_event is not None:
            self.on_event(event.workspace)
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
        group = self.by_workspace.setdefault(connection.workspace, set())
        if connection not in group:
            SSE_CONNECTIONS.inc()
        group.add(connection)
        if connection.session_id is not None:
            self.by_session.setdefault(connection.session_id, set()).add(connection)

    def unregister(self, connection: Connection) -> None:
        connection.gone = True
        group = self.by_workspace.get(connection.workspace)
        if group is not None and connection in group:
            SSE_CONNECTIONS.dec()
            SSE_CLOSED.labels(connection.reason or "client").inc()
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
        user_id: str | None = None,
    ) -> Connection:
        """A registered connection, with the events after `cursor` already queued.
        Raises StreamUnavailable, StreamBusy or BadCursor, before anything is sent, if
        the stream cannot be served."""
        if not self.running or not self._connected():
            raise StreamUnavailable()
        connection = Connection(
            workspace, types, resource, session_id, self.buffer_events, user_id=user_id
        )
        if cursor is None:
            self.register(connection)
            return connection
        if self.replays >= self.max_replays:
            raise StreamBusy("too many streams are resuming; retry shortly", retry_after=1)
        self.replays += 1
        connection.floor = cursor
        connection.last_seq = cursor
        self.register(connection)
        try:
            await self._replay(connection, cursor)
        except BadCursor:
            self.unregister(connection)
            raise
        except Exception as exc:
            self.unregister(connection)
            log.warning("stream replay failed", extra={"error": str(exc)})
            raise StreamUnavailable("the event stream could not be resumed") from exc
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
            raise BadCursor("Last-Event-ID is not an id from this stream")
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
        live = [frame for frame in connection.frames if seq_of(frame) > last]
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
            connection.last_seq = max(connection.last_seq, seq_of(frame))
        connection.last_seq = max(connection.last_seq, last)
