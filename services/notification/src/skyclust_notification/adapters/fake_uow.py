"""The notification service's store in memory, for the unit lane: the same contract as
`sql.py`, on the shared fake unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from skyclust_common.fake_uow import FakeUnitOfWork

from ..domain.cursor import Position
from ..domain.model import Notification


class FakeNotifications:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows: dict[uuid.UUID, Notification] = rows

    def _mine(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> list[Notification]:
        return [
            n for n in self.rows.values() if n.workspace_id == workspace_id and n.user_id == user_id
        ]

    async def add(self, notification: Notification) -> bool:
        for row in self.rows.values():
            if row.user_id == notification.user_id and row.event_id == notification.event_id:
                return False
        self.rows[notification.id] = notification
        return True

    async def page(
        self,
        workspace_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        unread_only: bool,
        limit: int,
        after: Position | None,
    ) -> list[Notification]:
        rows = [n for n in self._mine(workspace_id, user_id) if n.unread or not unread_only]
        if after is not None:
            rows = [n for n in rows if (n.created_at, n.id) < after]
        rows.sort(key=lambda n: (n.created_at, n.id), reverse=True)
        return rows[:limit]

    async def unread_count(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> int:
        return sum(1 for n in self._mine(workspace_id, user_id) if n.unread)

    async def mark_read(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, notification_id: uuid.UUID, now: datetime
    ) -> Notification | None:
        row = self.rows.get(notification_id)
        if row is None or row.workspace_id != workspace_id or row.user_id != user_id:
            return None
        self.rows[notification_id] = row.read(now)
        return self.rows[notification_id]

    async def mark_all_read(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, now: datetime
    ) -> int:
        unread = [n for n in self._mine(workspace_id, user_id) if n.unread]
        for row in unread:
            self.rows[row.id] = row.read(now)
        return len(unread)


class FakeNotificationUnitOfWork(FakeUnitOfWork):
    @property
    def notifications(self) -> FakeNotifications:
        return FakeNotifications(self.table("notifications"))
