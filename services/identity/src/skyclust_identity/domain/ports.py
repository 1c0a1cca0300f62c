"""What the handlers need of storage, as protocols: the records they read and change,
the repositories that find and add them, and the unit of work that hands the
repositories out and commits. `adapters/uow.py` implements them on PostgreSQL,
`adapters/fake_uow.py` in memory; a handler cannot tell which it has.

A record changed by a handler is saved by the commit of its unit of work (the ORM
tracks it; the fake keeps the transaction's own copy)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from skyclust_common.envelope import CloudEvent


class DuplicateKey(Exception):
    """The store refused a row because a unique key of it is taken (a concurrent
    transaction got there first)."""


# records -------------------------------------------------------------------------------


class UserRecord(Protocol):
    id: uuid.UUID
    email: str
    name: str
    password_hash: str | None
    created_at: datetime
    email_verified_at: datetime | None
    mfa_secret: str | None
    mfa_enabled_at: datetime | None
    mfa_last_step: int | None


class WorkspaceRecord(Protocol):
    id: uuid.UUID
    name: str
    require_mfa: bool


class MembershipRecord(Protocol):
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    created_at: datetime


class SigningKeyRecord(Protocol):
    kid: str
    private_pem: bytes
    public_jwk: str


class SessionRecord(Protocol):
    id: uuid.UUID
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    revoked_at: datetime | None
    revoked_reason: str | None


class RefreshTokenRecord(Protocol):
    family_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None


class LoginAttemptRecord(Protocol):
    window_start: datetime
    failures: int


class ApiKeyRecord(Protocol):
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    prefix: str
    role: str
    created_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class AuditRecord(Protocol):
    seq: int
    id: uuid.UUID
    occurred_at: datetime
    workspace_id: uuid.UUID | None
    actor_type: str
    actor_id: str | None
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str
    status_code: int | None
    client_address: str | None
    user_agent: str | None
    request_id: str | None
    correlation_id: str | None
    details: dict[str, Any]


class OidcStateRecord(Protocol):
    provider: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    created_at: datetime
    used_at: datetime | None


class UserIdentityRecord(Protocol):
    user_id: uuid.UUID
    email: str | None


class AccountTokenRecord(Protocol):
    user_id: uuid.UUID
    purpose: str
    email: str
    details: dict[str, Any]
    expires_at: datetime
    used_at: datetime | None


Member = tuple[WorkspaceRecord, MembershipRecord]


# repositories --------------------------------------------------------------------------


class UsersRepository(Protocol):
    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> UserRecord | None:
        """With `for_update`, the row stays locked until the unit of work ends: what
        spends a second factor holds it, so two logins cannot spend one code."""
        ...

    async def by_email(self, email: str) -> UserRecord | None:
        """The account that holds `email`: the verified one if there is one, else the
        oldest."""
        ...

    async def for_login(self, email: str) -> UserRecord | None:
        """The account with a password under `email`."""
        ...

    async def add(
        self,
        *,
        email: str,
        name: str,
        password_hash: str | None,
        email_verified_at: datetime | None = None,
    ) -> UserRecord: ...


class WorkspacesRepository(Protocol):
    async def add(self, name: str) -> WorkspaceRecord: ...


class MembershipsRepository(Protocol):
    async def add(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str
    ) -> MembershipRecord: ...

    async def of(self, user_id: uuid.UUID, workspace_id: uuid.UUID) -> Member | None:
        """The workspace and the user's membership of it."""
        ...

    async def first(self, user_id: uuid.UUID) -> Member | None:
        """The workspace the user joined first."""
        ...

    async def of_user(self, user_id: uuid.UUID) -> list[Member]:
        """Every workspace of the user, oldest membership first."""
        ...

    async def members(
        self, workspace_id: uuid.UUID
    ) -> Sequence[tuple[UserRecord, MembershipRecord]]: ...

    async def count(self, workspace_id: uuid.UUID, *, role: str | None = None) -> int: ...

    async def lock_admins(self, workspace_id: uuid.UUID) -> None:
        """Hold the workspace's admin rows until commit, so that two demotions or
        removals cannot both find another admin left."""
        ...

    async def remove(self, membership: MembershipRecord) -> None: ...


class SigningKeysRepository(Protocol):
    async def active(self) -> Sequence[SigningKeyRecord]:
        """The keys not retired, newest first."""
        ...

    async def add(
        self, *, kid: str, algorithm: str, private_pem: bytes, public_jwk: str
    ) -> SigningKeyRecord: ...

    async def retire_active(self, at: datetime) -> None: ...

    async def published(self, retired_after: datetime) -> Sequence[SigningKeyRecord]:
        """The keys a verifier may still meet: active, or retired after `retired_after`;
        newest first."""
        ...


class SessionsRepository(Protocol):
    async def add(self, user_id: uuid.UUID, workspace_id: uuid.UUID) -> SessionRecord: ...

    async def get(
        self, session_id: uuid.UUID, *, for_update: bool = False
    ) -> SessionRecord | None: ...

    async def revoke_live(
        self, user_id: uuid.UUID, workspace_id: uuid.UUID, *, at: datetime, reason: str
    ) -> list[uuid.UUID]:
        """End every live session of the user in the workspace; the ids ended."""
        ...


