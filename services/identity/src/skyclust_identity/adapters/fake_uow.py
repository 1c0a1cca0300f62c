"""Identity's unit of work in memory, for the unit lane: the common fake (rows, events
and inbox marks visible only on commit) with repositories that keep the PostgreSQL
ones' behaviour: the same ordering, the same unique keys (a taken one raises
DuplicateKey), the same upsert of login failures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skyclust_common.fake_uow import FakeUnitOfWork

from ..domain.ports import (
    AuditQuery,
    DuplicateKey,
    Member,
    MembershipRecord,
    SessionRecord,
)
from .fake_accounts import FakeAccountTokens, FakeRecoveryCodes, FakeUsers, UserRow
from .repositories import audit_row


def _now() -> datetime:
    return datetime.now(UTC)


# rows ----------------------------------------------------------------------------------


@dataclass
class WorkspaceRow:
    id: uuid.UUID
    name: str
    created_at: datetime = field(default_factory=_now)
    require_mfa: bool = False


@dataclass
class MembershipRow:
    workspace_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    created_at: datetime = field(default_factory=_now)


@dataclass
class SigningKeyRow:
    kid: str
    algorithm: str
    private_pem: bytes
    public_jwk: str
    created_at: datetime = field(default_factory=_now)
    retired_at: datetime | None = None


@dataclass
class SessionRow:
    id: uuid.UUID
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    created_at: datetime = field(default_factory=_now)
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


@dataclass
class RefreshTokenRow:
    token_hash: str
    family_id: uuid.UUID
    user_id: uuid.UUID
    workspace_id: uuid.UUID
    expires_at: datetime
    used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass
class LoginAttemptRow:
    key: str
    window_start: datetime
    failures: int = 0


@dataclass
class ApiKeyRow:
    id: uuid.UUID
    workspace_id: uuid.UUID
    name: str
    prefix: str
    key_hash: str
    role: str
    created_by: uuid.UUID | None
    expires_at: datetime | None
    created_at: datetime = field(default_factory=_now)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass
class AuditRow:
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


@dataclass
class OidcStateRow:
    state: str
    provider: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    created_at: datetime
    used_at: datetime | None = None


@dataclass
class UserIdentityRow:
    provider: str
    subject: str
    user_id: uuid.UUID
    email: str | None
    created_at: datetime = field(default_factory=_now)


# repositories --------------------------------------------------------------------------


class FakeRepository:
    table_name = ""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def rows(self) -> dict[Any, Any]:
        return self._uow.table(self.table_name)

    def _insert(self, key: Any, row: Any) -> None:
        if key in self.rows:
            raise DuplicateKey()
        self.rows[key] = row


class FakeWorkspaces(FakeRepository):
    table_name = "workspaces"

    async def add(self, name: str) -> WorkspaceRow:
        workspace = WorkspaceRow(uuid.uuid4(), name)
        self._insert(workspace.id, workspace)
        return workspace


class FakeMemberships(FakeRepository):
    table_name = "memberships"

    def _sorted(self) -> list[MembershipRow]:
        return sorted(self.rows.values(), key=lambda m: m.created_at)

    def _workspace(self, workspace_id: uuid.UUID) -> WorkspaceRow:
        workspace: WorkspaceRow = self._uow.table("workspaces")[workspace_id]
        return workspace

    async def add(self, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str) -> MembershipRow:
        membership = MembershipRow(workspace_id, user_id, role)
        self._insert((workspace_id, user_id), membership)
        return membership

    async def of(self, user_id: uuid.UUID, workspace_id: uuid.UUID) -> Member | None:
        membership = self.rows.get((workspace_id, user_id))
        return (self._workspace(workspace_id), membership) if membership else None

    async def first(self, user_id: uuid.UUID) -> Member | None:
        found = await self.of_user(user_id)
        return found[0] if found else None

    async def of_user(self, user_id: uuid.UUID) -> list[Member]:
        return [
            (self._workspace(m.workspace_id), m) for m in self._sorted() if m.user_id == user_id
        ]

    async def members(self, workspace_id: uuid.UUID) -> list[tuple[UserRow, MembershipRow]]:
        users = self._uow.table("users")
        return [(users[m.user_id], m) for m in self._sorted() if m.workspace_id == workspace_id]

    async def count(self, workspace_id: uuid.UUID, *, role: str | None = None) -> int:
        return sum(
            1
            for m in self.rows.values()
            if m.workspace_id == workspace_id and (role is None or m.role == role)
        )

    async def lock_admins(self, workspace_id: uuid.UUID) -> None:
        """Nothing to hold: the fake runs one transaction at a time."""

    async def remove(self, membership: MembershipRecord) -> None:
        del self.rows[(membership.workspace_id, membership.user_id)]


class FakeSigningKeys(FakeRepository):
    table_name = "signing_keys"

    def _newest_first(self) -> list[SigningKeyRow]:
        return sorted(self.rows.values(), key=lambda k: k.created_at, reverse=True)

    async def active(self) -> list[SigningKeyRow]:
        return [k for k in self._newest_first() if k.retired_at is None]

    async def add(
        self, *, kid: str, algorithm: str, private_pem: bytes, public_jwk: str
    ) -> SigningKeyRow:
        key = SigningKeyRow(kid, algorithm, private_pem, public_jwk)
        self._insert(kid, key)
        return key

    async def retire_active(self, at: datetime) -> None:
        for key in await self.active():
            key.retired_at = at

    async def published(self, retired_after: datetime) -> list[SigningKeyRow]:
        return [
            k for k in self._newest_first() if k.retired_at is None or k.retired_at > retired_after
        ]


class FakeSessions(FakeRepository):
    table_name = "sessions"

    async def add(self, user_id: uuid.UUID, workspace_id: uuid.UUID) -> SessionRow:
        session = SessionRow(uuid.uuid4(), user_id, workspace_id)
        self._insert(session.id, session)
        return session

    async def get(self, session_id: uuid.UUID, *, for_update: bool = False) -> SessionRow | None:
        found: SessionRow | None = self.rows.get(session_id)
        return found

    async def revoke_live(
        self, user_id: uuid.UUID, workspace_id: uuid.UUID, *, at: datetime, reason: str
    ) -> list[uuid.UUID]:
        ended = []
        for session in self.rows.values():
            if (session.user_id, session.workspace_id) == (user_id, workspace_id) and (
                session.revoked_at is None
            ):
                session.revoked_at, session.revoked_reason = at, reason
                ended.append(session.id)
        return ended


class FakeRefreshTokens(FakeRepository):
    table_name = "refresh_tokens"

    async def add(self, *, token_hash: str, session: SessionRecord, expires_at: datetime) -> None:
        row = RefreshTokenRow(
            token_hash, session.id, session.user_id, session.workspace_id, expires_at
        )
        self._insert(token_hash, row)

    async def get_for_update(self, token_hash: str) -> RefreshTokenRow | None:
        found: RefreshTokenRow | None = self.rows.get(token_hash)
        return found

    async def session_end(self, session_id: uuid.UUID) -> datetime | None:
        ends = [
            t.expires_at
            for t in self.rows.values()
            if t.family_id == session_id and t.revoked_at is None
        ]
        return max(ends, default=None)


class FakeLoginAttempts(FakeRepository):
    table_name = "login_attempts"

    async def get(self, key: str) -> LoginAttemptRow | None:
        found: LoginAttemptRow | None = self.rows.get(key)
        return found

    async def record_failure(self, key: str, *, at: datetime, window_start: datetime) -> None:
        attempt = self.rows.get(key)
        if attempt is None:
            self.rows[key] = LoginAttemptRow(key, at, 1)
        elif attempt.window_start > window_start:
            attempt.failures += 1
        else:
            attempt.window_start, attempt.failures = at, 1

    async def clear(self, key: str) -> None:
        self.rows.pop(key, None)


class FakeApiKeys(FakeRepository):
    table_name = "api_keys"

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
    ) -> ApiKeyRow:
        if await self.by_hash(key_hash) is not None:
            raise DuplicateKey()
        key = ApiKeyRow(
            uuid.uuid4(), workspace_id, name, prefix, key_hash, role, created_by, expires_at
        )
        self._insert(key.id, key)
        return key

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[ApiKeyRow]:
        keys = [k for k in self.rows.values() if k.workspace_id == workspace_id]
        return sorted(keys, key=lambda k: k.created_at)

    async def get_for_update(self, api_key_id: uuid.UUID) -> ApiKeyRow | None:
        found: ApiKeyRow | None = self.rows.get(api_key_id)
        return found

    async def by_hash(self, key_hash: str) -> ApiKeyRow | None:
        return next((k for k in self.rows.values() if k.key_hash == key_hash), None)


class FakeAuditLogs(FakeRepository):
    table_name = "audit_logs"

    async def add(self, record_id: uuid.UUID, data: dict[str, Any]) -> None:
        if any(r.id == record_id for r in self.rows.values()):
            raise DuplicateKey()
        seq = max(self.rows, default=0) + 1
        self.rows[seq] = AuditRow(seq=seq, **audit_row(record_id, data))

    async def newest(self, query: AuditQuery) -> Sequence[AuditRow]:
        def matches(r: AuditRow) -> bool:
            return (
                r.workspace_id == query.workspace_id
                and (query.since is None or r.occurred_at >= query.since)
                and (query.until is None or r.occurred_at < query.until)
                and all(getattr(r, name) == value for name, value in query.equal.items())
                and (query.before_seq is None or r.seq < query.before_seq)
            )

        found = sorted(filter(matches, self.rows.values()), key=lambda r: r.seq, reverse=True)
        return found[: query.limit]


class FakeOidcStates(FakeRepository):
    table_name = "oidc_states"

    async def add(
        self,
        *,
        state: str,
        provider: str,
        nonce: str,
        code_verifier: str,
        redirect_uri: str,
        created_at: datetime,
    ) -> None:
        row = OidcStateRow(state, provider, nonce, code_verifier, redirect_uri, created_at)
        self._insert(state, row)

    async def lock(self, state: str) -> OidcStateRow | None:
        found: OidcStateRow | None = self.rows.get(state)
        return found

    async def purge_before(self, cutoff: datetime) -> None:
        for state in [s for s, row in self.rows.items() if row.created_at < cutoff]:
            del self.rows[state]


class FakeUserIdentities(FakeRepository):
    table_name = "user_identities"

    async def get(self, provider: str, subject: str) -> UserIdentityRow | None:
        found: UserIdentityRow | None = self.rows.get((provider, subject))
        return found

    async def add(
        self, *, provider: str, subject: str, user_id: uuid.UUID, email: str | None
    ) -> None:
        self._insert((provider, subject), UserIdentityRow(provider, subject, user_id, email))


# the unit of work ----------------------------------------------------------------------


class FakeIdentityUnitOfWork(FakeUnitOfWork):
    @property
    def users(self) -> FakeUsers:
        return FakeUsers(self)

    @property
    def workspaces(self) -> FakeWorkspaces:
        return FakeWorkspaces(self)

    @property
    def memberships(self) -> FakeMemberships:
        return FakeMemberships(self)

    @property
    def signing_keys(self) -> FakeSigningKeys:
        return FakeSigningKeys(self)

    @property
    def sessions(self) -> FakeSessions:
        return FakeSessions(self)

    @property
    def refresh_tokens(self) -> FakeRefreshTokens:
        return FakeRefreshTokens(self)

    @property
    def login_attempts(self) -> FakeLoginAttempts:
        return FakeLoginAttempts(self)

    @property
    def api_keys(self) -> FakeApiKeys:
        return FakeApiKeys(self)

    @property
    def audit_logs(self) -> FakeAuditLogs:
        return FakeAuditLogs(self)

    @property
    def oidc_states(self) -> FakeOidcStates:
        return FakeOidcStates(self)

    @property
    def user_identities(self) -> FakeUserIdentities:
        return FakeUserIdentities(self)

    @property
    def account_tokens(self) -> FakeAccountTokens:
        return FakeAccountTokens(self)

    @property
    def recovery_codes(self) -> FakeRecoveryCodes:
        return FakeRecoveryCodes(self)
