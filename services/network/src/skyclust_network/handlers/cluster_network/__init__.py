"""A network for a cluster. ProvisionClusterNetwork creates, idempotently, a network from
the planner, subnets in different zones and the firewall rules a cluster of that provider
needs, all tagged as generated for the cluster, and replies ClusterNetworkReady; when a
step fails for good it deletes what it created and replies ClusterNetworkFailed.
ReleaseClusterNetwork deletes a generated network and leaves a provided one alone.

The decisions are pure, in `domain/cluster_network.py`; `engine.py` holds what both runs
share (the per-cluster lock, the persisted record, replies, teardown), `provision.py`
and `release.py` the two runs."""

from .provision import on_provision_cluster_network
from .release import on_release_cluster_network

__all__ = ["on_provision_cluster_network", "on_release_cluster_network"]
