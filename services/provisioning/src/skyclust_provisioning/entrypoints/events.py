from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..handlers import clusters, node_groups, saga

SAGA_STEPS = {
    "ClusterRequested": saga.on_cluster_event,
    "ClusterDeleteRequested": saga.on_cluster_event,
    "ClusterUpgradeRequested": saga.on_cluster_event,
    "ClusterNetworkReady": saga.on_network_ready,
    "ClusterNetworkFailed": saga.on_network_failed,
    "ClusterNetworkReleased": saga.on_network_released,
    "NodeGroupRequested": node_groups.on_node_group_requested,
    "NodeGroupUpdateRequested": node_groups.on_node_group_update_requested,
    "NodeGroupDeleteRequested": node_groups.on_node_group_delete_requested,
}


async def register(bus: Bus, deps: clusters.ProvisioningDeps, concurrency: int = 16) -> None:
    async def dispatch(event: CloudEvent, delivery: Delivery) -> None:
        await SAGA_STEPS[event.name](deps, event, delivery)

    await bus.consume(
        "provisioning-cluster-saga",
        [f"skyclust.evt.*.{name}" for name in SAGA_STEPS],
        dispatch,
        concurrency=concurrency,
    )
