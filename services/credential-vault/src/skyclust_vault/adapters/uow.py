"""The vault's unit of work on PostgreSQL: the common one, handing out the vault's
repositories over its session."""

from __future__ import annotations

from skyclust_common.db import UnitOfWork

from ..domain.ports import DuplicateKey
from .repositories import Credentials, CredentialUsers, KeyActivations, RetiredKeys


class VaultUnitOfWork(UnitOfWork):
    duplicate_key = DuplicateKey

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
