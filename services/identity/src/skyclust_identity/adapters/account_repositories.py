"""The repositories of account tokens and MFA recovery codes on PostgreSQL. Single use
is the database's to enforce: a spend is one UPDATE that matches only an unused row."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from .db import AccountToken, RecoveryCode
from .repositories import Repository


class AccountTokens(Repository):
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
        self.session.add(
            AccountToken(
                token_hash=token_hash,
                user_id=user_id,
                purpose=purpose,
                email=email,
                details=details or {},
                created_at=created_at,
                expires_at=expires_at,
            )
        )

    async def spend(self, token_hash: str, *, purpose: str, at: datetime) -> AccountToken | None:
        result = await self.session.execute(
            update(AccountToken)
            .where(
                AccountToken.token_hash == token_hash,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > at,
            )
            .values(used_at=at)
            .returning(AccountToken)
            .execution_options(synchronize_session=False)
        )
        return result.scalar_one_or_none()

    async def live(self, token_hash: str, *, purpose: str, at: datetime) -> AccountToken | None:
        result = await self.session.execute(
            select(AccountToken)
            .where(
                AccountToken.token_hash == token_hash,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
                AccountToken.expires_at > at,
            )
            .with_for_update()
        )
        return result.scalar_one_or_none()

    async def void(self, user_id: uuid.UUID, *, purpose: str, at: datetime) -> None:
        await self.session.execute(
            update(AccountToken)
            .where(
                AccountToken.user_id == user_id,
                AccountToken.purpose == purpose,
                AccountToken.used_at.is_(None),
            )
            .values(used_at=at)
            .execution_options(synchronize_session=False)
        )


class RecoveryCodes(Repository):
    async def replace(self, user_id: uuid.UUID, code_hashes: Sequence[str]) -> None:
        await self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        if code_hashes:
            await self.session.execute(
                insert(RecoveryCode),
                [{"user_id": user_id, "code_hash": h} for h in code_hashes],
            )

    async def spend(self, user_id: uuid.UUID, code_hash: str, *, at: datetime) -> bool:
        result = await self.session.execute(
            update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user_id,
                RecoveryCode.code_hash == code_hash,
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=at)
            .returning(RecoveryCode.code_hash)
        )
        return result.scalar_one_or_none() is not None

    async def remaining(self, user_id: uuid.UUID) -> int:
        result = await self.session.execute(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        )
        return int(result.scalar_one())
