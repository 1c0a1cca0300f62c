"""The relay that moves committed outbox rows to JetStream. A row is marked published
only after JetStream acked it; a crash in between republishes it with the same
Nats-Msg-Id, which the stream's duplicate window drops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import MetaData, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from .db import outbox_table, utcnow
from .messaging import MSG_ID, Bus
from .observability import OUTBOX_LAG, OUTBOX_PENDING, OUTBOX_PUBLISHED

log = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5.0


class OutboxRelay:
    def __init__(
        self,
        engine: AsyncEngine,
        metadata: MetaData,
        bus: Bus,
        *,
        poll_seconds: float = 0.5,
        batch_size: int = 100,
    ) -> None:
        self._engine = engine
        self._table = outbox_table(metadata)
        self._bus = bus
        self._poll = poll_seconds
        self._batch = batch_size
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wakeup.set()

    async def publish_pending(self) -> int:
        table = self._table
        async with self._engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(
                        table.c.id,
                        table.c.subject,
                        table.c.payload,
                        table.c.headers,
                        table.c.created_at,
                    )
                    .where(table.c.published_at.is_(None))
                    .order_by(table.c.created_at, table.c.id)
                    .limit(self._batch)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            OUTBOX_PENDING.labels(self._bus.service).set(len(rows))
            # Rows come oldest first: the first one's age is how far the relay lags.
            lag = (utcnow() - rows[0].created_at).total_seconds() if rows else 0.0
            OUTBOX_LAG.labels(self._bus.service).set(max(lag, 0.0))
            if rows:
                await self._publish_all(rows)
                await conn.execute(
                    update(table)
                    .where(table.c.id.in_([row.id for row in rows]))
                    .values(published_at=utcnow())
                )
        OUTBOX_PUBLISHED.labels(self._bus.service).inc(len(rows))
        return len(rows)

    async def _publish_all(self, rows: Sequence[Any]) -> None:
        """Every row written to the connection in order, then every ack awaited at
        once: the stream keeps the rows' order and a batch costs one round trip, not
        one per row. Any failure fails the pass; the rows stay pending and go again."""
        js = self._bus.js
        acks: list[asyncio.Future[Any]] = []
        try:
            for row in rows:
                headers = {**(row.headers or {}), MSG_ID: str(row.id)}
                acks.append(
                    await js.publish_async(row.subject, orjson.dumps(row.payload), headers=headers)
                )
            await asyncio.wait_for(asyncio.gather(*acks), timeout=PUBLISH_TIMEOUT_SECONDS)
        finally:
            for ack in acks:
                ack.cancel()  # a no-op once acked; frees what a failed pass left waiting

    async def run(self) -> None:
        failures = 0
        while True:
            self._wakeup.clear()
            try:
                published = await self.publish_pending()
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(0.2 * 2**failures, 5.0)
                log.warning("outbox relay pass failed", extra={"error": str(exc), "retry": delay})
                await asyncio.sleep(delay)
                continue
            if published:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=self._poll)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
