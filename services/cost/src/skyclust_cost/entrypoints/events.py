"""The cost service's JetStream consumer: what it learns from other services' events."""

from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..handlers import inventory
from ..handlers.common import CostDeps

TRACKED = {
    "CredentialCreated": inventory.on_credential_created,
    "CredentialDeleted": inventory.on_credential_deleted,
    "ClusterRequested": inventory.on_cluster_requested,
    "ClusterReady": inventory.on_cluster_ready,
    "NodeGroupRequested": inventory.on_node_group_requested,
    "NodeGroupReady": inventory.on_node_group_sized,
    "NodeGroupScaled": inventory.on_node_group_sized,
    "NodeGroupDeleted": inventory.on_node_group_deleted,
    "ClusterDeleted": inventory.on_cluster_deleted,
}


async def register(bus: Bus, deps: CostDeps) -> None:
    async def track(event: CloudEvent, delivery: Delivery) -> None:
        await TRACKED[event.name](deps, event, delivery)

    await bus.consume(
        inventory.CONSUMER,
        [f"skyclust.evt.*.{name}" for name in TRACKED],
        track,
    )
