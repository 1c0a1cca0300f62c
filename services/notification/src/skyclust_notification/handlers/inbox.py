"""The in-app inbox: platform events become notifications for the right members, and
each user reads and marks their own."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.messages.rpc import (
    GetNotificationMutes,
    ListNotifications,
    MarkAllNotificationsRead,
    MarkNotificationRead,
    SetNotificationMutes,
)
from skyclust_common.messaging import Delivery, RpcContext

from ..domain.catalog import CATALOG, from_owner, recipients
from ..domain.cursor import decode_cursor, encode_cursor
from ..domain.errors import NotificationNotFound
from ..domain.model import Notification
from ..domain.rules import check_patterns, in_app_members, muted
from .common import SOURCE, NotificationDeps
from .resource_tags import tags_for

log = logging.getLogger(__name__)

CONSUMER = "notification-inbox"
DEFAULT_PAGE = 20


async def on_platform_event(deps: NotificationDeps, event: CloudEvent, delivery: Delivery) -> None:
    """One notification per recipient of the event, and a NotificationCreated for each
    (the user's live stream), in one transaction with the inbox mark: a redelivered
    event finds the mark and changes nothing."""
    kind = CATALOG.get(event.name)
    if kind is None or not event.workspaceid:
        return
    if not from_owner(kind, event.source):
        log.warning(
            "event refused: not from the service that owns it",
            extra={"event": event.name, "source": event.source, "event_id": event.id},
        )
        return
    message = kind.describe(event.data)
    # Asked before the transaction: a slow identity must not hold a connection. A
    # failure here is retryable and the delivery rules retry the event.
    members = await deps.members(event.workspaceid)
    defaults = recipients(kind, members, actor_id=event.actorid, data=event.data)
    workspace_id = uuid.UUID(event.workspaceid)
    now = deps.clock()
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        # The defaults, and whom the workspace's rules add in-app.
        rules = await uow.rules.in_workspace(workspace_id)
        ruled = in_app_members(
            rules,
            members,
            event.name,
            message.severity,
            message.resource_id,
            await tags_for(uow, workspace_id, rules, event.data),
        )
        chosen = {m.user_id: m for m in (*defaults, *ruled)}
        # Whoever muted this type for themselves does not get it in-app.
        for user_id, patterns in (await uow.mutes.in_workspace(workspace_id)).items():
            if user_id in chosen and muted(event.name, patterns):
                del chosen[user_id]
        for member in sorted(chosen.values(), key=lambda m: str(m.user_id)):
            notification = Notification(
                id=uuid.uuid4(),
                workspace_id=workspace_id,
                user_id=member.user_id,
                event_type=event.name,
                event_id=event.id,
                severity=message.severity,
                title=message.title,
                body=message.body,
                link=deps.link(message.path),
                created_at=now,
                resource_type=message.resource_type,
                resource_id=message.resource_id,
            )
            if await uow.notifications.add(notification):
                uow.emit(_created(notification, event))
        await uow.commit()


def _created(notification: Notification, cause: CloudEvent) -> CloudEvent:
    data: dict[str, Any] = {
        "notification_id": str(notification.id),
        "user_id": str(notification.user_id),
        "event_type": notification.event_type,
        "severity": notification.severity.value,
        "title": notification.title,
        "link": notification.link,
    }
    if notification.resource_type:
        data["resource_type"] = notification.resource_type
    if notification.resource_id:
        data["resource_id"] = notification.resource_id
    return new_event(
        "NotificationCreated",
        data,
        source=SOURCE,
        subject=str(notification.id),
        workspace_id=str(notification.workspace_id),
        correlation_id=cause.correlationid,
        causation_id=cause.id,
    )


async def list_notifications(
    deps: NotificationDeps, req: ListNotifications.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    limit = req.limit or DEFAULT_PAGE
    after = decode_cursor(req.cursor) if req.cursor else None
    async with deps.uow().read_only() as uow:
        # One more than asked: whether a next page exists without a second query.
        rows = await uow.notifications.page(
            req.workspace_id,
            req.user_id,
            unread_only=bool(req.unread),
            limit=limit + 1,
            after=after,
        )
        unread = await uow.notifications.unread_count(req.workspace_id, req.user_id)
    page = rows[:limit]
    next_cursor = (
        encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit and page else None
    )
    return {
        "items": [n.view() for n in page],
        "next_cursor": next_cursor,
        "unread_count": unread,
    }


async def mark_read(
    deps: NotificationDeps, req: MarkNotificationRead.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        found = await uow.notifications.mark_read(
            req.workspace_id, req.user_id, req.notification_id, deps.clock()
        )
        if found is None:
            raise NotificationNotFound(details={"notification_id": str(req.notification_id)})
        unread = await uow.notifications.unread_count(req.workspace_id, req.user_id)
        await uow.commit()
    return {"notification": found.view(), "unread_count": unread}


async def mark_all_read(
    deps: NotificationDeps, req: MarkAllNotificationsRead.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow() as uow:
        marked = await uow.notifications.mark_all_read(req.workspace_id, req.user_id, deps.clock())
        unread = await uow.notifications.unread_count(req.workspace_id, req.user_id)
        await uow.commit()
    return {"marked": marked, "unread_count": unread}


async def get_mutes(
    deps: NotificationDeps, req: GetNotificationMutes.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        types = await uow.mutes.of_user(req.workspace_id, req.user_id)
    return {"event_types": list(types)}


async def set_mutes(
    deps: NotificationDeps, req: SetNotificationMutes.Request, ctx: RpcContext | None = None
) -> dict[str, Any]:
    """The caller's own mutes, replaced: names or patterns of events SkyClust sends."""
    types = check_patterns(list(req.event_types), CATALOG) if req.event_types else ()
    async with deps.uow() as uow:
        await uow.mutes.set(req.workspace_id, req.user_id, types)
        await uow.commit()
    return {"event_types": list(types)}
