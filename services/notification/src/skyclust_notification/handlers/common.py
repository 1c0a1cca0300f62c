"""What every notification handler is given: built once by `bootstrap`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from skyclust_common.db import utcnow

from ..adapters.repositories import NotificationUnitOfWork
from ..adapters.smtp import Mailer
from ..domain.model import Member

SOURCE = "notification"

# A workspace's members, as identity knows them now.
MembersLookup = Callable[[str], Awaitable[list[Member]]]


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
    extras: dict[str, Any] = field(default_factory=dict)

    def link(self, path: str) -> str:
        return self.public_url.rstrip("/") + path
