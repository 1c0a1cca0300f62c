"""The teardown, of a delete or of a failed create rolled back: node groups → control
plane → network → DELETED, or FAILED with the reason."""

from __future__ import annotations

import uuid
from typing import Any

from ...adapters.db import Cluster
from ...domain import conditions
from ...domain.cluster import Status
from ...domain.node_group import NodeGroupSpec
from ...domain.saga import NetworkState, Step, teardown_releases_network
from .. import node_group_saga as ngs
from ..shared import ProvisioningDeps, cluster_event, node_group_event
from .cloud import call, run_credential, until
from .store import command, deadline, groups, now, tearing_down, unchanged, update


async def begin(deps: ProvisioningDeps, cluster: Cluster) -> None:
    await update(
        deps,
        cluster,
        unchanged(cluster),
        step=Step.DELETE_NODE_GROUPS,
        step_deadline=deadline(deps, Step.DELETE_NODE_GROUPS),
    )


async def delete_node_groups(deps: ProvisioningDeps, cluster: Cluster) -> None:
    spec = cluster.spec()
    step_deadline = cluster.step_deadline
    todo = [g for g in await groups(deps, cluster) if g.status != Status.DELETED]
    provider = deps.providers.get(cluster.provider)
    if todo and provider is not None:
        secret = await run_credential(deps, spec, "delete node groups")
        for group in todo:
            gspec = group.spec()
            await call(
                deps,
                step_deadline,
                "node group deletion",
                lambda gspec=gspec: provider.delete_node_group(spec, gspec, secret),  # type: ignore[misc]
            )
        for group in todo:
            gspec = group.spec()

            async def gone(gspec: NodeGroupSpec = gspec) -> bool:
                return await provider.describe_node_group(spec, gspec, secret) is None

            await until(
                deps,
                cluster,
                tearing_down(Step.DELETE_NODE_GROUPS),
                step_deadline,
                "node group deletion",
                gone,
            )
            await ngs.transition(
                deps,
                spec,
                gspec,
                frozenset(Status) - {Status.DELETED},
                Status.DELETED,
                node_group_event("NodeGroupDeleted", spec, gspec, {}),
            )
    await update(
        deps,
        cluster,
        tearing_down(Step.DELETE_NODE_GROUPS),
        step=Step.DELETE_CONTROL_PLANE,
        step_deadline=deadline(deps, Step.DELETE_CONTROL_PLANE),
    )


async def delete_control_plane(deps: ProvisioningDeps, cluster: Cluster) -> None:
    spec = cluster.spec()
    step_deadline = cluster.step_deadline
    provider = deps.providers.get(cluster.provider)
    if provider is not None:
        secret = await run_credential(deps, spec, "delete cluster")
        await call(deps, step_deadline, "cluster deletion", lambda: provider.delete(spec, secret))

        async def gone() -> bool:
            return await provider.describe(spec, secret) is None

        await until(
            deps,
            cluster,
            tearing_down(Step.DELETE_CONTROL_PLANE),
            step_deadline,
            "cluster deletion",
            gone,
        )
        # Once more, now that it is gone: a provider removes what it made around the
        # cluster (AKS: the resource group it created for it).
        await call(deps, step_deadline, "cluster deletion", lambda: provider.delete(spec, secret))
    release = teardown_releases_network(cluster.network_state)
    await update(
        deps,
        cluster,
        tearing_down(Step.DELETE_CONTROL_PLANE),
        command=command(
            "ReleaseClusterNetwork", cluster, {"request_id": f"release-{uuid.uuid4().hex}"}
        )
        if release
        else None,
        conditions=conditions.set_condition(
            cluster.conditions, conditions.CONTROL_PLANE_READY, "False", "Deleted", None, now()
        ),
        step=Step.RELEASE_NETWORK,
        step_deadline=deadline(deps, Step.RELEASE_NETWORK),
        network_state=NetworkState.RELEASING if release else cluster.network_state,
    )


async def finish(deps: ProvisioningDeps, cluster: Cluster, error: dict[str, Any] | None) -> None:
    """The end of a teardown: DELETED, or FAILED with the reason the create failed, or
    FAILED because the teardown itself failed (`error`), which a delete can retry."""
    if cluster.status == Status.DELETING and error is None:
        await update(
            deps,
            cluster,
            unchanged(cluster),
            [cluster_event("ClusterDeleted", cluster, {})],
            status=Status.DELETED,
            step=None,
            step_deadline=None,
        )
        return
    failure = dict(cluster.failure or {})
    if error is not None:
        operation = "delete" if cluster.status == Status.DELETING else "create"
        if failure:
            message = f"{failure['message']} (cleaning up failed too: {error['message']})"
            failure = {**failure, "message": message[:2000]}
        else:
            failure = {**error, "operation": operation}
    await update(
        deps,
        cluster,
        unchanged(cluster),
        [
            cluster_event(
                "ClusterFailed",
                cluster,
                {
                    "code": failure["code"],
                    "message": failure["message"],
                    "retryable": bool(failure.get("retryable")),
                    "operation": failure.get("operation", "create"),
                },
            )
        ],
        status=Status.FAILED,
        status_reason=failure["code"],
        status_message=failure["message"],
        failure=None,
        step=None,
        step_deadline=None,
    )
