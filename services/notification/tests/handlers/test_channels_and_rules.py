"""Email channels and rules: a rule routes matching events (patterns, severity,
resources) to channels and in-app members; an email channel mails each address once per
event, retried when the server fails, given up when it refuses; every final outcome is a
NotificationDelivered or NotificationFailed without a secret, body or address."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from skyclust_common.errors import ValidationFailed
from skyclust_notification.adapters.webhook_http import WebhookSender
from skyclust_notification.domain.errors import (
    ChannelTypeMismatch,
    MailRefused,
    MailUnavailable,
    RuleNotFound,
)
from skyclust_notification.domain.mail import Mail
from skyclust_notification.domain.ssrf import parse_cidrs
from skyclust_notification.domain.webhooks import RetrySchedule
from skyclust_notification.handlers import inbox, rules, webhooks
from skyclust_notification.handlers import webhook_delivery as sending
from skyclust_notification.handlers.common import WebhookDeps

pytestmark = pytest.mark.unit


@dataclass
class FakeMailer:
    sent: list[Mail] = field(default_factory=list)
    # Raised by the next sends, in order.
    errors: list[Exception] = field(default_factory=list)

    async def send(self, mail: Mail) -> None:
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(mail)


def wired(world: Any, mailer: FakeMailer | None = None) -> Any:
    world.clock.now = datetime.now(UTC).replace(microsecond=0)
    deps = world.deps
    deps.mailer = mailer if mailer is not None else FakeMailer()
    deps.webhooks = WebhookDeps(
        sender=WebhookSender(parse_cidrs("127.0.0.0/8"), connect_timeout=2, read_timeout=2),
        schedule=RetrySchedule(waits=[5, 60], jitter=0.0),
    )
    return deps


def ws(world: Any) -> uuid.UUID:
    return uuid.UUID(world.workspace_id)


async def mail_channel(deps: Any, world: Any, *addresses: str, types: Any = None) -> Any:
    made = await webhooks.create_channel(
        deps,
        ws(world),
        name="ops mail",
        type="email",
        recipients=list(addresses or ("ops@example.com",)),
        event_types=types or [],
    )
    return made["channel"]


def rows(world: Any, table: str) -> list[Any]:
    return list(world.db.tables.get(table, {}).values())


async def test_an_email_channel_has_recipients_and_no_url_or_secret(world):
    deps = wired(world)
    made = await webhooks.create_channel(
        deps, ws(world), name="m", type="email", recipients=["a@example.com", "a@example.com"]
    )
    assert "secret" not in made
    view = made["channel"]
    assert (view["type"], view["url"], view["recipients"]) == ("email", None, ["a@example.com"])
    channel_id = uuid.UUID(view["id"])
    with pytest.raises(ChannelTypeMismatch):
        await webhooks.rotate_secret(deps, ws(world), channel_id)
    with pytest.raises(ChannelTypeMismatch):
        await webhooks.update_channel(deps, ws(world), channel_id, url="http://127.0.0.1/x")
    with pytest.raises(ValidationFailed) as bad:
        await webhooks.create_channel(
            deps, ws(world), name="m", type="email", recipients=["not an address"]
        )
    assert bad.value.details["invalid"] == ["not an address"]
    with pytest.raises(ChannelTypeMismatch):
        await webhooks.create_channel(
            deps, ws(world), name="m", type="email", url="http://127.0.0.1/x", recipients=["a@b.io"]
        )
    changed = await webhooks.update_channel(
        deps, ws(world), channel_id, recipients=["b@example.com"]
    )
    assert changed["channel"]["recipients"] == ["b@example.com"]


async def test_each_address_is_mailed_once_per_event_even_when_redelivered(world, deliver):
    mailer = FakeMailer()
    deps = wired(world, mailer)
    channel = await mail_channel(
        deps, world, "ops@example.com", "cto@example.com", types=["ClusterFailed"]
    )
    event = world.cluster_failed(name="prod")
    await webhooks.on_platform_event(deps, event, deliver(event))
    await webhooks.on_platform_event(deps, event, deliver(event, attempt=2))
    assert await sending.deliver_due(deps) == 2
    assert await sending.deliver_due(deps) == 0
    assert sorted(m.to for m in mailer.sent) == ["cto@example.com", "ops@example.com"]
    mail = next(m for m in mailer.sent if m.to == "ops@example.com")
    assert mail.subject == "[SkyClust] Critical: Cluster prod could not be created"
    link = f"https://skyclust.example/api/v1/gcp/kubernetes/clusters/{event.data['cluster_id']}"
    assert link in mail.text and f'href="{link}"' in mail.html
    assert "QUOTA_EXCEEDED" in mail.text
    log = await sending.list_deliveries(deps, ws(world), uuid.UUID(channel["id"]))
    assert sorted(d["recipient"] for d in log["items"]) == ["cto@example.com", "ops@example.com"]
    assert {d["status"] for d in log["items"]} == {"succeeded"}
    ids = {m.message_id for m in mailer.sent}
    assert ids == {f"<{d['id']}@skyclust.local>" for d in log["items"]}


async def test_a_mail_server_failure_is_retried_and_a_refusal_is_final(world, deliver):
    mailer = FakeMailer(errors=[MailUnavailable(), MailRefused()])
    deps = wired(world, mailer)
    await mail_channel(deps, world, "ops@example.com", types=["ClusterFailed"])
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    (first,) = rows(world, "deliveries")
    assert first.status.value == "pending" and first.last.error == "MAIL_UNAVAILABLE"
    assert first.next_attempt_at == world.clock.now + timedelta(seconds=5)
    world.clock.tick(5)
    await sending.deliver_due(deps)
    (second,) = rows(world, "deliveries")
    # Refused: not tried again although the schedule has a wait left.
    assert second.status.value == "failed" and second.next_attempt_at is None
    assert [a.error for a in second.attempts] == ["MAIL_UNAVAILABLE", "MAIL_REFUSED"]
    (failed,) = world.db.events("NotificationFailed")
    assert failed.data["error"] == "MAIL_REFUSED" and failed.data["attempts"] == 2
    assert failed.data["channel_type"] == "email"
    assert "ops@example.com" not in json.dumps(failed.data)
    assert world.db.events("NotificationDelivered") == []


async def test_a_webhook_outcome_is_announced_once_without_secret_or_body(world, receiver, deliver):
    deps = wired(world)
    made = await webhooks.create_channel(
        deps, ws(world), name="hook", url=receiver.url, event_types=["ClusterFailed"]
    )
    receiver.replies = [(500, {}, b"")]
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    # A failure with retries left is not final: nothing is announced yet.
    assert world.db.events("NotificationFailed") == []
    world.clock.tick(5)
    await sending.deliver_due(deps)
    (delivered,) = world.db.events("NotificationDelivered")
    (only,) = rows(world, "deliveries")
    assert delivered.data == {
        "delivery_id": str(only.id),
        "channel_id": made["channel"]["id"],
        "channel_type": "webhook",
        "event_id": event.id,
        "event_type": "ClusterFailed",
        "attempts": 2,
        "response_code": 204,
        "latency_ms": only.last.latency_ms,
    }
    assert delivered.causationid == event.id and delivered.workspaceid == world.workspace_id
    text = json.dumps(delivered.model_dump(mode="json"))
    assert made["secret"] not in text and "QUOTA_EXCEEDED" not in text


async def test_a_rule_routes_matching_events_to_its_channels_only(world, deliver):
    mailer = FakeMailer()
    deps = wired(world, mailer)
    channel = await mail_channel(deps, world, "ops@example.com")
    # The channel subscribes to nothing itself: only the rule sends to it.
    await rules.create_rule(
        deps,
        ws(world),
        name="critical clusters",
        event_types=["Cluster*"],
        min_severity="critical",
        channel_ids=[uuid.UUID(channel["id"])],
    )
    failed = world.cluster_failed()
    ready = world.event(
        "ClusterReady",
        {
            "cluster_id": str(uuid.uuid4()),
            "provider": "aws",
            "name": "prod",
            "region": "eu-west-1",
            "version": "1.31",
            "endpoint": "https://k8s.example",
            "cloud_id": "prod",
        },
        source="provisioning",
    )
    for event in (failed, ready):
        await webhooks.on_platform_event(deps, event, deliver(event))
    await sending.deliver_due(deps)
    # ClusterReady is info: below the rule's minimum.
    assert [d.event_id for d in rows(world, "deliveries")] == [failed.id]
    assert len(mailer.sent) == 1


async def test_two_rules_naming_one_channel_make_one_delivery(world, deliver):
    deps = wired(world)
    channel = await mail_channel(deps, world, "ops@example.com")
    ids = [uuid.UUID(channel["id"])]
    for patterns in (["ClusterFailed"], ["Cluster*", "Credential*"]):
        await rules.create_rule(deps, ws(world), name="r", event_types=patterns, channel_ids=ids)
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    assert len(rows(world, "deliveries")) == 1


async def test_a_rule_limited_to_resources_and_disabled_rules_send_nothing_else(world, deliver):
    deps = wired(world)
    channel = await mail_channel(deps, world, "ops@example.com")
    ids = [uuid.UUID(channel["id"])]
    made = await rules.create_rule(
        deps, ws(world), name="one", event_types=["*"], resource_ids=["c-1"], channel_ids=ids
    )
    other = world.cluster_failed()
    await webhooks.on_platform_event(deps, other, deliver(other))
    assert rows(world, "deliveries") == []
    rule_id = uuid.UUID(made["rule"]["id"])
    await rules.update_rule(deps, ws(world), rule_id, resource_ids=[], enabled=False)
    again = world.cluster_failed()
    await webhooks.on_platform_event(deps, again, deliver(again))
    assert rows(world, "deliveries") == []
    await rules.update_rule(deps, ws(world), rule_id, enabled=True)
    third = world.cluster_failed()
    await webhooks.on_platform_event(deps, third, deliver(third))
    assert [d.event_id for d in rows(world, "deliveries")] == [third.id]


async def test_a_rule_adds_in_app_recipients_by_role_and_member(world, deliver):
    deps = wired(world)
    await rules.create_rule(
        deps,
        ws(world),
        name="everyone hears of failures",
        event_types=["ClusterFailed"],
        in_app_roles=["viewer"],
        in_app_user_ids=[world.user.user_id],
    )
    event = world.cluster_failed()
    await inbox.on_platform_event(deps, event, deliver(event))
    got = sorted(str(n.user_id) for n in rows(world, "notifications"))
    # The admin by default, the viewer by role, the user by name.
    assert got == sorted(str(m.user_id) for m in world.members)
    drift = world.event(
        "ClusterDriftDetected",
        {
            "cluster_id": str(uuid.uuid4()),
            "provider": "aws",
            "name": "prod",
            "drift": [{"field": "version", "desired": "1.31", "actual": "1.30"}],
        },
        source="provisioning",
    )
    await inbox.on_platform_event(deps, drift, deliver(drift))
    drifted = [n for n in rows(world, "notifications") if n.event_id == drift.id]
    assert [n.user_id for n in drifted] == [world.admin.user_id]


async def test_rules_are_validated_and_kept_per_workspace(world):
    deps = wired(world)
    with pytest.raises(ValidationFailed) as bad:
        await rules.create_rule(deps, ws(world), name="r", event_types=["Nothing*"])
    assert bad.value.details["unmatched"] == ["Nothing*"]
    with pytest.raises(ValidationFailed):
        await rules.create_rule(
            deps, ws(world), name="r", event_types=["Cluster[RF]*"], in_app_roles=["admin"]
        )
    with pytest.raises(ValidationFailed):
        # Sends nowhere.
        await rules.create_rule(deps, ws(world), name="r", event_types=["Cluster*"])
    with pytest.raises(ValidationFailed) as foreign:
        await rules.create_rule(
            deps, ws(world), name="r", event_types=["Cluster*"], channel_ids=[uuid.uuid4()]
        )
    assert len(foreign.value.details["unknown"]) == 1
    with pytest.raises(ValidationFailed):
        await rules.create_rule(
            deps, ws(world), name="r", event_types=["*"], min_severity="loud", in_app_roles=["user"]
        )
    made = await rules.create_rule(
        deps, ws(world), name="r", event_types=["Budget*"], in_app_roles=["user"]
    )
    rule_id = uuid.UUID(made["rule"]["id"])
    assert (await rules.list_rules(deps, ws(world)))["items"] == [made["rule"]]
    with pytest.raises(RuleNotFound):
        await rules.get_rule(deps, uuid.uuid4(), rule_id)
    with pytest.raises(RuleNotFound):
        await rules.delete_rule(deps, uuid.uuid4(), rule_id)
    with pytest.raises(ValidationFailed):
        # Would leave the rule sending nowhere.
        await rules.update_rule(deps, ws(world), rule_id, in_app_roles=[])
    assert (await rules.delete_rule(deps, ws(world), rule_id)) == {"deleted": True}
    assert (await rules.list_rules(deps, ws(world)))["items"] == []


async def test_a_user_who_muted_a_type_does_not_get_it_in_app(world, deliver):
    deps = wired(world)
    me = {"workspace_id": ws(world), "user_id": world.admin.user_id}
    req = inbox.SetNotificationMutes.Request
    with pytest.raises(ValidationFailed):
        await inbox.set_mutes(deps, req(**me, event_types=["Nothing*"]))
    set_ = await inbox.set_mutes(deps, req(**me, event_types=["Cluster*", "Cluster*"]))
    assert set_ == {"event_types": ["Cluster*"]}
    got = await inbox.get_mutes(deps, inbox.GetNotificationMutes.Request(**me))
    assert got == {"event_types": ["Cluster*"]}
    event = world.cluster_failed(actor=world.user)
    await inbox.on_platform_event(deps, event, deliver(event))
    # The admin muted clusters; the actor did not.
    assert [n.user_id for n in rows(world, "notifications")] == [world.user.user_id]
    await inbox.set_mutes(deps, req(**me, event_types=[]))
    again = world.cluster_failed()
    await inbox.on_platform_event(deps, again, deliver(again))
    assert [n.user_id for n in rows(world, "notifications") if n.event_id == again.id] == [
        world.admin.user_id
    ]


async def test_an_endpoint_gets_its_events_in_order_after_it_was_down(world, receiver, deliver):
    deps = wired(world)
    await webhooks.create_channel(
        deps, ws(world), name="hook", url=receiver.url, event_types=["ClusterFailed"]
    )
    receiver.replies = [(500, {}, b""), (503, {}, b"")]
    first, second, third = (world.cluster_failed(name=n) for n in ("a", "b", "c"))
    for event in (first, second, third):
        await webhooks.on_platform_event(deps, event, deliver(event))
        world.clock.tick(1)
    # The first one fails: the others wait behind it rather than overtake it.
    assert await sending.deliver_due(deps) == 1
    assert await sending.deliver_due(deps) == 0
    world.clock.tick(5)
    assert await sending.deliver_due(deps) == 1
    world.clock.tick(60)
    while await sending.deliver_due(deps):
        pass
    sent = [json.loads(raw)["id"] for _, raw in receiver.requests]
    assert sent == [first.id, first.id, first.id, second.id, third.id]


def budget_crossed(world: Any, source: str = "cost") -> Any:
    return world.event(
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
        source=source,
    )


async def test_a_budget_threshold_from_the_cost_service_reaches_the_admins(world, deliver):
    deps = wired(world)
    forged = budget_crossed(world, source="provisioning")
    await inbox.on_platform_event(deps, forged, deliver(forged))
    assert rows(world, "notifications") == []
    event = budget_crossed(world)
    await inbox.on_platform_event(deps, event, deliver(event))
    (note,) = rows(world, "notifications")
    assert note.user_id == world.admin.user_id
    assert (note.severity.value, note.title) == ("warning", "platform crossed a threshold")
    assert note.body == "Spending reached 80.8% of the budget (threshold 80%)."
    assert note.link == f"https://skyclust.example/api/v1/budgets/{event.data['budget_id']}"


async def test_an_email_channel_failing_too_long_is_disabled_and_admins_told(world, deliver):
    mailer = FakeMailer(errors=[MailUnavailable() for _ in range(3)])
    deps = wired(world, mailer)
    deps.webhooks.disable_after = timedelta(seconds=30)
    channel = await mail_channel(deps, world, "ops@example.com", "cto@example.com")
    await rules.create_rule(
        deps,
        ws(world),
        name="r",
        event_types=["ClusterFailed"],
        channel_ids=[uuid.UUID(channel["id"])],
    )
    event = world.cluster_failed()
    await webhooks.on_platform_event(deps, event, deliver(event))
    # The two addresses are two endpoints: both are tried, and both fail.
    assert await sending.deliver_due(deps) == 2
    world.clock.tick(31)
    await sending.deliver_due(deps)
    shown = await webhooks.get_channel(deps, ws(world), uuid.UUID(channel["id"]))
    assert shown["channel"]["enabled"] is False
    (told,) = [n for n in rows(world, "notifications") if n.event_type == "WebhookChannelDisabled"]
    assert told.user_id == world.admin.user_id
    assert told.title == "Email ops mail disabled"
    assert "ops@example.com and 1 more" in told.body
