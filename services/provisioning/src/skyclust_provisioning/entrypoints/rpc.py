from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from skyclust_common.messages.base import Rpc
from skyclust_common.messages.rpc import (
    CreateCluster,
    CreateNodeGroup,
    DeleteCluster,
    DeleteNodeGroup,
    DiscoverClusters,
    ForgetCluster,
    GetCluster,
    GetClusterToken,
    GetKubeconfig,
    GetNodeGroup,
    ImportCluster,
    ListClusters,
    ListNodeGroups,
    PromoteCluster,
    ReconcileCluster,
    UpdateNodeGroup,
    UpgradeCluster,
)
from skyclust_common.messaging import Bus, RpcContext, serve_handlers

from ..handlers import adopt, clusters, drift, kubeconfig, node_groups
from ..handlers.shared import ProvisioningDeps

Handler = Callable[[ProvisioningDeps, dict[str, Any], RpcContext], Awaitable[dict[str, Any]]]


# Each handler and the contract it serves; the tests call a handler with its request
# parsed the same way.
CONTRACTS: dict[Callable[..., Awaitable[dict[str, Any]]], type[Rpc[Any, Any]]] = {
    clusters.create_cluster: CreateCluster,
    clusters.list_clusters: ListClusters,
    clusters.get_cluster: GetCluster,
    clusters.delete_cluster: DeleteCluster,
    clusters.upgrade_cluster: UpgradeCluster,
    drift.reconcile_cluster: ReconcileCluster,
    adopt.discover_clusters: DiscoverClusters,
    adopt.import_cluster: ImportCluster,
    adopt.promote_cluster: PromoteCluster,
    adopt.forget_cluster: ForgetCluster,
    node_groups.create_node_group: CreateNodeGroup,
    node_groups.list_node_groups: ListNodeGroups,
    node_groups.get_node_group: GetNodeGroup,
    node_groups.update_node_group: UpdateNodeGroup,
    node_groups.delete_node_group: DeleteNodeGroup,
    kubeconfig.get_kubeconfig: GetKubeconfig,
    kubeconfig.get_cluster_token: GetClusterToken,
}
HANDLERS: dict[str, Handler] = {
    contract.CONTRACT: contract.served(handler) for handler, contract in CONTRACTS.items()
}


async def register(bus: Bus, deps: ProvisioningDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
