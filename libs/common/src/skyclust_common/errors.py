"""The error tree every service shares. Each error carries its HTTP status and a
stable code; the gateway renders them, NATS replies carry them across services."""

from __future__ import annotations

from typing import Any


class SkyclustError(Exception):
    code = "INTERNAL_ERROR"
    status = 500

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message or self.__class__.__name__
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SkyclustError:
        return SkyclustError(
            str(data.get("message", "")),
            code=str(data.get("code", "INTERNAL_ERROR")),
            status=int(data.get("status", 500)),
            details=dict(data.get("details") or {}),
        )


class ValidationFailed(SkyclustError):
    code = "VALIDATION_ERROR"
    status = 422


class BadRequest(SkyclustError):
    code = "BAD_REQUEST"
    status = 400


class Unauthorized(SkyclustError):
    code = "UNAUTHORIZED"
    status = 401


class Forbidden(SkyclustError):
    code = "FORBIDDEN"
    status = 403


class NotFound(SkyclustError):
    code = "NOT_FOUND"
    status = 404


class Conflict(SkyclustError):
    code = "CONFLICT"
    status = 409


class ServiceUnavailable(SkyclustError):
    code = "SERVICE_UNAVAILABLE"
    status = 503


class ContractViolation(SkyclustError):
    """A message does not match its JSON Schema contract."""

    code = "CONTRACT_VIOLATION"
    status = 400


class PermanentFailure(SkyclustError):
    """Raised by a message handler when retrying cannot help: the message is
    dead-lettered at once instead of being redelivered."""

    code = "PERMANENT_FAILURE"


class ProviderError(SkyclustError):
    """A cloud provider's error, translated at the adapter boundary.

    `retryable` says whether the same call may succeed later (throttling, outage);
    `code` is the user-facing reason (e.g. PROVIDER_AUTH_FAILED, PROVIDER_QUOTA_EXCEEDED).
    """

    code = "PROVIDER_ERROR"
    status = 502

    def __init__(
        self,
        message: str,
        *,
        code: str = "PROVIDER_ERROR",
        retryable: bool = False,
        provider: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.retryable = retryable
        self.provider = provider


class TooManyRequests(SkyclustError):
    """`details.retry_after` (seconds) becomes the Retry-After header."""

    code = "TOO_MANY_REQUESTS"
    status = 429
