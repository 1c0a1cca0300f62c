"""What checking a credential against its cloud can conclude."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from .errors import CloudUnreachable


class Status(enum.StrEnum):
    UNVERIFIED = "unverified"  # never checked, or the cloud could not be reached
    VALID = "valid"
    INVALID = "invalid"


@dataclass(frozen=True)
class CheckResult:
    """The cloud's answer. `reason` is the provider's own code (InvalidClientTokenId,
    invalid_grant, AADSTS7000215...) for an invalid credential; `account_id` is the AWS
    account, GCP project or Azure subscription a valid one reaches."""

    valid: bool
    checked_at: datetime
    account_id: str | None = None
    reason: str | None = None
    message: str | None = None

    @property
    def status(self) -> Status:
        return Status.VALID if self.valid else Status.INVALID


def provider_unavailable(provider: str, message: str) -> CloudUnreachable:
    """The cloud did not answer: nothing can be concluded about the credential."""
    return CloudUnreachable(message, retryable=True, provider=provider)


def scrub(message: str | None, secrets: list[str], limit: int = 300) -> str | None:
    """A provider's message, safe to store and show: no secret value, bounded length."""
    if not message:
        return None
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            message = message.replace(secret, "[REDACTED]")
    message = " ".join(message.split())
    return message[:limit]
