"""The live event stream: the caller's workspace events over Server-Sent Events.

`id:` is the event's sequence in the SKYCLUST_EVENTS stream, so a client that reconnects
with Last-Event-ID resumes right after the last event it saw, with no gap. Events come
from the process's one StreamHub (see `..streaming`), not from a consumer per stream."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from ..auth import bearer
from ..envelope import ok
from ..errors import (
    BadCursor,
    InvalidFilter,
    SessionRevoked,
    StreamUnavailable,
    TicketNeedsSession,
)
from ..streaming import EventStreamResponse, StreamHub, valid_name, valid_resource
from .deps import Reader, StreamReader, Svc

router = APIRouter(prefix="/api/v1/events", tags=["events"])


@router.post("/ticket")
async def stream_ticket(principal: Reader, svc: Svc) -> JSONResponse:
    """A ticket for `?ticket=` on the stream, for EventSource clients that cannot send
    an Authorization header. It is good for the stream only, bound to the caller's
    session, and lasts as long as the session does, so an EventSource can keep
    reconnecting with the same URL; ending the session ends the ticket."""
    if principal.session_id is None:
        raise TicketNeedsSession(
            "stream tickets belong to a login session; API keys send the Authorization header"
        )
    result = await svc.call(
        "identity",
        "IssueStreamTicket",
        {
            "user_id": principal.user_id,
            "workspace_id": principal.workspace_id,
            "role": principal.role,
            "session_id": principal.session_id,
        },
    )
    return ok(result)


def _parse_types(types: str | None) -> frozenset[str] | None:
    if not types:
        return None
    names = frozenset(name.strip() for name in types.split(",") if name.strip())
    if not names or not all(valid_name(name) for name in names):
        raise InvalidFilter("types must be event names like ClusterReady")
    return names


def _parse_resource(resource: str | None) -> str | None:
    if resource is None:
        return None
    if not valid_resource(resource):
        raise InvalidFilter("resource must be a cluster or network id")
    return resource


def _parse_cursor(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 19:
        raise BadCursor("Last-Event-ID must be an event id from this stream")
    return int(value)


@router.get("/stream", response_model=None)
async def stream(
    request: Request,
    principal: StreamReader,
    types: str | None = Query(None, description="comma-separated event names to keep"),
    resource: str | None = Query(None, description="only events about this cluster or network id"),
    ticket: str | None = Query(None, description="a stream ticket, for EventSource clients"),
    last_event_id: str | None = Query(
        None, description="resume after this event id (the Last-Event-ID header wins)"
    ),
) -> Any:
    """Server-Sent Events of the caller's workspace: each event's name, a cursor id for
    `Last-Event-ID` (a reconnect resumes with nothing lost or repeated), the CloudEvent
    as data. Filter with `types=` and follow one resource with `resource=`. Browsers
    authenticate with a ticket (`POST /api/v1/events/ticket`)."""
    cursor = _parse_cursor(request.headers.get("last-event-id") or last_event_id)
    names = _parse_types(types)
    wanted = _parse_resource(resource)
    hub: StreamHub | None = getattr(request.app.state, "stream_hub", None)
    if hub is None:
        raise StreamUnavailable()
    if ticket and bearer(request) is None and principal.session_id is None:
        raise TicketNeedsSession("this ticket has no session", status=401)
    check = hub.session_check
    live = principal.session_id is None or check is None or await check(principal.session_id)
    if not live:
        raise SessionRevoked()
    connection = await hub.open(
        principal.workspace_id,
        types=names,
        resource=wanted,
        cursor=cursor,
        session_id=principal.session_id,
        user_id=principal.user_id,
    )
    return EventStreamResponse(hub, connection)
