"""The notification service's store in memory, for the unit lane: the same contract as
`sql.py`, on the shared fake unit of work."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from skyclust_common.fake_uow import FakeUnitOfWork

from ..domain.cursor import Position
from ..domain.model import Notification
from ..domain.rules import Rule
from ..domain.webhooks import Channel, Delivery, DeliveryStatus
from .repositories import Resealed


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


class FakeChannels:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows: dict[uuid.UUID, Channel] = rows

    async def add(self, channel: Channel) -> None:
        self.rows[channel.id] = channel

    async def get(self, workspace_id: uuid.UUID, channel_id: uuid.UUID) -> Channel | None:
        row = self.rows.get(channel_id)
        return row if row is not None and row.workspace_id == workspace_id else None

    async def in_workspace(self, workspace_id: uuid.UUID) -> list[Channel]:
        rows = [c for c in self.rows.values() if c.workspace_id == workspace_id]
        return sorted(rows, key=lambda c: (c.created_at, c.id))

    async def save(self, channel: Channel) -> None:
        self.rows[channel.id] = channel

    async def reseal(
        self, channel_ids: list[uuid.UUID] | None, limit: int, after: uuid.UUID | None = None
    ) -> Resealed:
        # The fake keeps secrets as they are: there is nothing to seal again.
        return Resealed()

    async def sealed_under(self) -> dict[str, int]:
        count = sum(bool(c.secret) + bool(c.previous_secret) for c in self.rows.values())
        return {"clear": count} if count else {}

    async def remove(self, workspace_id: uuid.UUID, channel_id: uuid.UUID) -> bool:
        if await self.get(workspace_id, channel_id) is None:
            return False
        del self.rows[channel_id]
        return True


class FakeDeliveries:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows: dict[uuid.UUID, Delivery] = rows

    async def add(self, delivery: Delivery) -> bool:
        for row in self.rows.values():
            if (row.channel_id, row.event_id, row.recipient) == (
                delivery.channel_id,
                delivery.event_id,
                delivery.recipient,
            ):
                return False
        self.rows[delivery.id] = delivery
        return True

    async def get(self, workspace_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery | None:
        row = self.rows.get(delivery_id)
        return row if row is not None and row.workspace_id == workspace_id else None

    async def of_channel(self, channel_id: uuid.UUID, limit: int) -> list[Delivery]:
        rows = [d for d in self.rows.values() if d.channel_id == channel_id]
        rows.sort(key=lambda d: (d.created_at, d.id), reverse=True)
        return rows[:limit]

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        heads: dict[tuple[uuid.UUID, str], Delivery] = {}
        for d in sorted(self.rows.values(), key=lambda d: (d.created_at, d.id)):
            if d.status is DeliveryStatus.PENDING and d.next_attempt_at is not None:
                heads.setdefault((d.channel_id, d.recipient), d)
        due = [d for d in heads.values() if d.next_attempt_at and d.next_attempt_at <= now]
        due.sort(key=lambda d: (d.next_attempt_at or now, d.id))
        claimed = [replace(d, next_attempt_at=lease_until) for d in due[:limit]]
        for d in claimed:
            self.rows[d.id] = d
        return claimed

    async def save(self, delivery: Delivery) -> None:
        self.rows[delivery.id] = delivery


class FakeRules:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows: dict[uuid.UUID, Rule] = rows

    async def add(self, rule: Rule) -> None:
        self.rows[rule.id] = rule

    async def get(self, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> Rule | None:
        row = self.rows.get(rule_id)
        return row if row is not None and row.workspace_id == workspace_id else None

    async def in_workspace(self, workspace_id: uuid.UUID) -> list[Rule]:
        rows = [r for r in self.rows.values() if r.workspace_id == workspace_id]
        return sorted(rows, key=lambda r: (r.created_at, r.id))

    async def save(self, rule: Rule) -> None:
        self.rows[rule.id] = rule

    async def remove(self, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> bool:
        if await self.get(workspace_id, rule_id) is None:
            return False
        del self.rows[rule_id]
        return True


class FakeMutes:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows: dict[tuple[uuid.UUID, uuid.UUID], tuple[str, ...]] = rows

    async def of_user(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, ...]:
        return self.rows.get((workspace_id, user_id), ())

    async def in_workspace(self, workspace_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, ...]]:
        return {u: types for (w, u), types in self.rows.items() if w == workspace_id and types}

    async def set(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, event_types: tuple[str, ...]
    ) -> None:
        self.rows[(workspace_id, user_id)] = event_types


class FakeResourceTags:
    def __init__(self, rows: dict[Any, Any]) -> None:
        self.rows: dict[tuple[uuid.UUID, str], tuple[str, dict[str, str], datetime]] = rows

    async def announce(
        self,
        workspace_id: uuid.UUID,
        resource_id: str,
        resource_type: str,
        tags: dict[str, str],
        as_of: datetime,
    ) -> None:
        kept = self.rows.get((workspace_id, resource_id))
        if kept is None or kept[2] <= as_of:
            self.rows[(workspace_id, resource_id)] = (resource_type, dict(tags), as_of)

    async def forget(self, workspace_id: uuid.UUID, resource_id: str) -> None:
        self.rows.pop((workspace_id, resource_id), None)

    async def of(
        self, workspace_id: uuid.UUID, resource_ids: list[str]
    ) -> dict[str, dict[str, str]]:
        return {
            r: dict(self.rows[(workspace_id, r)][1])
            for r in resource_ids
            if (workspace_id, r) in self.rows
        }


class FakeNotificationUnitOfWork(FakeUnitOfWork):
    @property
    def notifications(self) -> FakeNotifications:
        return FakeNotifications(self.table("notifications"))

    @property
    def channels(self) -> FakeChannels:
        return FakeChannels(self.table("channels"))

    @property
    def deliveries(self) -> FakeDeliveries:
        return FakeDeliveries(self.table("deliveries"))

    @property
    def rules(self) -> FakeRules:
        return FakeRules(self.table("rules"))

    @property
    def mutes(self) -> FakeMutes:
        return FakeMutes(self.table("mutes"))

    @property
    def resource_tags(self) -> FakeResourceTags:
        return FakeResourceTags(self.table("resource_tags"))
