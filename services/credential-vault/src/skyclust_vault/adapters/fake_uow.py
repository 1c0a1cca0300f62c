"""The vault's unit of work in memory, for the unit lane: the common fake (rows, events
and inbox marks visible only on commit) with repositories that keep the PostgreSQL
ones' behaviour: a workspace's credential names are unique (a taken one raises
DuplicateKey), a changed credential gets a new `updated_at` at commit, a released
resource stays a tombstone. Row locks have nothing to hold against here: the fake runs
one transaction at a time."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from skyclust_common.db import utcnow
from skyclust_common.fake_uow import FakeUnitOfWork

from ..domain.crypto import Sealed
from ..domain.ports import CredentialRecord, DuplicateKey
from ..domain.validation import Status


@dataclass
class CredentialRow:
    id: uuid.UUID
    workspace_id: uuid.UUID
    provider: str
    name: str
    masked: dict[str, Any]
    ciphertext: bytes
    nonce: bytes
    wrapped_key: bytes
    key_nonce: bytes
    key_version: str
    created_by: str | None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    last_used_at: datetime | None = None
    status: str = Status.UNVERIFIED
    status_reason: str | None = None
    status_message: str | None = None
    account_id: str | None = None
    last_validated_at: datetime | None = None


@dataclass
class CredentialUserRow:
    kind: str
    resource_id: uuid.UUID
    credential_id: uuid.UUID | None
    workspace_id: uuid.UUID | None
    name: str
    since: datetime = field(default_factory=utcnow)
    released_at: datetime | None = None


@dataclass
class RetiredKeyRow:
    version: str
    retired_by: str | None
    retired_at: datetime = field(default_factory=utcnow)


@dataclass
class KeyActivationRow:
    version: str
    activated_at: datetime = field(default_factory=utcnow)


class FakeRepository:
    table_name = ""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self._uow = uow

    @property
    def rows(self) -> dict[Any, Any]:
        return self._uow.table(self.table_name)


class FakeCredentials(FakeRepository):
    table_name = "credentials"

    async def get(
        self,
        workspace_id: uuid.UUID,
        credential_id: uuid.UUID,
        *,
        for_update: bool = False,
        for_share: bool = False,
    ) -> CredentialRow | None:
        found: CredentialRow | None = self.rows.get(credential_id)
        return found if found is not None and found.workspace_id == workspace_id else None

    async def by_name(self, workspace_id: uuid.UUID, name: str) -> CredentialRow | None:
        return next(
            (c for c in self.rows.values() if (c.workspace_id, c.name) == (workspace_id, name)),
            None,
        )

    async def of_workspace(self, workspace_id: uuid.UUID) -> list[CredentialRow]:
        found = [c for c in self.rows.values() if c.workspace_id == workspace_id]
        return sorted(found, key=lambda c: (c.created_at, c.id))

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
    ) -> CredentialRow:
        if credential_id in self.rows or await self.by_name(workspace_id, name) is not None:
            raise DuplicateKey()
        credential = CredentialRow(
            credential_id,
            workspace_id,
            provider,
            name,
            masked,
            sealed.ciphertext,
            sealed.nonce,
            sealed.wrapped_key,
            sealed.key_nonce,
            sealed.key_version,
            created_by,
        )
        self.rows[credential_id] = credential
        return credential

    async def remove(self, credential: CredentialRecord) -> None:
        del self.rows[credential.id]

    async def reload(self, credential: CredentialRecord) -> None:
        """The row is the transaction's own: there is nothing to read back."""

    async def not_on_version(
        self, version: str, readable: Iterable[str], exclude: Sequence[uuid.UUID], limit: int
    ) -> list[CredentialRow]:
        wanted = set(readable)
        found = [
            c
            for c in sorted(self.rows.values(), key=lambda c: c.id)
            if c.key_version != version and c.key_version in wanted and c.id not in exclude
        ]
        return found[:limit]

    async def count_by_version(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for credential in self.rows.values():
            counts[credential.key_version] = counts.get(credential.key_version, 0) + 1
        return counts

    async def lock_against_writes(self) -> None:
        """Nothing to hold: one transaction at a time."""


class FakeCredentialUsers(FakeRepository):
    table_name = "credential_users"

    async def active(
        self, credential_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[CredentialUserRow]]:
        found: dict[uuid.UUID, list[CredentialUserRow]] = {}
        live = [
            u
            for u in self.rows.values()
            if u.credential_id in credential_ids and u.released_at is None
        ]
        for user in sorted(live, key=lambda u: (u.since, u.resource_id)):
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
        self.rows.setdefault(
            (kind, resource_id),
            CredentialUserRow(kind, resource_id, credential_id, workspace_id, name),
        )

    async def release(self, kind: str, resource_id: uuid.UUID, name: str) -> None:
        user = self.rows.get((kind, resource_id))
        if user is None:
            self.rows[(kind, resource_id)] = CredentialUserRow(
                kind, resource_id, None, None, name, released_at=utcnow()
            )
        elif user.released_at is None:
            user.released_at = utcnow()


class FakeRetiredKeys(FakeRepository):
    table_name = "retired_key_versions"

    async def all(self) -> list[RetiredKeyRow]:
        return sorted(self.rows.values(), key=lambda r: r.retired_at)

    async def is_retired(self, version: str) -> bool:
        return version in self.rows

    async def add(self, version: str, retired_by: str | None) -> None:
        self.rows.setdefault(version, RetiredKeyRow(version, retired_by))


class FakeKeyActivations(FakeRepository):
    table_name = "key_activations"

    async def record(self, version: str, *, again: bool = False) -> None:
        if version not in self.rows:
            self.rows[version] = KeyActivationRow(version)
        elif again:
            self.rows[version].activated_at = utcnow()

    async def latest(self) -> str | None:
        newest = sorted(self.rows.values(), key=lambda a: (a.activated_at, a.version))
        return newest[-1].version if newest else None

    async def all(self) -> list[tuple[str, datetime]]:
        ordered = sorted(self.rows.values(), key=lambda a: a.activated_at)
        return [(a.version, a.activated_at) for a in ordered]


class FakeVaultUnitOfWork(FakeUnitOfWork):
    @property
    def credentials(self) -> FakeCredentials:
        return FakeCredentials(self)

    @property
    def credential_users(self) -> FakeCredentialUsers:
        return FakeCredentialUsers(self)

    @property
    def retired_keys(self) -> FakeRetiredKeys:
        return FakeRetiredKeys(self)

    @property
    def key_activations(self) -> FakeKeyActivations:
        return FakeKeyActivations(self)

    async def commit(self) -> None:
        # The table's `onupdate`: a credential changed in this transaction, whose
        # `updated_at` the handler left alone, is stamped now.
        committed = self.db.tables.get("credentials", {})
        for credential_id, row in self.table("credentials").items():
            before = committed.get(credential_id)
            if before is not None and row != before and row.updated_at == before.updated_at:
                row.updated_at = utcnow()
        await super().commit()
