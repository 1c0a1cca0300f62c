"""The events that move a saga: its own requests and the network service's replies."""

from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import ProviderError
from skyclust_common.messages.events import ClusterNetworkFailed, ClusterNetworkReady
from skyclust_common.messaging import Delivery

from ...adapters.db import Cluster
from ...domain import conditions
from ...domain.saga import NetworkState, Step
from ..shared import ProvisioningDeps
from . import teardown
from .engine import advance, failed
from .store import Overtaken, now, read, update


async def _cluster_of(deps: ProvisioningDeps, event: CloudEvent) -> Cluster | None:
    try:
        return await read(deps, event.workspaceid or "", str(event.data["cluster_id"]))
    except ValueError:
        return None


async def on_network_ready(deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery) -> None:
    cluster = await _cluster_of(deps, event)
    if cluster is None:
        return
    if cluster.step == Step.NETWORK and cluster.network_state == NetworkState.REQUESTED:
        reply = ClusterNetworkReady.from_event(event)
        network = {
            "vpc_id": str(reply.vpc.id),
            "generated": reply.generated,
            "vpc_cloud_id": reply.vpc.cloud_id,
            "resource_group": reply.vpc.resource_group,
            "cidr_block": reply.vpc.cidr_block,
            "subnet_ids": [str(s.id) for s in reply.subnets],
            "subnet_cloud_ids": [s.cloud_id for s in reply.subnets],
            "security_group_cloud_ids": [g.cloud_id for g in reply.security_groups],
        }
        try:
            await update(
                deps,
                cluster,
                lambda row: (
                    row.step == Step.NETWORK and row.network_state == NetworkState.REQUESTED
                ),
                network=network,
                network_state=NetworkState.READY,
                conditions=conditions.set_condition(
                    cluster.conditions,
                    conditions.NETWORK_READY,
                    "True",
                    "Generated" if reply.generated else "Provided",
                    reply.vpc.name,
                    now(),
                ),
            )
        except Overtaken:
            return
    await advance(deps, str(cluster.workspace_id), str(cluster.id))


async def on_network_failed(deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery) -> None:
    cluster = await _cluster_of(deps, event)
    if cluster is None:
        return
    failure = ClusterNetworkFailed.from_event(event)
    error = {"code": failure.code, "message": failure.message, "retryable": failure.retryable}
    try:
        if failure.operation == "provision" and cluster.network_state == NetworkState.REQUESTED:
            # The network service removed what it had made: nothing to release.
            cluster = await update(
                deps,
                cluster,
                lambda row: row.network_state == NetworkState.REQUESTED,
                network_state=NetworkState.RELEASED,
                conditions=conditions.set_condition(
                    cluster.conditions,
                    conditions.NETWORK_READY,
                    "False",
                    failure.code,
                    failure.message,
                    now(),
                ),
            )
            if cluster.step == Step.NETWORK and cluster.failure is None:
                await failed(
                    deps,
                    cluster,
                    ProviderError(failure.message, code=failure.code, retryable=failure.retryable),
                )
        elif failure.operation == "release" and cluster.network_state == NetworkState.RELEASING:
            cluster = await update(
                deps,
                cluster,
                lambda row: row.network_state == NetworkState.RELEASING,
                network_state=NetworkState.READY,
            )
            await teardown.finish(deps, cluster, error)
    except Overtaken:
        pass
    await advance(deps, str(cluster.workspace_id), str(cluster.id))


async def on_network_released(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    cluster = await _cluster_of(deps, event)
    if cluster is None:
        return
    if cluster.network_state == NetworkState.RELEASING:
        try:
            await update(
                deps,
                cluster,
                lambda row: row.network_state == NetworkState.RELEASING,
                network_state=NetworkState.RELEASED,
                conditions=conditions.set_condition(
                    cluster.conditions, conditions.NETWORK_READY, "False", "Released", None, now()
                ),
            )
        except Overtaken:
            return
    await advance(deps, str(cluster.workspace_id), str(cluster.id))


async def on_cluster_event(deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery) -> None:
    """ClusterRequested, ClusterDeleteRequested, ClusterUpgradeRequested: drive it."""
    cluster = await _cluster_of(deps, event)
    if cluster is not None:
        await advance(deps, str(cluster.workspace_id), str(cluster.id))
