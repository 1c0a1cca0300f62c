"""Outbox and inbox pruning against a real PostgreSQL: what is past its retention goes,
in batches; what is newer, and every row not yet published, stays."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from skyclust_common.db import (
    create_engine,
    inbox_table,
    outbox_table,
    prune_inbox,
    prune_outbox,
    service_metadata,
    utcnow,
)
from skyclust_common.dbadmin import provision_service
from skyclust_common.runtime import Database, pruning_job
from skyclust_common.settings import DatabaseServiceSettings

metadata = service_metadata("prunetest")
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


@pytest.fixture(scope="module")
async def engine(postgres: Any) -> Any:
    url = await provision_service(postgres.url, "prunetest", "prunetest-pw")
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


async def add_outbox(engine: AsyncEngine, *, age_hours: float, published: bool) -> uuid.UUID:
    row_id = uuid.uuid4()
    when = utcnow() - timedelta(hours=age_hours)
    async with engine.begin() as conn:
        await conn.execute(
            insert(outbox).values(
                id=row_id,
                subject="skyclust.evt.system.Test",
                payload={},
                headers={},
                created_at=when,
                published_at=when if published else None,
            )
        )
    return row_id


async def add_inbox(engine: AsyncEngine, *, age_hours: float) -> str:
    message_id = str(uuid.uuid4())
    async with engine.begin() as conn:
        await conn.execute(
            insert(inbox).values(
                consumer="c",
                message_id=message_id,
                processed_at=utcnow() - timedelta(hours=age_hours),
            )
        )
    return message_id


async def outbox_ids(engine: AsyncEngine) -> set[uuid.UUID]:
    async with engine.connect() as conn:
        return set((await conn.execute(select(outbox.c.id))).scalars())


async def inbox_ids(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set((await conn.execute(select(inbox.c.message_id))).scalars())


@pytest.mark.integration
async def test_published_rows_past_retention_go_and_newer_or_unpublished_stay(engine):
    old = [await add_outbox(engine, age_hours=80, published=True) for _ in range(7)]
    new = await add_outbox(engine, age_hours=1, published=True)
    pending = await add_outbox(engine, age_hours=500, published=False)

    deleted = await prune_outbox(engine, metadata, utcnow() - timedelta(hours=72), batch=3)

    assert deleted == 7  # in three batches of at most three
    left = await outbox_ids(engine)
    assert not left & set(old)
    assert {new, pending} <= left


@pytest.mark.integration
async def test_inbox_marks_past_retention_go_and_newer_stay(engine):
    old = {await add_inbox(engine, age_hours=400) for _ in range(5)}
    new = await add_inbox(engine, age_hours=300)

    deleted = await prune_inbox(engine, metadata, utcnow() - timedelta(hours=336), batch=2)

    assert deleted == 5
    left = await inbox_ids(engine)
    assert not left & old
    assert new in left


@pytest.mark.integration
async def test_the_runtime_job_prunes_both_with_the_settings_retention(engine):
    settings = DatabaseServiceSettings(
        nats_url="nats://127.0.0.1:1",
        database_url="postgresql://u:p@127.0.0.1/db",
        outbox_retention_hours=2,
        inbox_retention_hours=24,
    )
    gone_row = await add_outbox(engine, age_hours=3, published=True)
    kept_row = await add_outbox(engine, age_hours=1, published=True)
    gone_mark = await add_inbox(engine, age_hours=25)
    kept_mark = await add_inbox(engine, age_hours=23)

    relay: Any = None  # the job does not publish
    job = pruning_job(Database(engine, metadata, relay), settings)
    assert job.interval == settings.prune_interval_seconds
    outbox_deleted, inbox_deleted = await job.fn()

    assert outbox_deleted >= 1 and inbox_deleted >= 1
    assert gone_row not in await outbox_ids(engine) and kept_row in await outbox_ids(engine)
    marks = await inbox_ids(engine)
    assert gone_mark not in marks and kept_mark in marks
    async with engine.connect() as conn:
        unpublished = await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )
    assert unpublished >= 1, "the row never published is still there"


def test_an_inbox_retention_inside_the_redelivery_horizon_is_refused():
    with pytest.raises(ValidationError, match="inbox_retention_hours"):
        DatabaseServiceSettings(
            nats_url="nats://127.0.0.1:1",
            database_url="postgresql://u:p@127.0.0.1/db",
            duplicate_window_seconds=3600,
            inbox_retention_hours=1,
        )
