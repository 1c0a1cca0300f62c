"""The live event stream: the caller's workspace events over Server-Sent Events.

`id:` is the event's sequence in the SKYCLUST_EVENTS stream, so a client that reconnects
with Last-Event-ID resumes right after the last event it saw, with no gap."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from nats.js.api import ConsumerConfig, DeliverPolicy
from sse_starlette.sse import EventSourceResponse

from skyclust_common.errors import BadRequest
from skyclust_common.messaging import EVENTS_STREAM, Bus

from ..auth import Principal
from ..envelope import ok
from ..permissions import Permission, require
from .deps import Services, services

router = APIRouter(prefix="/api/v1/events", tags=["events"])
_NAME = re.compile(r"^[A-Z][A-Za-z0-9]{0,63}$")


@router.post("/ticket")
async def stream_ticket(
    principal: Principal = Depends(require(Permission.READ)), svc: Services = Depends(services)
) -> JSONResponse:
    """A ticket for `?ticket=` on the stream, for EventSource clients that cannot send
    an Authorization header. It is good for the stream only and expires in a minute."""
    result = await svc.call(
        "identity",
        "IssueStreamTicket",
        {
            "user_id": principal.user_id,
            "workspace_id": principal.workspace_id,
            "role": principal.role,
        },
    )
    return ok(result)


def _parse_types(types: str | None) -> set[str] | None:
    if not types:
        return None
    names = {name.strip() for name in types.split(",") if name.strip()}
    bad = [name for name in names if not _NAME.match(name)]
    if bad:
        raise BadRequest("types must be event names like ClusterReady", code="INVALID_FILTER")
    return names


def _parse_cursor(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit():
        raise BadRequest("Last-Event-ID must be an event id from this stream", code="BAD_CURSOR")
    return int(value)


async def _events(
    bus: Bus,
    request: Request,
    workspace_id: str,
    cursor: int | None,
    types: set[str] | None,
) -> AsyncIterator[dict[str, Any]]:
    if cursor is None:
        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
    else:
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=cursor + 1
        )
    sub = await bus.js.subscribe(
        f"skyclust.evt.{workspace_id}.>",
        stream=EVENTS_STREAM,
        ordered_consumer=True,
        config=config,
    )
    try:
        yield {"comment": "connected"}
        while True:
            try:
                msg = await sub.next_msg(timeout=1.0)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                continue
            except Exception:
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.2)
                continue
            name = msg.subject.rsplit(".", 1)[-1]
            if types is not None and name not in types:
                continue
            try:
                json.loads(msg.data)
            except json.JSONDecodeError:
                continue
            yield {
                "event": name,
                "id": str(msg.metadata.sequence.stream),
                "data": msg.data.decode(),
            }
    finally:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


@router.get("/stream")
async def stream(
    request: Request,
    principal: Principal = Depends(require(Permission.READ, allow_ticket=True)),
    types: str | None = Query(None, description="comma-separated event names to keep"),
    ticket: str | None = Query(None, description="a stream ticket, for EventSource clients"),
    last_event_id: str | None = Query(
        None, description="resume after this event id (the Last-Event-ID header wins)"
    ),
) -> EventSourceResponse:
    cursor = _parse_cursor(request.headers.get("last-event-id") or last_event_id)
    names = _parse_types(types)
    bus: Bus = request.app.state.bus
    return EventSourceResponse(
        _events(bus, request, principal.workspace_id, cursor, names),
        ping=request.app.state.settings.sse_heartbeat_seconds,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
