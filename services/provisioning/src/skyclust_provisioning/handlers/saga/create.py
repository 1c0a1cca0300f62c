"""The create: network → control plane → node groups → READY."""

from __future__ import annotations

from typing import Any

from ...adapters.db import Cluster
from ...adapters.providers.base import CloudNodeGroup
from ...domain import conditions
from ...domain.cluster import CREATING, Status
from ...domain.errors import (
    CloudFailed,
    ResourceLost,
)
from ...domain.node_group import NodeGroupSpec
from ...domain.saga import PROGRESS, NetworkState, Step
from ...metrics import CLUSTER_CREATION_SECONDS
from .. import node_group_saga as ngs
from ..shared import ProvisioningDeps, cluster_event, node_group_event, provider_for, sizes
from .cloud import call, run_credential, until
from .store import at, command, creating, deadline, groups, now, progress, unchanged, update


def uses_network_service(cluster: Cluster) -> bool:
    """False when the provider config names the network itself."""
    if cluster.network_request:
        return True
    if cluster.provider == "aws":
        return not (cluster.aws_config or {}).get("subnet_ids")
    if cluster.provider == "gcp":
        config = cluster.gcp_config or {}
        return not (config.get("network") or config.get("subnetwork"))
    return True


async def start(deps: ProvisioningDeps, cluster: Cluster) -> None:
    if not uses_network_service(cluster):
        await update(
            deps,
            cluster,
            at(Status.PENDING, cluster.step),
            status=Status.PROVISIONING,
            conditions=conditions.set_condition(
                cluster.conditions,
                conditions.NETWORK_READY,
                "True",
                "ProviderConfig",
                "the provider config names the network",
                now(),
            ),
            step=Step.NETWORK,
            network_state=None,
        )
        return
    request = dict(cluster.network_request or {})
    options: dict[str, Any] = {k: v for k, v in request.items() if v}
    resource_group = (cluster.azure_config or {}).get("resource_group")
    if not request and cluster.provider == "azure" and resource_group:
        options["resource_group"] = resource_group
    if not request and cluster.tags:
        options["tags"] = dict(cluster.tags)
    provision = command(
        "ProvisionClusterNetwork",
        cluster,
        {
            "request_id": f"provision-{cluster.id}",
            "cluster_name": cluster.name,
            "provider": cluster.provider,
            "credential_id": str(cluster.credential_id),
            "region": cluster.region,
            **options,
        },
    )
    await update(
        deps,
        cluster,
        at(Status.PENDING, cluster.step),
        [progress(cluster, Step.NETWORK, PROGRESS[Step.NETWORK])],
        provision,
        status=Status.PROVISIONING,
        step=Step.NETWORK,
        progress=PROGRESS[Step.NETWORK],
        step_deadline=deadline(deps, Step.NETWORK),
        network_state=NetworkState.REQUESTED,
    )


async def enter(deps: ProvisioningDeps, cluster: Cluster, step: Step) -> None:
    await update(
        deps,
        cluster,
        unchanged(cluster),
        [progress(cluster, step, PROGRESS[step])],
        step=step,
        progress=PROGRESS[step],
        step_deadline=deadline(deps, step),
    )


async def control_plane(deps: ProvisioningDeps, cluster: Cluster) -> None:
    provider = provider_for(deps, cluster.provider)
    spec = cluster.spec()
    step_deadline = cluster.step_deadline
    secret = await run_credential(deps, spec, "create cluster")
    cloud = await call(
        deps, step_deadline, "cluster creation", lambda: provider.create(spec, secret)
    )
    if cluster.cloud_id != cloud.cloud_id:
        cluster = await update(deps, cluster, creating(Step.CONTROL_PLANE), cloud_id=cloud.cloud_id)
    latest = [cloud]

    async def active() -> bool:
        current = await provider.describe(spec, secret)
        if current is None:
            raise ResourceLost("the cloud lost the cluster while it was being created")
        if current.failed:
            raise CloudFailed("the cloud reports the cluster failed")
        latest[0] = current
        return current.active

    await until(
        deps, cluster, creating(Step.CONTROL_PLANE), step_deadline, "cluster creation", active
    )
    ready = latest[0]
    await update(
        deps,
        cluster,
        creating(Step.CONTROL_PLANE),
        [progress(cluster, Step.NODE_GROUPS, PROGRESS[Step.NODE_GROUPS])],
        endpoint=ready.endpoint,
        cloud_id=ready.cloud_id,
        conditions=conditions.set_condition(
            cluster.conditions, conditions.CONTROL_PLANE_READY, "True", "Active", None, now()
        ),
        step=Step.NODE_GROUPS,
        progress=PROGRESS[Step.NODE_GROUPS],
        step_deadline=deadline(deps, Step.NODE_GROUPS),
    )


async def node_groups(deps: ProvisioningDeps, cluster: Cluster) -> None:
    provider = provider_for(deps, cluster.provider)
    spec = cluster.spec()
    step_deadline = cluster.step_deadline
    todo = [g for g in await groups(deps, cluster) if g.status in CREATING]
    secret = await run_credential(deps, spec, "create node groups") if todo else {}
    for group in todo:
        gspec = group.spec()
        cloud = await call(
            deps,
            step_deadline,
            "node group creation",
            lambda gspec=gspec: provider.create_node_group(spec, gspec, secret),  # type: ignore[misc]
        )
        if group.status == Status.PENDING or group.cloud_id != cloud.cloud_id:
            await ngs.transition(
                deps, spec, gspec, CREATING, Status.PROVISIONING, None, cloud_id=cloud.cloud_id
            )
    for group in todo:
        gspec = group.spec()
        latest: list[CloudNodeGroup] = []

        async def active(
            gspec: NodeGroupSpec = gspec, latest: list[CloudNodeGroup] = latest
        ) -> bool:
            current = ngs.checked(await provider.describe_node_group(spec, gspec, secret))
            latest[:] = [current]
            return current.active

        await until(
            deps, cluster, creating(Step.NODE_GROUPS), step_deadline, "node group creation", active
        )
        await ngs.transition(
            deps,
            spec,
            gspec,
            CREATING,
            Status.READY,
            node_group_event(
                "NodeGroupReady", spec, gspec, {"cloud_id": latest[0].cloud_id, **sizes(gspec)}
            ),
            cloud_id=latest[0].cloud_id,
            version=latest[0].version or None,
        )
    await update(
        deps,
        cluster,
        creating(Step.NODE_GROUPS),
        [
            cluster_event(
                "ClusterReady",
                cluster,
                {
                    "version": cluster.version,
                    "region": cluster.region,
                    "endpoint": cluster.endpoint,
                    "cloud_id": cluster.cloud_id,
                },
            )
        ],
        status=Status.READY,
        status_reason=None,
        status_message=None,
        step=None,
        progress=100,
        step_deadline=None,
    )
    # After the write: a run overtaken by another never gets here, so one per cluster.
    CLUSTER_CREATION_SECONDS.labels(cluster.provider, cluster.region).observe(
        (now() - cluster.created_at).total_seconds()
    )
