"""Kubeconfig downloads. Each one is recorded as a `KubeconfigIssued` event, committed
before the kubeconfig is returned, so the audit trail never misses one."""

from __future__ import annotations

from typing import Any

from skyclust_common.envelope import new_event
from skyclust_common.messages.rpc import GetKubeconfigRequest
from skyclust_common.messaging import RpcContext

from ..domain.cluster import Status
from ..domain.errors import (
    ClusterNotFound,
    ClusterNotReady,
    ProviderNotSupported,
)
from .clusters import found
from .shared import SOURCE, ProvisioningDeps, cluster_credential


async def get_kubeconfig(
    deps: ProvisioningDeps, req: GetKubeconfigRequest, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(req.workspace_id, req.cluster_id)
        if not found(cluster, req.provider):
            raise ClusterNotFound("cluster not found")
        if cluster.status not in (Status.READY, Status.UPDATING):
            raise ClusterNotReady(f"a cluster that is {cluster.status} has no kubeconfig yet")
        spec = cluster.spec()
    provider = deps.providers.get(spec.provider)
    if provider is None:
        raise ProviderNotSupported(f"{spec.provider} is not supported")
    credential = await cluster_credential(deps, spec, "issue kubeconfig")
    issued = await provider.kubeconfig(spec, credential)
    expires_at = issued.expires_at.isoformat() if issued.expires_at else None
    async with deps.uow() as uow:
        uow.emit(
            new_event(
                "KubeconfigIssued",
                {
                    "cluster_id": spec.cluster_id,
                    "provider": spec.provider,
                    "name": spec.name,
                    "actor_id": req.actor_id,
                    "expires_at": expires_at,
                },
                source=SOURCE,
                subject=spec.cluster_id,
                workspace_id=spec.workspace_id,
                correlation_id=spec.cluster_id,
                actor_id=req.actor_id,
            )
        )
        await uow.commit()
    return {
        "cluster_id": spec.cluster_id,
        "name": spec.name,
        "kubeconfig": issued.kubeconfig,
        "expires_at": expires_at,
    }
