"""The vault's unit of work on PostgreSQL: the common one, handing out the vault's
repositories over its session."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.exc import IntegrityError

from skyclust_common.db import UnitOfWork

from ..domain.ports import DuplicateKey
from .repositories import Credentials, CredentialUsers, KeyActivations, RetiredKeys


class VaultUnitOfWork(UnitOfWork):
    async def __aenter__(self) -> Self:
        await super().__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await super().__aexit__(exc_type, exc, tb)
        # A unique key taken by a concurrent transaction, met at a flush or the commit:
        # the handler hears it as the domain's DuplicateKey.
        if isinstance(exc, IntegrityError):
            raise DuplicateKey() from None

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.session)

    @property
    def credential_users(self) -> CredentialUsers:
        return CredentialUsers(self.session)

    @property
    def retired_keys(self) -> RetiredKeys:
        return RetiredKeys(self.session)

    @property
    def key_activations(self) -> KeyActivations:
        return KeyActivations(self.session)
