"""Webhook channels: refused addresses, secrets shown once, signed deliveries sent once
per event and channel, retried on the schedule, and the channel disabled when it keeps
failing."""

from __future__ import annotations

import ipaddress
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from standardwebhooks import Webhook, WebhookVerificationError

from skyclust_common.errors import ValidationFailed
from skyclust_notification.adapters.webhook_http import WebhookSender
from skyclust_notification.domain.errors import (
    ChannelNotFound,
    WebhookAddressRefused,
    WebhookUrlInvalid,
)
from skyclust_notification.domain.ssrf import parse_cidrs
from skyclust_notification.domain.webhooks import RetrySchedule
from skyclust_notification.handlers import webhook_delivery as sending
from skyclust_notification.handlers import webhooks
from skyclust_notification.handlers.common import WebhookDeps

pytestmark = pytest.mark.unit

LOCAL = parse_cidrs("127.0.0.0/8")


def hooked(world: Any, sender: Any = None, **kw: Any) -> Any:
    # Receivers check webhook-timestamp against their own clock.
    world.clock.now = datetime.now(UTC).replace(microsecond=0)
    deps = world.deps
    deps.webhooks = WebhookDeps(
        sender=sender or WebhookSender(LOCAL, connect_timeout=2, read_timeout=2),
        schedule=RetrySchedule(waits=[5, 60, 600], jitter=0.0),
        **kw,
    )
    return deps


async def a_channel(deps: Any, world: Any, url: str, types: list[str] | None = None) -> Any:
    made = await webhooks.create_channel(
        deps,
        uuid.UUID(world.workspace_id),
        name="ops",
        url=url,
        event_types=types or ["ClusterFailed"],
        actor_id=world.admin.user_id,
    )
    return made


def sent(outcome: str) -> float:
    labels = {"channel": "webhook", "outcome": outcome}
    return REGISTRY.get_sample_value("skyclust_notification_deliveries_total", labels) or 0.0


def deliveries(world: Any) -> list[Any]:
    return list(world.db.tables.get("deliveries", {}).values())


async def test_a_private_address_is_refused_on_create_unless_allowed(world):
    deps = hooked(world, sender=WebhookSender(()))
    with pytest.raises(WebhookAddressRefused) as refused:
        await a_channel(deps, world, "http://127.0.0.1:9/x")
    assert refused.value.details["reason"] == "loopback"
    with pytest.raises(WebhookAddressRefused):
        await a_channel(deps, world, "http://169.254.169.254/latest/meta-data")
    with pytest.raises(WebhookUrlInvalid):
        await a_channel(deps, world, "ftp://example.com/x")
    with pytest.raises(WebhookUrlInvalid):
        await a_channel(deps, world, "https://user:pw@example.com/x")
    assert world.db.tables.get("channels", {}) == {}
    allowed = hooked(world)
    made = await a_channel(allowed, world, "http://127.0.0.1:9/x")
    assert made["channel"]["url"] == "http://127.0.0.1:9/x"


async def test_unknown_event_types_are_refused(world, receiver):
    deps = hooked(world)
    with pytest.raises(ValidationFailed) as bad:
        await a_channel(deps, world, receiver.url, ["NoSuchEvent"])
    assert bad.value.details["unknown"] == ["NoSuchEvent"]


async def test_the_secret_is_shown_on_create_and_never_again(world, receiver):
    deps = hooked(world)
    made = await a_channel(deps, world, receiver.url)
    assert made["secret"].startswith("whsec_")
    listed = await webhooks.list_channels(deps, uuid.UUID(world.workspace_id))
    shown = json.dumps([listed, made["channel"]])
    assert made["secret"] not in shown and "whsec_" not in shown
    other = uuid.uuid4()
    with pytest.raises(ChannelNotFound):
        await webhooks.get_channel(deps, other, uuid.UUID(made["channel"]["id"]))


