"""What every notification handler is given: built once by `bootstrap`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from skyclust_common.db import utcnow

from ..adapters.repositories import NotificationUnitOfWork
from ..adapters.smtp import Mailer
from ..adapters.webhook_http import Response
from ..domain.model import Member
from ..domain.ssrf import Address
from ..domain.webhooks import RetrySchedule

SOURCE = "notification"

# A workspace's members, as identity knows them now.
MembersLookup = Callable[[str], Awaitable[list[Member]]]


class WebhookSender(Protocol):
    async def check(self, url: str) -> Address: ...

    async def send(self, url: str, body: str, headers: dict[str, str]) -> Response: ...


def _nothing() -> None:
    return None


@dataclass
class WebhookDeps:
    sender: WebhookSender
    schedule: RetrySchedule
    # How long the secret before a rotation still signs.
    rotation_overlap: timedelta = timedelta(hours=24)
    # A claimed delivery is not claimed again for this long (a crashed sender's).
    lease: timedelta = timedelta(minutes=2)
    # An endpoint failing every delivery for this long is disabled.
    disable_after: timedelta = timedelta(days=3)
    # A test send is answered within this, under the gateway's request/reply timeout.
    test_timeout: float = 8.0
    # Called when deliveries were added: the sending loop need not wait for its tick.
    wake: Callable[[], None] = _nothing


@dataclass
class NotificationDeps:
    uow: Callable[[], NotificationUnitOfWork]
    members: MembersLookup
    # Where links in notifications point (the API or the web app in front of it).
    public_url: str
    clock: Callable[[], datetime] = field(default=utcnow)
    mailer: Mailer | None = None
    # The right-hand side of the Message-IDs of the mails sent.
    mail_domain: str = "skyclust.local"
    webhooks: WebhookDeps | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def link(self, path: str) -> str:
        return self.public_url.rstrip("/") + path
