"""Notification channels (webhooks and email): admins add, rotate and remove them; each
platform event a channel subscribes to, itself or through a rule, becomes one delivery
per target (the endpoint, or each address), sent (webhooks signed per Standard
Webhooks) and retried on a schedule until it is taken."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import ValidationFailed
from skyclust_common.messaging import Delivery as BusDelivery

from ..domain.catalog import CATALOG, from_owner
from ..domain.errors import ChannelNotFound, ChannelTypeMismatch
from ..domain.model import Member
from ..domain.rules import ROLES, routed_channels
from ..domain.webhooks import (
    CHANNEL_TYPES,
    EMAIL,
    WEBHOOK,
    Channel,
    Delivery,
    body,
    new_secret,
)
from .common import NotificationDeps, WebhookDeps
from .resource_tags import tags_for

log = logging.getLogger(__name__)

CONSUMER = "notification-webhooks"
TEST_EVENT = "WebhookTest"


def configured(deps: NotificationDeps) -> WebhookDeps:
    if deps.webhooks is None:
        raise RuntimeError("webhooks are not configured")
    return deps.webhooks


# One @, no spaces or angle brackets, a dot in the domain: enough to refuse what is not
# an address before a mail server is asked (which decides the rest).
_ADDRESS = re.compile(r"^[^@\s<>,;]{1,64}@[^@\s<>,;]+\.[^@\s<>,;]+$")


def _event_types(requested: list[str]) -> tuple[str, ...]:
    """A channel's own subscription (names or "*"); empty when only rules route to it."""
    unknown = sorted({t for t in requested if t != "*" and t not in CATALOG})
    if unknown:
        raise ValidationFailed(
            "event_types must name events SkyClust sends (or '*')",
            details={"unknown": unknown, "known": sorted(CATALOG)},
        )
    return tuple(dict.fromkeys(requested))


def _recipients(requested: list[str], *, by_role: bool = False) -> tuple[str, ...]:
    """An email channel's addresses; none only when it has recipients by role."""
    bad = [a for a in requested if len(a) > 320 or not _ADDRESS.match(a)]
    if bad or not (requested or by_role):
        raise ValidationFailed(
            "an email channel needs recipients that are email addresses, or recipient_roles",
            details={"invalid": bad},
        )
    return tuple(dict.fromkeys(a.strip() for a in requested))


def _recipient_roles(requested: list[str]) -> tuple[str, ...]:
    bad = [r for r in requested if r not in ROLES]
    if bad:
        raise ValidationFailed(
            "recipient_roles must be admin, user or viewer", details={"invalid": bad}
        )
    return tuple(dict.fromkeys(requested))


async def create_channel(
    deps: NotificationDeps,
    workspace_id: uuid.UUID,
    *,
    name: str,
    url: str | None = None,
    event_types: list[str] | None = None,
    actor_id: uuid.UUID | None = None,
    type: str = WEBHOOK,
    recipients: list[str] | None = None,
    recipient_roles: list[str] | None = None,
) -> dict[str, Any]:
    """The channel, and a webhook's secret: shown here once and never again."""
    hooks = configured(deps)
    kinds = _event_types(event_types or [])
    roles = _recipient_roles(recipient_roles or [])
    if type not in CHANNEL_TYPES:
        raise ValidationFailed("type must be webhook or email", details={"type": type})
    if type == EMAIL:
        if url is not None:
            raise ChannelTypeMismatch("an email channel has recipients, not a url")
        if deps.mailer is None:
            raise ChannelTypeMismatch("no mail server is configured for email channels")
        targets, secret, url = _recipients(recipients or [], by_role=bool(roles)), "", ""
    else:
        if recipients or roles:
            raise ChannelTypeMismatch("a webhook channel has a url, not recipients")
        if not url:
            raise ValidationFailed("a webhook channel needs a url")
        await hooks.sender.check(url)
        targets, secret = (), new_secret()
    channel = Channel(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        name=name,
        url=url,
        event_types=kinds,
        secret=secret,
        created_at=deps.clock(),
        created_by=actor_id,
        type=type,
        recipients=targets,
        recipient_roles=roles,
    )
    async with deps.uow() as uow:
        await uow.channels.add(channel)
        await uow.commit()
    made: dict[str, Any] = {"channel": channel.view()}
    if secret:
        made["secret"] = secret
    return made


async def list_channels(deps: NotificationDeps, workspace_id: uuid.UUID) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        channels = await uow.channels.in_workspace(workspace_id)
    return {"items": [c.view() for c in channels]}


async def find_channel(uow: Any, workspace_id: uuid.UUID, channel_id: uuid.UUID) -> Channel:
    channel: Channel | None = await uow.channels.get(workspace_id, channel_id)
    if channel is None:
        raise ChannelNotFound(details={"channel_id": str(channel_id)})
    return channel


async def get_channel(
    deps: NotificationDeps, workspace_id: uuid.UUID, channel_id: uuid.UUID
) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        return {"channel": (await find_channel(uow, workspace_id, channel_id)).view()}


