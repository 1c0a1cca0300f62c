"""The vault's composition root."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from skyclust_common.runtime import PeriodicJob, Runtime, ServiceSpec

from .adapters.audit import AuditTrail, IdentityAuditTrail
from .adapters.clouds.base import Checkers, CredentialChecker, LazyChecker
from .adapters.db import metadata
from .adapters.uow import VaultUnitOfWork
from .domain.crypto import KeyEncryptionKeys, Keyring
from .domain.ports import VaultUow
from .entrypoints import events, rpc
from .handlers.credentials import VaultDeps
from .handlers.keys import rewrap_pass
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


def keyring(settings: VaultSettings) -> KeyEncryptionKeys:
    if settings.vault_keyring == "env":
        return Keyring(settings.keyring_bytes(), settings.vault_active_key)
    # boto3 is loaded only by a vault that keeps its keys in a KMS.
    from .adapters.kms import build_keyring

    return build_keyring(
        settings.vault_keyring,
        settings.keyring_bytes(),
        settings.vault_kms_keys,
        settings.vault_active_key,
        region=settings.vault_kms_region,
        endpoint_url=settings.aws_endpoint_url,
    )


def bootstrap(
    runtime: Runtime,
    settings: VaultSettings,
    *,
    keys: KeyEncryptionKeys | None = None,
    checker: CredentialChecker | None = None,
    audit: AuditTrail | None = None,
) -> VaultDeps:
    def uow() -> VaultUnitOfWork:
        db = runtime.db
        return VaultUnitOfWork(db.sessions, db.metadata, runtime.registry, db.relay.wake)

    return VaultDeps(
        uow=uow,
        keys=keys or keyring(settings),
        decrypt_callers=frozenset(settings.decrypt_callers),
        checker=checker or cloud_checkers(settings),
        audit=audit
        or IdentityAuditTrail(runtime.bus, timeout=settings.vault_audit_timeout_seconds),
    )


class ActiveKeyRetired(RuntimeError):
    pass


async def check_keys(uow: VaultUow, keys: KeyEncryptionKeys) -> None:
    """Refuse to start with a retired version active (it would seal new credentials
    under a key that is about to be, or has been, thrown away); note the first time a
    version is active."""
    async with uow:
        if await uow.retired_keys.is_retired(keys.active_version):
            raise ActiveKeyRetired(
                f"SKYCLUST_VAULT_ACTIVE_KEY names key version {keys.active_version}, "
                "which has been retired; add a new version and make it active"
            )
        await uow.key_activations.record(keys.active_version)
        await uow.commit()


@dataclass
class Vault:
    deps: VaultDeps


async def start(
    runtime: Runtime,
    settings: VaultSettings,
    *,
    keys: KeyEncryptionKeys | None = None,
    checker: CredentialChecker | None = None,
    audit: AuditTrail | None = None,
) -> Vault:
    deps = bootstrap(runtime, settings, keys=keys, checker=checker, audit=audit)
    await check_keys(deps.uow(), deps.keys)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    return Vault(deps)


def jobs(vault: Vault, settings: VaultSettings) -> list[PeriodicJob]:
    interval = settings.vault_rewrap_interval_seconds
    if interval <= 0:
        return []
    # Resumable by construction (each row carries its key version): a process that dies
    # mid-way loses nothing, the next pass picks up the rows still to do.
    return [
        PeriodicJob(
            "vault-rewrap",
            interval,
            partial(rewrap_pass, vault.deps, settings.vault_rewrap_batch_size),
        )
    ]


async def wire(runtime: Runtime, settings: VaultSettings) -> Vault:
    return await start(runtime, settings)


def cli(argv: Sequence[str]) -> int:
    from .cli import main

    return main(list(argv))


SPEC = ServiceSpec(
    name=SERVICE,
    settings=VaultSettings,
    wire=wire,
    metadata=metadata,
    migrations=MIGRATIONS,
    jobs=jobs,
    cli=cli,
)
