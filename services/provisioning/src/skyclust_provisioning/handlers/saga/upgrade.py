"""The upgrade: control plane → each node group → READY; a failure leaves the cluster
READY on what the cloud runs."""

from __future__ import annotations

from typing import Any

from ...adapters.db import Cluster
from ...adapters.providers.base import same_minor
from ...domain.cluster import Status
from ...domain.errors import (
    CloudFailed,
    ResourceLost,
)
from ...domain.node_group import NodeGroupSpec
from ...domain.saga import PROGRESS, Step
from .. import node_group_saga as ngs
from ..shared import ProvisioningDeps, cluster_event, provider_for
from .cloud import call, run_credential, until
from .store import deadline, groups, progress, update, upgrading

UPGRADABLE = frozenset({Status.READY, Status.UPDATING})


async def control_plane(deps: ProvisioningDeps, cluster: Cluster) -> None:
    provider = provider_for(deps, cluster.provider)
    target = cluster.target_version or cluster.version
    spec = cluster.spec()
    step = cluster.step or Step.UPGRADE_CONTROL_PLANE
    step_deadline = cluster.step_deadline
    secret = await run_credential(deps, spec, "upgrade cluster")
    await call(
        deps,
        step_deadline,
        "control plane upgrade",
        lambda: provider.upgrade(spec, target, secret),
    )

    async def upgraded() -> bool:
        current = await provider.describe(spec, secret)
        if current is None:
            raise ResourceLost("the cloud lost the cluster during the upgrade")
        if current.failed:
            raise CloudFailed("the cloud reports the upgrade failed")
        return current.active and same_minor(current.version, target)

    await until(deps, cluster, upgrading(step), step_deadline, "control plane upgrade", upgraded)
    await update(
        deps,
        cluster,
        upgrading(step),
        [progress(cluster, Step.UPGRADE_NODE_GROUPS, PROGRESS[Step.UPGRADE_NODE_GROUPS])],
        version=target,
        step=Step.UPGRADE_NODE_GROUPS,
        progress=PROGRESS[Step.UPGRADE_NODE_GROUPS],
        step_deadline=deadline(deps, Step.UPGRADE_NODE_GROUPS),
    )


async def node_groups(deps: ProvisioningDeps, cluster: Cluster) -> None:
    provider = provider_for(deps, cluster.provider)
    target = cluster.target_version or cluster.version
    spec = cluster.spec()
    step_deadline = cluster.step_deadline
    todo = [
        g
        for g in await groups(deps, cluster)
        if g.status in UPGRADABLE and not same_minor(g.version or "", target)
    ]
    secret = await run_credential(deps, spec, "upgrade node groups") if todo else {}
    for group in todo:
        gspec = group.spec()
        await ngs.transition(deps, spec, gspec, UPGRADABLE, Status.UPDATING, None)
        await call(
            deps,
            step_deadline,
            "node group upgrade",
            lambda gspec=gspec: provider.upgrade_node_group(spec, gspec, target, secret),  # type: ignore[misc]
        )

        async def upgraded(gspec: NodeGroupSpec = gspec) -> bool:
            current = ngs.checked(await provider.describe_node_group(spec, gspec, secret))
            return current.active and same_minor(current.version, target)

        await until(
            deps,
            cluster,
            upgrading(Step.UPGRADE_NODE_GROUPS),
            step_deadline,
            "node group upgrade",
            upgraded,
        )
        await ngs.transition(deps, spec, gspec, ngs.UPDATING, Status.READY, None, version=target)
    await update(
        deps,
        cluster,
        upgrading(Step.UPGRADE_NODE_GROUPS),
        [cluster_event("ClusterUpgraded", cluster, {"version": target})],
        status=Status.READY,
        status_reason=None,
        status_message=None,
        target_version=None,
        step=None,
        progress=100,
        step_deadline=None,
    )


async def stop(deps: ProvisioningDeps, cluster: Cluster, failure: dict[str, Any]) -> None:
    """The cluster stays READY on whatever the cloud runs; the node groups the upgrade
    had taken go back to READY."""
    spec = cluster.spec()
    for group in await groups(deps, cluster):
        if group.status == Status.UPDATING:
            await ngs.transition(deps, spec, group.spec(), ngs.UPDATING, Status.READY, None)
    await update(
        deps,
        cluster,
        lambda row: row.status == Status.UPDATING,
        [
            cluster_event(
                "ClusterUpgradeFailed",
                cluster,
                {"to_version": cluster.target_version or cluster.version, **failure},
            )
        ],
        status=Status.READY,
        status_reason=failure["code"],
        status_message=failure["message"],
        target_version=None,
        step=None,
        step_deadline=None,
    )
