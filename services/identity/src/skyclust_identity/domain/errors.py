"""Every error identity answers with, one class per code. Status, code and message go
over the bus and out of the gateway unchanged; the docstrings are the error catalog."""

from __future__ import annotations

from skyclust_common.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)

# accounts and passwords ----------------------------------------------------------------


class WeakPassword(ValidationFailed):
    """The password breaks a rule; `details.requirements` lists the ones it misses."""

    code = "WEAK_PASSWORD"


class InvalidEmail(ValidationFailed):
    """The email address is not one (syntax only: deliverability is not checked)."""

    code = "INVALID_EMAIL"


class EmailTaken(Conflict):
    """An account with this email exists already."""

    code = "EMAIL_TAKEN"


class InvalidCredentials(Unauthorized):
    """Login refused: the email or the password is wrong (the answer never says which)."""

    code = "INVALID_CREDENTIALS"


class TooManyLoginAttempts(TooManyRequests):
    """Too many failed logins for this account or from this client in the window;
    `details.retry_after` says when to try again."""

    code = "TOO_MANY_LOGIN_ATTEMPTS"


class UserNotFound(NotFound):
    """No such user, or not a member of the workspace named."""

    code = "USER_NOT_FOUND"


# sessions and tokens ------------------------------------------------------------------


class InvalidRefreshToken(Unauthorized):
    """The refresh token is unknown, expired, or its session has ended."""

    code = "INVALID_REFRESH_TOKEN"


class RefreshTokenReused(Unauthorized):
    """A refresh token was presented a second time: its whole session is revoked."""

    code = "REFRESH_TOKEN_REUSED"


class SessionNotFound(NotFound):
    """No such session of this user."""

    code = "SESSION_NOT_FOUND"


class SessionRevoked(Unauthorized):
    """The session has ended (logout, revocation or expiry); log in again."""

    code = "SESSION_REVOKED"


class TicketNeedsSession(Forbidden):
    """Stream tickets are for login sessions; an API key cannot have one."""

    code = "TICKET_NEEDS_SESSION"


class InvalidApiKey(Unauthorized):
    """The token or API key does not verify: unknown, revoked or forged."""

    code = "INVALID_TOKEN"


class ApiKeyExpired(Unauthorized):
    """The token or API key has expired."""

    code = "TOKEN_EXPIRED"


class InvalidExpiry(ValidationFailed):
    """An API key's `expires_at` is not in the future."""

    code = "INVALID_EXPIRY"


class ApiKeyNotFound(NotFound):
    """No such API key in this workspace."""

    code = "API_KEY_NOT_FOUND"


# workspaces and members ----------------------------------------------------------------


class WorkspaceNotFound(NotFound):
    """No such workspace, or the caller is not a member of it."""

    code = "WORKSPACE_NOT_FOUND"


class MemberNotFound(NotFound):
    """The user is not a member of this workspace."""

    code = "MEMBER_NOT_FOUND"


class AlreadyMember(Conflict):
    """The user is a member of this workspace already."""

    code = "ALREADY_MEMBER"


class LastAdmin(Conflict):
    """The change would leave the workspace without an admin."""

    code = "LAST_ADMIN"


class AuditNotAllowed(Forbidden):
    """A RecordAudit from a service about an action that is not its own: only the vault
    records over request/reply, and only its credential decryptions."""

    code = "AUDIT_NOT_ALLOWED"


class NotWorkspaceAdmin(Forbidden):
    """Only a workspace's admins may do this to other members."""

    code = "FORBIDDEN"


class NoWorkspace(Forbidden):
    """The account belongs to no workspace, so there is nothing to log in to."""

    code = "NO_WORKSPACE"


# OpenID Connect ------------------------------------------------------------------------


class OidcProviderUnknown(NotFound):
    """No OIDC provider of this name is configured."""

    code = "OIDC_PROVIDER_UNKNOWN"


class OidcStateInvalid(BadRequest):
    """The login's state is unknown, used, expired or another provider's;
    `details.reason` says which."""

    code = "OIDC_STATE_INVALID"


class OidcTokenInvalid(Unauthorized):
    """The provider's answer (code exchange, ID token, userinfo) was refused;
    `details.reason` says why."""

    code = "OIDC_TOKEN_INVALID"


class OidcProviderUnavailable(ServiceUnavailable):
    """The provider cannot be reached, answered with an error, or refused SkyClust's
    client credentials (an operator's problem)."""

    code = "OIDC_PROVIDER_UNAVAILABLE"


class OidcEmailUnverified(Forbidden):
    """The provider gave no email, or one it has not verified: such an address may
    neither pick an account nor create one."""

    code = "OIDC_EMAIL_UNVERIFIED"


class OidcLinkRequired(Conflict):
    """A verified SkyClust account holds this email but is not linked to this provider
    account. Nothing is linked until its owner, logged in, confirms with
    `details.link_token` (`POST /auth/oidc/links`)."""

    code = "OIDC_LINK_REQUIRED"


class OidcLinkInvalid(BadRequest):
    """The link token is unknown, used, expired or belongs to another account."""

    code = "OIDC_LINK_INVALID"


# account links, password reset, MFA ------------------------------------------------------


class AccountLinkInvalid(BadRequest):
    """A verification or password-reset link that is unknown, used or expired; ask for
    a new one."""

    code = "ACCOUNT_LINK_INVALID"


class EmailUnverified(Conflict):
    """The account has not verified its email address yet, so it cannot be invited by
    it."""

    code = "EMAIL_UNVERIFIED"


class TooManyAccountEmails(TooManyRequests):
    """Too many verification or reset emails asked for this address or from this client
    in the window; `details.retry_after` says when to try again."""

    code = "TOO_MANY_ACCOUNT_EMAILS"


class MfaAlreadyEnabled(Conflict):
    """MFA is enabled already; disable it first to enrol a new authenticator."""

    code = "MFA_ALREADY_ENABLED"


class MfaNotEnrolled(Conflict):
    """No MFA enrolment is pending or enabled for this account."""

    code = "MFA_NOT_ENROLLED"


class InvalidMfaCode(Unauthorized):
    """The one-time code or recovery code is wrong, expired, or already used."""

    code = "INVALID_MFA_CODE"


class MfaChallengeInvalid(Unauthorized):
    """The MFA step of a login is unknown, finished or expired; log in again."""

    code = "MFA_CHALLENGE_INVALID"


class MfaUnavailable(ServiceUnavailable):
    """The keys that seal TOTP secrets are not configured, or do not open a stored one."""

    code = "MFA_UNAVAILABLE"
    default_retryable = False
