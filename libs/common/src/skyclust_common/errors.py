"""The error tree every service shares. Each error carries its HTTP status and a
stable code; the gateway renders them, NATS replies carry them across services.

A service names each of its errors as a class of this tree (in its
`domain/errors.py`), with its code and default message on the class and what it means
in the class docstring, which docs/api.md's error catalog shows
(`python -m skyclust_tools.gen_error_catalog` writes it)::

    class ClusterNotFound(NotFound):
        code = "CLUSTER_NOT_FOUND"
        default_message = "cluster not found"

    raise ClusterNotFound(details={"cluster_id": str(cluster_id)})

Every class that declares its own `code` is registered under it (`error_class`,
`declared_errors`); an error received over the bus comes back as its own class when
this process knows the class, else as the class declared for its code, else as a
SkyclustError that keeps its status, code and retryability."""

from __future__ import annotations

from typing import Any

_REGISTRY: dict[str, type[SkyclustError]] = {}
_BY_CODE: dict[str, type[SkyclustError]] = {}


class SkyclustError(Exception):
    """A bug, or a failure nothing more precise describes; the log has details, the
    response never a stack trace.

    `retryable` says whether the same call may succeed later. Unless a class or the
    raiser says otherwise, a 5xx or a 429 is: the other side is down or busy, not the
    request wrong."""

    code = "INTERNAL_ERROR"
    status = 500
    default_retryable: bool | None = None
    default_message = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # By name, so that an error crossing the bus comes back as its own class in
        # every process that imports it; the first class of a name keeps it. By code
        # too, for a class that declares one: the first class of a code keeps it.
        _REGISTRY.setdefault(cls.__name__, cls)
        if "code" in cls.__dict__:
            _BY_CODE.setdefault(cls.code, cls)

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
        retryable: bool | None = None,
    ) -> None:
        message = message or self.default_message or self.__class__.__name__
        super().__init__(message)
        self.message = message
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

    @classmethod
    def retryable_by_default(cls) -> bool:
        """Whether an error of this class is retryable when its raiser does not say."""
        if cls.default_retryable is not None:
            return cls.default_retryable
        return cls.status >= 500 or cls.status == 429

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
        else as the class declared for its code, else as a SkyclustError; whichever,
        it keeps the status, code and retryability it was sent with."""
        code = str(data.get("code") or "INTERNAL_ERROR")
        kind = _REGISTRY.get(str(data.get("class") or "")) or _BY_CODE.get(code, SkyclustError)
        status = _int(data.get("status"), 500)
        retryable = data.get("retryable")
        error = kind.__new__(kind)
        SkyclustError.__init__(
            error,
            str(data.get("message") or ""),
            code=code,
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


def error_class(code: str) -> type[SkyclustError] | None:
    """The class declared for `code` in this process, if any."""
    return _BY_CODE.get(code)


def declared_errors() -> dict[str, type[SkyclustError]]:
    """Every code declared by a class in this process (so far imported), with its class."""
    return dict(_BY_CODE)


_REGISTRY[SkyclustError.__name__] = SkyclustError
_BY_CODE[SkyclustError.code] = SkyclustError


class ValidationFailed(SkyclustError):
    """The body does not match the schema (`details.errors` names each field)."""

    code = "VALIDATION_ERROR"
    status = 422


class BadRequest(SkyclustError):
    """A malformed request."""

    code = "BAD_REQUEST"
    status = 400


class Unauthorized(SkyclustError):
    """No bearer token."""

    code = "UNAUTHORIZED"
    status = 401


class Forbidden(SkyclustError):
    """Your role may not do this."""

    code = "FORBIDDEN"
    status = 403


class NotFound(SkyclustError):
    """Absent, or in another workspace."""

    code = "NOT_FOUND"
    status = 404


class Conflict(SkyclustError):
    """Conflicts with the current state."""

    code = "CONFLICT"
    status = 409


class ServiceUnavailable(SkyclustError):
    """A service did not answer (down, paused, overloaded or not started)."""

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
    """(Dead letters) a message that retrying cannot help.

    Raised by a message handler when retrying cannot help: the message is
    dead-lettered at once instead of being redelivered."""

    code = "PERMANENT_FAILURE"
    default_retryable = False


class UntrustedSource(PermanentFailure):
    """(Dead letters) an event or command from a service that may not publish it: its
    `source` is not its contract's owner, it arrived on another message's subject, or
    (AuditRecorded) it records an action that is not its source's own."""

    code = "UNTRUSTED_SOURCE"


class ProviderError(SkyclustError):
    """The cloud provider failed.

    A cloud provider's error, translated at the adapter boundary.

    `retryable` says whether the same call may succeed later (throttling, outage): not
    unless the raiser or the class (`default_retryable`) says so. `code` is the
    user-facing reason (e.g. PROVIDER_AUTH_FAILED, PROVIDER_QUOTA_EXCEEDED).
    """

    code = "PROVIDER_ERROR"
    status = 502

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        retryable: bool | None = None,
        provider: str = "",
        details: dict[str, Any] | None = None,
    ) -> None:
        if retryable is None:
            retryable = self.retryable_by_default()
        super().__init__(message, code=code, details=details, retryable=retryable)
        self.provider = provider

    @classmethod
    def retryable_by_default(cls) -> bool:
        return bool(cls.default_retryable)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        if self.provider:
            data["details"] = {"provider": self.provider, **self.details}
        return data


class TooManyRequests(SkyclustError):
    """Slow down; `Retry-After` says for how long.

    `details.retry_after` (seconds) becomes the Retry-After header."""

    code = "TOO_MANY_REQUESTS"
    status = 429
    default_retryable = True
