"""The vault's repositories on PostgreSQL: the only code that queries its tables. Each
implements its protocol in `domain/ports.py`; `fake_uow.py` has the in-memory twins."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from skyclust_common.db import utcnow

from ..domain.crypto import Sealed
from ..domain.ports import CredentialRecord
from .db import Credential, CredentialUser, KeyActivation, RetiredKey


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class Credentials(Repository):
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

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[Credential]:
        result = await self.session.execute(
            select(Credential)
            .where(Credential.workspace_id == workspace_id)
            .order_by(Credential.created_at, Credential.id)
        )
        return list(result.scalars())

    async def add(
        self,
        *,
        credential_id: uuid.UUID,
        workspace_id: uuid.UUID,
        provider: str,
        name: str,
        masked: dict[str, Any],
        created_by: str | None,
        sealed: Sealed,
    ) -> Credential:
        credential = Credential(
            id=credential_id,
            workspace_id=workspace_id,
            provider=provider,
            name=name,
            masked=masked,
            created_by=created_by,
            ciphertext=sealed.ciphertext,
            nonce=sealed.nonce,
            wrapped_key=sealed.wrapped_key,
            key_nonce=sealed.key_nonce,
            key_version=sealed.key_version,
        )
        self.session.add(credential)
        return credential

    async def remove(self, credential: CredentialRecord) -> None:
        await self.session.delete(credential)

    async def reload(self, credential: CredentialRecord) -> None:
        await self.session.refresh(credential)

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


class CredentialUsers(Repository):
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


class RetiredKeys(Repository):
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


class KeyActivations(Repository):
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
