"""The repositories on PostgreSQL: every query of the notification service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.cursor import Position
from ..domain.model import Notification, Severity
from .db import notifications as table


def _row(row: Any) -> Notification:
    return Notification(
        id=row.id,
        workspace_id=row.workspace_id,
        user_id=row.user_id,
        event_type=row.event_type,
        event_id=row.event_id,
        severity=Severity(row.severity),
        title=row.title,
        body=row.body,
        link=row.link,
        created_at=row.created_at,
        resource_type=row.resource_type,
        resource_id=row.resource_id,
        read_at=row.read_at,
    )


def _mine(workspace_id: uuid.UUID, user_id: uuid.UUID) -> Any:
    return and_(table.c.workspace_id == workspace_id, table.c.user_id == user_id)


class SqlNotifications:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, notification: Notification) -> bool:
        values = {
            "id": notification.id,
            "workspace_id": notification.workspace_id,
            "user_id": notification.user_id,
            "event_type": notification.event_type,
            "event_id": notification.event_id,
            "severity": notification.severity.value,
            "title": notification.title,
            "body": notification.body,
            "resource_type": notification.resource_type,
            "resource_id": notification.resource_id,
            "link": notification.link,
            "created_at": notification.created_at,
            "read_at": notification.read_at,
        }
        stmt = (
            insert(table)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["user_id", "event_id"])
            .returning(table.c.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def page(
        self,
        workspace_id: uuid.UUID,
        user_id: uuid.UUID,
        *,
        unread_only: bool,
        limit: int,
        after: Position | None,
    ) -> list[Notification]:
        query = select(table).where(_mine(workspace_id, user_id))
        if unread_only:
            query = query.where(table.c.read_at.is_(None))
        if after is not None:
            when, row_id = after
            query = query.where(
                or_(
                    table.c.created_at < when,
                    and_(table.c.created_at == when, table.c.id < row_id),
                )
            )
        query = query.order_by(table.c.created_at.desc(), table.c.id.desc()).limit(limit)
        return [_row(row) for row in (await self.session.execute(query)).all()]

    async def unread_count(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> int:
        query = (
            select(func.count())
            .select_from(table)
            .where(_mine(workspace_id, user_id), table.c.read_at.is_(None))
        )
        return int((await self.session.execute(query)).scalar_one())

    async def mark_read(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, notification_id: uuid.UUID, now: datetime
    ) -> Notification | None:
        mine = and_(_mine(workspace_id, user_id), table.c.id == notification_id)
        await self.session.execute(
            update(table).where(mine, table.c.read_at.is_(None)).values(read_at=now)
        )
        row = (await self.session.execute(select(table).where(mine))).one_or_none()
        return _row(row) if row is not None else None

    async def mark_all_read(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, now: datetime
    ) -> int:
        result = await self.session.execute(
            update(table)
            .where(_mine(workspace_id, user_id), table.c.read_at.is_(None))
            .values(read_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)
