"""The error tree every service shares. Each error carries its HTTP status and a
stable code; the gateway renders them, NATS replies carry them across services."""

from __future__ import annotations

from typing import Any

_REGISTRY: dict[str, type[SkyclustError]] = {}


class SkyclustError(Exception):
    """`retryable` says whether the same call may succeed later. Unless a class or the
    raiser says otherwise, a 5xx or a 429 is: the other side is down or busy, not the
    request wrong."""

    code = "INTERNAL_ERROR"
    status = 500
    default_retryable: bool | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # By name, so that an error crossing the bus comes back as its own class in
        # every process that imports it; the first class of a name keeps it.
        _REGISTRY.setdefault(cls.__name__, cls)

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message or self.__class__.__name__
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details or {}
        if retryable is None:
            retryable = self.default_retryable
        if retryable is None:
            retryable = self.status >= 500 or self.status == 429
        self.retryable = retryable

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": type(self).__name__,
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "retryable": self.retryable,
            "details": self.details,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SkyclustError:
        """The error `to_dict` described, as its own class when this process knows it,
        else as a SkyclustError that keeps its status, code and retryability."""
        kind = _REGISTRY.get(str(data.get("class") or ""), SkyclustError)
        status = _int(data.get("status"), 500)
        retryable = data.get("retryable")
        error = kind.__new__(kind)
        SkyclustError.__init__(
            error,
            str(data.get("message") or ""),
            code=str(data.get("code") or "INTERNAL_ERROR"),
            status=status,
            details=dict(data.get("details") or {}),
            retryable=bool(retryable) if retryable is not None else None,
        )
        if isinstance(error, ProviderError):
            error.provider = str(error.details.get("provider") or "")
        return error


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


_REGISTRY[SkyclustError.__name__] = SkyclustError


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
    default_retryable = True


class ServiceTimeout(ServiceUnavailable):
    """A request/reply call that got no answer in time: the other side is down,
    paused or overloaded. The code stays SERVICE_UNAVAILABLE for HTTP clients."""


class NoResponders(ServiceUnavailable):
    """A request/reply call with nobody subscribed to answer it (no instance up)."""


class ContractViolation(SkyclustError):
    """A message does not match its JSON Schema contract."""

    code = "CONTRACT_VIOLATION"
    status = 400


class PermanentFailure(SkyclustError):
    """Raised by a message handler when retrying cannot help: the message is
    dead-lettered at once instead of being redelivered."""

    code = "PERMANENT_FAILURE"
    default_retryable = False


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
        super().__init__(message, code=code, details=details, retryable=retryable)
        self.provider = provider

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if self.provider:
            data["details"] = {"provider": self.provider, **self.details}
        return data


class TooManyRequests(SkyclustError):
    """`details.retry_after` (seconds) becomes the Retry-After header."""

    code = "TOO_MANY_REQUESTS"
    status = 429
    default_retryable = True
