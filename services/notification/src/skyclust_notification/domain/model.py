"""A notification in one user's in-app inbox."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


class Severity(enum.StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    role: str
    email: str = ""
    name: str = ""


@dataclass(frozen=True)
class Notification:
    id: uuid.UUID
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    event_type: str
    event_id: str
    severity: Severity
    title: str
    body: str
    link: str
    created_at: datetime
    resource_type: str | None = None
    resource_id: str | None = None
    read_at: datetime | None = field(default=None)

    @property
    def unread(self) -> bool:
        return self.read_at is None

    def read(self, now: datetime) -> Notification:
        """Read once: a second read keeps the time of the first."""
        return self if self.read_at is not None else replace(self, read_at=now)

    def view(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "workspace_id": str(self.workspace_id),
            "user_id": str(self.user_id),
            "event_type": self.event_type,
            "event_id": self.event_id,
            "severity": self.severity.value,
            "title": self.title,
            "body": self.body,
            **({"resource_type": self.resource_type} if self.resource_type else {}),
            **({"resource_id": self.resource_id} if self.resource_id else {}),
            "link": self.link,
            "created_at": self.created_at.isoformat(),
            "read_at": self.read_at.isoformat() if self.read_at else None,
        }
