"""Rules and email channels as they run, on a real nats-server and PostgreSQL (the schema
at its migration head): a rule sends an event to a webhook and to each address of an
email channel once, the delivery log keeps one row per address, and the outcomes are
NotificationDelivered events in the outbox."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import new_event
from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Bus, BusConfig, connect_nats
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import start_runtime, stop_runtime
from skyclust_notification.adapters.db import metadata
from skyclust_notification.bootstrap import MIGRATIONS, jobs, wire
from skyclust_notification.domain.mail import Mail
from skyclust_notification.domain.webhooks import Channel, Delivery
from skyclust_notification.settings import NotificationSettings

pytestmark = pytest.mark.integration


@dataclass
class FakeMailer:
    sent: list[Mail] = field(default_factory=list)

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)


async def until(check: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def _no_members(_workspace: str) -> list[Any]:
    return []


@pytest.fixture
async def platform(nats_server: Any, postgres: Any) -> AsyncIterator[Any]:
    url = await provision_service(postgres.url, "notification", "notification-rules-test")
    settings = NotificationSettings(
        nats_url=nats_server.url,
        database_url=url,
        outbox_poll_seconds=0.1,
        retry_backoff_seconds=[0.1, 0.2],
        ack_wait_seconds=5,
        max_deliver=4,
        webhook_allowed_cidrs="127.0.0.0/8",
        webhook_retry_schedule="0.2,0.2",
        webhook_poll_seconds=0.1,
    )
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    runtime = await start_runtime("notification", settings, metadata, MIGRATIONS)
    mailer = FakeMailer()
    deps = await wire(runtime, settings, members=_no_members, mailer=mailer)
    for job in jobs(deps, settings):
        runtime.add_job(job)
    runtime.start_jobs()
    client = Bus(
        await connect_nats(nats_server.url, name="test-gateway"),
        load_registry(),
        BusConfig(service="provisioning"),
    )
    yield runtime, mailer, client, deps
    await client.close()
    await stop_runtime(runtime)


async def test_a_rule_sends_an_event_to_a_webhook_and_each_address_once(
    platform: Any, receiver: Any
) -> None:
    runtime, mailer, client, _ = platform
    workspace = str(uuid.uuid4())
    hook = await client.request(
        "notification",
        "CreateNotificationChannel",
        {"workspace_id": workspace, "name": "hook", "url": receiver.url},
    )
    mail = await client.request(
        "notification",
        "CreateNotificationChannel",
        {
            "workspace_id": workspace,
            "name": "mail",
            "type": "email",
            "recipients": ["ops@example.com", "cto@example.com"],
        },
    )
    assert "secret" not in mail and mail["channel"]["url"] is None
    channels = [hook["channel"]["id"], mail["channel"]["id"]]
    rule = await client.request(
        "notification",
        "CreateNotificationRule",
        {
            "workspace_id": workspace,
            "name": "failures",
            "event_types": ["Cluster*"],
            "min_severity": "critical",
            "channel_ids": channels,
        },
    )
    rule_id = rule["rule"]["id"]
    got = await client.request(
        "notification", "GetNotificationRule", {"workspace_id": workspace, "rule_id": rule_id}
    )
    assert got == rule
    with pytest.raises(SkyclustError) as foreign:
        await client.request(
            "notification",
            "GetNotificationRule",
            {"workspace_id": str(uuid.uuid4()), "rule_id": rule_id},
        )
    assert (foreign.value.status, foreign.value.code) == (404, "NOTIFICATION_RULE_NOT_FOUND")

    event = new_event(
        "ClusterFailed",
        {
            "cluster_id": str(uuid.uuid4()),
            "provider": "aws",
            "name": "payments",
            "code": "QUOTA_EXCEEDED",
            "message": "no capacity",
            "retryable": False,
            "operation": "create",
        },
        source="provisioning",
        workspace_id=workspace,
    )
    await client.publish(event)

    async def sent() -> bool:
        return len(mailer.sent) >= 2 and len(receiver.requests) >= 1

    await until(sent)
    await asyncio.sleep(1.0)
    assert sorted(m.to for m in mailer.sent) == ["cto@example.com", "ops@example.com"]
    assert len(receiver.requests) == 1
    log = await client.request(
        "notification",
        "ListWebhookDeliveries",
        {"workspace_id": workspace, "channel_id": mail["channel"]["id"]},
    )
    assert sorted((d["recipient"], d["status"]) for d in log["items"]) == [
        ("cto@example.com", "succeeded"),
        ("ops@example.com", "succeeded"),
    ]

    async with runtime.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                # This event's only: the session's PostgreSQL is shared with the other
                # modules' tests, whose outcomes are in the same outbox.
                text(
                    "SELECT payload FROM notification.outbox "
                    "WHERE payload->>'type' = 'io.skyclust.NotificationDelivered.v1' "
                    "AND payload->'data'->>'event_id' = :event"
                ),
                {"event": event.id},
            )
        ).all()
    outcomes = [r.payload["data"] for r in rows]
    assert sorted(o["channel_type"] for o in outcomes) == ["email", "email", "webhook"]
    assert {o["event_id"] for o in outcomes} == {event.id}
    assert "ops@example.com" not in str(outcomes)

    changed = await client.request(
        "notification",
        "UpdateNotificationRule",
        {"workspace_id": workspace, "rule_id": rule_id, "enabled": False},
    )
    assert changed["rule"]["enabled"] is False
    deleted = await client.request(
        "notification", "DeleteNotificationRule", {"workspace_id": workspace, "rule_id": rule_id}
    )
    assert deleted == {"deleted": True}
    listed = await client.request(
        "notification", "ListNotificationRules", {"workspace_id": workspace}
    )
    assert listed == {"items": []}


async def test_only_the_oldest_pending_delivery_of_an_endpoint_is_claimed(platform: Any) -> None:
    _, _, _, deps = platform
    # A day ahead: the service's own job (on the real clock) finds none of these due.
    now = datetime.now(UTC) + timedelta(days=1)
    workspace = uuid.uuid4()
    channel = Channel(
        id=uuid.uuid4(),
        workspace_id=workspace,
        name="mail",
        url="",
        event_types=(),
        secret="",
        created_at=now,
        type="email",
        recipients=("a@example.com", "b@example.com"),
    )

    def delivery(n: int, recipient: str, due: datetime | None) -> Delivery:
        return Delivery(
            id=uuid.uuid4(),
            channel_id=channel.id,
            workspace_id=workspace,
            event_id=f"e{n}",
            event_type="ClusterFailed",
            payload="{}",
            created_at=now + timedelta(seconds=n),
            next_attempt_at=due,
            recipient=recipient,
        )

    far = now + timedelta(days=30)
    # A test send in flight (not scheduled) holds nothing up; b's head is not due yet.
    rows = [
        delivery(0, "a@example.com", None),
        delivery(1, "a@example.com", now),
        delivery(2, "a@example.com", now),
        delivery(3, "b@example.com", far),
        delivery(4, "b@example.com", now),
    ]
    async with deps.uow() as uow:
        await uow.channels.add(channel)
        for row in rows:
            assert await uow.deliveries.add(row)
        await uow.commit()
    async with deps.uow() as uow:
        claimed = await uow.deliveries.claim_due(now, far, 10)
        await uow.commit()
    assert [d.event_id for d in claimed] == ["e1"]
