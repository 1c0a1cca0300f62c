"""Two replicas of the notification service at once, on one real PostgreSQL and one
nats-server: both consume the platform's events (sharing the durable consumers) and both
run the delivery job. Every event still makes exactly one effect per channel (one
webhook delivery, one `webhook-id`) and one inbox row per recipient, even when some
events' acks are lost after their commit and JetStream redelivers them, possibly to the
other replica. A new workspace with no rules gives its admins failures, drift, invalid
credentials and budget alerts in-app, and nobody else."""

from __future__ import annotations

import asyncio
import base64
import os
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import text
from standardwebhooks import Webhook, WebhookVerificationError

from skyclust_common.contracts import load_registry
from skyclust_common.dbadmin import provision_service
from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.messaging import Bus, BusConfig, Delivery, connect_nats
from skyclust_common.migrations import upgrade_head
from skyclust_common.runtime import Runtime, start_runtime, stop_runtime
from skyclust_notification.adapters.db import metadata
from skyclust_notification.bootstrap import MIGRATIONS, bootstrap, jobs
from skyclust_notification.domain.model import Member
from skyclust_notification.entrypoints import events, rpc
from skyclust_notification.handlers import inbox, webhooks
from skyclust_notification.handlers.common import NotificationDeps
from skyclust_notification.settings import NotificationSettings

pytestmark = pytest.mark.integration

ADMIN = Member(uuid.uuid4(), "admin", "admin@example.com", "Ada")
USER = Member(uuid.uuid4(), "user", "user@example.com", "Uma")
EVENTS = 12


async def members(_workspace_id: str) -> list[Member]:
    return [ADMIN, USER]


class LosesEveryThirdAck:
    """Every third commit succeeds and then fails, as if the replica died before its ack:
    JetStream delivers that event again, to whichever replica pulls it."""

    def __init__(self, make: Any) -> None:
        self.make = make
        self.commits = 0
        self.lost = 0

    def __call__(self) -> Any:
        uow = self.make()
        commit = uow.commit
        outer = self

        async def commit_then_maybe_die() -> None:
            await commit()
            outer.commits += 1
            if outer.commits % 3 == 0:
                outer.lost += 1
                raise ConnectionError("the replica died before its ack")

        uow.commit = commit_then_maybe_die
        return uow


async def until(check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


class CountingSender:
    """The replica's webhook sender, counting what this replica sent."""

    def __init__(self, sender: Any) -> None:
        self.sender = sender
        self.sent = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sender, name)

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        self.sent += 1
        return await self.sender.send(*args, **kwargs)


@dataclass
class Replica:
    runtime: Runtime
    deps: NotificationDeps
    flaky: LosesEveryThirdAck
    sender: CountingSender


async def replica(settings: NotificationSettings) -> Replica:
    runtime = await start_runtime("notification", settings, metadata, MIGRATIONS)
    plain = bootstrap(runtime, settings, members=members)
    assert plain.webhooks is not None
    sender = CountingSender(plain.webhooks.sender)
    deps = replace(plain, webhooks=replace(plain.webhooks, sender=sender))
    flaky = LosesEveryThirdAck(deps.uow)
    await rpc.register(runtime.bus, deps)
    # Only the event consumers lose acks; the delivery job and the RPCs run as they are.
    await events.register(runtime.bus, replace(deps, uow=flaky))
    for job in jobs(deps, settings):
        runtime.add_job(job)
    runtime.start_jobs()
    return Replica(runtime, deps, flaky, sender)


@pytest.fixture
async def replicas(
    nats_server: Any, postgres: Any, receiver: Any
) -> AsyncIterator[tuple[list[Any], dict[str, Bus], str]]:
    url = await provision_service(postgres.url, "notification", "notification-replicas-test")
    settings = NotificationSettings(
        nats_url=nats_server.url,
        database_url=url,
        outbox_poll_seconds=0.1,
        retry_backoff_seconds=[0.1, 0.2],
        ack_wait_seconds=5,
        max_deliver=6,
        webhook_allowed_cidrs="127.0.0.0/8",
        webhook_retry_schedule="0.2,0.2,0.2",
        webhook_poll_seconds=0.05,
        webhook_secrets_key=base64.b64encode(os.urandom(32)).decode(),
    )
    await asyncio.to_thread(upgrade_head, url, MIGRATIONS)
    running = [await replica(settings), await replica(settings)]
    clients = {
        service: Bus(
            await connect_nats(nats_server.url, name=f"test-{service}"),
            load_registry(),
            BusConfig(service=service),
        )
        for service in ("provisioning", "credential-vault", "cost")
    }
    yield running, clients, url
    for client in clients.values():
        await client.close()
    for one in running:
        await stop_runtime(one.runtime)


