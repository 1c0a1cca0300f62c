"""Webhooks as they run, on a real nats-server and PostgreSQL: an event whose ack is lost
after the commit is delivered by JetStream again and still reaches the endpoint once,
signed, sent by the service's own delivery job."""

from __future__ import annotations

import asyncio
import base64
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text
from standardwebhooks import Webhook

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Bus, BusConfig, Delivery, connect_nats
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import start_runtime, stop_runtime
from skyclust_notification.adapters.db import metadata
from skyclust_notification.bootstrap import MIGRATIONS, bootstrap, jobs
from skyclust_notification.entrypoints import rpc
from skyclust_notification.entrypoints.events import inbox_events
from skyclust_notification.handlers import webhooks
from skyclust_notification.settings import NotificationSettings

pytestmark = pytest.mark.integration


class LosesFirstAck:
    """The first commit succeeds and then fails, as if the process died before its ack."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.lost = 0

    def __call__(self) -> Any:
        uow = self.make()
        commit = uow.commit
        outer = self

        async def commit_then_die() -> None:
            await commit()
            if outer.lost == 0:
                outer.lost += 1
                raise ConnectionError("the process died before its ack")

        uow.commit = commit_then_die
        return uow


async def until(check: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.fixture
async def platform(nats_server: Any, postgres: Any, receiver: Any) -> AsyncIterator[Any]:
    url = await provision_service(postgres.url, "notification", "notification-webhooks-test")
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
        webhook_secrets_key=base64.b64encode(os.urandom(32)).decode(),
    )
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    runtime = await start_runtime("notification", settings, metadata, MIGRATIONS)
    deps = bootstrap(runtime, settings, members=lambda _ws: _no_members())
    flaky = LosesFirstAck(deps.uow)
    consuming = replace(deps, uow=flaky)

    async def handle(event: CloudEvent, delivery: Delivery) -> None:
        await webhooks.on_platform_event(consuming, event, delivery)

    await runtime.bus.consume(
        webhooks.CONSUMER, [f"skyclust.evt.*.{n}" for n in inbox_events(runtime.bus)], handle
    )
    await rpc.register(runtime.bus, deps)
    for job in jobs(deps, settings):
        runtime.add_job(job)
    runtime.start_jobs()
    client = Bus(
        await connect_nats(nats_server.url, name="test-provisioning"),
        load_registry(),
        BusConfig(service="provisioning"),
    )
    yield runtime, flaky, client
    await client.close()
    await stop_runtime(runtime)


async def _no_members() -> list[Any]:
    return []


async def test_a_redelivered_event_reaches_the_webhook_once(platform: Any, receiver: Any):
    runtime, flaky, client = platform
    workspace = uuid.uuid4()
    made = await client.request(
        "notification",
        "CreateNotificationChannel",
        {
            "workspace_id": str(workspace),
            "name": "ops",
            "url": receiver.url,
            "event_types": ["ClusterFailed"],
        },
    )
    # The endpoint fails once: the retry must carry the same webhook-id.
    receiver.replies = [(500, {}, b"")]
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
        workspace_id=str(workspace),
    )
    await client.publish(event)

    async def delivered() -> bool:
        return len(receiver.requests) >= 2 and flaky.lost == 1

    await until(delivered)
    # Long enough for the redelivery (after the 0.1 s backoff) and further ticks.
    await asyncio.sleep(1.5)
    assert flaky.lost == 1
    assert len(receiver.requests) == 2
    ids = {h["webhook-id"] for h, _ in receiver.requests}
    assert len(ids) == 1
    headers, raw = receiver.requests[-1]
    assert Webhook(made["secret"]).verify(raw, headers)["id"] == event.id
    ask = {"workspace_id": str(workspace), "channel_id": made["channel"]["id"]}
    log = await client.request("notification", "ListWebhookDeliveries", ask)
    assert [(d["status"], d["attempts"], d["response_code"]) for d in log["items"]] == [
        ("succeeded", 2, 204)
    ]
    listed = await client.request(
        "notification", "ListNotificationChannels", {"workspace_id": str(workspace)}
    )
    assert made["secret"] not in str(listed) and len(listed["items"]) == 1
    async with runtime.db.engine.connect() as conn:
        stored = await conn.scalar(
            text("SELECT secret FROM notification.channels WHERE id = :id"),
            {"id": uuid.UUID(made["channel"]["id"])},
        )
    assert stored.startswith("v1:") and made["secret"] not in stored
    with pytest.raises(SkyclustError) as refused:
        await client.request(
            "notification",
            "CreateNotificationChannel",
            {**ask_create(workspace), "url": "http://169.254.169.254/latest"},
        )
    assert (refused.value.status, refused.value.code) == (422, "WEBHOOK_ADDRESS_REFUSED")


def ask_create(workspace: uuid.UUID) -> dict[str, Any]:
    return {"workspace_id": str(workspace), "name": "x", "event_types": ["ClusterFailed"]}
