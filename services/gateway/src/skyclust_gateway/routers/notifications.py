"""The caller's own in-app inbox in the current workspace. Notifications belong to a
user: API keys have none."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from ..envelope import ok
from .deps import Svc, UserReader
from .models import MutesBody

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
SERVICE = "notification"


def _me(principal: UserReader) -> dict[str, str]:
    return {"workspace_id": principal.workspace_id, "user_id": principal.user_id}


@router.get("")
async def list_notifications(
    principal: UserReader,
    svc: Svc,
    unread: bool = Query(False, description="only the notifications not read yet"),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, max_length=200, description="next_cursor of a page"),
) -> JSONResponse:
    """Newest first, with `unread_count` (all the caller's unread, not just this page)."""
    query = {**_me(principal), "unread": unread, "limit": limit}
    if cursor:
        query["cursor"] = cursor
    return ok(await svc.call(SERVICE, "ListNotifications", query))


@router.get("/unread-count")
async def unread_count(principal: UserReader, svc: Svc) -> JSONResponse:
    """How many of the caller's notifications are unread (for a badge)."""
    result = await svc.call(SERVICE, "ListNotifications", {**_me(principal), "limit": 1})
    return ok({"unread_count": result["unread_count"]})


@router.post("/read-all")
async def mark_all_read(principal: UserReader, svc: Svc) -> JSONResponse:
    """Mark every notification of the caller read."""
    return ok(await svc.call(SERVICE, "MarkAllNotificationsRead", _me(principal)))


@router.get("/mutes")
async def get_mutes(principal: UserReader, svc: Svc) -> JSONResponse:
    """The event types the caller does not want in their inbox here."""
    return ok(await svc.call(SERVICE, "GetNotificationMutes", _me(principal)))


@router.put("/mutes")
async def set_mutes(body: MutesBody, principal: UserReader, svc: Svc) -> JSONResponse:
    """Replaces the caller's mutes (names or patterns such as `Cluster*`); `[]` unmutes.
    Channels are the workspace's and are not muted by this."""
    request = {**_me(principal), "event_types": body.event_types}
    return ok(await svc.call(SERVICE, "SetNotificationMutes", request))


@router.post("/{notification_id}/read")
async def mark_read(notification_id: uuid.UUID, principal: UserReader, svc: Svc) -> JSONResponse:
    """Mark one of the caller's notifications read."""
    request = {**_me(principal), "notification_id": str(notification_id)}
    return ok(await svc.call(SERVICE, "MarkNotificationRead", request))