def cluster_failed(workspace: uuid.UUID, n: int) -> CloudEvent:
    return new_event(
        "ClusterFailed",
        {
            "cluster_id": str(uuid.uuid4()),
            "provider": "aws",
            "name": f"c{n}",
            "code": "QUOTA_EXCEEDED",
            "message": "no capacity",
            "retryable": False,
            "operation": "create",
        },
        source="provisioning",
        workspace_id=str(workspace),
    )


async def test_two_replicas_deliver_each_event_once_per_channel(
    replicas: Any, receiver: Any
) -> None:
    running, clients, _ = replicas
    provisioning = clients["provisioning"]
    workspace = uuid.uuid4()
    # Three endpoints (one receiver, told apart by their secrets): their deliveries are
    # due side by side, so both replicas' jobs claim from the same rows at once.
    hooks: dict[str, Webhook] = {}
    for name in ("ops", "audit", "pager"):
        made = await provisioning.request(
            "notification",
            "CreateNotificationChannel",
            {
                "workspace_id": str(workspace),
                "name": name,
                "url": receiver.url,
                "event_types": ["ClusterFailed"],
            },
        )
        hooks[made["channel"]["id"]] = Webhook(made["secret"])
    # A rule naming the same channels: still one delivery per event and channel.
    await provisioning.request(
        "notification",
        "CreateNotificationRule",
        {
            "workspace_id": str(workspace),
            "name": "clusters to everyone",
            "event_types": ["Cluster*"],
            "min_severity": "info",
            "resource_ids": [],
            "channel_ids": list(hooks),
            "in_app_roles": [],
            "in_app_user_ids": [],
            "enabled": True,
        },
    )
    # The first answers fail: retries run on either replica, under the same webhook-id.
    receiver.replies = [(500, {}, b"")] * 3
    published = [cluster_failed(workspace, n) for n in range(EVENTS)]
    for event in published:
        await provisioning.publish(event)
    expected = {(c, e.id) for c in hooks for e in published}

    def received() -> list[tuple[str, str, str, int]]:
        """(channel, event, webhook-id, status answered) for each request."""
        found = []
        for (headers, raw), status in zip(receiver.requests, _statuses(receiver), strict=True):
            channel, event_id = _verify(hooks, raw, headers)
            found.append((channel, event_id, headers["webhook-id"], status))
        return found

    async def all_delivered() -> bool:
        return {(c, e) for c, e, _, status in received() if status < 300} >= expected

    await until(all_delivered)
    # Time for every redelivery, retry and poll of both replicas to have happened.
    await asyncio.sleep(2.0)
    assert sum(one.flaky.lost for one in running) >= 1, "no ack was lost: the test shows nothing"

    got = received()
    ids: dict[tuple[str, str], set[str]] = {}
    for channel, event_id, webhook_id, _ in got:
        ids.setdefault((channel, event_id), set()).add(webhook_id)
    assert set(ids) == expected
    assert all(len(one) == 1 for one in ids.values()), ids
    assert len({next(iter(one)) for one in ids.values()}) == len(expected)
    succeeded = Counter((c, e) for c, e, _, status in got if status < 300)
    assert succeeded == Counter(dict.fromkeys(expected, 1))
    # The replicas' senders together made exactly the requests the receiver saw.
    assert sum(one.sender.sent for one in running) == len(receiver.requests)

    async with running[0].runtime.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT channel_id, event_id, status, count(*) FROM notification.deliveries"
                    " WHERE workspace_id = :w GROUP BY channel_id, event_id, status"
                ),
                {"w": workspace},
            )
        ).all()
        inbox = (
            await conn.execute(
                text(
                    "SELECT user_id, count(*) FROM notification.notifications"
                    " WHERE workspace_id = :w GROUP BY user_id"
                ),
                {"w": workspace},
            )
        ).all()
    assert sorted((str(r[0]), r[1], r[2], r[3]) for r in rows) == sorted(
        (c, e, "succeeded", 1) for c, e in expected
    )
    # Each failure once in the admin's inbox (the defaults), whichever replica took it.
    assert [(r[0], r[1]) for r in inbox] == [(ADMIN.user_id, EVENTS)]


def _verify(hooks: dict[str, Webhook], raw: bytes, headers: dict[str, str]) -> tuple[str, str]:
    """The channel whose secret signed the request, and the event it carries."""
    for channel, hook in hooks.items():
        try:
            return channel, hook.verify(raw, headers)["id"]
        except WebhookVerificationError:
            continue
    raise AssertionError("a request no channel's secret signed")


def _statuses(receiver: Any) -> list[int]:
    """What the receiver answered each request: 500 for the first three, then 204."""
    return [500 if i < 3 else 204 for i in range(len(receiver.requests))]


