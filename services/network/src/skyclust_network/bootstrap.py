"""The network service's composition root."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skyclust_common.runtime import Runtime, ServiceSpec
from skyclust_common.vault_client import VaultClient

from .adapters.db import metadata
from .adapters.providers.aws import Ec2NetworkProvider
from .adapters.providers.azure import ArmNetworkProvider
from .adapters.providers.base import NetworkProvider
from .adapters.providers.gcp import ComputeNetworkProvider
from .adapters.uow import SqlNetworkUnitOfWork
from .entrypoints import commands, events, rpc, schedule
from .handlers.common import CredentialDecrypt, CredentialLookup, NetworkDeps
from .settings import NetworkSettings

SERVICE = "network"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def cloud_providers(settings: NetworkSettings) -> dict[str, NetworkProvider]:
    return {
        "aws": Ec2NetworkProvider(settings.aws_endpoint_url),
        "gcp": ComputeNetworkProvider(
            settings.gcp_endpoint_url,
            operation_timeout=settings.operation_timeout_seconds,
            retry_deadline=settings.cloud_retry_seconds,
        ),
        "azure": ArmNetworkProvider(
            settings.azure_endpoint_url,
            ca_bundle=settings.azure_ca_bundle,
            polling_interval=settings.poll_interval_seconds,
        ),
    }


def bootstrap(
    runtime: Runtime,
    settings: NetworkSettings,
    *,
    providers: Mapping[str, NetworkProvider] | None = None,
    lookup_credential: CredentialLookup | None = None,
    decrypt_credential: CredentialDecrypt | None = None,
) -> NetworkDeps:
    vault = VaultClient(runtime.bus)
    lookup, decrypt = vault.lookup, vault.decrypt
    db = runtime.db

    def uow() -> SqlNetworkUnitOfWork:
        return SqlNetworkUnitOfWork(db.sessions, db.metadata, runtime.registry, db.relay.wake)

    return NetworkDeps(
        uow=uow,
        providers=providers if providers is not None else cloud_providers(settings),
        lookup_credential=lookup_credential or lookup,
        decrypt_credential=decrypt_credential or decrypt,
        max_attempts=settings.max_deliver,
        retry_window=settings.operation_timeout_seconds,
        discovery_aws_regions=list(settings.discovery_aws_regions),
    )


async def wire(runtime: Runtime, settings: NetworkSettings, **overrides: Any) -> NetworkDeps:
    deps = bootstrap(runtime, settings, **overrides)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    await commands.register(runtime.bus, deps, concurrency=settings.cluster_network_concurrency)
    return deps


SPEC = ServiceSpec(
    name=SERVICE,
    settings=NetworkSettings,
    wire=wire,
    metadata=metadata,
    migrations=MIGRATIONS,
    jobs=schedule.jobs,
)
