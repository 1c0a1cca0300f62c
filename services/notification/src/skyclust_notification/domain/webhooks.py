"""Webhook channels and their deliveries: secrets, rotation, what is sent and when it
is tried again. No I/O: the HTTP sender and the store are adapters."""

from __future__ import annotations

import base64
import enum
import json
import random
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import WebhookUrlInvalid
from .model import Member

WEBHOOK = "webhook"
EMAIL = "email"
CHANNEL_TYPES = (WEBHOOK, EMAIL)

SECRET_PREFIX = "whsec_"
# Standard Webhooks asks for 24 to 64 random bytes.
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def parse_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a webhook URL; anything but http(s) with a host is
    refused before any name is looked up."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise WebhookUrlInvalid(details={"url": url}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlInvalid(details={"url": url})
    if parts.username or parts.password:
        # Credentials in the URL would be logged and shown back to every admin.
        raise WebhookUrlInvalid("the webhook URL may not carry credentials", details={"url": url})
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


@dataclass(frozen=True)
class Channel:
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    created_at: datetime
    created_by: uuid.UUID | None = None
    # The secret before the last rotation, still signed with until `previous_until`:
    # receivers switch over without losing a delivery.
    previous_secret: str | None = None
    previous_until: datetime | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    # Since when every delivery has failed (None while the endpoint answers).
    failing_since: datetime | None = None
    # "webhook" (url, secret) or "email" (recipients; no url, no secret).
    type: str = WEBHOOK
    recipients: tuple[str, ...] = ()
    # An email channel's recipients by role too: the members with one of these roles
    # when an event is handled (identity's members, not a list kept here).
    recipient_roles: tuple[str, ...] = ()

    @property
    def is_email(self) -> bool:
        return self.type == EMAIL

    def subscribes(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.event_types or event_type in self.event_types)

    def targets(self, members: Iterable[Member] = ()) -> tuple[str, ...]:
        """One delivery per target: each address of an email channel (its own, then
        those of the members with one of its roles, each once), or the endpoint ("")
        of a webhook."""
        if not self.is_email:
            return ("",)
        by_role = sorted(m.email for m in members if m.role in self.recipient_roles and m.email)
        return tuple(dict.fromkeys((*self.recipients, *by_role)))

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets to sign with now: the current one, and the previous one during
        the overlap after a rotation."""
        keys = [self.secret]
        if self.previous_secret and self.previous_until and now < self.previous_until:
            keys.append(self.previous_secret)
        return keys

    def rotate(self, secret: str, now: datetime, overlap: timedelta) -> Channel:
        return replace(
            self, secret=secret, previous_secret=self.secret, previous_until=now + overlap
        )

    def failed(self, now: datetime) -> Channel:
        return self if self.failing_since else replace(self, failing_since=now)

    def succeeded(self) -> Channel:
        return replace(self, failing_since=None) if self.failing_since else self

    def disable(self, reason: str) -> Channel:
        return replace(self, enabled=False, disabled_reason=reason)

    def view(self) -> dict[str, Any]:
        """What the API shows: never a secret."""
        return {
            "id": str(self.id),
            "workspace_id": str(self.workspace_id),
            "name": self.name,
            "type": self.type,
            "url": None if self.is_email else self.url,
            "recipients": list(self.recipients),
            "recipient_roles": list(self.recipient_roles),
            "event_types": list(self.event_types),
            "enabled": self.enabled,
            "disabled_reason": self.disabled_reason,
            "previous_secret_until": self.previous_until.isoformat()
            if self.previous_secret and self.previous_until
            else None,
            "created_at": self.created_at.isoformat(),
        }


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One event for one channel. Its id is the `webhook-id` of every attempt, so a
    receiver can drop a retry it already handled."""

    id: uuid.UUID
    channel_id: uuid.UUID
    workspace_id: uuid.UUID
    event_id: str
    event_type: str
    payload: str
    created_at: datetime
    next_attempt_at: datetime | None
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: tuple[Attempt, ...] = field(default=())
    # The address of an email channel's delivery; "" for a webhook's.
    recipient: str = ""

    @property
    def last(self) -> Attempt | None:
        return self.attempts[-1] if self.attempts else None

    def view(self) -> dict[str, Any]:
        last = self.last
        return {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "event_id": self.event_id,
            "event_type": self.event_type,
            "recipient": self.recipient or None,
            "status": self.status.value,
            "attempts": len(self.attempts),
            "response_code": last.status_code if last else None,
            "latency_ms": last.latency_ms if last else None,
            "error": last.error if last else None,
            "created_at": self.created_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None,
        }


def body(event: dict[str, Any]) -> str:
    """The CloudEvent, structured JSON, exactly the bytes signed and sent."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class RetrySchedule:
    """Waits between attempts (seconds), e.g. Standard Webhooks' own: 5s, 5m, 30m, 2h,
    5h, 10h, 10h. After the last one the delivery has failed."""

    waits: Sequence[float]
    # Each wait is stretched or shrunk by up to this fraction, so the retries of many
    # deliveries that failed together do not arrive together.
    jitter: float = 0.2
    # A Retry-After longer than this is not honoured as such (the schedule's wait is).
    max_retry_after: float = 36_000.0

    def next_at(
        self,
        attempts: int,
        now: datetime,
        *,
        retry_after: float | None = None,
        rng: random.Random | None = None,
    ) -> datetime | None:
        """When to try again after `attempts` failed attempts; None when none is left."""
        if attempts > len(self.waits):
            return None
        wait = self.waits[attempts - 1]
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        wait *= 1 + spread
        if retry_after is not None and 0 <= retry_after <= self.max_retry_after:
            wait = max(wait, retry_after)
        return now + timedelta(seconds=wait)


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())