async def test_a_new_workspace_tells_its_admins_of_failures_drift_credentials_and_budgets(
    replicas: Any,
) -> None:
    _, clients, _ = replicas
    workspace = str(uuid.uuid4())  # no rules, no channels: only the defaults
    sent = [
        cluster_failed(uuid.UUID(workspace), 0),
        new_event(
            "ClusterDriftDetected",
            {
                "cluster_id": str(uuid.uuid4()),
                "provider": "gcp",
                "name": "edge",
                "drift": [{"field": "version", "desired": "1.29", "actual": "1.30"}],
            },
            source="provisioning",
            workspace_id=workspace,
        ),
        new_event(
            "CredentialInvalid",
            {
                "credential_id": str(uuid.uuid4()),
                "provider": "azure",
                "name": "ops",
                "reason": "AADSTS7000215",
                "message": None,
                "checked_at": "2026-12-01T12:00:00+00:00",
            },
            source="credential-vault",
            workspace_id=workspace,
        ),
        new_event(
            "BudgetThresholdCrossed",
            {
                "budget_id": str(uuid.uuid4()),
                "name": "platform",
                "kind": "actual",
                "threshold": "80",
                "period_key": "2026-12",
                "spend": "970.00",
                "amount": "1200.00",
                "percent": "80.8",
                "currency": "USD",
                "mode": "warn",
            },
            source="cost",
            workspace_id=workspace,
        ),
    ]
    owners = ["provisioning", "provisioning", "credential-vault", "cost"]
    for event, owner in zip(sent, owners, strict=True):
        await clients[owner].publish(event)
    ask = {"workspace_id": workspace, "user_id": str(ADMIN.user_id), "limit": 20}

    async def all_four() -> Any:
        got = await clients["provisioning"].request("notification", "ListNotifications", ask)
        return got if len(got["items"]) >= 4 else None

    inbox = await until(all_four)
    await asyncio.sleep(1.0)
    inbox = await clients["provisioning"].request("notification", "ListNotifications", ask)
    assert sorted(n["event_type"] for n in inbox["items"]) == sorted(
        ["ClusterFailed", "ClusterDriftDetected", "CredentialInvalid", "BudgetThresholdCrossed"]
    )
    assert {n["severity"] for n in inbox["items"]} == {"critical", "warning"}
    assert inbox["unread_count"] == 4 and all(n["read_at"] is None for n in inbox["items"])
    theirs = await clients["provisioning"].request(
        "notification", "ListNotifications", {**ask, "user_id": str(USER.user_id)}
    )
    assert theirs["items"] == []


async def test_one_event_taken_by_both_replicas_at_the_same_instant_has_one_effect(
    replicas: Any, receiver: Any
) -> None:
    """As when an event's ack wait runs out while the first replica still holds it: both
    handle it at once. One commits; the other finds its mark (or the unique key) and adds
    nothing."""
    running, clients, _ = replicas
    workspace = uuid.uuid4()
    made = await clients["provisioning"].request(
        "notification",
        "CreateNotificationChannel",
        {"workspace_id": str(workspace), "name": "ops", "url": receiver.url,
         "event_types": ["ClusterFailed"]},
    )  # fmt: skip
    for n in range(5):
        event = cluster_failed(workspace, n)
        taken = [
            handler(one.deps, event, Delivery(consumer, f"skyclust.evt.x.{event.name}", 1, 1))
            for one in running
            for handler, consumer in (
                (inbox.on_platform_event, inbox.CONSUMER),
                (webhooks.on_platform_event, webhooks.CONSUMER),
            )
        ]
        outcomes = await asyncio.gather(*taken, return_exceptions=True)
        failures = [o for o in outcomes if isinstance(o, BaseException)]
        # A loser may only fail as a retryable conflict (JetStream then redelivers it).
        for failure in failures:
            assert getattr(failure, "retryable", False), repr(failure)
        for one in running:  # the redelivery, on each replica: nothing more
            for handler, consumer in (
                (inbox.on_platform_event, inbox.CONSUMER),
                (webhooks.on_platform_event, webhooks.CONSUMER),
            ):
                await handler(one.deps, event, Delivery(consumer, "s", 2, 1))

    async def five_sent() -> bool:
        return len(receiver.requests) >= 5

    await until(five_sent)
    await asyncio.sleep(1.0)
    hook = Webhook(made["secret"])
    sent = Counter(hook.verify(raw, headers)["id"] for headers, raw in receiver.requests)
    assert len(sent) == 5 and set(sent.values()) == {1}
    async with running[0].runtime.db.engine.connect() as conn:
        notes = await conn.scalar(
            text("SELECT count(*) FROM notification.notifications WHERE workspace_id = :w"),
            {"w": workspace},
        )
        rows = await conn.scalar(
            text("SELECT count(*) FROM notification.deliveries WHERE workspace_id = :w"),
            {"w": workspace},
        )
    assert (notes, rows) == (5, 5)
