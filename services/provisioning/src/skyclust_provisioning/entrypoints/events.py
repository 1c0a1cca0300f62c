from __future__ import annotations

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..handlers import drift, node_group_saga, saga
from ..handlers.shared import ProvisioningDeps

SAGA_STEPS = {
    "ClusterRequested": saga.on_cluster_event,
    "ClusterDeleteRequested": saga.on_cluster_event,
    "ClusterUpgradeRequested": saga.on_cluster_event,
    "ClusterNetworkReady": saga.on_network_ready,
    "ClusterNetworkFailed": saga.on_network_failed,
    "ClusterNetworkReleased": saga.on_network_released,
    "NodeGroupRequested": node_group_saga.on_node_group_requested,
    "NodeGroupUpdateRequested": node_group_saga.on_node_group_update_requested,
    "NodeGroupDeleteRequested": node_group_saga.on_node_group_delete_requested,
}


# Every process keeps its own drift credentials; with replicas, the one that takes the
# event forgets at once and the others within the cache's TTL.
CREDENTIALS = {
    "CredentialRotated": drift.on_credential_changed,
    "CredentialDeleted": drift.on_credential_changed,
}


async def register(bus: Bus, deps: ProvisioningDeps, concurrency: int = 16) -> None:
    async def dispatch(event: CloudEvent, delivery: Delivery) -> None:
        await SAGA_STEPS[event.name](deps, event, delivery)

    await bus.consume(
        "provisioning-cluster-saga",
        [f"skyclust.evt.*.{name}" for name in SAGA_STEPS],
        dispatch,
        concurrency=concurrency,
    )

    async def credential(event: CloudEvent, delivery: Delivery) -> None:
        await CREDENTIALS[event.name](deps, event, delivery)

    await bus.consume(
        "provisioning-credential-changes",
        [f"skyclust.evt.*.{name}" for name in CREDENTIALS],
        credential,
        concurrency=1,
    )
