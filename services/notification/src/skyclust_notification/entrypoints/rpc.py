"""The notification service's request/reply endpoints (asked by the gateway only: NATS
lets no other service publish on them)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messages.base import Rpc
from skyclust_common.messages.rpc import (
    GetNotificationMutes,
    ListNotifications,
    MarkAllNotificationsRead,
    MarkNotificationRead,
    SetNotificationMutes,
)
from skyclust_common.messaging import Bus, RpcContext, serve_handlers

from ..handlers import inbox
from ..handlers.common import NotificationDeps
from . import channels

Handler = Callable[[NotificationDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]

CONTRACTS: dict[Callable[..., Awaitable[dict[str, Any]]], type[Rpc[Any, Any]]] = {
    inbox.list_notifications: ListNotifications,
    inbox.mark_read: MarkNotificationRead,
    inbox.mark_all_read: MarkAllNotificationsRead,
    inbox.get_mutes: GetNotificationMutes,
    inbox.set_mutes: SetNotificationMutes,
}
HANDLERS: dict[str, Handler] = {
    **{contract.CONTRACT: contract.served(handler) for handler, contract in CONTRACTS.items()},
    **channels.HANDLERS,
}


async def register(bus: Bus, deps: NotificationDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
