"""What every provisioning use case shares: its dependencies, the credential read, the
events it builds and the poll of a cloud operation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import ProviderError
from skyclust_common.messages.base import Part

from ..adapters.db import Cluster
from ..adapters.providers.base import ClusterProvider
from ..adapters.repositories import ProvisioningUoW
from ..domain.cluster import ClusterSpec
from ..domain.errors import (
    ProviderNotSupported,
    ProviderTimeout,
)
from ..domain.node_group import NodeGroupSpec, Taint
from .credential_cache import CredentialCache

SOURCE = "provisioning"


class RequestTaint(Protocol):
    """A taint as the requests that carry one (CreateCluster's node groups,
    CreateNodeGroup, UpdateNodeGroup) each model it."""

    @property
    def key(self) -> str: ...
    @property
    def value(self) -> str | None: ...
    @property
    def effect(self) -> str: ...


def taints_of(requested: Sequence[RequestTaint] | None) -> tuple[Taint, ...]:
    return tuple(Taint(t.key, t.value or "", t.effect) for t in requested or ())


def stored(part: Part | None) -> dict[str, Any] | None:
    """A part of a request as it came on the wire, to keep in a JSON column: what the
    request left out stays out."""
    if part is None:
        return None
    return part.model_dump(mode="json", by_alias=True, exclude_unset=True)


CredentialLookup = Callable[[str, str], Awaitable[dict[str, Any]]]
CredentialDecrypt = Callable[[str, str, str, str], Awaitable[dict[str, Any]]]
# Cost's CheckBudgetGuardrail: the query in, the reply out, a refusal raised.
BudgetAsk = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass
class ProvisioningDeps:
    uow: Callable[[], ProvisioningUoW]
    providers: Mapping[str, ClusterProvider]
    lookup_credential: CredentialLookup
    decrypt_credential: CredentialDecrypt
    poll_interval: float
    create_timeout: float
    delete_timeout: float
    max_attempts: int
    # The longest each saga step may take (domain.saga.Step names); see settings.
    step_timeouts: Mapping[str, float] = field(default_factory=dict)
    # How many saga runs may go at once: each holds a database connection for its lock
    # and needs another for its work, so this stays well under the pool's size.
    saga_runs: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(8))
    # The drift job's decrypted credentials, reused across its passes (see there).
    drift_credentials: CredentialCache = field(default_factory=lambda: CredentialCache(900.0))
    # The budget guardrail before a create or scale-up (handlers/budget_guard.py); None
    # asks nothing, for tests of what happens around it.
    check_budget: BudgetAsk | None = None


async def cluster_credential(
    deps: ProvisioningDeps, spec: ClusterSpec, reason: str
) -> dict[str, Any]:
    """The cluster's decrypted credential; the vault audits each call with `reason`."""
    secret = await deps.decrypt_credential(
        spec.workspace_id, spec.credential_id, reason, spec.cluster_id
    )
    return dict(secret["data"])


def cluster_event(
    name: str, cluster: Cluster | ClusterSpec, data: dict[str, Any], **kw: Any
) -> CloudEvent:
    cluster_id = str(cluster.id) if isinstance(cluster, Cluster) else cluster.cluster_id
    return new_event(
        name,
        {"cluster_id": cluster_id, "provider": cluster.provider, "name": cluster.name, **data},
        source=SOURCE,
        subject=cluster_id,
        workspace_id=str(cluster.workspace_id),
        correlation_id=cluster_id,
        **kw,
    )


def node_group_event(
    name: str, cluster: ClusterSpec, group: NodeGroupSpec, data: dict[str, Any], **kw: Any
) -> CloudEvent:
    return new_event(
        name,
        {
            "cluster_id": cluster.cluster_id,
            "node_group_id": group.node_group_id,
            "provider": cluster.provider,
            "name": group.name,
            **data,
        },
        source=SOURCE,
        subject=group.node_group_id,
        workspace_id=cluster.workspace_id,
        correlation_id=group.node_group_id,
        **kw,
    )


def sizes(group: NodeGroupSpec) -> dict[str, Any]:
    """A node group's sizes, labels and taints as its events carry them."""
    return {
        "min_size": group.min_size,
        "max_size": group.max_size,
        "desired_size": group.desired_size,
        "labels": dict(group.labels),
        "taints": [t.as_dict() for t in group.taints],
    }


def provider_for(deps: ProvisioningDeps, provider: str) -> ClusterProvider:
    found = deps.providers.get(provider)
    if found is None:
        raise ProviderError(f"{provider} is not supported", code=ProviderNotSupported.code)
    return found


async def poll(
    deps: ProvisioningDeps,
    done: Callable[[], Awaitable[bool]],
    timeout: float,
    what: str,
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        await asyncio.sleep(deps.poll_interval)
        if await done():
            return
        if time.monotonic() > deadline:
            raise ProviderTimeout(f"{what} did not finish within {int(timeout)} s", retryable=False)
