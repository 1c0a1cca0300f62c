"""Notification rules, users' mutes and the resources' tags on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.model import Severity
from ..domain.rules import Rule
from .db import mutes, resource_tags, rules


def _rule(row: Any) -> Rule:
    return Rule(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        event_types=tuple(row.event_types),
        created_at=row.created_at,
        min_severity=Severity(row.min_severity),
        resource_ids=tuple(row.resource_ids),
        channel_ids=tuple(uuid.UUID(c) for c in row.channel_ids),
        in_app_roles=tuple(row.in_app_roles),
        in_app_user_ids=tuple(uuid.UUID(u) for u in row.in_app_user_ids),
        enabled=row.enabled,
        created_by=row.created_by,
        tags=tuple(sorted(row.tags.items())),
    )


def _values(r: Rule) -> dict[str, Any]:
    return {
        "id": r.id,
        "workspace_id": r.workspace_id,
        "name": r.name,
        "event_types": list(r.event_types),
        "min_severity": r.min_severity.value,
        "resource_ids": list(r.resource_ids),
        "channel_ids": [str(c) for c in r.channel_ids],
        "in_app_roles": list(r.in_app_roles),
        "in_app_user_ids": [str(u) for u in r.in_app_user_ids],
        "enabled": r.enabled,
        "created_by": r.created_by,
        "created_at": r.created_at,
        "tags": dict(r.tags),
    }


class SqlRules:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rule: Rule) -> None:
        await self.session.execute(insert(rules).values(**_values(rule)))

    async def get(self, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> Rule | None:
        query = select(rules).where(rules.c.workspace_id == workspace_id, rules.c.id == rule_id)
        row = (await self.session.execute(query)).one_or_none()
        return _rule(row) if row is not None else None

    async def in_workspace(self, workspace_id: uuid.UUID) -> list[Rule]:
        query = (
            select(rules)
            .where(rules.c.workspace_id == workspace_id)
            .order_by(rules.c.created_at, rules.c.id)
        )
        return [_rule(row) for row in (await self.session.execute(query)).all()]

    async def save(self, rule: Rule) -> None:
        await self.session.execute(
            update(rules).where(rules.c.id == rule.id).values(**_values(rule))
        )

    async def remove(self, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(rules).where(rules.c.workspace_id == workspace_id, rules.c.id == rule_id)
        )
        return bool(getattr(result, "rowcount", 0))


class SqlMutes:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_user(self, workspace_id: uuid.UUID, user_id: uuid.UUID) -> tuple[str, ...]:
        query = select(mutes.c.event_types).where(
            mutes.c.workspace_id == workspace_id, mutes.c.user_id == user_id
        )
        found = (await self.session.execute(query)).scalar_one_or_none()
        return tuple(found or ())

    async def in_workspace(self, workspace_id: uuid.UUID) -> dict[uuid.UUID, tuple[str, ...]]:
        query = select(mutes.c.user_id, mutes.c.event_types).where(
            mutes.c.workspace_id == workspace_id
        )
        return {
            row.user_id: tuple(row.event_types)
            for row in (await self.session.execute(query)).all()
            if row.event_types
        }

    async def set(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, event_types: tuple[str, ...]
    ) -> None:
        stmt = upsert(mutes).values(
            workspace_id=workspace_id, user_id=user_id, event_types=list(event_types)
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["workspace_id", "user_id"],
                set_={"event_types": stmt.excluded.event_types},
            )
        )


class SqlResourceTags:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def announce(
        self,
        workspace_id: uuid.UUID,
        resource_id: str,
        resource_type: str,
        tags: dict[str, str],
        as_of: datetime,
    ) -> None:
        stmt = upsert(resource_tags).values(
            workspace_id=workspace_id,
            resource_id=resource_id,
            resource_type=resource_type,
            tags=tags,
            as_of=as_of,
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["workspace_id", "resource_id"],
                set_={"tags": stmt.excluded.tags, "as_of": stmt.excluded.as_of},
                where=resource_tags.c.as_of <= stmt.excluded.as_of,
            )
        )

    async def forget(self, workspace_id: uuid.UUID, resource_id: str) -> None:
        await self.session.execute(
            delete(resource_tags).where(
                resource_tags.c.workspace_id == workspace_id,
                resource_tags.c.resource_id == resource_id,
            )
        )

    async def of(
        self, workspace_id: uuid.UUID, resource_ids: list[str]
    ) -> dict[str, dict[str, str]]:
        if not resource_ids:
            return {}
        query = select(resource_tags.c.resource_id, resource_tags.c.tags).where(
            resource_tags.c.workspace_id == workspace_id,
            resource_tags.c.resource_id.in_(resource_ids),
        )
        return {
            row.resource_id: dict(row.tags) for row in (await self.session.execute(query)).all()
        }
