from __future__ import annotations

from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Bus, Delivery

from ..handlers import budget_guard, drift, node_group_saga, saga
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


# What the budget guardrail decides with while cost cannot be asked.
BUDGETS = {"BudgetChanged": budget_guard.on_budget_changed}


async def register(bus: Bus, deps: ProvisioningDeps, concurrency: int = 16) -> None:
    await _consume(bus, deps, "provisioning-cluster-saga", SAGA_STEPS, concurrency)
    await _consume(bus, deps, "provisioning-credential-changes", CREDENTIALS, 1)
    await _consume(bus, deps, budget_guard.CONSUMER, BUDGETS, 1)


async def _consume(
    bus: Bus, deps: ProvisioningDeps, durable: str, handlers: dict[str, Any], concurrency: int
) -> None:
    async def dispatch(event: CloudEvent, delivery: Delivery) -> None:
        await handlers[event.name](deps, event, delivery)

    await bus.consume(
        durable,
        [f"skyclust.evt.*.{name}" for name in handlers],
        dispatch,
        concurrency=concurrency,
    )
