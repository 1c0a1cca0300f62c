"""Identity's repositories on PostgreSQL: the only code that queries its tables. Each
implements its protocol in `domain/ports.py`; `fake_uow.py` has the in-memory twins."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.model import Role
from ..domain.ports import AuditQuery, Member, MembershipRecord, SessionRecord
from .db import (
    ApiKey,
    AuditLog,
    LoginAttempt,
    Membership,
    OidcState,
    RefreshToken,
    Session,
    SigningKey,
    User,
    UserIdentity,
    Workspace,
)


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class Users(Repository):
    async def get(self, user_id: uuid.UUID, *, for_update: bool = False) -> User | None:
        if for_update:
            return await self.session.get(
                User, user_id, with_for_update=True, populate_existing=True
            )
        return await self.session.get(User, user_id)

    async def by_email(self, email: str) -> User | None:
        result = await self.session.execute(
            select(User)
            .where(User.email == email)
            .order_by(User.email_verified_at.is_(None), User.created_at)
            .limit(1)
        )
        return result.scalar_one_or_none()

    async def for_login(self, email: str) -> User | None:
        result = await self.session.execute(
            select(User).where(User.email == email, User.password_hash.is_not(None))
        )
        return result.scalar_one_or_none()

    async def add(
        self,
        *,
        email: str,
        name: str,
        password_hash: str | None,
        email_verified_at: datetime | None = None,
    ) -> User:
        user = User(
            id=uuid.uuid4(),
            email=email,
            name=name,
            password_hash=password_hash,
            email_verified_at=email_verified_at,
        )
        self.session.add(user)
        return user


class Workspaces(Repository):
    async def add(self, name: str) -> Workspace:
        workspace = Workspace(id=uuid.uuid4(), name=name)
        self.session.add(workspace)
        # Written now, with the user added before it: memberships refer to both.
        await self.session.flush()
        return workspace


def _member(row: Any) -> Member | None:
    return (row[0], row[1]) if row else None


class Memberships(Repository):
    async def add(self, workspace_id: uuid.UUID, user_id: uuid.UUID, role: str) -> Membership:
        membership = Membership(workspace_id=workspace_id, user_id=user_id, role=role)
        self.session.add(membership)
        return membership

    def _of_user(self, user_id: uuid.UUID) -> Any:
        return (
            select(Workspace, Membership)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .where(Membership.user_id == user_id)
            .order_by(Membership.created_at)
        )

    async def of(self, user_id: uuid.UUID, workspace_id: uuid.UUID) -> Member | None:
        query = self._of_user(user_id).where(Workspace.id == workspace_id)
        return _member((await self.session.execute(query)).first())

    async def first(self, user_id: uuid.UUID) -> Member | None:
        return _member((await self.session.execute(self._of_user(user_id).limit(1))).first())

    async def of_user(self, user_id: uuid.UUID) -> list[Member]:
        return [(ws, m) for ws, m in await self.session.execute(self._of_user(user_id))]

    async def members(self, workspace_id: uuid.UUID) -> list[tuple[User, Membership]]:
        rows = await self.session.execute(
            select(User, Membership)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.workspace_id == workspace_id)
            .order_by(Membership.created_at)
        )
        return [(u, m) for u, m in rows]

    async def count(self, workspace_id: uuid.UUID, *, role: str | None = None) -> int:
        query = (
            select(func.count())
            .select_from(Membership)
            .where(Membership.workspace_id == workspace_id)
        )
        if role is not None:
            query = query.where(Membership.role == role)
        return int(await self.session.scalar(query) or 0)

    async def lock_admins(self, workspace_id: uuid.UUID) -> None:
        await self.session.execute(
            select(Membership)
            .where(Membership.workspace_id == workspace_id, Membership.role == Role.ADMIN)
            .with_for_update()
        )

    async def remove(self, membership: MembershipRecord) -> None:
        await self.session.delete(membership)


class SigningKeys(Repository):
    async def active(self) -> list[SigningKey]:
        result = await self.session.execute(
            select(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at.desc())
        )
        return list(result.scalars())

    async def add(
        self, *, kid: str, algorithm: str, private_pem: bytes, public_jwk: str
    ) -> SigningKey:
        key = SigningKey(
            kid=kid, algorithm=algorithm, private_pem=private_pem, public_jwk=public_jwk
        )
        self.session.add(key)
        await self.session.flush()
        return key

    async def retire_active(self, at: datetime) -> None:
        await self.session.execute(
            update(SigningKey).where(SigningKey.retired_at.is_(None)).values(retired_at=at)
        )

    async def published(self, retired_after: datetime) -> list[SigningKey]:
        result = await self.session.execute(
            select(SigningKey)
            .where(SigningKey.retired_at.is_(None) | (SigningKey.retired_at > retired_after))
            .order_by(SigningKey.created_at.desc())
        )
        return list(result.scalars())


class Sessions(Repository):
    async def add(self, user_id: uuid.UUID, workspace_id: uuid.UUID) -> Session:
        session = Session(id=uuid.uuid4(), user_id=user_id, workspace_id=workspace_id)
        self.session.add(session)
        # Written now: its refresh tokens refer to it.
        await self.session.flush()
        return session

    async def get(self, session_id: uuid.UUID, *, for_update: bool = False) -> Session | None:
        return await self.session.get(Session, session_id, with_for_update=for_update or None)

    async def revoke_live(
        self, user_id: uuid.UUID, workspace_id: uuid.UUID, *, at: datetime, reason: str
    ) -> list[uuid.UUID]:
        rows = await self.session.execute(
            update(Session)
            .where(
                Session.user_id == user_id,
                Session.workspace_id == workspace_id,
                Session.revoked_at.is_(None),
            )
            .values(revoked_at=at, revoked_reason=reason)
            .returning(Session.id)
        )
        return [row[0] for row in rows]


class RefreshTokens(Repository):
    async def add(self, *, token_hash: str, session: SessionRecord, expires_at: datetime) -> None:
        self.session.add(
            RefreshToken(
                token_hash=token_hash,
                family_id=session.id,
                user_id=session.user_id,
                workspace_id=session.workspace_id,
                expires_at=expires_at,
            )
        )

    async def get_for_update(self, token_hash: str) -> RefreshToken | None:
        return await self.session.get(RefreshToken, token_hash, with_for_update=True)

    async def session_end(self, session_id: uuid.UUID) -> datetime | None:
        return await self.session.scalar(
            select(func.max(RefreshToken.expires_at)).where(
                RefreshToken.family_id == session_id, RefreshToken.revoked_at.is_(None)
            )
        )


class LoginAttempts(Repository):
    async def get(self, key: str) -> LoginAttempt | None:
        return await self.session.get(LoginAttempt, key)

    async def record_failure(self, key: str, *, at: datetime, window_start: datetime) -> None:
        stmt = insert(LoginAttempt).values(key=key, window_start=at, failures=1)
        in_window = LoginAttempt.window_start > window_start
        stmt = stmt.on_conflict_do_update(
            index_elements=[LoginAttempt.key],
            set_={
                "failures": case((in_window, LoginAttempt.failures + 1), else_=1),
                "window_start": case(
                    (in_window, LoginAttempt.window_start), else_=stmt.excluded.window_start
                ),
            },
        )
        await self.session.execute(stmt)

    async def clear(self, key: str) -> None:
        await self.session.execute(delete(LoginAttempt).where(LoginAttempt.key == key))


class ApiKeys(Repository):
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
    ) -> ApiKey:
        key = ApiKey(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            role=role,
            created_by=created_by,
            expires_at=expires_at,
        )
        self.session.add(key)
        return key

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[ApiKey]:
        rows = await self.session.execute(
            select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.created_at)
        )
        return list(rows.scalars())

    async def get_for_update(self, api_key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.get(ApiKey, api_key_id, with_for_update=True)

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        row = await self.session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))
        return row.scalar_one_or_none()


def audit_row(record_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """The columns of an audit record from its RecordAudit or AuditRecorded data."""
    return {
        "id": record_id,
        "occurred_at": datetime.fromisoformat(data["occurred_at"]),
        "workspace_id": uuid.UUID(data["workspace_id"]) if data.get("workspace_id") else None,
        "actor_type": data["actor_type"],
        "actor_id": data.get("actor_id"),
        "action": data["action"],
        "resource_type": data["resource_type"],
        "resource_id": data.get("resource_id"),
        "outcome": data["outcome"],
        "status_code": data.get("status_code"),
        "client_address": data.get("client_address"),
        "user_agent": data.get("user_agent"),
        "request_id": data.get("request_id"),
        "correlation_id": data.get("correlation_id"),
        "details": data.get("details") or {},
    }


class AuditLogs(Repository):
    async def add(self, record_id: uuid.UUID, data: dict[str, Any]) -> None:
        self.session.add(AuditLog(**audit_row(record_id, data)))

    async def newest(self, query: AuditQuery) -> Sequence[AuditLog]:
        stmt = select(AuditLog).where(AuditLog.workspace_id == query.workspace_id)
        if query.since is not None:
            stmt = stmt.where(AuditLog.occurred_at >= query.since)
        if query.until is not None:
            stmt = stmt.where(AuditLog.occurred_at < query.until)
        for name, value in query.equal.items():
            stmt = stmt.where(getattr(AuditLog, name) == value)
        if query.before_seq is not None:
            stmt = stmt.where(AuditLog.seq < query.before_seq)
        stmt = stmt.order_by(AuditLog.seq.desc()).limit(query.limit)
        return (await self.session.execute(stmt)).scalars().all()


class OidcStates(Repository):
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
        self.session.add(
            OidcState(
                state=state,
                provider=provider,
                nonce=nonce,
                code_verifier=code_verifier,
                redirect_uri=redirect_uri,
                created_at=created_at,
            )
        )

    async def lock(self, state: str) -> OidcState | None:
        result = await self.session.execute(
            select(OidcState).where(OidcState.state == state).with_for_update()
        )
        return result.scalar_one_or_none()

    async def purge_before(self, cutoff: datetime) -> None:
        await self.session.execute(delete(OidcState).where(OidcState.created_at < cutoff))


class UserIdentities(Repository):
    async def get(self, provider: str, subject: str) -> UserIdentity | None:
        return await self.session.get(UserIdentity, (provider, subject))

    async def add(
        self, *, provider: str, subject: str, user_id: uuid.UUID, email: str | None
    ) -> None:
        self.session.add(
            UserIdentity(provider=provider, subject=subject, user_id=user_id, email=email)
        )
