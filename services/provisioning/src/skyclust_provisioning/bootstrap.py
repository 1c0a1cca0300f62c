"""Provisioning's composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from skyclust_common.runtime import PeriodicJob, Runtime, ServiceSpec
from skyclust_common.vault_client import VaultClient

from .adapters.db import metadata
from .adapters.providers.aws import EksProvider
from .adapters.providers.azure import AksProvider
from .adapters.providers.base import ClusterProvider
from .adapters.providers.gcp import GkeProvider
from .adapters.uow import ProvisioningUnitOfWork
from .entrypoints import events, rpc
from .handlers import drift, sweep
from .handlers.active_clusters import ActiveClusters
from .handlers.credential_cache import CredentialCache
from .handlers.shared import ProvisioningDeps
from .settings import ProvisioningSettings

SERVICE = "provisioning"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def bootstrap(
    runtime: Runtime,
    settings: ProvisioningSettings,
    *,
    providers: Mapping[str, ClusterProvider] | None = None,
) -> ProvisioningDeps:
    vault = VaultClient(runtime.bus)
    db = runtime.db

    def uow() -> ProvisioningUnitOfWork:
        return ProvisioningUnitOfWork(db.sessions, db.metadata, runtime.registry, db.relay.wake)

    async def check_budget(query: dict[str, Any]) -> dict[str, Any]:
        return await runtime.bus.request(
            "cost", "CheckBudgetGuardrail", query, timeout=settings.budget_check_timeout_seconds
        )

    return ProvisioningDeps(
        uow=uow,
        providers=providers
        or {
            "aws": EksProvider(
                settings.aws_endpoint_url,
                token_lifetime=timedelta(seconds=settings.kubeconfig_token_lifetime_seconds),
            ),
            "gcp": GkeProvider(settings.gcp_endpoint_url),
            "azure": AksProvider(settings.azure_endpoint_url, settings.azure_ca_bundle),
        },
        lookup_credential=vault.lookup,
        decrypt_credential=vault.decrypt,
        poll_interval=settings.poll_interval_seconds,
        create_timeout=settings.create_timeout_seconds,
        delete_timeout=settings.delete_timeout_seconds,
        max_attempts=settings.max_deliver,
        step_timeouts=settings.step_timeouts(),
        drift_credentials=CredentialCache(settings.drift_credential_ttl_seconds),
        check_budget=check_budget,
        # The pool has database_pool_size + 5 (overflow) connections; a run takes two,
        # and the requests, the relay, the drift pass and the event handlers reading a
        # cluster before they join a run need some of their own: in a burst, a request
        # left waiting for a connection times out at the gateway.
        saga_runs=asyncio.Semaphore(max(1, (settings.database_pool_size + 5) // 2 - 6)),
    )


async def wire(runtime: Runtime, settings: ProvisioningSettings) -> ProvisioningDeps:
    deps = bootstrap(runtime, settings)
    await rpc.register(runtime.bus, deps)
    await events.register(runtime.bus, deps, concurrency=settings.saga_concurrency)
    return deps


def jobs(deps: ProvisioningDeps, settings: ProvisioningSettings) -> list[PeriodicJob]:
    sweeper = sweep.Sweeper(deps, stale_after=settings.sweep_interval_seconds)
    active = ActiveClusters(deps)
    return [
        PeriodicJob("active-clusters", settings.active_clusters_interval_seconds, active.once),
        PeriodicJob(
            "saga-sweep", settings.sweep_interval_seconds, sweeper.once, on_stop=sweeper.stop
        ),
        PeriodicJob(
            "cluster-drift",
            drift.wake_interval(settings.drift_interval_seconds),
            partial(
                drift.pass_once,
                deps,
                settings.drift_interval_seconds,
                settings.drift_backoff_max_seconds,
            ),
        ),
    ]


SPEC = ServiceSpec(
    name=SERVICE,
    settings=ProvisioningSettings,
    wire=wire,
    metadata=metadata,
    migrations=MIGRATIONS,
    jobs=jobs,
)
