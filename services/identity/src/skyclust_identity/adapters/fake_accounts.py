"""In-memory twins of the users, account-token and recovery-code repositories, for the fake
unit of work: the same single-use rules as the PostgreSQL ones."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from skyclust_common.fake_uow import FakeUnitOfWork

from ..domain.ports import DuplicateKey


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class UserRow:
    id: uuid.UUID
    email: str
    name: str
    password_hash: str | None
    created_at: datetime = field(default_factory=_now)
    email_verified_at: datetime | None = None
    mfa_secret: str | None = None
    mfa_enabled_at: datetime | None = None
    mfa_last_step: int | None = None


@dataclass
class AccountTokenRow:
    token_hash: str
    user_id: uuid.UUID
    purpose: str
    email: str
    created_at: datetime
    expires_at: datetime
    details: dict[str, Any] = field(default_factory=dict)
    used_at: datetime | None = None


@dataclass
class RecoveryCodeRow:
    user_id: uuid.UUID
    code_hash: str
    used_at: datetime | None = None


class _Table:
    table_name = ""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def rows(self) -> dict[Any, Any]:
        return self._uow.table(self.table_name)


class FakeUsers(_Table):
    table_name = "users"

    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> UserRow | None:
        # One process and no awaits between read and write: nothing to lock against.
        found: UserRow | None = self.rows.get(user_id)
        return found

    async def by_email(self, email: str) -> UserRow | None:
        held = [u for u in self.rows.values() if u.email == email]
        held.sort(key=lambda u: (u.email_verified_at is None, u.created_at))
        return held[0] if held else None

    async def for_login(self, email: str) -> UserRow | None:
        return next(
            (u for u in self.rows.values() if u.email == email and u.password_hash is not None),
            None,
        )

    async def add(
        self,
        *,
        email: str,
        name: str,
        password_hash: str | None,
        email_verified_at: datetime | None = None,
    ) -> UserRow:
        # The partial unique indexes of the users table.
        for other in self.rows.values():
            if other.email == email and (
                (email_verified_at and other.email_verified_at)
                or (password_hash and other.password_hash)
            ):
                raise DuplicateKey()
        user = UserRow(
            uuid.uuid4(), email, name, password_hash, email_verified_at=email_verified_at
        )
        self.rows[user.id] = user
        return user


class FakeAccountTokens(_Table):
    table_name = "account_tokens"

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
    ) -> None:
        if token_hash in self.rows:
            raise DuplicateKey()
        self.rows[token_hash] = AccountTokenRow(
            token_hash, user_id, purpose, email, created_at, expires_at, dict(details or {})
        )

    async def live(self, token_hash: str, *, purpose: str, at: datetime) -> AccountTokenRow | None:
        row: AccountTokenRow | None = self.rows.get(token_hash)
        if row is None or row.purpose != purpose or row.used_at is not None:
            return None
        return row if row.expires_at > at else None

    async def spend(self, token_hash: str, *, purpose: str, at: datetime) -> AccountTokenRow | None:
        row = await self.live(token_hash, purpose=purpose, at=at)
        if row is not None:
            row.used_at = at
        return row

    async def void(self, user_id: uuid.UUID, *, purpose: str, at: datetime) -> None:
        for row in self.rows.values():
            if row.user_id == user_id and row.purpose == purpose and row.used_at is None:
                row.used_at = at


class FakeRecoveryCodes(_Table):
    table_name = "mfa_recovery_codes"

    async def replace(self, user_id: uuid.UUID, code_hashes: Sequence[str]) -> None:
        for key in [k for k in self.rows if k[0] == user_id]:
            del self.rows[key]
        for code_hash in code_hashes:
            self.rows[(user_id, code_hash)] = RecoveryCodeRow(user_id, code_hash)

    async def spend(self, user_id: uuid.UUID, code_hash: str, *, at: datetime) -> bool:
        row: RecoveryCodeRow | None = self.rows.get((user_id, code_hash))
        if row is None or row.used_at is not None:
            return False
        row.used_at = at
        return True

    async def remaining(self, user_id: uuid.UUID) -> int:
        return sum(1 for r in self.rows.values() if r.user_id == user_id and r.used_at is None)
