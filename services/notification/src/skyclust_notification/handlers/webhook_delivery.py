"""Sending the deliveries: claimed in one transaction (so two replicas never send the
same one at once), sent outside any transaction, and the outcome recorded in another.
A channel failing for longer than the setting is disabled and its admins are told."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import replace
from typing import Any

from skyclust_common.errors import SkyclustError

from ..domain.errors import DeliveryNotFound
from ..domain.model import Notification, Severity
from ..domain.webhooks import Attempt, Channel, Delivery, DeliveryStatus, body, retry_after_seconds
from .common import NotificationDeps
from .webhooks import TEST_EVENT, configured, find_channel, headers

log = logging.getLogger(__name__)

DEFAULT_PAGE = 50


async def deliver_due(deps: NotificationDeps, limit: int = 20) -> int:
    """Sends what is due; the number of deliveries attempted."""
    hooks = configured(deps)
    now = deps.clock()
    async with deps.uow() as uow:
        claimed = await uow.deliveries.claim_due(now, now + hooks.lease, limit)
        channels: dict[uuid.UUID, Channel | None] = {}
        for d in claimed:
            if d.channel_id not in channels:
                channels[d.channel_id] = await uow.channels.get(d.workspace_id, d.channel_id)
        await uow.commit()
    # Side by side: one slow endpoint must not hold the others past their lease.
    await asyncio.gather(*(attempt(deps, d, channels.get(d.channel_id)) for d in claimed))
    return len(claimed)


async def attempt(
    deps: NotificationDeps,
    delivery: Delivery,
    channel: Channel | None,
    *,
    within: float | None = None,
) -> Delivery:
    hooks = configured(deps)
    now = deps.clock()
    if channel is None or not channel.enabled:
        reason = "the channel was removed" if channel is None else "the channel is disabled"
        outcome = Attempt(now, None, 0, reason)
        done = replace(
            delivery,
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
            attempts=(*delivery.attempts, outcome),
        )
        return await _record(deps, done, None)
    try:
        sending = hooks.sender.send(channel.url, delivery.payload, headers(channel, delivery, now))
        response = await asyncio.wait_for(sending, within) if within else await sending
    except TimeoutError:
        outcome = Attempt(now, None, int((within or 0) * 1000), "timeout")
        retry_after = None
    except SkyclustError as exc:
        # The name now answers an address that is refused: rebinding, or a changed
        # record. Retried like any failure, never sent.
        outcome = Attempt(now, None, 0, exc.code)
        retry_after = None
    else:
        outcome = Attempt(now, response.status_code, response.latency_ms, response.error)
        retry_after = retry_after_seconds(response.retry_after, now)
        if response.ok:
            done = replace(
                delivery,
                status=DeliveryStatus.SUCCEEDED,
                next_attempt_at=None,
                attempts=(*delivery.attempts, outcome),
            )
            return await _record(deps, done, channel.succeeded())
    attempts = (*delivery.attempts, outcome)
    next_at = hooks.schedule.next_at(len(attempts), now, retry_after=retry_after)
    done = replace(
        delivery,
        status=DeliveryStatus.PENDING if next_at else DeliveryStatus.FAILED,
        next_attempt_at=next_at,
        attempts=attempts,
    )
    return await _record(deps, done, channel.failed(now))


async def _record(deps: NotificationDeps, delivery: Delivery, channel: Channel | None) -> Delivery:
    hooks = configured(deps)
    now = deps.clock()
    async with deps.uow() as uow:
        await uow.deliveries.save(delivery)
        if channel is not None:
            current = await uow.channels.get(channel.workspace_id, channel.id)
            if current is not None:
                # Only the failure clock is this attempt's to change: an admin may have
                # edited the channel while it was being sent.
                updated = replace(current, failing_since=channel.failing_since)
                since = updated.failing_since
                if updated.enabled and since and now - since >= hooks.disable_after:
                    updated = updated.disable("failing since " + since.isoformat())
                    await _tell_admins(deps, uow, updated)
                if updated != current:
                    await uow.channels.save(updated)
        await uow.commit()
    return delivery


async def _tell_admins(deps: NotificationDeps, uow: Any, channel: Channel) -> None:
    members = await deps.members(str(channel.workspace_id))
    for member in members:
        if member.role != "admin":
            continue
        await uow.notifications.add(
            Notification(
                id=uuid.uuid4(),
                workspace_id=channel.workspace_id,
                user_id=member.user_id,
                event_type="WebhookChannelDisabled",
                event_id=f"webhook-disabled:{channel.id}:{channel.failing_since}",
                severity=Severity.WARNING,
                title=f"Webhook {channel.name} disabled",
                body=f"Every delivery to {channel.url} has failed since "
                f"{channel.failing_since:%Y-%m-%d %H:%M} UTC; it is disabled until an "
                "admin enables it again.",
                link=deps.link(f"/notification-channels/{channel.id}"),
                created_at=deps.clock(),
                resource_type="notification_channel",
                resource_id=str(channel.id),
            )
        )


async def list_deliveries(
    deps: NotificationDeps,
    workspace_id: uuid.UUID,
    channel_id: uuid.UUID,
    limit: int = DEFAULT_PAGE,
) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        await find_channel(uow, workspace_id, channel_id)
        rows = await uow.deliveries.of_channel(channel_id, limit)
    return {"items": [d.view() for d in rows]}


async def retry_delivery(
    deps: NotificationDeps, workspace_id: uuid.UUID, delivery_id: uuid.UUID
) -> dict[str, Any]:
    """Sent again now, with the same webhook-id; a new schedule starts after it."""
    async with deps.uow() as uow:
        found = await uow.deliveries.get(workspace_id, delivery_id)
        if found is None:
            raise DeliveryNotFound(details={"delivery_id": str(delivery_id)})
        channel = await uow.channels.get(workspace_id, found.channel_id)
    result = await attempt(deps, replace(found, attempts=()), channel)
    # The log keeps every attempt, the earlier ones too.
    kept = replace(result, attempts=(*found.attempts, *result.attempts))
    await _record(deps, kept, None)
    return {"delivery": kept.view()}


async def test_channel(
    deps: NotificationDeps, workspace_id: uuid.UUID, channel_id: uuid.UUID
) -> dict[str, Any]:
    """A signed WebhookTest event, sent now and logged like any delivery."""
    now = deps.clock()
    async with deps.uow() as uow:
        channel = await find_channel(uow, workspace_id, channel_id)
    test_id = str(uuid.uuid4())
    event = {
        "specversion": "1.0",
        "id": test_id,
        "source": "skyclust/notification",
        "type": f"io.skyclust.{TEST_EVENT}.v1",
        "time": now.isoformat(),
        "subject": str(channel.id),
        "datacontenttype": "application/json",
        "workspaceid": str(workspace_id),
        "data": {"channel_id": str(channel.id), "message": "a test from SkyClust"},
    }
    delivery = Delivery(
        id=uuid.uuid4(),
        channel_id=channel.id,
        workspace_id=workspace_id,
        event_id=test_id,
        event_type=TEST_EVENT,
        payload=body(event),
        created_at=now,
        next_attempt_at=None,
    )
    async with deps.uow() as uow:
        await uow.deliveries.add(delivery)
        await uow.commit()
    # A test is tried once: its answer is what the admin asked for.
    # Within the caller's wait: the answer must reach the admin before the request
    # times out at the gateway.
    sent = await attempt(
        deps, delivery, replace(channel, enabled=True), within=configured(deps).test_timeout
    )
    if sent.status is DeliveryStatus.PENDING:
        sent = replace(sent, status=DeliveryStatus.FAILED, next_attempt_at=None)
        await _record(deps, sent, None)
    return {"delivery": sent.view()}
