"""The errors the gateway raises itself, one class per stable code (a bare 401 or 403 is
the shared `Unauthorized` or `Forbidden`). Errors of the owning services
(`CLUSTER_NOT_FOUND`, `VPC_IN_USE`, ...) come back over the bus as they are."""

from __future__ import annotations

from typing import Any

from skyclust_common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    SkyclustError,
    TooManyRequests,
    Unauthorized,
)

# tokens and sessions ----------------------------------------------------------------


class InvalidToken(Unauthorized):
    """A token that does not verify: malformed, of another kind, signed by an unknown key."""

    code = "INVALID_TOKEN"
    default_message = "invalid token"


class TokenExpired(Unauthorized):
    """An access token or stream ticket past its `exp`: refresh it."""

    code = "TOKEN_EXPIRED"
    default_message = "token expired"


class SessionRevoked(Unauthorized):
    """The token's session ended (logout, refresh-token reuse, role change, removal)."""

    code = "SESSION_REVOKED"
    default_message = "this session has ended; log in again"


class TicketNeedsSession(Forbidden):
    """A stream ticket asked for without a login session (an API key); 401 for a
    ticket presented without one."""

    code = "TICKET_NEEDS_SESSION"


class UserLoginRequired(Forbidden):
    """A route that acts on a user account (its workspaces, its session) called with an
    API key, which belongs to one workspace and to no user."""

    code = "USER_LOGIN_REQUIRED"
    default_message = "this route acts on a user account; log in as a user, not with an API key"


class MfaRequired(Forbidden):
    """The workspace requires MFA of its members and this account has none: only the
    `/auth/` routes (enrolment among them) answer until it enrols and logs in again."""

    code = "MFA_REQUIRED"
    default_message = (
        "this workspace requires MFA; enrol at /api/v1/auth/mfa/enrolment and log in again"
    )


class RateLimited(TooManyRequests):
    """Too many requests from this client address or workspace this minute;
    `details.retry_after` (and the Retry-After header) say for how long."""

    code = "RATE_LIMITED"
    default_message = "rate limit exceeded; slow down"


# the caller's workspace -------------------------------------------------------------


class WorkspaceNotFound(NotFound):
    """Another workspace than the token's: routes act on the token's workspace only."""

    code = "WORKSPACE_NOT_FOUND"
    default_message = "workspace not found"


# the event stream -------------------------------------------------------------------


class InvalidFilter(BadRequest):
    """A stream filter (`types`, `resource`) that is not an event name or resource id."""

    code = "INVALID_FILTER"


class BadCursor(BadRequest):
    """A Last-Event-ID that is no event id of the stream."""

    code = "BAD_CURSOR"


class StreamUnavailable(ServiceUnavailable):
    """This gateway has no live feed or cannot read the event stream now."""

    code = "STREAM_UNAVAILABLE"
    default_message = "the event stream is not available"


class StreamBusy(ServiceUnavailable):
    """Too many streams resuming at once; `retry_after` becomes the Retry-After header."""

    code = "STREAM_BUSY"

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


# OpenID Connect logins --------------------------------------------------------------


class OidcLoginRefused(Unauthorized):
    code = "OIDC_LOGIN_REFUSED"


class OidcStateInvalid(BadRequest):
    """A callback without a state, or not in the browser that started the login."""

    code = "OIDC_STATE_INVALID"


# lists -------------------------------------------------------------------------------


class InvalidCursor(BadRequest):
    """A list's `cursor` that this gateway did not hand out, or one handed out for other
    filters: start again from the first page."""

    code = "INVALID_CURSOR"
    default_message = "cursor not recognised; ask for the first page again"


# idempotency and conditional requests ---------------------------------------------


class IdempotencyKeyInvalid(BadRequest):
    """An `Idempotency-Key` that is empty, longer than 255 characters or not printable
    ASCII."""

    code = "INVALID_IDEMPOTENCY_KEY"
    default_message = "Idempotency-Key must be 1 to 255 printable ASCII characters"


class IdempotencyKeyReused(SkyclustError):
    """The `Idempotency-Key` was used before (within its lifetime) by this caller for
    another request: another body, path or query. Use a new key for a new request."""

    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422
    default_message = "this Idempotency-Key was used for another request"


class IdempotencyKeyInUse(Conflict):
    """A request with the same `Idempotency-Key` is still being answered; retry after
    `Retry-After` seconds to get its answer."""

    code = "IDEMPOTENCY_KEY_IN_USE"
    default_message = "a request with this Idempotency-Key is still in progress"


class PreconditionFailed(SkyclustError):
    """`If-Match` names another version than the resource's current one (a lost
    update): read it again, then change it; `details.etag` is the current ETag."""

    code = "PRECONDITION_FAILED"
    status = 412
    default_message = "the resource changed since you read it"
