"""What handlers may ask of the store. `sql.py` implements it on PostgreSQL,
`fake_uow.py` in memory; handlers see only these interfaces, never a session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from skyclust_common.envelope import CloudEvent

from ..domain.cursor import Position
from ..domain.model import Notification
from ..domain.rules import Rule
from ..domain.webhooks import Channel, Delivery


class NotificationRepository(Protocol):
    async def add(self, notification: Notification) -> bool:
        """Store it; False when this user already has the notification of this event."""
        ...

    async def page(
        self,
        workspace_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        unread_only: bool,
        limit: int,
        after: Position | None,
    ) -> list[Notification]:
        """Newest first, strictly older than `after` when given."""
        ...

    async def unread_count(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> int: ...

    async def mark_read(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, notification_id: uuid.UUID, now: datetime
    ) -> Notification | None:
        """The notification, read (since `now` unless it was already); None if the user
        has no such notification."""
        ...

    async def mark_all_read(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, now: datetime
    ) -> int: ...


@dataclass(frozen=True)
class Resealed:
    """One batch of a reseal: how many moved to the active key, the channels whose
    secret did not open, the last channel looked at and how many were."""

    resealed: int = 0
    failed: tuple[uuid.UUID, ...] = ()
    last: uuid.UUID | None = None
    seen: int = 0


class ChannelRepository(Protocol):
    async def add(self, channel: Channel) -> None: ...

    async def get(self, workspace_id: uuid.UUID, channel_id: uuid.UUID) -> Channel | None: ...

    async def in_workspace(self, workspace_id: uuid.UUID) -> list[Channel]:
        """Oldest first."""
        ...

    async def save(self, channel: Channel) -> None: ...

    async def reseal(
        self, channel_ids: list[uuid.UUID] | None, limit: int, after: uuid.UUID | None = None
    ) -> Resealed:
        """Seal again under the active key the stored secrets of these channels (None:
        any, in id order after `after`) that are clear or under an older key."""
        ...

    async def sealed_under(self) -> dict[str, int]:
        """Stored secrets per key version (`clear`: unsealed)."""
        ...

    async def remove(self, workspace_id: uuid.UUID, channel_id: uuid.UUID) -> bool: ...


class DeliveryRepository(Protocol):
    async def add(self, delivery: Delivery) -> bool:
        """Store it; False when this channel already has a delivery of this event."""
        ...

    async def get(self, workspace_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery | None: ...

    async def of_channel(self, channel_id: uuid.UUID, limit: int) -> list[Delivery]:
        """Newest first."""
        ...

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries due by `now`, each the oldest pending one of its channel and
        recipient (so each endpoint gets its events in order), each moved to
        `lease_until` so another replica does not send it meanwhile (rows locked by
        another transaction are skipped)."""
        ...

    async def save(self, delivery: Delivery) -> None: ...


class RuleRepository(Protocol):
    async def add(self, rule: Rule) -> None: ...

    async def get(self, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> Rule | None: ...

    async def in_workspace(self, workspace_id: uuid.UUID) -> list[Rule]:
        """Oldest first."""
        ...

    async def save(self, rule: Rule) -> None: ...

    async def remove(self, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> bool: ...


class MuteRepository(Protocol):
    async def of_user(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, ...]: ...

    async def in_workspace(self, workspace_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, ...]]:
        """Each user's mutes, for users with any."""
        ...

    async def set(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, event_types: tuple[str, ...]
    ) -> None: ...


class ResourceTagRepository(Protocol):
    async def announce(
        self,
        workspace_id: uuid.UUID,
        resource_id: str,
        resource_type: str,
        tags: dict[str, str],
        as_of: datetime,
    ) -> None:
        """Keep these as the resource's tags, unless newer ones are already kept."""
        ...

    async def forget(self, workspace_id: uuid.UUID, resource_id: str) -> None: ...

    async def of(
        self, workspace_id: uuid.UUID, resource_ids: list[str]
    ) -> dict[str, dict[str, str]]:
        """The kept tags of those of these resources that have any kept."""
        ...


class NotificationUnitOfWork(Protocol):
    @property
    def notifications(self) -> NotificationRepository: ...

    @property
    def channels(self) -> ChannelRepository: ...

    @property
    def deliveries(self) -> DeliveryRepository: ...

    @property
    def rules(self) -> RuleRepository: ...

    @property
    def mutes(self) -> MuteRepository: ...

    @property
    def resource_tags(self) -> ResourceTagRepository: ...

    def read_only(self) -> Self: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def emit(self, event: CloudEvent) -> None: ...

    async def seen(self, consumer: str, message_id: str) -> bool: ...

    async def commit(self) -> None: ...
