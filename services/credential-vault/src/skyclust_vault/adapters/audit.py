"""The audit trail that must confirm a decryption before the secret is returned. It is
kept by the identity service; the vault asks it to record each entry and waits for the
answer (request/reply, not an event: an event could be lost after the secret left)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from skyclust_common.errors import SkyclustError
from skyclust_common.messaging import Bus

from ..domain.errors import AuditUnavailable

log = logging.getLogger(__name__)
IDENTITY = "identity"


@dataclass(frozen=True)
class AuditEntry:
    workspace_id: str
    service: str
    action: str
    credential_id: str
    outcome: str  # success, failure, denied
    occurred_at: datetime
    correlation_id: str | None = None
    request_id: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_request(self) -> dict[str, Any]:
        return {
            "workspace_id": self.workspace_id,
            "actor_type": "service",
            "actor_id": self.service[:128],
            "action": self.action,
            "resource_type": "credential",
            "resource_id": self.credential_id,
            "outcome": self.outcome,
            "request_id": self.request_id[:128] if self.request_id else None,
            "correlation_id": self.correlation_id[:128] if self.correlation_id else None,
            "details": self.details,
            "occurred_at": self.occurred_at.isoformat(),
        }


class AuditTrail(Protocol):
    async def record(self, entry: AuditEntry) -> None:
        """Return only once the entry is stored; raise AuditUnavailable otherwise."""
        ...


class IdentityAuditTrail:
    def __init__(self, bus: Bus, *, timeout: float) -> None:
        self._bus = bus
        self._timeout = timeout

    async def record(self, entry: AuditEntry) -> None:
        try:
            await self._bus.request(
                IDENTITY, "RecordAudit", entry.as_request(), timeout=self._timeout
            )
        except Exception as exc:
            code = exc.code if isinstance(exc, SkyclustError) else type(exc).__name__
            log.error(
                "audit trail did not record the entry",
                extra={"action": entry.action, "credential_id": entry.credential_id, "code": code},
            )
            # Retryable when identity is down, paused or busy (the caller waits and asks
            # again); not when identity refused the entry itself, which asking again
            # cannot change.
            retryable = exc.retryable if isinstance(exc, SkyclustError) else True
            raise AuditUnavailable(
                "the audit trail cannot record this decryption now, so it is refused",
                details={"cause": code},
                retryable=retryable,
            ) from None


class MemoryAuditTrail:
    """An audit trail in memory, for tests; `available = False` makes it refuse."""

    def __init__(self) -> None:
        self.entries: list[AuditEntry] = []
        self.available = True

    async def record(self, entry: AuditEntry) -> None:
        if not self.available:
            raise AuditUnavailable("the audit trail is unavailable")
        self.entries.append(entry)


class NoAuditTrail:
    """For processes that never hand a secret out (the key-management command)."""

    async def record(self, entry: AuditEntry) -> None:
        raise AuditUnavailable("this process does not hand out secrets")
