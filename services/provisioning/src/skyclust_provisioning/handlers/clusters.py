"""Cluster use cases: the requests the gateway sends. What they start (create, delete,
upgrade) is carried out by the saga (handlers/saga/) from the event each one commits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard

from skyclust_common.errors import (
    Conflict,
    NotFound,
    ValidationFailed,
)
from skyclust_common.messages.rpc import (
    CreateClusterRequest,
    CreateClusterRequestNodeGroup,
    DeleteClusterRequest,
    GetClusterRequest,
    ListClustersRequest,
    UpgradeClusterRequest,
)
from skyclust_common.messaging import RpcContext
from skyclust_common.observability import current_traceparent

from ..adapters.db import Cluster, ClusterFields, NodeGroup
from ..adapters.repositories import ProvisioningUoW
from ..domain import conditions
from ..domain.cluster import DELETABLE, REGIONS, Status
from ..domain.errors import (
    ClusterBusy,
    ClusterNameTaken,
    ClusterNotFound,
    ClusterReadOnly,
    CredentialProviderMismatch,
    InvalidRegion,
    NameTaken,
    NodeGroupNameTaken,
    ProviderNotSupported,
    VersionDowngrade,
    VersionNotOffered,
    VersionSkip,
    VersionUnchanged,
)
from ..domain.node_group import check_name, check_sizes, check_taints
from ..domain.saga import Step
from . import budget_guard
from .shared import ProvisioningDeps as ProvisioningDeps
from .shared import cluster_credential, cluster_event, stored, taints_of


def view(cluster: ClusterFields) -> dict[str, Any]:
    return {
        "id": str(cluster.id),
        "workspace_id": str(cluster.workspace_id),
        "provider": cluster.provider,
        "name": cluster.name,
        "version": cluster.version,
        "region": cluster.region,
        "credential_id": str(cluster.credential_id),
        "status": cluster.status,
        "status_reason": cluster.status_reason,
        "status_message": cluster.status_message,
        "endpoint": cluster.endpoint,
        "cloud_id": cluster.cloud_id,
        "tags": dict(cluster.tags or {}),
        "aws_config": cluster.aws_config,
        "gcp_config": cluster.gcp_config,
        "azure_config": cluster.azure_config,
        "conditions": cluster.conditions
        # Clusters from before conditions existed: derived from their status.
        or conditions.for_cluster_status(
            None, cluster.status, cluster.status_reason, cluster.status_message, cluster.updated_at
        ),
        "step": cluster.step,
        "progress": cluster.progress or 0,
        "network": cluster.network,
        "managed": cluster.managed if cluster.managed is not None else True,
        "target_version": cluster.target_version,
        "drift": list(cluster.drift or []),
        "drift_checked_at": cluster.drift_checked_at.isoformat()
        if cluster.drift_checked_at
        else None,
        "created_by": cluster.created_by,
        "created_at": cluster.created_at.isoformat(),
        "updated_at": cluster.updated_at.isoformat(),
    }


def _not_found() -> NotFound:
    return ClusterNotFound("cluster not found")


def found(
    cluster: Cluster | None, provider: str | None, *, include_deleted: bool = False
) -> TypeGuard[Cluster]:
    """The request's cluster: in its workspace, not deleted (unless asked for), and of
    the provider the request names (the gateway's path) if it names one."""
    return (
        cluster is not None
        and (include_deleted or cluster.status != Status.DELETED)
        and provider in (None, cluster.provider)
    )


def read_only() -> Conflict:
    return ClusterReadOnly(
        "this cluster was adopted read-only; promote it to let SkyClust change it, "
        "or forget it to stop tracking it"
    )


def _initial_node_groups(
    provider: str, requested: list[CreateClusterRequestNodeGroup]
) -> list[dict[str, Any]]:
    """The node groups to create with the cluster, checked as one by one they would be."""
    names = [g.name for g in requested]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationFailed(
            f"node group names must differ: {', '.join(duplicates)}",
            details={"field": "node_groups"},
            code=NodeGroupNameTaken.code,
        )
    groups = []
    for g in requested:
        check_name(provider, g.name)
        check_sizes(g.min_size, g.max_size, g.desired_size)
        taints = taints_of(g.taints)
        check_taints(taints)
        groups.append(
            {
                "name": g.name,
                "instance_type": g.instance_type,
                "min_size": g.min_size,
                "max_size": g.max_size,
                "desired_size": g.desired_size,
                "labels": dict(g.labels or {}),
                "taints": [t.as_dict() for t in taints],
            }
        )
    return groups


def _budget_request(
    req: CreateClusterRequest, groups: list[dict[str, Any]]
) -> budget_guard.BudgetRequest:
    """The new cluster as the guardrail prices it: the control plane, the pool GKE and
    AKS always make from the provider config (as the adapters make it), and the groups."""
    priced = [
        budget_guard.node_group(
            g["name"], g["instance_type"], g["desired_size"], g["min_size"], g["max_size"]
        )
        for g in groups
    ]
    if req.provider == "gcp":
        config = stored(req.gcp_config) or {}
        count = int(config.get("node_count", 1))
        priced.insert(
            0, budget_guard.node_group("default", config.get("machine_type"), count, count, count)
        )
    elif req.provider == "azure":
        config = stored(req.azure_config) or {}
        count = int(config.get("node_count", 1))
        priced.insert(
            0, budget_guard.node_group("system", config.get("vm_size"), count, count, count)
        )
    return budget_guard.BudgetRequest(
        workspace_id=str(req.workspace_id),
        actor_id=req.actor_id,
        is_admin=bool(req.actor_is_admin),
        override=bool(req.budget_override),
        provider=req.provider,
        region=req.region,
        version=req.version,
        tags=dict(req.tags or {}),
        node_groups=priced,
    )


# requests ------------------------------------------------------------------------


async def create_cluster(
    deps: ProvisioningDeps, req: CreateClusterRequest, ctx: RpcContext
) -> dict[str, Any]:
    provider = req.provider
    if provider not in deps.providers:
        raise ProviderNotSupported(f"{provider} clusters are not supported yet")
    if not REGIONS[provider].match(req.region):
        raise InvalidRegion(
            f"{req.region!r} is not a {provider} region name", details={"field": "region"}
        )
    credential = await deps.lookup_credential(str(req.workspace_id), str(req.credential_id))
    if credential["provider"] != provider:
        raise CredentialProviderMismatch(
            f"credential is for {credential['provider']}, not {provider}",
            details={"field": "credential_id"},
        )
    groups = _initial_node_groups(provider, req.node_groups or [])
    workspace_id = req.workspace_id
    budget = _budget_request(req, groups)
    # Before anything is stored: a refusal raises here.
    outcome = await budget_guard.check(deps, budget)
    async with deps.uow() as uow:
        clusters = uow.clusters
        if await clusters.live_by_name(workspace_id, provider, req.region, req.name):
            raise ClusterNameTaken(f"a cluster named {req.name} exists in {req.region}")
        cluster = Cluster(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            provider=provider,
            name=req.name,
            version=req.version,
            region=req.region,
            credential_id=req.credential_id,
            status=Status.PENDING,
            tags=dict(req.tags or {}),
            aws_config=stored(req.aws_config),
            gcp_config=stored(req.gcp_config),
            azure_config=stored(req.azure_config),
            conditions=conditions.for_node_groups(
                conditions.initial(datetime.now(UTC)),
                [(g["name"], Status.PENDING) for g in groups],
                datetime.now(UTC),
            ),
            network_request=stored(req.network),
            step=None,
            progress=0,
            managed=True,
            drift=[],
            created_by=req.actor_id,
            traceparent=current_traceparent(),
        )
        await add_new(uow, cluster)
        for group in groups:
            uow.node_groups.add(
                NodeGroup(
                    id=uuid.uuid4(),
                    workspace_id=workspace_id,
                    cluster_id=cluster.id,
                    status=Status.PENDING,
                    created_by=req.actor_id,
                    **group,
                )
            )
        uow.emit(
            cluster_event(
                "ClusterRequested",
                cluster,
                {
                    "version": cluster.version,
                    "region": cluster.region,
                    "credential_id": str(cluster.credential_id),
                    "tags": cluster.tags,
                    "aws_config": cluster.aws_config,
                    "gcp_config": cluster.gcp_config,
                    "azure_config": cluster.azure_config,
                },
                actor_id=req.actor_id,
            )
        )
        audit = budget_guard.override_audit(
            outcome,
            budget,
            resource_type="cluster",
            resource_id=str(cluster.id),
            request_id=ctx.request_id,
        )
        if audit is not None:
            uow.emit(audit)
        return {**await commit_new(uow, cluster), "warnings": list(outcome.warnings)}


def _name_taken(cluster: Cluster) -> Conflict:
    return ClusterNameTaken(f"a cluster named {cluster.name} exists in {cluster.region}")


async def add_new(uow: ProvisioningUoW, cluster: Cluster) -> None:
    """Add a new cluster; its name is unique per workspace, provider and region."""
    try:
        await uow.clusters.add(cluster)
    except NameTaken:
        raise _name_taken(cluster) from None


async def commit_new(uow: ProvisioningUoW, cluster: Cluster) -> dict[str, Any]:
    """Commit a cluster just added (and its events), and answer with it as this
    transaction wrote it (the saga may move it on as soon as it is committed)."""
    try:
        await uow.clusters.refresh(cluster)
        await uow.commit()
    except NameTaken:
        raise _name_taken(cluster) from None
    return view(cluster)


async def list_clusters(
    deps: ProvisioningDeps, req: ListClustersRequest, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        items = await uow.clusters.list(req.workspace_id, req.provider)
        return {"items": [view(c) for c in items]}


async def get_cluster(
    deps: ProvisioningDeps, req: GetClusterRequest, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow().read_only() as uow:
        cluster = await uow.clusters.get(req.workspace_id, req.cluster_id)
        if not found(cluster, req.provider, include_deleted=bool(req.include_deleted)):
            raise _not_found()
        return view(cluster)


async def delete_cluster(
    deps: ProvisioningDeps, req: DeleteClusterRequest, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(req.workspace_id, req.cluster_id, for_update=True)
        if not found(cluster, req.provider):
            raise _not_found()
        if cluster.status == Status.DELETING:
            return view(cluster)
        if not cluster.managed:
            raise read_only()
        if cluster.status not in DELETABLE:
            raise ClusterBusy(f"a cluster that is {cluster.status} cannot be deleted now")
        cluster.status = Status.DELETING
        cluster.traceparent = current_traceparent()
        cluster.status_reason = None
        cluster.status_message = None
        if cluster.failure is None:
            # A create being rolled back goes on from where it is; anything else starts
            # its teardown from the node groups.
            cluster.step = None
        cluster.conditions = conditions.for_cluster_status(
            cluster.conditions, Status.DELETING, None, None, datetime.now(UTC)
        )
        uow.emit(cluster_event("ClusterDeleteRequested", cluster, {}, actor_id=req.actor_id))
        await uow.clusters.refresh(cluster)
        await uow.commit()
        return view(cluster)


async def upgrade_cluster(
    deps: ProvisioningDeps, req: UpgradeClusterRequest, ctx: RpcContext
) -> dict[str, Any]:
    """Refused up front: a version the cloud does not offer, a downgrade, a skipped minor
    version. The saga then upgrades the control plane, then each node group."""
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(req.workspace_id, req.cluster_id)
        if not found(cluster, req.provider):
            raise _not_found()
        spec = cluster.spec()
        current, managed, status = cluster.version, cluster.managed, cluster.status
    if not managed:
        raise read_only()
    if status != Status.READY:
        raise ClusterBusy(f"a cluster that is {status} cannot be upgraded now")
    wanted = req.version
    check_upgrade(current, wanted)
    provider = deps.providers.get(spec.provider)
    if provider is None:
        raise ProviderNotSupported(f"{spec.provider} is not supported")
    credential = await cluster_credential(deps, spec, "list versions")
    offered = await provider.versions(spec.region, credential)
    if wanted not in offered:
        raise VersionNotOffered(
            f"{spec.provider} does not offer Kubernetes {wanted} in {spec.region}; "
            f"it offers {', '.join(offered) or 'none'}",
            details={"field": "version", "offered": offered},
        )
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(req.workspace_id, req.cluster_id, for_update=True)
        if cluster is None or cluster.status != Status.READY or cluster.version != current:
            raise ClusterBusy("the cluster changed meanwhile; try again")
        cluster.status = Status.UPDATING
        cluster.traceparent = current_traceparent()
        cluster.status_reason = None
        cluster.status_message = None
        cluster.target_version = wanted
        cluster.step = Step.UPGRADE_CONTROL_PLANE
        cluster.progress = 0
        cluster.step_deadline = datetime.now(UTC) + timedelta(
            seconds=deps.step_timeouts.get(Step.UPGRADE_CONTROL_PLANE, deps.create_timeout)
        )
        uow.emit(
            cluster_event(
                "ClusterUpgradeRequested",
                cluster,
                {"from_version": current, "to_version": wanted},
                actor_id=req.actor_id,
            )
        )
        await uow.clusters.refresh(cluster)
        await uow.commit()
        return view(cluster)


def check_upgrade(current: str, wanted: str) -> None:
    """One minor version up at a time, never down: what EKS, GKE and AKS all require."""
    have = tuple(int(p) for p in current.split(".")[:2])
    want = tuple(int(p) for p in wanted.split(".")[:2])
    if want == have:
        raise VersionUnchanged(f"the cluster runs {current} already")
    if want < have:
        raise VersionDowngrade(
            f"Kubernetes cannot be downgraded ({current} → {wanted})", details={"field": "version"}
        )
    if want[0] != have[0] or want[1] != have[1] + 1:
        raise VersionSkip(
            f"upgrade one minor version at a time: {current} → {have[0]}.{have[1] + 1} first",
            details={"field": "version"},
        )
