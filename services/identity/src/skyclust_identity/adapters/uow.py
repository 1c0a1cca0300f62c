"""Identity's unit of work on PostgreSQL: the common one, handing out identity's
repositories over its session."""

from __future__ import annotations

from skyclust_common.db import UnitOfWork

from ..domain.ports import DuplicateKey
from .account_repositories import AccountTokens, RecoveryCodes
from .repositories import (
    ApiKeys,
    AuditLogs,
    LoginAttempts,
    Memberships,
    OidcStates,
    RefreshTokens,
    Sessions,
    SigningKeys,
    UserIdentities,
    Users,
    Workspaces,
)


class IdentityUnitOfWork(UnitOfWork):
    duplicate_key = DuplicateKey

    @property
    def users(self) -> Users:
        return Users(self.session)

    @property
    def workspaces(self) -> Workspaces:
        return Workspaces(self.session)

    @property
    def memberships(self) -> Memberships:
        return Memberships(self.session)

    @property
    def signing_keys(self) -> SigningKeys:
        return SigningKeys(self.session)

    @property
    def sessions(self) -> Sessions:
        return Sessions(self.session)

    @property
    def refresh_tokens(self) -> RefreshTokens:
        return RefreshTokens(self.session)

    @property
    def login_attempts(self) -> LoginAttempts:
        return LoginAttempts(self.session)

    @property
    def api_keys(self) -> ApiKeys:
        return ApiKeys(self.session)

    @property
    def audit_logs(self) -> AuditLogs:
        return AuditLogs(self.session)

    @property
    def oidc_states(self) -> OidcStates:
        return OidcStates(self.session)

    @property
    def user_identities(self) -> UserIdentities:
        return UserIdentities(self.session)

    @property
    def account_tokens(self) -> AccountTokens:
        return AccountTokens(self.session)

    @property
    def recovery_codes(self) -> RecoveryCodes:
        return RecoveryCodes(self.session)
