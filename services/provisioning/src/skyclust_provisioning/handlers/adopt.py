"""Adopting clusters SkyClust did not create: list what a credential can see, import one
read-only (SkyClust shows it and its node groups but changes nothing), and promote it to
managed, which tags it in the cloud as SkyClust's own tags mark the clusters it makes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from skyclust_common.errors import ValidationFailed
from skyclust_common.messages.rpc import (
    DiscoverClustersRequest,
    ForgetClusterRequest,
    ImportClusterRequest,
    PromoteClusterRequest,
)
from skyclust_common.messaging import RpcContext

from ..adapters.db import Cluster, NodeGroup
from ..adapters.providers.base import ClusterProvider, DiscoveredCluster
from ..domain import conditions
from ..domain.cluster import REGIONS, ClusterSpec, Status
from ..domain.errors import (
    CloudClusterNotFound,
    ClusterAlreadyManaged,
    ClusterAlreadyTracked,
    ClusterBusy,
    ClusterManaged,
    ClusterNotFound,
    CredentialProviderMismatch,
    InvalidRegion,
    ProviderNotSupported,
)
from .clusters import add_new, commit_new, found, view
from .shared import ProvisioningDeps, cluster_credential, cluster_event


def _provider(deps: ProvisioningDeps, name: str) -> ClusterProvider:
    provider = deps.providers.get(name)
    if provider is None:
        raise ProviderNotSupported(f"{name} clusters are not supported")
    return provider


async def _credential_for(
    deps: ProvisioningDeps,
    workspace_id: uuid.UUID,
    credential_id: uuid.UUID,
    provider: str,
    region: str,
) -> dict[str, Any]:
    if not REGIONS[provider].match(region):
        raise InvalidRegion(
            f"{region!r} is not a {provider} region name", details={"field": "region"}
        )
    found = await deps.lookup_credential(str(workspace_id), str(credential_id))
    if found["provider"] != provider:
        raise CredentialProviderMismatch(
            f"credential is for {found['provider']}, not {provider}",
            details={"field": "credential_id"},
        )
    probe = ClusterSpec(
        cluster_id=str(uuid.uuid4()),
        workspace_id=str(workspace_id),
        provider=provider,
        name="discovery",
        version="0.0",
        region=region,
        credential_id=str(credential_id),
    )
    return await cluster_credential(deps, probe, "discover clusters")


async def _tracked(deps: ProvisioningDeps, workspace_id: uuid.UUID) -> dict[str, uuid.UUID]:
    async with deps.uow() as uow:
        return await uow.clusters.tracked_cloud_ids(workspace_id)


def _listing(found: DiscoveredCluster, tracked: dict[str, uuid.UUID]) -> dict[str, Any]:
    by = tracked.get(found.cloud.cloud_id)
    return {
        "name": found.name,
        "cloud_id": found.cloud.cloud_id,
        "status": found.cloud.status,
        "version": found.cloud.version,
        "endpoint": found.cloud.endpoint,
        "resource_group": found.resource_group,
        "tracked_by": str(by) if by else None,
        "node_groups": [
            {
                "name": g.name,
                "status": g.cloud.status,
                "version": g.cloud.version,
                "instance_type": g.cloud.instance_type,
                "min_size": g.cloud.min_size,
                "max_size": g.cloud.max_size,
                "desired_size": g.cloud.desired_size,
            }
            for g in found.node_groups
        ],
    }


async def discover_clusters(
    deps: ProvisioningDeps, req: DiscoverClustersRequest, ctx: RpcContext
) -> dict[str, Any]:
    provider = _provider(deps, req.provider)
    credential = await _credential_for(
        deps, req.workspace_id, req.credential_id, req.provider, req.region
    )
    found = await provider.discover(req.region, credential)
    tracked = await _tracked(deps, req.workspace_id)
    return {"items": [_listing(c, tracked) for c in sorted(found, key=lambda c: c.name)]}


async def import_cluster(
    deps: ProvisioningDeps, req: ImportClusterRequest, ctx: RpcContext
) -> dict[str, Any]:
    name = req.provider
    provider = _provider(deps, name)
    credential = await _credential_for(deps, req.workspace_id, req.credential_id, name, req.region)
    found = [
        c
        for c in await provider.discover(req.region, credential)
        if c.name == req.name and (not req.resource_group or c.resource_group == req.resource_group)
    ]
    if not found:
        raise CloudClusterNotFound(
            f"no {name} cluster named {req.name} in {req.region} for this credential"
        )
    if len(found) > 1:
        raise ValidationFailed(
            f"{len(found)} clusters are named {req.name}; give resource_group",
            details={"field": "resource_group"},
        )
    cloud = found[0]
    if not cloud.cloud.active:
        raise ClusterBusy(
            f"the cluster is {cloud.cloud.status} in the cloud; import it once it is active"
        )
    tracked = (await _tracked(deps, req.workspace_id)).get(cloud.cloud.cloud_id)
    if tracked is not None:
        raise ClusterAlreadyTracked(f"SkyClust tracks this cluster already as {tracked}")
    now = datetime.now(UTC)
    workspace_id = req.workspace_id
    minor = ".".join(cloud.cloud.version.split(".")[:2])
    state = conditions.set_condition(
        conditions.initial(now), conditions.NETWORK_READY, "True", "Adopted", None, now
    )
    state = conditions.set_condition(
        state, conditions.CONTROL_PLANE_READY, "True", "Active", None, now
    )
    state = conditions.for_node_groups(
        state, [(g.name, Status.READY) for g in cloud.node_groups], now
    )
    async with deps.uow() as uow:
        cluster = Cluster(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            provider=name,
            name=cloud.name,
            version=minor,
            region=req.region,
            credential_id=req.credential_id,
            status=Status.READY,
            endpoint=cloud.cloud.endpoint,
            cloud_id=cloud.cloud.cloud_id,
            tags=dict(req.tags or {}),
            azure_config={"resource_group": cloud.resource_group} if cloud.resource_group else None,
            conditions=state,
            managed=False,
            drift=[],
            progress=100,
            created_by=req.actor_id,
        )
        await add_new(uow, cluster)
        for group in cloud.node_groups:
            uow.node_groups.add(
                NodeGroup(
                    id=uuid.uuid4(),
                    workspace_id=workspace_id,
                    cluster_id=cluster.id,
                    name=group.name,
                    instance_type=group.cloud.instance_type,
                    min_size=group.cloud.min_size,
                    max_size=group.cloud.max_size,
                    desired_size=group.cloud.desired_size,
                    labels=dict(group.cloud.labels),
                    taints=[t.as_dict() for t in group.cloud.taints],
                    status=Status.READY,
                    cloud_id=group.cloud.cloud_id,
                    version=group.cloud.version or None,
                    created_by=req.actor_id,
                )
            )
        uow.emit(
            cluster_event(
                "ClusterImported",
                cluster,
                {
                    "region": cluster.region,
                    "version": minor,
                    "cloud_id": cluster.cloud_id,
                    "credential_id": str(cluster.credential_id),
                },
                actor_id=req.actor_id,
            )
        )
        return await commit_new(uow, cluster)


async def promote_cluster(
    deps: ProvisioningDeps, req: PromoteClusterRequest, ctx: RpcContext
) -> dict[str, Any]:
    """Tag the cluster and its node groups with SkyClust's owner tags, then manage it:
    from now on its current state is the desired one, watched for drift."""
    workspace_id, cluster_id = req.workspace_id, req.cluster_id
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id)
        if not found(cluster, req.provider):
            raise ClusterNotFound("cluster not found")
        groups = await uow.node_groups.list(workspace_id, cluster_id)
        spec, managed, status = cluster.spec(), cluster.managed, cluster.status
        group_specs = [g.spec() for g in groups]
    if managed:
        raise ClusterAlreadyManaged("SkyClust manages this cluster already")
    if status != Status.READY:
        raise ClusterBusy(f"a cluster that is {status} cannot be promoted")
    provider = _provider(deps, spec.provider)
    credential = await cluster_credential(deps, spec, "promote cluster")
    await provider.claim(spec, group_specs, credential)
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id, for_update=True)
        if cluster is None or cluster.managed:
            raise ClusterBusy("the cluster changed meanwhile")
        cluster.managed = True
        cluster.drift_next_check_at = None  # compare at the next pass
        uow.emit(cluster_event("ClusterPromoted", cluster, {}, actor_id=req.actor_id))
        await uow.clusters.refresh(cluster)
        await uow.commit()
        return view(cluster)


async def forget_cluster(
    deps: ProvisioningDeps, req: ForgetClusterRequest, ctx: RpcContext
) -> dict[str, Any]:
    """Stop tracking a cluster adopted read-only. Nothing is asked of the cloud: the
    cluster and its node groups stay as they are there, and may be imported again. A
    managed cluster is refused: deleting it is what removes it."""
    workspace_id, cluster_id = req.workspace_id, req.cluster_id
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id, for_update=True)
        if not found(cluster, req.provider):
            raise ClusterNotFound("cluster not found")
        if cluster.managed:
            raise ClusterManaged(
                "SkyClust manages this cluster; delete it instead (that deletes it in the cloud)"
            )
        for group in await uow.node_groups.list(workspace_id, cluster_id):
            group.status = Status.DELETED
        cluster.status = Status.DELETED
        cluster.conditions = conditions.for_cluster_status(
            cluster.conditions, Status.DELETED, None, None, datetime.now(UTC)
        )
        uow.emit(cluster_event("ClusterForgotten", cluster, {}, actor_id=req.actor_id))
        await uow.clusters.refresh(cluster)
        await uow.commit()
        return view(cluster)
