"""The webhook secrets' key rotation on a real PostgreSQL (the schema at its migration
head): after a new key is made active, a secret sealed under the old key, or stored
clear before any key was set, is sealed again under the new one when its channel next
delivers, or for every channel by the operator command; deliveries keep being signed
with the same secret throughout."""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker
from standardwebhooks import Webhook

from skyclust_common.contracts import load_registry
from skyclust_common.db import create_engine
from skyclust_common.dbadmin import provision_service
from skyclust_common.migrations import upgrade_head
from skyclust_notification import cli
from skyclust_notification.adapters.db import metadata
from skyclust_notification.adapters.secret_box import SecretBox
from skyclust_notification.adapters.uow import SqlNotificationUnitOfWork
from skyclust_notification.adapters.webhook_http import WebhookSender
from skyclust_notification.bootstrap import MIGRATIONS
from skyclust_notification.domain.ssrf import parse_cidrs
from skyclust_notification.domain.webhooks import Delivery, RetrySchedule
from skyclust_notification.handlers import webhook_delivery as sending
from skyclust_notification.handlers import webhooks
from skyclust_notification.handlers.common import NotificationDeps, WebhookDeps
from skyclust_notification.settings import NotificationSettings

pytestmark = pytest.mark.integration

V1, V2 = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
OLD = {"v1": base64.b64decode(V1)}
NEW = {**OLD, "v2": base64.b64decode(V2)}


async def _no_members(_workspace: str) -> list[Any]:
    return []


@pytest.fixture
async def store(postgres: Any) -> AsyncIterator[Any]:
    url = await provision_service(postgres.url, "notification", "notification-secrets-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    engine = create_engine(url, pool_size=2)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    registry = load_registry()

    def deps(box: SecretBox) -> NotificationDeps:
        return NotificationDeps(
            uow=lambda: SqlNotificationUnitOfWork(sessions, metadata, registry, secret_box=box),
            members=_no_members,
            public_url="https://skyclust.example",
            webhooks=WebhookDeps(
                sender=WebhookSender(parse_cidrs("127.0.0.0/8"), connect_timeout=2, read_timeout=2),
                schedule=RetrySchedule(waits=[5], jitter=0.0),
            ),
        )

    yield url, engine, deps
    await engine.dispose()


async def stored(engine: Any, channel_id: str) -> str:
    async with engine.connect() as conn:
        return str(
            (
                await conn.execute(
                    text("SELECT secret FROM notification.channels WHERE id = :id"),
                    {"id": channel_id},
                )
            ).scalar_one()
        )


async def channel(deps: NotificationDeps, url: str) -> tuple[str, str]:
    made = await webhooks.create_channel(deps, uuid.uuid4(), name="hook", url=url)
    return made["channel"]["id"], made["secret"]


async def queue(deps: NotificationDeps, channel_id: str, workspace_id: str) -> None:
    now = datetime.now(UTC)
    async with deps.uow() as uow:
        await uow.deliveries.add(
            Delivery(
                id=uuid.uuid4(),
                channel_id=uuid.UUID(channel_id),
                workspace_id=uuid.UUID(workspace_id),
                event_id=str(uuid.uuid4()),
                event_type="ClusterReady",
                payload='{"type": "io.skyclust.ClusterReady.v1"}',
                created_at=now,
                next_attempt_at=now,
            )
        )
        await uow.commit()


async def test_old_and_clear_secrets_move_to_the_new_key_when_they_are_used(
    store: Any, receiver: Any
) -> None:
    _, engine, deps = store
    old_id, old_secret = await channel(deps(SecretBox(OLD, "v1")), receiver.url)
    clear_id, clear_secret = await channel(deps(SecretBox()), receiver.url)
    assert (await stored(engine, old_id)).startswith("v1:")
    assert await stored(engine, clear_id) == clear_secret
    rotated = deps(SecretBox(NEW, "v2"))
    for channel_id in (old_id, clear_id):
        await queue(rotated, channel_id, str(await _workspace(engine, channel_id)))
    while await sending.deliver_due(rotated):
        pass
    assert len(receiver.requests) == 2
    for channel_id in (old_id, clear_id):
        assert (await stored(engine, channel_id)).startswith("v2:")
    # Signed with each channel's own secret, before and after the move.
    secrets = {old_secret, clear_secret}
    verified = set()
    for headers, body in receiver.requests:
        for secret in secrets:
            try:
                Webhook(secret).verify(body, headers)
            except Exception:
                continue
            verified.add(secret)
    assert verified == secrets
    # The old key alone no longer opens them: they really are under v2.
    async with deps(SecretBox(OLD, "v1")).uow().read_only() as uow:
        with pytest.raises(RuntimeError, match="'v2'"):
            await uow.channels.get(await _workspace(engine, old_id), uuid.UUID(old_id))


async def _workspace(engine: Any, channel_id: str) -> uuid.UUID:
    async with engine.connect() as conn:
        found = (
            await conn.execute(
                text("SELECT workspace_id FROM notification.channels WHERE id = :id"),
                {"id": channel_id},
            )
        ).scalar_one()
    return uuid.UUID(str(found))


async def test_the_operator_command_reseals_every_secret_and_names_what_does_not_open(
    store: Any, receiver: Any
) -> None:
    url, engine, deps = store
    old_id, old_secret = await channel(deps(SecretBox(OLD, "v1")), receiver.url)
    clear_id, _ = await channel(deps(SecretBox()), receiver.url)
    # Sealed under a v1 that is not this deployment's: it cannot open, and is named.
    alien_id, _ = await channel(deps(SecretBox({"v1": os.urandom(32)}, "v1")), receiver.url)
    settings = NotificationSettings(
        nats_url="nats://127.0.0.1:1",
        database_url=url,
        webhook_secrets_keys={"v1": V1, "v2": V2},
        webhook_secrets_active_key="v2",
    )
    before = await cli.run(argparse.Namespace(action="status"), settings)
    assert before["secrets"].get("v1", 0) >= 2 and before["active"] == "v2"
    done = await cli.run(argparse.Namespace(action="reseal", batch_size=1), settings)
    assert done["resealed"] >= 2 and alien_id in done["failed"]
    assert done["configured"] == ["v1", "v2"]
    for channel_id in (old_id, clear_id):
        assert (await stored(engine, channel_id)).startswith("v2:")
    assert (await stored(engine, alien_id)).startswith("v1:")
    async with deps(SecretBox(NEW, "v2")).uow().read_only() as uow:
        found = await uow.channels.get(await _workspace(engine, old_id), uuid.UUID(old_id))
    assert found is not None and found.secret == old_secret
    # Run again: nothing of this deployment's is left to move.
    again = await cli.run(argparse.Namespace(action="reseal", batch_size=50), settings)
    assert old_id not in again["failed"] and clear_id not in again["failed"]
