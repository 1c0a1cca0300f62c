"""The network service's composition root."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skyclust_common.messaging import Bus
from skyclust_common.runtime import Runtime

from .adapters.providers.aws import Ec2NetworkProvider
from .adapters.providers.azure import ArmNetworkProvider
from .adapters.providers.base import NetworkProvider
from .adapters.providers.gcp import ComputeNetworkProvider
from .entrypoints import commands, events, rpc
from .entrypoints.schedule import DiscoveryLoop
from .handlers.common import CredentialDecrypt, CredentialLookup, NetworkDeps
from .settings import NetworkSettings

SERVICE = "network"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
VAULT = "credential-vault"


def vault_client(bus: Bus) -> tuple[CredentialLookup, CredentialDecrypt]:
    async def lookup(workspace_id: str, credential_id: str) -> dict[str, Any]:
        return await bus.request(
            VAULT, "GetCredential", {"workspace_id": workspace_id, "credential_id": credential_id}
        )

    async def decrypt(
        workspace_id: str, credential_id: str, reason: str, correlation_id: str
    ) -> dict[str, Any]:
        return await bus.request(
            VAULT,
            "DecryptCredential",
            {
                "workspace_id": workspace_id,
                "credential_id": credential_id,
                "reason": reason,
                "correlation_id": correlation_id,
            },
        )

    return lookup, decrypt


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
    lookup, decrypt = vault_client(runtime.bus)
    return NetworkDeps(
        uow=runtime.uow,
        providers=providers if providers is not None else cloud_providers(settings),
        lookup_credential=lookup_credential or lookup,
        decrypt_credential=decrypt_credential or decrypt,
        max_attempts=settings.max_deliver,
        discovery_aws_regions=list(settings.discovery_aws_regions),
    )


async def wire(runtime: Runtime, settings: NetworkSettings, **overrides: Any) -> NetworkDeps:
    deps = bootstrap(runtime, settings, **overrides)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps)
    await commands.register(runtime.bus, deps, concurrency=settings.cluster_network_concurrency)
    DiscoveryLoop(deps, settings.discovery_interval_seconds).start()
    return deps