class RefreshTokensRepository(Protocol):
    async def add(
        self, *, token_hash: str, session: SessionRecord, expires_at: datetime
    ) -> None: ...

    async def get_for_update(self, token_hash: str) -> RefreshTokenRecord | None: ...

    async def session_end(self, session_id: uuid.UUID) -> datetime | None:
        """When the session's last unrevoked refresh token expires."""
        ...


class LoginAttemptsRepository(Protocol):
    async def get(self, key: str) -> LoginAttemptRecord | None: ...

    async def record_failure(self, key: str, *, at: datetime, window_start: datetime) -> None:
        """One more failure for `key`; a window that began before `window_start` starts
        over at `at`."""
        ...

    async def clear(self, key: str) -> None: ...


class ApiKeysRepository(Protocol):
    async def add(
        self,
        *,
        workspace_id: uuid.UUID,
        name: str,
        prefix: str,
        key_hash: str,
        role: str,
        created_by: uuid.UUID,
        expires_at: datetime | None,
    ) -> ApiKeyRecord: ...

    async def of_workspace(self, workspace_id: uuid.UUID) -> Sequence[ApiKeyRecord]: ...

    async def get_for_update(self, api_key_id: uuid.UUID) -> ApiKeyRecord | None: ...

    async def by_hash(self, key_hash: str) -> ApiKeyRecord | None: ...


@dataclass(frozen=True)
class AuditQuery:
    """A page of the audit trail: `equal` holds exact matches by field, `before_seq`
    the cursor of the page before."""

    workspace_id: uuid.UUID
    since: datetime | None = None
    until: datetime | None = None
    equal: dict[str, str] = field(default_factory=dict)
    before_seq: int | None = None
    limit: int = 50


class AuditLogsRepository(Protocol):
    async def add(self, record_id: uuid.UUID, data: dict[str, Any]) -> None:
        """Append a record from a RecordAudit request or an AuditRecorded event."""
        ...

    async def newest(self, query: AuditQuery) -> Sequence[AuditRecord]:
        """Up to `query.limit` records matching it, newest first."""
        ...


class OidcStatesRepository(Protocol):
    async def add(
        self,
        *,
        state: str,
        provider: str,
        nonce: str,
        code_verifier: str,
        redirect_uri: str,
        created_at: datetime,
    ) -> None: ...

    async def lock(self, state: str) -> OidcStateRecord | None:
        """The login in flight with this state, held until the transaction ends so two
        callbacks with the same state cannot both go on."""
        ...

    async def purge_before(self, cutoff: datetime) -> None: ...


class UserIdentitiesRepository(Protocol):
    async def get(self, provider: str, subject: str) -> UserIdentityRecord | None: ...

    async def add(
        self, *, provider: str, subject: str, user_id: uuid.UUID, email: str | None
    ) -> None: ...


# the unit of work ----------------------------------------------------------------------


class AccountTokensRepository(Protocol):
    async def add(
        self,
        *,
        token_hash: str,
        user_id: uuid.UUID,
        purpose: str,
        email: str,
        expires_at: datetime,
        created_at: datetime,
        details: dict[str, Any] | None = None,
    ) -> None: ...

    async def spend(
        self, token_hash: str, *, purpose: str, at: datetime
    ) -> AccountTokenRecord | None:
        """Mark the token used, if it is of `purpose`, unused and unexpired at `at`;
        the token, or None. Two spends of one token never both succeed."""
        ...

    async def live(
        self, token_hash: str, *, purpose: str, at: datetime
    ) -> AccountTokenRecord | None:
        """The unused, unexpired token, held until commit; not spent."""
        ...

    async def void(self, user_id: uuid.UUID, *, purpose: str, at: datetime) -> None:
        """Spend every live token of the user for `purpose` (a newer one replaces them)."""
        ...


class RecoveryCodesRepository(Protocol):
    async def replace(self, user_id: uuid.UUID, code_hashes: Sequence[str]) -> None: ...

    async def spend(self, user_id: uuid.UUID, code_hash: str, *, at: datetime) -> bool: ...

    async def remaining(self, user_id: uuid.UUID) -> int: ...


class IdentityUow(Protocol):
    @property
    def users(self) -> UsersRepository: ...

    @property
    def workspaces(self) -> WorkspacesRepository: ...

    @property
    def memberships(self) -> MembershipsRepository: ...

    @property
    def signing_keys(self) -> SigningKeysRepository: ...

    @property
    def sessions(self) -> SessionsRepository: ...

    @property
    def refresh_tokens(self) -> RefreshTokensRepository: ...

    @property
    def login_attempts(self) -> LoginAttemptsRepository: ...

    @property
    def api_keys(self) -> ApiKeysRepository: ...

    @property
    def audit_logs(self) -> AuditLogsRepository: ...

    @property
    def oidc_states(self) -> OidcStatesRepository: ...

    @property
    def user_identities(self) -> UserIdentitiesRepository: ...

    @property
    def account_tokens(self) -> AccountTokensRepository: ...

    @property
    def recovery_codes(self) -> RecoveryCodesRepository: ...

    def send(self, service: str, command: CloudEvent) -> None: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def emit(self, event: CloudEvent) -> None: ...

    async def seen(self, consumer: str, message_id: str) -> bool: ...

    async def commit(self) -> None:
        """Raises DuplicateKey when a unique key was taken meanwhile."""
        ...
