"""Webhook channels and deliveries on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import ColumnElement, delete, func, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.webhooks import Attempt, Channel, Delivery, DeliveryStatus
from .db import channels, deliveries
from .repositories import Resealed
from .secret_box import SecretBox


def _channel(row: Any, box: SecretBox) -> Channel:
    return Channel(
        id=row.id,
        workspace_id=row.workspace_id,
        name=row.name,
        url=row.url or "",
        event_types=tuple(row.event_types),
        secret=box.open(row.secret, row.id) if row.secret else "",
        created_at=row.created_at,
        created_by=row.created_by,
        previous_secret=box.open(row.previous_secret, row.id) if row.previous_secret else None,
        previous_until=row.previous_until,
        enabled=row.enabled,
        disabled_reason=row.disabled_reason,
        failing_since=row.failing_since,
        type=row.type,
        recipients=tuple(row.recipients),
        recipient_roles=tuple(row.recipient_roles),
    )


def _channel_values(c: Channel, box: SecretBox) -> dict[str, Any]:
    return {
        "id": c.id,
        "workspace_id": c.workspace_id,
        "name": c.name,
        "type": c.type,
        "url": c.url or None,
        "recipients": list(c.recipients),
        "recipient_roles": list(c.recipient_roles),
        "event_types": list(c.event_types),
        "secret": box.seal(c.secret, c.id) if c.secret else None,
        "previous_secret": box.seal(c.previous_secret, c.id) if c.previous_secret else None,
        "previous_until": c.previous_until,
        "enabled": c.enabled,
        "disabled_reason": c.disabled_reason,
        "failing_since": c.failing_since,
        "created_by": c.created_by,
        "created_at": c.created_at,
    }


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        channel_id=row.channel_id,
        workspace_id=row.workspace_id,
        event_id=row.event_id,
        event_type=row.event_type,
        payload=row.payload,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        status=DeliveryStatus(row.status),
        attempts=tuple(
            Attempt(
                at=datetime.fromisoformat(a["at"]),
                status_code=a["status_code"],
                latency_ms=a["latency_ms"],
                error=a.get("error"),
            )
            for a in row.attempts
        ),
        recipient=row.recipient,
    )


def _delivery_values(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "channel_id": d.channel_id,
        "workspace_id": d.workspace_id,
        "event_id": d.event_id,
        "event_type": d.event_type,
        "payload": d.payload,
        "status": d.status.value,
        "attempts": [
            {
                "at": a.at.isoformat(),
                "status_code": a.status_code,
                "latency_ms": a.latency_ms,
                "error": a.error,
            }
            for a in d.attempts
        ],
        "next_attempt_at": d.next_attempt_at,
        "created_at": d.created_at,
        "recipient": d.recipient,
    }


class SqlChannels:
    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self.session = session
        self.box = box

    async def add(self, channel: Channel) -> None:
        await self.session.execute(insert(channels).values(**_channel_values(channel, self.box)))

    async def get(self, workspace_id: uuid.UUID, channel_id: uuid.UUID) -> Channel | None:
        query = select(channels).where(
            channels.c.workspace_id == workspace_id, channels.c.id == channel_id
        )
        row = (await self.session.execute(query)).one_or_none()
        return _channel(row, self.box) if row is not None else None

    async def in_workspace(self, workspace_id: uuid.UUID) -> list[Channel]:
        query = (
            select(channels)
            .where(channels.c.workspace_id == workspace_id)
            .order_by(channels.c.created_at, channels.c.id)
        )
        return [_channel(row, self.box) for row in (await self.session.execute(query)).all()]

    async def save(self, channel: Channel) -> None:
        values = _channel_values(channel, self.box)
        await self.session.execute(
            update(channels).where(channels.c.id == channel.id).values(**values)
        )

    def _stale(self) -> ColumnElement[bool]:
        """Rows whose secret (or previous secret) is clear or under an older key this
        box opens: what a reseal moves to the active key."""

        def stale(column: Any) -> ColumnElement[bool]:
            return column.is_not(None) & or_(
                func.strpos(column, ":") == 0,
                func.split_part(column, ":", 1).in_(self.box.stale_versions()),
            )

        return or_(stale(channels.c.secret), stale(channels.c.previous_secret))

    async def reseal(
        self, channel_ids: list[uuid.UUID] | None, limit: int, after: uuid.UUID | None = None
    ) -> Resealed:
        """Seal again under the active key the secrets of these channels (None: any,
        in id order after `after`) that are clear or under an older key; at most
        `limit`, each row locked and skipped when another instance holds it. One that
        does not open (tampered with, or sealed under another key of that name) is
        left as it is and named."""
        if self.box.active is None:
            return Resealed()
        query = select(channels).where(self._stale())
        if channel_ids is not None:
            query = query.where(channels.c.id.in_(channel_ids))
        if after is not None:
            query = query.where(channels.c.id > after)
        query = query.order_by(channels.c.id).limit(limit).with_for_update(skip_locked=True)
        rows = (await self.session.execute(query)).all()
        resealed, failed = 0, []
        for row in rows:
            try:
                channel = _channel(row, self.box)
            except (InvalidTag, ValueError):
                failed.append(row.id)
                continue
            await self.session.execute(
                update(channels)
                .where(channels.c.id == row.id)
                .values(
                    secret=self.box.seal(channel.secret, row.id) if row.secret else None,
                    previous_secret=(
                        self.box.seal(channel.previous_secret, row.id)
                        if channel.previous_secret
                        else None
                    ),
                )
            )
            resealed += 1
        return Resealed(resealed, tuple(failed), rows[-1].id if rows else None, len(rows))

    async def sealed_under(self) -> dict[str, int]:
        """How many stored secrets each key version holds (`clear`: none)."""
        counts: dict[str, int] = {}
        for column in (channels.c.secret, channels.c.previous_secret):
            version = func.coalesce(
                func.nullif(func.split_part(column, ":", 1), column), "clear"
            ).label("version")
            query = select(version, func.count()).where(column.is_not(None)).group_by(version)
            for name, count in (await self.session.execute(query)).all():
                counts[name] = counts.get(name, 0) + count
        return counts

    async def remove(self, workspace_id: uuid.UUID, channel_id: uuid.UUID) -> bool:
        result = await self.session.execute(
            delete(channels).where(
                channels.c.workspace_id == workspace_id, channels.c.id == channel_id
            )
        )
        return bool(getattr(result, "rowcount", 0))


class SqlDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, delivery: Delivery) -> bool:
        stmt = (
            insert(deliveries)
            .values(**_delivery_values(delivery))
            .on_conflict_do_nothing(index_elements=["channel_id", "event_id", "recipient"])
            .returning(deliveries.c.id)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none() is not None

    async def get(self, workspace_id: uuid.UUID, delivery_id: uuid.UUID) -> Delivery | None:
        query = select(deliveries).where(
            deliveries.c.workspace_id == workspace_id, deliveries.c.id == delivery_id
        )
        row = (await self.session.execute(query)).one_or_none()
        return _delivery(row) if row is not None else None

    async def of_channel(self, channel_id: uuid.UUID, limit: int) -> list[Delivery]:
        query = (
            select(deliveries)
            .where(deliveries.c.channel_id == channel_id)
            .order_by(deliveries.c.created_at.desc(), deliveries.c.id.desc())
            .limit(limit)
        )
        return [_delivery(row) for row in (await self.session.execute(query)).all()]

    async def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        # Only the oldest pending delivery of each channel and recipient is ever due: an
        # endpoint gets its events in order, the next one after the last is taken.
        older = deliveries.alias("older")
        ahead = (
            select(older.c.id)
            .where(
                older.c.channel_id == deliveries.c.channel_id,
                older.c.recipient == deliveries.c.recipient,
                older.c.status == "pending",
                # A test send in flight is not scheduled and holds nothing up.
                older.c.next_attempt_at.is_not(None),
                tuple_(older.c.created_at, older.c.id)
                < tuple_(deliveries.c.created_at, deliveries.c.id),
            )
            .exists()
        )
        due = (
            select(deliveries.c.id)
            .where(
                deliveries.c.status == "pending",
                deliveries.c.next_attempt_at <= now,
                ~ahead,
            )
            .order_by(deliveries.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(deliveries)
            .where(deliveries.c.id.in_(due.scalar_subquery()))
            .values(next_attempt_at=lease_until)
            .returning(*deliveries.c)
        )
        return [_delivery(row) for row in (await self.session.execute(stmt)).all()]

    async def save(self, delivery: Delivery) -> None:
        values = _delivery_values(delivery)
        await self.session.execute(
            update(deliveries).where(deliveries.c.id == delivery.id).values(**values)
        )