async def update_channel(
    deps: NotificationDeps,
    workspace_id: uuid.UUID,
    channel_id: uuid.UUID,
    *,
    name: str | None = None,
    url: str | None = None,
    event_types: list[str] | None = None,
    enabled: bool | None = None,
    recipients: list[str] | None = None,
    recipient_roles: list[str] | None = None,
) -> dict[str, Any]:
    kinds = _event_types(event_types) if event_types is not None else None
    roles = _recipient_roles(recipient_roles) if recipient_roles is not None else None
    async with deps.uow().read_only() as uow:
        current = await find_channel(uow, workspace_id, channel_id)
    addressed = recipients is not None or roles is not None
    if (url is not None and current.is_email) or (addressed and not current.is_email):
        raise ChannelTypeMismatch(details={"type": current.type})
    if addressed:
        # What the channel will have: it must still mail someone.
        _recipients(
            recipients if recipients is not None else list(current.recipients),
            by_role=bool(roles if roles is not None else current.recipient_roles),
        )
    targets = _recipients(recipients, by_role=True) if recipients is not None else None
    if url is not None:
        # Outside the transaction: a slow resolver must not hold a connection.
        await configured(deps).sender.check(url)
    async with deps.uow() as uow:
        channel = await find_channel(uow, workspace_id, channel_id)
        channel = replace(
            channel,
            name=name if name is not None else channel.name,
            url=url if url is not None else channel.url,
            event_types=kinds if kinds is not None else channel.event_types,
            recipients=targets if targets is not None else channel.recipients,
            recipient_roles=roles if roles is not None else channel.recipient_roles,
        )
        if enabled is not None:
            channel = replace(
                channel,
                enabled=enabled,
                disabled_reason=None if enabled else "disabled by an admin",
                failing_since=None if enabled else channel.failing_since,
            )
        await uow.channels.save(channel)
        await uow.commit()
    return {"channel": channel.view()}


async def delete_channel(
    deps: NotificationDeps, workspace_id: uuid.UUID, channel_id: uuid.UUID
) -> dict[str, Any]:
    async with deps.uow() as uow:
        if not await uow.channels.remove(workspace_id, channel_id):
            raise ChannelNotFound(details={"channel_id": str(channel_id)})
        await uow.commit()
    return {"deleted": True}


async def rotate_secret(
    deps: NotificationDeps, workspace_id: uuid.UUID, channel_id: uuid.UUID
) -> dict[str, Any]:
    """A new secret, shown once; the old one still signs until the overlap ends."""
    hooks = configured(deps)
    async with deps.uow() as uow:
        channel = await find_channel(uow, workspace_id, channel_id)
        if channel.is_email:
            raise ChannelTypeMismatch("an email channel has no secret to rotate")
        channel = channel.rotate(new_secret(), deps.clock(), hooks.rotation_overlap)
        await uow.channels.save(channel)
        await uow.commit()
    return {"channel": channel.view(), "secret": channel.secret}


def _delivery(channel: Channel, event: CloudEvent, now: datetime, recipient: str) -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        channel_id=channel.id,
        workspace_id=channel.workspace_id,
        event_id=event.id,
        event_type=event.name,
        payload=body(event.model_dump(mode="json", exclude_none=True)),
        created_at=now,
        next_attempt_at=now,
        recipient=recipient,
    )


async def on_platform_event(
    deps: NotificationDeps, event: CloudEvent, delivery: BusDelivery
) -> None:
    """One delivery per target of each channel the event goes to (the channel's own
    subscription, or a matching rule), with the inbox mark in one transaction; the
    unique (channel, event, recipient) key keeps a racing redelivery from adding a
    second. Several rules naming one channel still make one delivery."""
    kind = CATALOG.get(event.name)
    if kind is None or not event.workspaceid or not from_owner(kind, event.source):
        return
    message = kind.describe(event.data)
    workspace_id = uuid.UUID(event.workspaceid)
    now = deps.clock()
    added = 0
    members = await _members_if_mailed_by_role(deps, workspace_id)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        rules = await uow.rules.in_workspace(workspace_id)
        routed = routed_channels(
            rules,
            event.name,
            message.severity,
            message.resource_id,
            await tags_for(uow, workspace_id, rules, event.data),
        )
        for channel in await uow.channels.in_workspace(workspace_id):
            if not channel.enabled:
                continue
            if channel.subscribes(event.name) or channel.id in routed:
                for target in channel.targets(members):
                    added += await uow.deliveries.add(_delivery(channel, event, now, target))
        await uow.commit()
    if added and deps.webhooks is not None:
        deps.webhooks.wake()


async def _members_if_mailed_by_role(
    deps: NotificationDeps, workspace_id: uuid.UUID
) -> list[Member]:
    """The workspace's members when one of its channels mails by role, asked of
    identity before the transaction (a slow identity must not hold a connection; its
    failure is retryable and the event is delivered again)."""
    async with deps.uow().read_only() as uow:
        channels = await uow.channels.in_workspace(workspace_id)
    if not any(c.enabled and c.recipient_roles for c in channels):
        return []
    return await deps.members(str(workspace_id))


def headers(channel: Channel, delivery: Delivery, now: datetime) -> dict[str, str]:
    """Standard Webhooks headers: one signature per secret in use (both during a
    rotation's overlap, so the receiver may verify with either)."""
    signatures = [
        Webhook(secret).sign(str(delivery.id), now, delivery.payload)
        for secret in channel.signing_secrets(now)
    ]
    return {
        "webhook-id": str(delivery.id),
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
