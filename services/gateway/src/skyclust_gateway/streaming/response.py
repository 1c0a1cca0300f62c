"""The SSE response of one open stream."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.responses import Response

from .events import Connection
from .hub import StreamHub

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
