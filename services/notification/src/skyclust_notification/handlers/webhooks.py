"""Webhook channels: admins add, rotate and remove them; each platform event a channel
subscribes to becomes one delivery, sent signed (Standard Webhooks) and retried on a
schedule until the endpoint takes it."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import ValidationFailed
from skyclust_common.messaging import Delivery as BusDelivery

from ..domain.catalog import CATALOG, from_owner
from ..domain.errors import ChannelNotFound
from ..domain.webhooks import (
    Channel,
    Delivery,
    body,
    new_secret,
)
from .common import NotificationDeps, WebhookDeps

log = logging.getLogger(__name__)

CONSUMER = "notification-webhooks"
TEST_EVENT = "WebhookTest"


def configured(deps: NotificationDeps) -> WebhookDeps:
    if deps.webhooks is None:
        raise RuntimeError("webhooks are not configured")
    return deps.webhooks


def _event_types(requested: list[str]) -> tuple[str, ...]:
    unknown = sorted({t for t in requested if t != "*" and t not in CATALOG})
    if unknown or not requested:
        raise ValidationFailed(
            "event_types must name events SkyClust sends (or '*')",
            details={"unknown": unknown, "known": sorted(CATALOG)},
        )
    return tuple(dict.fromkeys(requested))


async def create_channel(
    deps: NotificationDeps,
    workspace_id: uuid.UUID,
    *,
    name: str,
    url: str,
    event_types: list[str],
    actor_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The channel, and its secret: shown here once and never again."""
    hooks = configured(deps)
    kinds = _event_types(event_types)
    await hooks.sender.check(url)
    channel = Channel(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        name=name,
        url=url,
        event_types=kinds,
        secret=new_secret(),
        created_at=deps.clock(),
        created_by=actor_id,
    )
    async with deps.uow() as uow:
        await uow.channels.add(channel)
        await uow.commit()
    return {"channel": channel.view(), "secret": channel.secret}


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
) -> dict[str, Any]:
    if url is not None:
        await configured(deps).sender.check(url)
    kinds = _event_types(event_types) if event_types is not None else None
    async with deps.uow() as uow:
        channel = await find_channel(uow, workspace_id, channel_id)
        channel = replace(
            channel,
            name=name if name is not None else channel.name,
            url=url if url is not None else channel.url,
            event_types=kinds if kinds is not None else channel.event_types,
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
        channel = channel.rotate(new_secret(), deps.clock(), hooks.rotation_overlap)
        await uow.channels.save(channel)
        await uow.commit()
    return {"channel": channel.view(), "secret": channel.secret}


def _delivery(channel: Channel, event: CloudEvent, now: datetime) -> Delivery:
    return Delivery(
        id=uuid.uuid4(),
        channel_id=channel.id,
        workspace_id=channel.workspace_id,
        event_id=event.id,
        event_type=event.name,
        payload=body(event.model_dump(mode="json", exclude_none=True)),
        created_at=now,
        next_attempt_at=now,
    )


async def on_platform_event(
    deps: NotificationDeps, event: CloudEvent, delivery: BusDelivery
) -> None:
    """One delivery per subscribed channel, with the inbox mark in one transaction; the
    unique (channel, event) key keeps a racing redelivery from adding a second."""
    kind = CATALOG.get(event.name)
    if kind is None or not event.workspaceid or not from_owner(kind, event.source):
        return
    workspace_id = uuid.UUID(event.workspaceid)
    now = deps.clock()
    added = 0
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        for channel in await uow.channels.in_workspace(workspace_id):
            if channel.subscribes(event.name):
                added += await uow.deliveries.add(_delivery(channel, event, now))
        await uow.commit()
    if added and deps.webhooks is not None:
        deps.webhooks.wake()


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
