from __future__ import annotations

from skyclust_common.messaging import Bus, serve_handlers

from ..handlers import adopt, clusters, drift, kubeconfig, node_groups
from ..handlers.shared import ProvisioningDeps

HANDLERS = {
    "CreateCluster": clusters.create_cluster,
    "ListClusters": clusters.list_clusters,
    "GetCluster": clusters.get_cluster,
    "DeleteCluster": clusters.delete_cluster,
    "UpgradeCluster": clusters.upgrade_cluster,
    "ReconcileCluster": drift.reconcile_cluster,
    "DiscoverClusters": adopt.discover_clusters,
    "ImportCluster": adopt.import_cluster,
    "PromoteCluster": adopt.promote_cluster,
    "ForgetCluster": adopt.forget_cluster,
    "CreateNodeGroup": node_groups.create_node_group,
    "ListNodeGroups": node_groups.list_node_groups,
    "GetNodeGroup": node_groups.get_node_group,
    "UpdateNodeGroup": node_groups.update_node_group,
    "DeleteNodeGroup": node_groups.delete_node_group,
    "GetKubeconfig": kubeconfig.get_kubeconfig,
}


async def register(bus: Bus, deps: ProvisioningDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
