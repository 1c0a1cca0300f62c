"""The vault's tables and the repositories that are the only place they are queried."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from skyclust_common.db import service_metadata, utcnow

metadata = service_metadata("credential_vault")


class Base(DeclarativeBase):
    metadata = metadata


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_credentials_ws_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    workspace_id: Mapped[uuid.UUID] = mapped_column(index=True)
    provider: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    masked: Mapped[dict[str, Any]] = mapped_column(JSONB)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_nonce: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[str] = mapped_column(String(32), index=True)
    created_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(16), server_default=text("'unverified'"))
    status_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_message: Mapped[str | None] = mapped_column(String(300), nullable=True)
    account_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    last_validated_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )


class CredentialUser(Base):
    """A cluster or network using a credential, learnt from events. A row whose
    `released_at` is set is a tombstone: the resource is gone, and a late or redelivered
    "requested" event for it must not bring it back."""

    __tablename__ = "credential_users"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    resource_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    credential_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, index=True)
    workspace_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RetiredKey(Base):
    __tablename__ = "retired_key_versions"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    retired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_by: Mapped[str | None] = mapped_column(String(128), nullable=True)


class KeyActivation(Base):
    """When each key version first became active somewhere. The most recent one is
    where the background rewrap moves credentials: an instance still running with an
    older active version (during a rolling restart) leaves the rewrap alone instead of
    moving credentials back."""

    __tablename__ = "key_activations"

    version: Mapped[str] = mapped_column(String(32), primary_key=True)
    activated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Credentials:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self,
        workspace_id: uuid.UUID,
        credential_id: uuid.UUID,
        *,
        for_update: bool = False,
        for_share: bool = False,
    ) -> Credential | None:
        query = select(Credential).where(
            Credential.id == credential_id, Credential.workspace_id == workspace_id
        )
        if for_update:
            query = query.with_for_update()
        elif for_share:
            query = query.with_for_update(read=True)
        return (await self.session.execute(query)).scalar_one_or_none()

    async def by_name(self, workspace_id: uuid.UUID, name: str) -> Credential | None:
        result = await self.session.execute(
            select(Credential).where(
                Credential.workspace_id == workspace_id, Credential.name == name
            )
        )
        return result.scalar_one_or_none()

    async def list(self, workspace_id: uuid.UUID) -> list[Credential]:
        result = await self.session.execute(
            select(Credential)
            .where(Credential.workspace_id == workspace_id)
            .order_by(Credential.created_at, Credential.id)
        )
        return list(result.scalars())

    async def not_on_version(
        self, version: str, readable: Iterable[str], exclude: Sequence[uuid.UUID], limit: int
    ) -> Sequence[Credential]:
        """A batch to rewrap: rows under another (but readable) version, locked, skipping
        rows another rewrapper or a rotation holds."""
        query = (
            select(Credential)
            .where(
                Credential.key_version != version,
                Credential.key_version.in_(list(readable)),
            )
            .order_by(Credential.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        if exclude:
            query = query.where(Credential.id.not_in(list(exclude)))
        return (await self.session.execute(query)).scalars().all()

    async def count_by_version(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Credential.key_version, func.count()).group_by(Credential.key_version)
        )
        return {str(version): int(count) for version, count in rows}

    async def lock_against_writes(self) -> None:
        # Blocks inserts and updates (not reads) until this transaction ends, so that no
        # row can be written under a version while it is being retired.
        table = Credential.__table__
        await self.session.execute(
            text(f'LOCK TABLE "{table.schema}"."{table.name}" IN SHARE ROW EXCLUSIVE MODE')  # type: ignore[attr-defined]
        )


class CredentialUsers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active(
        self, credential_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[CredentialUser]]:
        if not credential_ids:
            return {}
        rows = await self.session.execute(
            select(CredentialUser)
            .where(
                CredentialUser.credential_id.in_(list(credential_ids)),
                CredentialUser.released_at.is_(None),
            )
            .order_by(CredentialUser.since, CredentialUser.resource_id)
        )
        found: dict[uuid.UUID, list[CredentialUser]] = {}
        for user in rows.scalars():
            assert user.credential_id is not None
            found.setdefault(user.credential_id, []).append(user)
        return found

    async def claim(
        self,
        kind: str,
        resource_id: uuid.UUID,
        credential_id: uuid.UUID,
        workspace_id: uuid.UUID,
        name: str,
    ) -> None:
        stmt = (
            insert(CredentialUser)
            .values(
                kind=kind,
                resource_id=resource_id,
                credential_id=credential_id,
                workspace_id=workspace_id,
                name=name,
            )
            .on_conflict_do_nothing()
        )
        await self.session.execute(stmt)

    async def release(self, kind: str, resource_id: uuid.UUID, name: str) -> None:
        now = utcnow()
        stmt = insert(CredentialUser).values(
            kind=kind, resource_id=resource_id, name=name, released_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[CredentialUser.kind, CredentialUser.resource_id],
            set_={"released_at": now},
            where=CredentialUser.released_at.is_(None),
        )
        await self.session.execute(stmt)


class RetiredKeys:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> list[RetiredKey]:
        rows = await self.session.execute(select(RetiredKey).order_by(RetiredKey.retired_at))
        return list(rows.scalars())

    async def is_retired(self, version: str) -> bool:
        found = await self.session.execute(
            select(RetiredKey.version).where(RetiredKey.version == version)
        )
        return found.scalar_one_or_none() is not None

    async def add(self, version: str, retired_by: str | None) -> None:
        await self.session.execute(
            insert(RetiredKey)
            .values(version=version, retired_by=retired_by)
            .on_conflict_do_nothing()
        )


class KeyActivations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, version: str, *, again: bool = False) -> None:
        """First activation of `version`; with `again`, make it the latest once more
        (an operator moving back to it on purpose)."""
        stmt = insert(KeyActivation).values(version=version, activated_at=utcnow())
        if again:
            stmt = stmt.on_conflict_do_update(
                index_elements=[KeyActivation.version], set_={"activated_at": utcnow()}
            )
        else:
            stmt = stmt.on_conflict_do_nothing()
        await self.session.execute(stmt)

    async def latest(self) -> str | None:
        found = await self.session.execute(
            select(KeyActivation.version)
            .order_by(KeyActivation.activated_at.desc(), KeyActivation.version.desc())
            .limit(1)
        )
        return found.scalar_one_or_none()

    async def all(self) -> list[tuple[str, datetime]]:
        rows = await self.session.execute(
            select(KeyActivation.version, KeyActivation.activated_at).order_by(
                KeyActivation.activated_at
            )
        )
        return [(str(v), at) for v, at in rows]
