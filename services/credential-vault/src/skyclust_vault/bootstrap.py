"""The vault's composition root."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path

from skyclust_common.db import UnitOfWork
from skyclust_common.runtime import Runtime

from .adapters.audit import AuditTrail, IdentityAuditTrail
from .adapters.clouds.base import Checkers, CredentialChecker, LazyChecker
from .adapters.db import KeyActivations, RetiredKeys
from .domain.crypto import KeyEncryptionKeys, Keyring
from .entrypoints import events, rpc
from .handlers.credentials import VaultDeps
from .handlers.keys import run_rewrap_job
from .settings import VaultSettings

SERVICE = "credential-vault"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def cloud_checkers(settings: VaultSettings) -> Checkers:
    timeout = settings.vault_validation_timeout_seconds

    def aws() -> CredentialChecker:
        from .adapters.clouds.aws import AwsChecker

        return AwsChecker(settings.aws_endpoint_url)

    def gcp() -> CredentialChecker:
        from .adapters.clouds.gcp import GcpChecker

        return GcpChecker(settings.gcp_endpoint_url, timeout=timeout)

    def azure() -> CredentialChecker:
        from .adapters.clouds.azure import AzureChecker

        return AzureChecker(settings.azure_endpoint_url, ca_bundle=settings.azure_ca_bundle)

    return Checkers(
        {"aws": LazyChecker(aws), "gcp": LazyChecker(gcp), "azure": LazyChecker(azure)},
        timeout=timeout,
    )


def bootstrap(
    runtime: Runtime,
    settings: VaultSettings,
    *,
    keys: KeyEncryptionKeys | None = None,
    checker: CredentialChecker | None = None,
    audit: AuditTrail | None = None,
) -> VaultDeps:
    return VaultDeps(
        uow=runtime.uow,
        keys=keys or Keyring(settings.keyring_bytes(), settings.vault_active_key),
        decrypt_callers=frozenset(settings.decrypt_callers),
        checker=checker or cloud_checkers(settings),
        audit=audit
        or IdentityAuditTrail(runtime.bus, timeout=settings.vault_audit_timeout_seconds),
    )


class ActiveKeyRetired(RuntimeError):
    pass


async def check_keys(uow: UnitOfWork, keys: KeyEncryptionKeys) -> None:
    """Refuse to start with a retired version active (it would seal new credentials
    under a key that is about to be, or has been, thrown away); note the first time a
    version is active."""
    async with uow:
        if await RetiredKeys(uow.session).is_retired(keys.active_version):
            raise ActiveKeyRetired(
                f"SKYCLUST_VAULT_ACTIVE_KEY names key version {keys.active_version}, "
                "which has been retired; add a new version and make it active"
            )
        await KeyActivations(uow.session).record(keys.active_version)
        await uow.commit()


@dataclass
class Vault:
    deps: VaultDeps
    rewrap_task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        if self.rewrap_task is not None:
            self.rewrap_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.rewrap_task


async def start(
    runtime: Runtime,
    settings: VaultSettings,
    *,
    keys: KeyEncryptionKeys | None = None,
    checker: CredentialChecker | None = None,
    audit: AuditTrail | None = None,
) -> Vault:
    deps = bootstrap(runtime, settings, keys=keys, checker=checker, audit=audit)
    await check_keys(runtime.uow(), deps.keys)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    vault = Vault(deps)
    if settings.vault_rewrap_interval_seconds > 0:
        # Resumable by construction (each row carries its key version): a process that
        # dies mid-way loses nothing, the next pass picks up the rows still to do.
        vault.rewrap_task = asyncio.create_task(
            run_rewrap_job(
                deps, settings.vault_rewrap_batch_size, settings.vault_rewrap_interval_seconds
            ),
            name="vault-rewrap",
        )
    return vault


async def wire(runtime: Runtime, settings: VaultSettings) -> None:
    await start(runtime, settings)
