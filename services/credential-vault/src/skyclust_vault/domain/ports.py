"""What the vault's handlers need of storage, as protocols: the records they read and
change, the repositories that find and add them, and the unit of work that hands the
repositories out and commits. `adapters/uow.py` implements them on PostgreSQL,
`adapters/fake_uow.py` in memory.

A record changed by a handler is saved by the commit of its unit of work; a credential
changed gets a new `updated_at` there, unless the handler set one."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from skyclust_common.envelope import CloudEvent

from .crypto import Sealed


class DuplicateKey(Exception):
    """The store refused a row because a unique key of it is taken (a concurrent
    transaction got there first)."""


# records -------------------------------------------------------------------------------


class CredentialRecord(Protocol):
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
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None
    status: str
    status_reason: str | None
    status_message: str | None
    account_id: str | None
    last_validated_at: datetime | None


class CredentialUserRecord(Protocol):
    kind: str
    resource_id: uuid.UUID
    name: str


class RetiredKeyRecord(Protocol):
    version: str
    retired_at: datetime
    retired_by: str | None


# repositories --------------------------------------------------------------------------


class CredentialsRepository(Protocol):
    async def get(
        self,
        workspace_id: uuid.UUID,
        credential_id: uuid.UUID,
        *,
        for_update: bool = False,
        for_share: bool = False,
    ) -> CredentialRecord | None:
        """The workspace's credential; `for_update` holds it against every other
        writer, `for_share` only against a delete or rotation (claims share it)."""
        ...

    async def by_name(self, workspace_id: uuid.UUID, name: str) -> CredentialRecord | None: ...

    async def of_workspace(self, workspace_id: uuid.UUID) -> Sequence[CredentialRecord]:
        """Oldest first."""
        ...

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
    ) -> CredentialRecord: ...

    async def remove(self, credential: CredentialRecord) -> None: ...

    async def reload(self, credential: CredentialRecord) -> None:
        """Read back what the store computed at commit (`updated_at`)."""
        ...

    async def not_on_version(
        self, version: str, readable: Iterable[str], exclude: Sequence[uuid.UUID], limit: int
    ) -> Sequence[CredentialRecord]:
        """A batch to rewrap: rows under another (but readable) version, held, skipping
        rows another rewrapper or a rotation holds."""
        ...

    async def count_by_version(self) -> dict[str, int]: ...

    async def lock_against_writes(self) -> None:
        """Block inserts and updates (not reads) until the transaction ends, so that no
        row can be written under a version while it is being retired."""
        ...


class CredentialUsersRepository(Protocol):
    async def active(
        self, credential_ids: Sequence[uuid.UUID]
    ) -> Mapping[uuid.UUID, Sequence[CredentialUserRecord]]:
        """The live users of each credential, oldest first."""
        ...

    async def claim(
        self,
        kind: str,
        resource_id: uuid.UUID,
        credential_id: uuid.UUID,
        workspace_id: uuid.UUID,
        name: str,
    ) -> None:
        """The resource uses the credential, unless it is known already (or gone)."""
        ...

    async def release(self, kind: str, resource_id: uuid.UUID, name: str) -> None:
        """The resource is gone: a tombstone, so a late claim cannot bring it back."""
        ...


class RetiredKeysRepository(Protocol):
    async def all(self) -> Sequence[RetiredKeyRecord]: ...

    async def is_retired(self, version: str) -> bool: ...

    async def add(self, version: str, retired_by: str | None) -> None: ...


class KeyActivationsRepository(Protocol):
    async def record(self, version: str, *, again: bool = False) -> None:
        """First activation of `version`; with `again`, make it the latest once more."""
        ...

    async def latest(self) -> str | None: ...

    async def all(self) -> list[tuple[str, datetime]]: ...


# the unit of work ----------------------------------------------------------------------


class VaultUow(Protocol):
    @property
    def credentials(self) -> CredentialsRepository: ...

    @property
    def credential_users(self) -> CredentialUsersRepository: ...

    @property
    def retired_keys(self) -> RetiredKeysRepository: ...

    @property
    def key_activations(self) -> KeyActivationsRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def emit(self, event: CloudEvent) -> None: ...

    async def seen(self, consumer: str, message_id: str) -> bool: ...

    async def commit(self) -> None: ...