async def test_an_event_is_delivered_signed_once_per_channel_even_when_redelivered(
    world, receiver, deliver
):
    deps = hooked(world)
    made = await a_channel(deps, world, receiver.url)
    event = world.cluster_failed(actor=world.user)
    await webhooks.on_platform_event(deps, event, deliver(event))
    await webhooks.on_platform_event(deps, event, deliver(event, attempt=2))
    assert len(deliveries(world)) == 1
    succeeded = sent("succeeded")
    assert await sending.deliver_due(deps) == 1
    assert await sending.deliver_due(deps) == 0
    assert sent("succeeded") == succeeded + 1
    assert len(receiver.requests) == 1
    sent_headers, raw = receiver.requests[0]
    got = Webhook(made["secret"]).verify(raw, sent_headers)
    assert (got["id"], got["type"], got["data"]) == (event.id, event.type, event.data)
    only = deliveries(world)[0]
    assert sent_headers["webhook-id"] == str(only.id)
    assert sent_headers["content-type"] == "application/cloudevents+json"
    view = only.view()
    assert (view["status"], view["attempts"], view["response_code"]) == ("succeeded", 1, 204)


async def test_events_a_channel_does_not_subscribe_to_are_not_sent(world, receiver, deliver):
    deps = hooked(world)
    await a_channel(deps, world, receiver.url, ["CredentialInvalid"])
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    assert deliveries(world) == []


async def test_a_failure_is_retried_with_the_same_id_and_retry_after_is_honoured(
    world, receiver, deliver
):
    deps = hooked(world)
    made = await a_channel(deps, world, receiver.url)
    receiver.replies = [(503, {"retry-after": "120"}, b"busy"), (500, {}, b"")]
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    first = deliveries(world)[0]
    assert first.status.value == "pending"
    assert first.next_attempt_at == world.clock.now + timedelta(seconds=120)
    world.clock.tick(60)
    assert await sending.deliver_due(deps) == 0
    world.clock.tick(61)
    assert await sending.deliver_due(deps) == 1
    second = deliveries(world)[0]
    assert second.next_attempt_at == world.clock.now + timedelta(seconds=60)
    world.clock.tick(60)
    await sending.deliver_due(deps)
    ids = [h["webhook-id"] for h, _ in receiver.requests]
    assert ids == [str(first.id)] * 3
    for h, raw in receiver.requests:
        Webhook(made["secret"]).verify(raw, h)
    view = deliveries(world)[0].view()
    assert (view["status"], view["attempts"], view["response_code"]) == ("succeeded", 3, 204)


async def test_a_delivery_fails_after_the_last_wait(world, receiver, deliver):
    deps = hooked(world)
    await a_channel(deps, world, receiver.url)
    receiver.replies = [(500, {}, b"")] * 4
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    before = (sent("retrying"), sent("failed"), sent("succeeded"))
    for wait in (0, 5, 60, 600):
        world.clock.tick(wait)
        assert await sending.deliver_due(deps) == 1
    done = deliveries(world)[0]
    assert (done.status.value, len(done.attempts), done.next_attempt_at) == ("failed", 4, None)
    after = (sent("retrying"), sent("failed"), sent("succeeded"))
    assert [a - b for a, b in zip(after, before, strict=True)] == [3, 1, 0]


async def test_during_a_rotation_both_secrets_sign_and_after_it_only_the_new(
    world, receiver, deliver
):
    deps = hooked(world, rotation_overlap=timedelta(minutes=2))
    made = await a_channel(deps, world, receiver.url)
    channel_id = uuid.UUID(made["channel"]["id"])
    workspace = uuid.UUID(world.workspace_id)
    rotated = await webhooks.rotate_secret(deps, workspace, channel_id)
    assert rotated["secret"] != made["secret"]
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    h, raw = receiver.requests[-1]
    assert len(h["webhook-signature"].split(" ")) == 2
    Webhook(made["secret"]).verify(raw, h)
    Webhook(rotated["secret"]).verify(raw, h)
    world.clock.tick(121)
    await sending.test_channel(deps, workspace, channel_id)
    h, raw = receiver.requests[-1]
    Webhook(rotated["secret"]).verify(raw, h)
    with pytest.raises(WebhookVerificationError):
        Webhook(made["secret"]).verify(raw, h)


