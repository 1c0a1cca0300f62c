"""Sending the deliveries: claimed in one transaction (so two replicas never send the
same one at once), sent outside any transaction, and the outcome recorded in another.
A channel failing for longer than the setting is disabled and its admins are told."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import SkyclustError

from ..domain.catalog import CATALOG
from ..domain.errors import ChannelTypeMismatch, DeliveryNotFound, MailRefused, MailUnavailable
from ..domain.mail import Mail, event_mail
from ..domain.model import Notification, Severity
from ..domain.webhooks import (
    EMAIL,
    WEBHOOK,
    Attempt,
    Channel,
    Delivery,
    DeliveryStatus,
    body,
    retry_after_seconds,
)
from ..metrics import DELIVERIES
from .common import SOURCE, NotificationDeps
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
        if channels:
            # On use: a secret still clear or under an older key moves to the active one.
            await uow.channels.reseal(list(channels), len(channels))
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
        kind = "unknown" if channel is None else (EMAIL if channel.is_email else WEBHOOK)
        DELIVERIES.labels(kind, "dropped").inc()
        return await _record(deps, done, None)
    if channel.is_email:
        outcome, ok, retry_after, permanent = await _mail(deps, delivery, channel, now, within)
    else:
        outcome, ok, retry_after, permanent = await _post(deps, delivery, channel, now, within)
    attempts = (*delivery.attempts, outcome)
    kind = EMAIL if channel.is_email else WEBHOOK
    if ok:
        done = replace(
            delivery, status=DeliveryStatus.SUCCEEDED, next_attempt_at=None, attempts=attempts
        )
        DELIVERIES.labels(kind, "succeeded").inc()
        return await _record(deps, done, channel.succeeded())
    next_at = (
        None if permanent else hooks.schedule.next_at(len(attempts), now, retry_after=retry_after)
    )
    done = replace(
        delivery,
        status=DeliveryStatus.PENDING if next_at else DeliveryStatus.FAILED,
        next_attempt_at=next_at,
        attempts=attempts,
    )
    DELIVERIES.labels(kind, "retrying" if next_at else "failed").inc()
    return await _record(deps, done, channel.failed(now))


Outcome = tuple[Attempt, bool, float | None, bool]


async def _post(
    deps: NotificationDeps,
    delivery: Delivery,
    channel: Channel,
    now: datetime,
    within: float | None,
) -> Outcome:
    """(attempt, succeeded, Retry-After seconds, permanent) of one signed POST."""
    hooks = configured(deps)
    try:
        sending = hooks.sender.send(channel.url, delivery.payload, headers(channel, delivery, now))
        response = await asyncio.wait_for(sending, within) if within else await sending
    except TimeoutError:
        return Attempt(now, None, int((within or 0) * 1000), "timeout"), False, None, False
    except SkyclustError as exc:
        # The name now answers an address that is refused: rebinding, or a changed
        # record. Retried like any failure, never sent.
        return Attempt(now, None, 0, exc.code), False, None, False
    outcome = Attempt(now, response.status_code, response.latency_ms, response.error)
    return outcome, response.ok, retry_after_seconds(response.retry_after, now), False


async def _mail(
    deps: NotificationDeps,
    delivery: Delivery,
    channel: Channel,
    now: datetime,
    within: float | None,
) -> Outcome:
    """One mail to the delivery's address. Its Message-ID is the delivery's id, the same
    on every attempt, so a resend after a crash is recognisably the same mail."""
    started = time.monotonic()
    try:
        if deps.mailer is None:
            raise MailUnavailable("no mail server is configured")
        sending = deps.mailer.send(_event_mail(deps, delivery, channel))
        await (asyncio.wait_for(sending, within) if within else sending)
    except TimeoutError:
        return Attempt(now, None, _ms(started), "timeout"), False, None, False
    except MailRefused as exc:
        # The server refused the address: sending again cannot help.
        return Attempt(now, None, _ms(started), exc.code), False, None, True
    except SkyclustError as exc:
        return Attempt(now, None, _ms(started), exc.code), False, None, False
    return Attempt(now, None, _ms(started)), True, None, False


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _event_mail(deps: NotificationDeps, delivery: Delivery, channel: Channel) -> Mail:
    event = json.loads(delivery.payload)
    kind = CATALOG.get(delivery.event_type)
    if kind is not None:
        message = kind.describe(event.get("data") or {})
        title, text, severity, link = (
            message.title,
            message.body,
            message.severity.value,
            deps.link(message.path),
        )
    else:
        title = "A test notification from SkyClust"
        text = "This channel works: SkyClust can send mail to this address."
        severity, link = Severity.INFO.value, deps.link("/api/v1/notifications/channels")
    return event_mail(
        delivery.recipient,
        title=title,
        body=text,
        severity=severity,
        event_type=delivery.event_type,
        link=link,
        channel=channel.name,
        message_id=f"<{delivery.id}@{deps.mail_domain}>",
    )


async def _record(
    deps: NotificationDeps,
    delivery: Delivery,
    channel: Channel | None,
    *,
    announce: bool = True,
) -> Delivery:
    """The delivery's outcome, and once it is final a NotificationDelivered or
    NotificationFailed (through the outbox, in the same transaction)."""
    hooks = configured(deps)
    now = deps.clock()
    async with deps.uow() as uow:
        await uow.deliveries.save(delivery)
        if announce and delivery.status is not DeliveryStatus.PENDING:
            uow.emit(_outcome_event(delivery))
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
    last = delivery.last
    log.info(
        "notification delivery %s",
        delivery.status.value,
        extra={
            "delivery_id": str(delivery.id),
            "channel_id": str(delivery.channel_id),
            "event_id": delivery.event_id,
            "event_type": delivery.event_type,
            "attempts": len(delivery.attempts),
            "response_code": last.status_code if last else None,
            "error": last.error if last else None,
        },
    )
    return delivery


def _outcome_event(delivery: Delivery) -> CloudEvent:
    """What became of a delivery: ids, counts and codes; no secret, body or address."""
    last = delivery.last
    succeeded = delivery.status is DeliveryStatus.SUCCEEDED
    data: dict[str, Any] = {
        "delivery_id": str(delivery.id),
        "channel_id": str(delivery.channel_id),
        "channel_type": EMAIL if delivery.recipient else WEBHOOK,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "attempts": len(delivery.attempts),
        "response_code": last.status_code if last else None,
        "latency_ms": last.latency_ms if last else None,
    }
    if not succeeded:
        data["error"] = ((last.error if last else None) or "failed")[:200]
    return new_event(
        "NotificationDelivered" if succeeded else "NotificationFailed",
        data,
        source=SOURCE,
        subject=str(delivery.id),
        workspace_id=str(delivery.workspace_id),
        causation_id=delivery.event_id,
    )


def _target(channel: Channel) -> str:
    if not channel.is_email:
        return channel.url
    named = list(channel.recipients) + [f"the {r}s" for r in channel.recipient_roles]
    more = len(named) - 1
    return named[0] + (f" and {more} more" if more > 0 else "")


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
                title=f"{'Email' if channel.is_email else 'Webhook'} {channel.name} disabled",
                body=f"Every delivery to {_target(channel)} has failed since "
                f"{channel.failing_since:%Y-%m-%d %H:%M} UTC; it is disabled until an "
                "admin enables it again.",
                link=deps.link(f"/api/v1/notifications/channels/{channel.id}"),
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
    await _record(deps, kept, None, announce=False)
    return {"delivery": kept.view()}


async def test_channel(
    deps: NotificationDeps, workspace_id: uuid.UUID, channel_id: uuid.UUID
) -> dict[str, Any]:
    """A signed WebhookTest event (an email channel: a test mail to its first address,
    or its first member by role), sent now and logged like any delivery."""
    now = deps.clock()
    async with deps.uow() as uow:
        channel = await find_channel(uow, workspace_id, channel_id)
    recipient = ""
    if channel.is_email:
        members = await deps.members(str(workspace_id)) if not channel.recipients else []
        targets = channel.targets(members)
        if not targets:
            raise ChannelTypeMismatch(
                "no member has one of the channel's recipient_roles and an address",
                details={"recipient_roles": list(channel.recipient_roles)},
            )
        recipient = targets[0]
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
        recipient=recipient,
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
