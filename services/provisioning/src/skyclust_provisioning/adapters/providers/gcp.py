"""GKE through google-cloud-container. Creation is idempotent by name: a cluster of the
requested name labelled with this SkyClust cluster's id is the one an earlier attempt
created. Operations are started, not waited for: the saga polls `describe`."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC
from typing import Any

from skyclust_common.cloud import gcp_credentials, gke_client
from skyclust_common.errors import ProviderError

from ...domain.cluster import OWNER_LABEL, ClusterSpec
from ...domain.errors import (
    ProviderAccessDenied,
    ProviderAuthFailed,
    ProviderBusy,
    ProviderInvalidRequest,
    ProviderThrottled,
    ProviderUnavailable,
    ResourceLost,
)
from ...domain.kubeconfig import build_kubeconfig
from ...domain.node_group import NODE_GROUP_OWNER_LABEL, NodeGroupSpec
from .base import (
    CloudCluster,
    DiscoveredCluster,
    DiscoveredNodeGroup,
    IssuedKubeconfig,
    same_minor,
)
from .blocking import BlockingSdkProvider, ClientCache, lost, minors, taken, unclaimed
from .gcp_node_pools import GkeNodePools

_STATUS = {
    "PROVISIONING": "CREATING",
    "RUNNING": "ACTIVE",
    "RECONCILING": "UPDATING",
    "STOPPING": "DELETING",
    "ERROR": "FAILED",
    "DEGRADED": "ACTIVE",
}


def translate(exc: Exception) -> ProviderError:
    from google.api_core import exceptions as gexc
    from google.auth import exceptions as auth_exc

    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, auth_exc.GoogleAuthError | gexc.Unauthenticated | gexc.Unauthorized):
        return ProviderAuthFailed(message, provider="gcp")
    if isinstance(exc, gexc.PermissionDenied | gexc.Forbidden):
        return ProviderAccessDenied(message, provider="gcp")
    if isinstance(exc, gexc.TooManyRequests | gexc.ResourceExhausted):
        return ProviderThrottled(message, retryable=True, provider="gcp")
    if isinstance(
        exc,
        gexc.ServiceUnavailable
        | gexc.InternalServerError
        | gexc.GatewayTimeout
        | gexc.DeadlineExceeded,
    ):
        return ProviderUnavailable(message, retryable=True, provider="gcp")
    if "incompatible operation" in message:
        # GKE runs one operation per cluster at a time; a later attempt will get through.
        return ProviderBusy(message, retryable=True, provider="gcp")
    if isinstance(exc, gexc.InvalidArgument | gexc.FailedPrecondition | gexc.BadRequest):
        return ProviderInvalidRequest(message, provider="gcp")
    if isinstance(exc, OSError) or type(exc).__module__.startswith("requests"):
        return ProviderUnavailable("GCP endpoint unreachable", retryable=True, provider="gcp")
    return ProviderError(message, retryable=True, provider="gcp")


def _relative(link: str) -> str:
    """A Compute resource as GKE takes it, "projects/p/global/networks/n", from the
    selfLink the network service stores (a name or relative name is kept as it is)."""
    return link[link.index("projects/") :] if "projects/" in link else link


class GkeProvider(GkeNodePools, BlockingSdkProvider):
    provider = "gcp"

    def translate(self, exc: Exception) -> ProviderError | None:
        return translate(exc)

    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self._clients: ClientCache[tuple[Any, str]] = ClientCache()
        self._compute: ClientCache[Any] = ClientCache()

    def _client(self, credential: dict[str, Any]) -> tuple[Any, str]:
        def build() -> tuple[Any, str]:
            info = json.loads(credential["service_account_json"])
            return gke_client(info, self.endpoint_url), str(info["project_id"])

        return self._clients.get(credential, None, build)

    @staticmethod
    def _view(cluster: Any) -> CloudCluster:
        from google.cloud.container_v1 import Cluster

        status = Cluster.Status(cluster.status).name
        return CloudCluster(
            cloud_id=cluster.self_link or cluster.name,
            status=_STATUS.get(status, "CREATING"),
            endpoint=f"https://{cluster.endpoint}" if cluster.endpoint else None,
            version=cluster.current_master_version or "",
            owner=dict(cluster.resource_labels).get(OWNER_LABEL),
        )

    def _find(self, gke: Any, project: str, spec: ClusterSpec) -> Any | None:
        from google.api_core import exceptions as gexc

        try:
            return gke.get_cluster(name=self._path(project, spec))
        except gexc.NotFound:
            return None

    def _get(self, gke: Any, project: str, spec: ClusterSpec) -> CloudCluster | None:
        found = self._find(gke, project, spec)
        return None if found is None else self._view(found)

    @staticmethod
    def _network(spec: ClusterSpec) -> tuple[str, str]:
        """(network, subnetwork): gcp_config's when it names either, else the network
        service's (its firewalls apply to the network as a whole, so groups are not used)."""
        config = spec.gcp_config or {}
        if config.get("network") or config.get("subnetwork"):
            return str(config.get("network") or ""), str(config.get("subnetwork") or "")
        network = spec.network or {}
        subnets = list(network.get("subnet_cloud_ids") or [])
        return (
            _relative(str(network.get("vpc_cloud_id") or "")),
            _relative(str(subnets[0])) if subnets else "",
        )

    def _create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        from google.api_core import exceptions as gexc
        from google.cloud.container_v1 import Cluster, NodeConfig, NodePool

        gke, project = self._client(credential)
        config = spec.gcp_config or {}
        network, subnetwork = self._network(spec)
        cluster = Cluster(
            name=spec.name,
            initial_cluster_version=spec.version,
            resource_labels=spec.cloud_labels(),
            network=network,
            subnetwork=subnetwork,
            node_pools=[
                NodePool(
                    name="default",
                    initial_node_count=int(config.get("node_count", 1)),
                    config=NodeConfig(machine_type=config.get("machine_type", "e2-standard-2")),
                )
            ],
        )
        # Already there: an earlier attempt's (checked by owner below) or somebody else's.
        with contextlib.suppress(gexc.AlreadyExists, gexc.Conflict):
            gke.create_cluster(
                parent=f"projects/{project}/locations/{spec.region}", cluster=cluster
            )
        existing = self._get(gke, project, spec)
        if existing is None:
            raise ResourceLost(
                "the cluster vanished right after creation", retryable=True, provider="gcp"
            )
        if existing.owner != spec.cluster_id:
            raise taken(
                f"a GKE cluster named {spec.name} already exists in {spec.region}",
                "gcp",
                cluster=True,
            )
        return existing

    def _describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        gke, project = self._client(credential)
        view = self._get(gke, project, spec)
        return view if view is not None and view.owner == spec.cluster_id else None

    def _delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        from google.api_core import exceptions as gexc

        gke, project = self._client(credential)
        current = self._get(gke, project, spec)
        if current is None or current.owner != spec.cluster_id or current.status == "DELETING":
            return
        try:
            gke.delete_cluster(name=self._path(project, spec))
        except gexc.NotFound:
            return

    # versions ----------------------------------------------------------------------

    def _versions(self, region: str, credential: dict[str, Any]) -> list[str]:
        gke, project = self._client(credential)
        config = gke.get_server_config(name=f"projects/{project}/locations/{region}")
        return minors(list(config.valid_master_versions))

    @staticmethod
    def _running(gke: Any, project: str, region: str, kind: str, target: str) -> bool:
        """An operation of `kind` on `target` ("/clusters/c") is under way: GKE keeps the
        current version until it is done, and refuses a second one meanwhile."""
        from google.cloud.container_v1 import Operation

        ops = gke.list_operations(parent=f"projects/{project}/locations/{region}").operations
        return any(
            op.operation_type == getattr(Operation.Type, kind)
            and op.status == Operation.Status.RUNNING
            and str(op.target_link).endswith(target)
            for op in ops
        )

    def _upgrade(self, spec: ClusterSpec, version: str, credential: dict[str, Any]) -> None:
        from google.cloud.container_v1 import ClusterUpdate

        gke, project = self._client(credential)
        cluster = self._find(gke, project, spec)
        view = None if cluster is None else self._view(cluster)
        if view is None or view.owner != spec.cluster_id:
            raise ResourceLost("the cluster is not in the cloud", provider="gcp")
        if same_minor(view.version, version):
            return
        if view.status == "UPDATING" and self._running(
            gke, project, spec.region, "UPGRADE_MASTER", f"/clusters/{spec.name}"
        ):
            return
        gke.update_cluster(
            request={
                "name": self._path(project, spec),
                "update": ClusterUpdate(desired_master_version=version),
            }
        )

    def _upgrade_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, version: str, credential: dict[str, Any]
    ) -> None:
        gke, project = self._client(credential)
        current = self._owned_pool(gke, project, cluster, group, credential)
        if same_minor(current.version, version):
            return
        target = f"/clusters/{cluster.name}/nodePools/{group.name}"
        if current.status == "UPDATING" and self._running(
            gke, project, cluster.region, "UPGRADE_NODES", target
        ):
            return
        gke.update_node_pool(
            request={"name": self._pool_path(project, cluster, group), "node_version": version}
        )

    # adoption ----------------------------------------------------------------------

    def _discover(self, region: str, credential: dict[str, Any]) -> list[DiscoveredCluster]:
        """The regional clusters of `region` (GKE lists a location's own clusters; zonal
        ones live in locations of their own, which specs cannot name)."""
        gke, project = self._client(credential)
        clusters = gke.list_clusters(parent=f"projects/{project}/locations/{region}").clusters
        return [
            DiscoveredCluster(
                name=cluster.name,
                cloud=self._view(cluster),
                resource_group=None,
                node_groups=tuple(
                    DiscoveredNodeGroup(pool.name, self._pool_view(credential, pool))
                    for pool in cluster.node_pools
                ),
            )
            for cluster in clusters
        ]

    def _claim(
        self, spec: ClusterSpec, groups: list[NodeGroupSpec], credential: dict[str, Any]
    ) -> None:
        """Node pools are labelled first and the cluster last, each its own operation. GKE
        runs one at a time per cluster: a call may label only part and fail PROVIDER_BUSY;
        calling again carries on. Everything is checked before anything is labelled."""
        from google.cloud.container_v1 import ResourceLabels

        gke, project = self._client(credential)
        cluster = self._find(gke, project, spec)
        if cluster is None:
            raise lost("cluster", "gcp")
        what = f"the GKE cluster {spec.name}"
        owner = self._view(cluster).owner
        untagged = unclaimed(owner, spec.cluster_id, what, "gcp", cluster=True)
        pools = {pool.name: pool for pool in cluster.node_pools}
        unlabelled = []
        for group in groups:
            pool = pools.get(group.name)
            if pool is None:
                raise lost(f"node pool {group.name}", "gcp")
            pool_owner = dict(pool.config.resource_labels).get(NODE_GROUP_OWNER_LABEL)
            what = f"the node pool {group.name}"
            if unclaimed(pool_owner, group.node_group_id, what, "gcp", cluster=False):
                unlabelled.append((group, pool))
        for group, pool in unlabelled:
            labels = {**dict(pool.config.resource_labels), **group.owner_labels()}
            gke.update_node_pool(
                request={
                    "name": self._pool_path(project, spec, group),
                    "resource_labels": ResourceLabels(labels=labels),
                }
            )
        if untagged:
            gke.set_labels(
                request={
                    "name": self._path(project, spec),
                    "resource_labels": {
                        **dict(cluster.resource_labels),
                        OWNER_LABEL: spec.cluster_id,
                    },
                    "label_fingerprint": cluster.label_fingerprint,
                }
            )

    # kubeconfig --------------------------------------------------------------------

    def _kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig:
        from google.api_core import exceptions as gexc
        from google.auth.transport.requests import Request

        gke, project = self._client(credential)
        try:
            cluster = gke.get_cluster(name=self._path(project, spec))
        except gexc.NotFound:
            cluster = None
        view = None if cluster is None else self._view(cluster)
        if cluster is None or view is None or view.owner != spec.cluster_id or not view.endpoint:
            raise ResourceLost("the cluster is not in the cloud", provider="gcp")
        # An OAuth access token of the service account (about an hour), as
        # gke-gcloud-auth-plugin would fetch.
        tokens = gcp_credentials(json.loads(credential["service_account_json"]), self.endpoint_url)
        tokens.refresh(Request())
        expiry = tokens.expiry.replace(tzinfo=UTC) if tokens.expiry else None
        return IssuedKubeconfig(
            build_kubeconfig(
                spec.name,
                str(view.endpoint),
                cluster.master_auth.cluster_ca_certificate or None,
                {"token": tokens.token},
            ),
            expiry,
        )
