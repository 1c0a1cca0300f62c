"""The inbox as it runs, on a real nats-server and PostgreSQL: an event becomes
notifications once even when its ack is lost after the commit and JetStream delivers it
again, the NotificationCreated events leave through the outbox, and the inbox answers
over request/reply. Identity is a fake members lookup."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import new_event
from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Bus, BusConfig, connect_nats
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import Runtime, start_runtime, stop_runtime
from skyclust_notification.adapters.db import metadata
from skyclust_notification.bootstrap import MIGRATIONS, bootstrap
from skyclust_notification.domain.model import Member
from skyclust_notification.entrypoints import events, rpc
from skyclust_notification.settings import NotificationSettings

pytestmark = pytest.mark.integration

DRIFT = [{"field": "version", "desired": "1.30", "actual": "1.31"}]


@dataclass
class Directory:
    members: dict[str, list[Member]] = field(default_factory=dict)

    async def lookup(self, workspace_id: str) -> list[Member]:
        return list(self.members.get(workspace_id, []))


class LosesFirstAck:
    """A unit of work whose first commit succeeds and then fails, as if the process died
    between the commit and the ack: JetStream delivers the event again."""

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


@dataclass
class Running:
    runtime: Runtime
    client: Bus
    directory: Directory
    flaky: LosesFirstAck


@pytest.fixture(scope="module")
async def running(nats_server: Any, postgres: Any) -> AsyncIterator[Running]:
    url = await provision_service(postgres.url, "notification", "notification-test")
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    settings = NotificationSettings(
        nats_url=nats_server.url,
        database_url=url,
        outbox_poll_seconds=0.1,
        retry_backoff_seconds=[0.1, 0.2],
        ack_wait_seconds=5,
        max_deliver=4,
    )
    runtime = await start_runtime("notification", settings, metadata, MIGRATIONS)
    directory = Directory()
    deps = bootstrap(runtime, settings, members=directory.lookup)
    flaky = LosesFirstAck(deps.uow)
    deps.uow = flaky
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    client = Bus(
        await connect_nats(nats_server.url, name="test-provisioning"),
        load_registry(),
        BusConfig(service="provisioning"),
    )
    yield Running(runtime, client, directory, flaky)
    await client.close()
    await stop_runtime(runtime)


async def inbox(running: Running, workspace: str, user: Member) -> dict[str, Any]:
    return await running.client.request(
        "notification",
        "ListNotifications",
        {"workspace_id": workspace, "user_id": str(user.user_id)},
    )


async def until(check: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_redelivered_event_after_a_lost_ack_notifies_once(running: Running):
    workspace = str(uuid.uuid4())
    admin, asker = Member(uuid.uuid4(), "admin"), Member(uuid.uuid4(), "user")
    running.directory.members[workspace] = [admin, asker, Member(uuid.uuid4(), "viewer")]
    created: list[dict[str, Any]] = []

    async def on_created(msg: Any) -> None:
        created.append(json.loads(msg.data))

    await running.client.nc.subscribe(
        f"skyclust.evt.{workspace}.NotificationCreated", cb=on_created
    )
    cluster = str(uuid.uuid4())
    event = new_event(
        "ClusterFailed",
        {
            "cluster_id": cluster,
            "provider": "azure",
            "name": "payments",
            "code": "QUOTA_EXCEEDED",
            "message": "the subscription has no cores left",
            "retryable": False,
            "operation": "create",
        },
        source="provisioning",
        workspace_id=workspace,
        actor_id=str(asker.user_id),
    )
    await running.client.publish(event)

    async def both_notified() -> bool:
        return len(created) >= 2 and running.flaky.lost == 1

    await until(both_notified)
    # Long enough for the redelivery (after the 0.1 s backoff) to have come and gone.
    await asyncio.sleep(1.5)
    assert running.flaky.lost == 1
    assert sorted(e["data"]["user_id"] for e in created) == sorted(
        [str(admin.user_id), str(asker.user_id)]
    )
    for user in (admin, asker):
        page = await inbox(running, workspace, user)
        assert page["unread_count"] == 1
        (note,) = page["items"]
        assert note["event_id"] == event.id and note["resource_id"] == cluster
        assert note["title"] == "Cluster payments could not be created"


async def test_the_inbox_is_read_over_request_reply(running: Running):
    workspace = str(uuid.uuid4())
    admin = Member(uuid.uuid4(), "admin")
    running.directory.members[workspace] = [admin]
    for name in ("a", "b", "c"):
        await running.client.publish(
            new_event(
                "ClusterDriftDetected",
                {"cluster_id": str(uuid.uuid4()), "provider": "aws", "name": name, "drift": DRIFT},
                source="provisioning",
                workspace_id=workspace,
            )
        )

    async def three() -> dict[str, Any] | None:
        page = await inbox(running, workspace, admin)
        return page if page["unread_count"] == 3 else None

    page = await until(three)
    first = page["items"][0]
    request = {"workspace_id": workspace, "user_id": str(admin.user_id)}
    read = await running.client.request(
        "notification", "MarkNotificationRead", {**request, "notification_id": first["id"]}
    )
    assert read["unread_count"] == 2 and read["notification"]["read_at"]
    unread = await running.client.request(
        "notification", "ListNotifications", {**request, "unread": True}
    )
    assert first["id"] not in [n["id"] for n in unread["items"]] and len(unread["items"]) == 2
    paged = await running.client.request(
        "notification", "ListNotifications", {**request, "limit": 2}
    )
    assert paged["items"][0]["id"] == first["id"] and paged["next_cursor"]
    rest = await running.client.request(
        "notification", "ListNotifications", {**request, "limit": 2, "cursor": paged["next_cursor"]}
    )
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    everything = await running.client.request("notification", "MarkAllNotificationsRead", request)
    assert everything == {"marked": 2, "unread_count": 0}
    with pytest.raises(SkyclustError) as info:
        await running.client.request(
            "notification",
            "MarkNotificationRead",
            {**request, "user_id": str(uuid.uuid4()), "notification_id": first["id"]},
        )
    assert (info.value.status, info.value.code) == (404, "NOTIFICATION_NOT_FOUND")
    with pytest.raises(SkyclustError) as bad:
        await running.client.request(
            "notification", "ListNotifications", {**request, "cursor": "not-a-cursor"}
        )
    assert bad.value.code == "INVALID_NOTIFICATION_CURSOR"
