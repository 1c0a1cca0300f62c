from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..handlers import clusters, node_groups

SAGA_STEPS = {
    "ClusterRequested": clusters.on_cluster_requested,
    "ClusterDeleteRequested": clusters.on_cluster_delete_requested,
    "NodeGroupRequested": node_groups.on_node_group_requested,
    "NodeGroupUpdateRequested": node_groups.on_node_group_update_requested,
    "NodeGroupDeleteRequested": node_groups.on_node_group_delete_requested,
}


async def register(bus: Bus, deps: clusters.ProvisioningDeps) -> None:
    async def dispatch(event: CloudEvent, delivery: Delivery) -> None:
        await SAGA_STEPS[event.name](deps, event, delivery)

    await bus.consume(
        "provisioning-cluster-saga",
        [f"skyclust.evt.*.{name}" for name in SAGA_STEPS],
        dispatch,
        concurrency=16,
    )
