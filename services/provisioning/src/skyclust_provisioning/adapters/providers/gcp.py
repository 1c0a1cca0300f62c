"""GKE through google-cloud-container. Creation is idempotent by name: a cluster of the
requested name labelled with this SkyClust cluster's id is the one an earlier attempt
created. Operations are started, not waited for: the saga polls `describe`."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from skyclust_common.cloud import gke_client
from skyclust_common.errors import ProviderError

from ...domain.cluster import OWNER_LABEL, ClusterSpec
from .base import CloudCluster

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
        return ProviderError(message, code="PROVIDER_AUTH_FAILED", provider="gcp")
    if isinstance(exc, gexc.PermissionDenied | gexc.Forbidden):
        return ProviderError(message, code="PROVIDER_ACCESS_DENIED", provider="gcp")
    if isinstance(exc, gexc.TooManyRequests | gexc.ResourceExhausted):
        return ProviderError(message, code="PROVIDER_THROTTLED", retryable=True, provider="gcp")
    if isinstance(
        exc,
        gexc.ServiceUnavailable
        | gexc.InternalServerError
        | gexc.GatewayTimeout
        | gexc.DeadlineExceeded,
    ):
        return ProviderError(message, code="PROVIDER_UNAVAILABLE", retryable=True, provider="gcp")
    if isinstance(exc, gexc.InvalidArgument | gexc.FailedPrecondition | gexc.BadRequest):
        return ProviderError(message, code="PROVIDER_INVALID_REQUEST", provider="gcp")
    if isinstance(exc, OSError) or type(exc).__module__.startswith("requests"):
        return ProviderError(
            "GCP endpoint unreachable", code="PROVIDER_UNAVAILABLE", retryable=True, provider="gcp"
        )
    return ProviderError(message, code="PROVIDER_ERROR", retryable=True, provider="gcp")


class GkeProvider:
    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url

    def _client(self, credential: dict[str, Any]) -> tuple[Any, str]:
        info = json.loads(credential["service_account_json"])
        return gke_client(info, self.endpoint_url), str(info["project_id"])

    @staticmethod
    def _path(project: str, spec: ClusterSpec) -> str:
        return f"projects/{project}/locations/{spec.region}/clusters/{spec.name}"

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

    def _get(self, gke: Any, project: str, spec: ClusterSpec) -> CloudCluster | None:
        from google.api_core import exceptions as gexc

        try:
            return self._view(gke.get_cluster(name=self._path(project, spec)))
        except gexc.NotFound:
            return None

    def _create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        from google.api_core import exceptions as gexc
        from google.cloud.container_v1 import Cluster, NodeConfig, NodePool

        gke, project = self._client(credential)
        config = spec.gcp_config or {}
        cluster = Cluster(
            name=spec.name,
            initial_cluster_version=spec.version,
            resource_labels=spec.cloud_labels(),
            network=config.get("network", ""),
            subnetwork=config.get("subnetwork", ""),
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
            raise ProviderError(
                "the cluster vanished right after creation",
                code="PROVIDER_RESOURCE_LOST",
                retryable=True,
                provider="gcp",
            )
        if existing.owner != spec.cluster_id:
            raise ProviderError(
                f"a GKE cluster named {spec.name} already exists in {spec.region}",
                code="CLUSTER_NAME_TAKEN",
                provider="gcp",
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

    async def _run(self, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except ProviderError:
            raise
        except Exception as exc:
            raise translate(exc) from None

    async def create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        result: CloudCluster = await self._run(self._create, spec, credential)
        return result

    async def describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        result: CloudCluster | None = await self._run(self._describe, spec, credential)
        return result

    async def delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        await self._run(self._delete, spec, credential)
