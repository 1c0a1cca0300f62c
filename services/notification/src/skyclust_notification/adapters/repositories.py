"""What handlers may ask of the store. `sql.py` implements it on PostgreSQL,
`fake_uow.py` in memory; handlers see only these interfaces, never a session."""

from __future__ import annotations

import uuid
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from skyclust_common.envelope import CloudEvent

from ..domain.cursor import Position
from ..domain.model import Notification


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


class NotificationUnitOfWork(Protocol):
    @property
    def notifications(self) -> NotificationRepository: ...

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
