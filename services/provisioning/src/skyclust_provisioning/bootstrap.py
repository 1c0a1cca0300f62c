"""Provisioning's composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skyclust_common.messaging import Bus
from skyclust_common.runtime import Runtime

from .adapters.providers.aws import EksProvider
from .adapters.providers.azure import AksProvider
from .adapters.providers.base import ClusterProvider
from .adapters.providers.gcp import GkeProvider
from .entrypoints import events, rpc
from .handlers import drift, saga
from .handlers.clusters import ProvisioningDeps
from .settings import ProvisioningSettings

SERVICE = "provisioning"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
VAULT = "credential-vault"


def vault_client(bus: Bus) -> tuple[Any, Any]:
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


def bootstrap(
    runtime: Runtime,
    settings: ProvisioningSettings,
    *,
    providers: Mapping[str, ClusterProvider] | None = None,
) -> ProvisioningDeps:
    lookup, decrypt = vault_client(runtime.bus)
    return ProvisioningDeps(
        uow=runtime.uow,
        providers=providers
        or {
            "aws": EksProvider(settings.aws_endpoint_url),
            "gcp": GkeProvider(settings.gcp_endpoint_url),
            "azure": AksProvider(settings.azure_endpoint_url, settings.azure_ca_bundle),
        },
        lookup_credential=lookup,
        decrypt_credential=decrypt,
        poll_interval=settings.poll_interval_seconds,
        create_timeout=settings.create_timeout_seconds,
        delete_timeout=settings.delete_timeout_seconds,
        max_attempts=settings.max_deliver,
        step_timeouts=settings.step_timeouts(),
        # The pool has database_pool_size + 5 (overflow) connections; a run takes two,
        # and the requests, the relay, the drift pass and the event handlers reading a
        # cluster before they join a run need some of their own: in a burst, a request
        # left waiting for a connection times out at the gateway.
        saga_runs=asyncio.Semaphore(max(1, (settings.database_pool_size + 5) // 2 - 6)),
    )


_background: set[asyncio.Task[None]] = set()


async def wire(runtime: Runtime, settings: ProvisioningSettings) -> None:
    deps = bootstrap(runtime, settings)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps, concurrency=settings.saga_concurrency)
    sweeper = saga.Sweeper(deps, stale_after=settings.sweep_interval_seconds)
    for job in (
        sweeper.run(settings.sweep_interval_seconds),
        drift.run(deps, settings.drift_interval_seconds, settings.drift_backoff_max_seconds),
    ):
        task = asyncio.create_task(job)
        _background.add(task)
        task.add_done_callback(_background.discard)
