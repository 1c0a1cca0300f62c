"""Kubeconfigs and exec-plugin tokens. Each issue is recorded twice in the transaction
committed before the credential is returned, so neither trail ever misses one: a
`KubeconfigIssued` event, and an `AuditRecorded` (actor, cluster, expiry) that lands in
`/audit-logs`. The gateway records only changes itself, and these are reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from skyclust_common.envelope import new_event
from skyclust_common.messages.rpc import GetClusterTokenRequest, GetKubeconfigRequest
from skyclust_common.messaging import RpcContext

from ..adapters.providers.base import ClusterProvider, IssuedKubeconfig, IssuedToken
from ..domain.cluster import ClusterSpec, Status
from ..domain.errors import ClusterNotFound, ClusterNotReady, ProviderNotSupported
from ..domain.kubeconfig import exec_kubeconfig
from .clusters import found
from .shared import SOURCE, ProvisioningDeps, cluster_credential


async def _ready(
    deps: ProvisioningDeps,
    workspace_id: uuid.UUID,
    cluster_id: uuid.UUID,
    provider_name: str | None,
) -> tuple[ClusterSpec, ClusterProvider, dict[str, Any]]:
    """The cluster, its cloud's adapter and its credential, for a cluster that has an
    API server to talk to."""
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id)
        if not found(cluster, provider_name):
            raise ClusterNotFound("cluster not found")
        if cluster.status not in (Status.READY, Status.UPDATING):
            raise ClusterNotReady(f"a cluster that is {cluster.status} has no kubeconfig yet")
        spec = cluster.spec()
    provider = deps.providers.get(spec.provider)
    if provider is None:
        raise ProviderNotSupported(f"{spec.provider} is not supported")
    return spec, provider, await cluster_credential(deps, spec, "issue kubeconfig")


async def _issue(
    deps: ProvisioningDeps,
    workspace_id: uuid.UUID,
    cluster_id: uuid.UUID,
    provider_name: str | None,
) -> tuple[ClusterSpec, IssuedKubeconfig]:
    spec, provider, credential = await _ready(deps, workspace_id, cluster_id, provider_name)
    return spec, await provider.kubeconfig(spec, credential)


async def _token(
    deps: ProvisioningDeps,
    workspace_id: uuid.UUID,
    cluster_id: uuid.UUID,
    provider_name: str | None,
) -> tuple[ClusterSpec, IssuedToken]:
    spec, provider, credential = await _ready(deps, workspace_id, cluster_id, provider_name)
    return spec, await provider.cluster_token(spec, credential)


async def _record(
    deps: ProvisioningDeps,
    spec: ClusterSpec,
    *,
    actor_id: str,
    actor_type: str,
    mode: str,
    expires_at: str | None,
    request_id: str | None,
) -> None:
    action = "issue_cluster_token" if mode == "token" else "issue_kubeconfig"
    async with deps.uow() as uow:
        uow.emit(
            new_event(
                "KubeconfigIssued",
                {
                    "cluster_id": spec.cluster_id,
                    "provider": spec.provider,
                    "name": spec.name,
                    "actor_id": actor_id,
                    "expires_at": expires_at,
                },
                source=SOURCE,
                subject=spec.cluster_id,
                workspace_id=spec.workspace_id,
                correlation_id=spec.cluster_id,
                actor_id=actor_id,
            )
        )
        uow.emit(
            new_event(
                "AuditRecorded",
                {
                    "workspace_id": spec.workspace_id,
                    "actor_type": actor_type,
                    "actor_id": actor_id,
                    "action": action,
                    "resource_type": "cluster",
                    "resource_id": spec.cluster_id,
                    "outcome": "success",
                    "request_id": request_id,
                    "correlation_id": spec.cluster_id,
                    "details": {
                        "provider": spec.provider,
                        "cluster": spec.name,
                        "mode": mode,
                        # An exec kubeconfig holds no credential: it lasts as long as
                        # the CLI's session does, and each token it fetches is its own
                        # record.
                        "expires_at": None if mode == "exec" else expires_at,
                    },
                    "occurred_at": datetime.now(UTC).isoformat(),
                },
                source=SOURCE,
                subject=spec.cluster_id,
                workspace_id=spec.workspace_id,
                correlation_id=spec.cluster_id,
                actor_id=actor_id,
            )
        )
        await uow.commit()


async def get_kubeconfig(
    deps: ProvisioningDeps, req: GetKubeconfigRequest, ctx: RpcContext
) -> dict[str, Any]:
    mode = req.mode or "static"
    spec, issued = await _issue(deps, req.workspace_id, req.cluster_id, req.provider)
    text = issued.kubeconfig
    expires_at = issued.expires_at.isoformat() if issued.expires_at else None
    if mode == "exec":
        text = exec_kubeconfig(text, provider=spec.provider, cluster_id=spec.cluster_id)
        expires_at = None
    await _record(
        deps,
        spec,
        actor_id=req.actor_id,
        actor_type=req.actor_type or "user",
        mode=mode,
        expires_at=expires_at,
        request_id=ctx.request_id,
    )
    return {
        "cluster_id": spec.cluster_id,
        "name": spec.name,
        "kubeconfig": text,
        "expires_at": expires_at,
    }


async def get_cluster_token(
    deps: ProvisioningDeps, req: GetClusterTokenRequest, ctx: RpcContext
) -> dict[str, Any]:
    spec, issued = await _token(deps, req.workspace_id, req.cluster_id, req.provider)
    status = issued.status
    expires_at = issued.expires_at.isoformat() if issued.expires_at else None
    await _record(
        deps,
        spec,
        actor_id=req.actor_id,
        actor_type=req.actor_type or "user",
        mode="token",
        expires_at=expires_at,
        request_id=ctx.request_id,
    )
    return {"cluster_id": spec.cluster_id, "expires_at": expires_at, "status": status}