class Rebinding:
    """A name that answers a public address when the channel is created and the
    metadata address when the delivery is sent."""

    def __init__(self) -> None:
        self.answers = [ipaddress.ip_address("93.184.216.34")]

    async def __call__(self, host: str, port: int) -> list[Any]:
        return list(self.answers)


async def test_an_address_refused_at_delivery_time_is_never_contacted(world, deliver):
    resolver = Rebinding()
    deps = hooked(world, sender=WebhookSender((), resolver=resolver))
    await a_channel(deps, world, "https://hooks.example.com/in")
    resolver.answers = [ipaddress.ip_address("169.254.169.254")]
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    view = deliveries(world)[0].view()
    assert (view["status"], view["error"], view["response_code"]) == (
        "pending",
        "WEBHOOK_ADDRESS_REFUSED",
        None,
    )


async def test_redirects_are_not_followed_and_big_answers_are_cut(world, receiver, deliver):
    deps = hooked(world)
    await a_channel(deps, world, receiver.url)
    receiver.replies = [(302, {"location": "http://169.254.169.254/"}, b"")]
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    assert len(receiver.requests) == 1
    assert deliveries(world)[0].view()["response_code"] == 302
    big = WebhookSender(LOCAL, max_response_bytes=1024)
    receiver.replies = [(200, {}, b"x" * 1_000_000)]
    answer = await big.send(receiver.url, "{}", {})
    assert answer.ok


async def test_a_channel_failing_longer_than_the_setting_is_disabled_and_admins_told(
    world, receiver, deliver
):
    deps = hooked(world, disable_after=timedelta(minutes=10))
    made = await a_channel(deps, world, receiver.url)
    receiver.replies = [(500, {}, b"")] * 10
    for _ in range(3):
        event = world.cluster_failed()
        await webhooks.on_platform_event(deps, event, deliver(event))
        await sending.deliver_due(deps)
        world.clock.tick(301)
    channel = (
        await webhooks.get_channel(
            deps, uuid.UUID(world.workspace_id), uuid.UUID(made["channel"]["id"])
        )
    )["channel"]
    assert channel["enabled"] is False
    told = [
        n
        for n in world.db.tables["notifications"].values()
        if n.event_type == "WebhookChannelDisabled"
    ]
    assert [n.user_id for n in told] == [world.admin.user_id]
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    assert len(deliveries(world)) == 3


async def test_a_manual_retry_sends_again_with_the_same_id_and_keeps_the_log(
    world, receiver, deliver
):
    deps = hooked(world)
    made = await a_channel(deps, world, receiver.url)
    receiver.replies = [(500, {}, b"")]
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    first = deliveries(world)[0]
    retried = await sending.retry_delivery(deps, uuid.UUID(world.workspace_id), first.id)
    assert (retried["delivery"]["status"], retried["delivery"]["attempts"]) == ("succeeded", 2)
    assert {h["webhook-id"] for h, _ in receiver.requests} == {str(first.id)}
    log = await sending.list_deliveries(
        deps, uuid.UUID(world.workspace_id), uuid.UUID(made["channel"]["id"])
    )
    assert [(d["status"], d["attempts"]) for d in log["items"]] == [("succeeded", 2)]


async def test_a_test_send_is_answered_within_its_limit_when_the_endpoint_stalls(world, receiver):
    deps = hooked(world, test_timeout=0.3)
    made = await a_channel(deps, world, receiver.url)
    receiver.replies = [(0, {}, b"")]
    answer = await sending.test_channel(
        deps, uuid.UUID(world.workspace_id), uuid.UUID(made["channel"]["id"])
    )
    got = answer["delivery"]
    assert (got["status"], got["error"], got["event_type"]) == ("failed", "timeout", "WebhookTest")
    assert len(receiver.requests) == 1
