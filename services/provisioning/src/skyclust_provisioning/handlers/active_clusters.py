"""The `active_clusters_total` gauge, from one grouped count of READY clusters per pass."""

from __future__ import annotations

from ..metrics import ACTIVE_CLUSTERS
from .shared import ProvisioningDeps


class ActiveClusters:
    """Sets the gauge per (provider, region); a pair that had clusters and has none now
    drops to 0 rather than keeping its last count."""

    def __init__(self, deps: ProvisioningDeps) -> None:
        self.deps = deps
        self.seen: set[tuple[str, str]] = set()

    async def once(self) -> dict[tuple[str, str], int]:
        async with self.deps.uow().read_only() as uow:
            counts = await uow.clusters.ready_counts()
        for provider, region in self.seen - counts.keys():
            ACTIVE_CLUSTERS.labels(provider, region).set(0)
        for (provider, region), count in counts.items():
            ACTIVE_CLUSTERS.labels(provider, region).set(count)
        self.seen |= counts.keys()
        return counts
