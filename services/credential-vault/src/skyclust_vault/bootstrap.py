"""The vault's composition root."""

from __future__ import annotations

from pathlib import Path

from skyclust_common.runtime import Runtime

from .domain.crypto import KeyEncryptionKeys, Keyring
from .entrypoints import rpc
from .handlers.credentials import VaultDeps
from .settings import VaultSettings

SERVICE = "credential-vault"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def bootstrap(
    runtime: Runtime, settings: VaultSettings, *, keys: KeyEncryptionKeys | None = None
) -> VaultDeps:
    return VaultDeps(
        uow=runtime.uow,
        keys=keys or Keyring(settings.keyring_bytes(), settings.vault_active_key),
        decrypt_callers=frozenset(settings.decrypt_callers),
    )


async def wire(runtime: Runtime, settings: VaultSettings) -> None:
    await rpc.register(runtime.bus, bootstrap(runtime, settings))
