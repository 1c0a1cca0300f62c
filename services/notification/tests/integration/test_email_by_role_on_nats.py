"""An email channel by role as it runs, on a real nats-server and PostgreSQL: the channel
keeps its roles across the store, and an event mails the workspace's admins as the
members lookup gives them when the event is handled."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import new_event
from skyclust_common.messaging import Bus, BusConfig, connect_nats
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import start_runtime, stop_runtime
from skyclust_notification.adapters.db import metadata
from skyclust_notification.bootstrap import MIGRATIONS, jobs, wire
from skyclust_notification.domain.model import Member
from skyclust_notification.settings import NotificationSettings

from .test_rules_and_email_on_nats import FakeMailer, until

pytestmark = pytest.mark.integration


@pytest.fixture
async def staffed(nats_server: Any, postgres: Any) -> AsyncIterator[Any]:
    url = await provision_service(postgres.url, "notification", "notification-roles-test")
    settings = NotificationSettings(
        nats_url=nats_server.url,
        database_url=url,
        outbox_poll_seconds=0.1,
        ack_wait_seconds=5,
        max_deliver=4,
        webhook_retry_schedule="0.2,0.2",
        webhook_poll_seconds=0.1,
    )
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    runtime = await start_runtime("notification", settings, metadata, MIGRATIONS)
    members: dict[str, list[Member]] = {}

    async def lookup(workspace_id: str) -> list[Member]:
        return list(members.get(workspace_id, []))

    mailer = FakeMailer()
    deps = await wire(runtime, settings, members=lookup, mailer=mailer)
    for job in jobs(deps, settings):
        runtime.add_job(job)
    runtime.start_jobs()
    client = Bus(
        await connect_nats(nats_server.url, name="test-provisioning"),
        load_registry(),
        BusConfig(service="provisioning"),
    )
    yield members, mailer, client
    await client.close()
    await stop_runtime(runtime)


async def test_an_event_mails_the_admins_identity_names_when_it_is_handled(staffed: Any) -> None:
    members, mailer, client = staffed
    workspace = str(uuid.uuid4())
    members[workspace] = [
        Member(uuid.uuid4(), "admin", "boss@example.com", "B"),
        Member(uuid.uuid4(), "user", "dev@example.com", "D"),
    ]
    made = await client.request(
        "notification",
        "CreateNotificationChannel",
        {
            "workspace_id": workspace,
            "name": "admins",
            "type": "email",
            "recipient_roles": ["admin"],
            "event_types": ["ClusterFailed"],
        },
    )
    assert made["channel"]["recipient_roles"] == ["admin"]
    listed = await client.request(
        "notification", "ListNotificationChannels", {"workspace_id": workspace}
    )
    assert [c["recipient_roles"] for c in listed["items"]] == [["admin"]]
    # Promoted before the event: mailed too.
    members[workspace].append(Member(uuid.uuid4(), "admin", "second@example.com", "S"))
    event = new_event(
        "ClusterFailed",
        {
            "cluster_id": str(uuid.uuid4()),
            "provider": "azure",
            "name": "c",
            "code": "QUOTA_EXCEEDED",
            "message": "no capacity",
            "retryable": False,
            "operation": "create",
        },
        source="provisioning",
        workspace_id=workspace,
    )
    await client.publish(event)

    async def mailed() -> bool:
        return len(mailer.sent) >= 2

    await until(mailed)
    await asyncio.sleep(0.5)
    assert sorted(m.to for m in mailer.sent) == ["boss@example.com", "second@example.com"]
