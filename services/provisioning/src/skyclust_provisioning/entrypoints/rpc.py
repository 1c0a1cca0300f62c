from __future__ import annotations

from skyclust_common.messaging import Bus, serve_handlers

from ..handlers import clusters

HANDLERS = {
    "CreateCluster": clusters.create_cluster,
    "ListClusters": clusters.list_clusters,
    "GetCluster": clusters.get_cluster,
    "DeleteCluster": clusters.delete_cluster,
}


async def register(bus: Bus, deps: clusters.ProvisioningDeps) -> None:
    await serve_handlers(bus, HANDLERS, deps)
