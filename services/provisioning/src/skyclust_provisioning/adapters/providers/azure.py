"""AKS through azure-mgmt-containerservice. A PUT is idempotent by nature; the owner tag
tells an earlier attempt's cluster from somebody else's. Long-running operations are
started, not waited for: the saga polls `describe`."""

from __future__ import annotations

from typing import Any

from skyclust_common.cloud import aks_client, azure_credential, azure_resource_client
from skyclust_common.errors import ProviderError

from ...domain.cluster import OWNER_LABEL, ClusterSpec
from ...domain.node_group import NODE_GROUP_OWNER_LABEL, NodeGroupSpec, Taint
from .base import CloudCluster, CloudNodeGroup, IssuedKubeconfig
from .blocking import BlockingSdkProvider

_STATE = {
    "Creating": "CREATING",
    "Succeeded": "ACTIVE",
    "Updating": "UPDATING",
    "Upgrading": "UPDATING",
    "Scaling": "UPDATING",
    "Deleting": "DELETING",
    "Failed": "FAILED",
    "Canceled": "FAILED",
}


def translate(exc: Exception) -> ProviderError:
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    if isinstance(exc, ClientAuthenticationError):
        return ProviderError(message, code="PROVIDER_AUTH_FAILED", provider="azure")
    if isinstance(exc, ServiceRequestError | ServiceResponseError | OSError):
        return ProviderError(
            "Azure endpoint unreachable",
            code="PROVIDER_UNAVAILABLE",
            retryable=True,
            provider="azure",
        )
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        if status == 429:
            return ProviderError(
                message, code="PROVIDER_THROTTLED", retryable=True, provider="azure"
            )
        if status >= 500:
            return ProviderError(
                message, code="PROVIDER_UNAVAILABLE", retryable=True, provider="azure"
            )
        if status == 409 and getattr(exc.error, "code", None) == "OperationNotAllowed":
            # AKS runs one operation per cluster at a time; a later attempt will get through.
            return ProviderError(message, code="PROVIDER_BUSY", retryable=True, provider="azure")
        if status == 403:
            return ProviderError(message, code="PROVIDER_ACCESS_DENIED", provider="azure")
        if status == 401:
            return ProviderError(message, code="PROVIDER_AUTH_FAILED", provider="azure")
        return ProviderError(message, code="PROVIDER_INVALID_REQUEST", provider="azure")
    return ProviderError(message, code="PROVIDER_ERROR", retryable=True, provider="azure")


class AksProvider(BlockingSdkProvider):
    def translate(self, exc: Exception) -> ProviderError | None:
        return translate(exc)

    def __init__(self, endpoint_url: str | None = None, ca_bundle: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.ca_bundle = ca_bundle or None

    def _clients(self, credential: dict[str, Any]) -> tuple[Any, Any]:
        cred = azure_credential(
            credential["tenant_id"],
            credential["client_id"],
            credential["client_secret"],
            self.endpoint_url,
            ca_bundle=self.ca_bundle,
        )
        subscription = credential["subscription_id"]
        kwargs = {"ca_bundle": self.ca_bundle, "retry_total": 2}
        return (
            aks_client(cred, subscription, self.endpoint_url, **kwargs),
            azure_resource_client(cred, subscription, self.endpoint_url, **kwargs),
        )

    @staticmethod
    def _group(spec: ClusterSpec) -> str:
        return str((spec.azure_config or {}).get("resource_group") or f"skyclust-{spec.name}")

    @staticmethod
    def _view(cluster: Any) -> CloudCluster:
        return CloudCluster(
            cloud_id=cluster.id,
            status=_STATE.get(cluster.provisioning_state or "", "CREATING"),
            endpoint=f"https://{cluster.fqdn}" if cluster.fqdn else None,
            version=cluster.current_kubernetes_version or cluster.kubernetes_version or "",
            owner=(cluster.tags or {}).get(OWNER_LABEL),
        )

    def _get(self, aks: Any, spec: ClusterSpec) -> CloudCluster | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return self._view(aks.managed_clusters.get(self._group(spec), spec.name))
        except ResourceNotFoundError:
            return None

    def _create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        aks, resources = self._clients(credential)
        existing = self._get(aks, spec)
        if existing is not None:
            if existing.owner != spec.cluster_id:
                raise ProviderError(
                    f"an AKS cluster named {spec.name} already exists",
                    code="CLUSTER_NAME_TAKEN",
                    provider="azure",
                )
            return existing
        config = spec.azure_config or {}
        group = self._group(spec)
        resources.resource_groups.create_or_update(
            group, {"location": spec.region, "tags": {OWNER_LABEL: spec.cluster_id}}
        )
        aks.managed_clusters.begin_create_or_update(
            group,
            spec.name,
            {
                "location": spec.region,
                "identity": {"type": "SystemAssigned"},
                "tags": spec.cloud_labels(),
                "properties": {
                    "dnsPrefix": spec.name[:45],
                    "kubernetesVersion": spec.version,
                    "agentPoolProfiles": [
                        {
                            "name": "system",
                            "count": int(config.get("node_count", 1)),
                            "vmSize": config.get("vm_size", "Standard_D2s_v5"),
                            "mode": "System",
                        }
                    ],
                },
            },
            polling=False,
        )
        created = self._get(aks, spec)
        if created is None:
            raise ProviderError(
                "the cluster vanished right after creation",
                code="PROVIDER_RESOURCE_LOST",
                retryable=True,
                provider="azure",
            )
        return created

    def _describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        aks, _ = self._clients(credential)
        view = self._get(aks, spec)
        return view if view is not None and view.owner == spec.cluster_id else None

    def _delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        aks, _ = self._clients(credential)
        current = self._get(aks, spec)
        if current is None or current.owner != spec.cluster_id or current.status == "DELETING":
            return
        try:
            aks.managed_clusters.begin_delete(self._group(spec), spec.name, polling=False)
        except ResourceNotFoundError:
            return

    # node groups (AKS agent pools) -------------------------------------------------

    @staticmethod
    def _pool_view(pool: Any) -> CloudNodeGroup:
        count = int(pool.count or 0)
        taints = []
        for raw in pool.node_taints or []:
            key_value, _, effect = str(raw).partition(":")
            key, _, value = key_value.partition("=")
            taints.append(Taint(key, value, effect))
        return CloudNodeGroup(
            cloud_id=pool.id,
            status=_STATE.get(pool.provisioning_state or "", "CREATING"),
            min_size=int(pool.min_count) if pool.enable_auto_scaling else count,
            max_size=int(pool.max_count) if pool.enable_auto_scaling else count,
            desired_size=count,
            labels=dict(pool.node_labels or {}),
            taints=tuple(taints),
            owner=(pool.tags or {}).get(NODE_GROUP_OWNER_LABEL),
        )

    def _get_pool(self, aks: Any, cluster: ClusterSpec, group: NodeGroupSpec) -> Any | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return aks.agent_pools.get(self._group(cluster), cluster.name, group.name)
        except ResourceNotFoundError:
            return None

    def _put_pool(self, aks: Any, cluster: ClusterSpec, group: NodeGroupSpec) -> None:
        body: dict[str, Any] = {
            "properties": {
                "count": group.desired_size,
                "enableAutoScaling": True,
                "minCount": group.min_size,
                "maxCount": group.max_size,
                "mode": "User",
                "nodeLabels": dict(group.labels),
                "nodeTaints": [f"{t.key}={t.value}:{t.effect}" for t in group.taints],
                "tags": {**cluster.cloud_labels(), **group.owner_labels()},
            }
        }
        if group.instance_type:
            body["properties"]["vmSize"] = group.instance_type
        aks.agent_pools.begin_create_or_update(
            self._group(cluster), cluster.name, group.name, body, polling=False
        )

    def _create_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup:
        aks, _ = self._clients(credential)
        pool = self._get_pool(aks, cluster, group)
        if pool is None:
            self._put_pool(aks, cluster, group)
            pool = self._get_pool(aks, cluster, group)
            if pool is None:
                raise ProviderError(
                    "the agent pool vanished right after creation",
                    code="PROVIDER_RESOURCE_LOST",
                    retryable=True,
                    provider="azure",
                )
        view = self._pool_view(pool)
        if view.owner != group.node_group_id:
            raise ProviderError(
                f"an agent pool named {group.name} already exists in {cluster.name}",
                code="NODE_GROUP_NAME_TAKEN",
                provider="azure",
            )
        return view

    def _describe_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup | None:
        aks, _ = self._clients(credential)
        pool = self._get_pool(aks, cluster, group)
        if pool is None:
            return None
        view = self._pool_view(pool)
        return view if view.owner == group.node_group_id else None

    def _update_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        aks, _ = self._clients(credential)
        pool = self._get_pool(aks, cluster, group)
        current = None if pool is None else self._pool_view(pool)
        if current is None or current.owner != group.node_group_id:
            raise ProviderError(
                "the agent pool is not in the cloud",
                code="PROVIDER_RESOURCE_LOST",
                provider="azure",
            )
        if not current.active or current.matches(group):
            return
        self._put_pool(aks, cluster, group)

    def _delete_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        aks, _ = self._clients(credential)
        pool = self._get_pool(aks, cluster, group)
        if pool is None:
            return
        current = self._pool_view(pool)
        if current.owner != group.node_group_id or current.status == "DELETING":
            return
        try:
            aks.agent_pools.begin_delete(
                self._group(cluster), cluster.name, group.name, polling=False
            )
        except ResourceNotFoundError:
            return

    # kubeconfig --------------------------------------------------------------------

    def _kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig:
        """The cloud's own user kubeconfig (listClusterUserCredential), as `az aks
        get-credentials` fetches it: on AAD clusters its user runs kubelogin, which gets
        a short-lived token for whoever uses it."""
        aks, _ = self._clients(credential)
        current = self._get(aks, spec)
        if current is None or current.owner != spec.cluster_id:
            raise ProviderError(
                "the cluster is not in the cloud", code="PROVIDER_RESOURCE_LOST", provider="azure"
            )
        result = aks.managed_clusters.list_cluster_user_credentials(self._group(spec), spec.name)
        configs = [k.value for k in result.kubeconfigs or [] if k.value]
        if not configs:
            raise ProviderError(
                "the cloud returned no kubeconfig", code="PROVIDER_ERROR", provider="azure"
            )
        text = configs[0].decode() if isinstance(configs[0], bytes) else str(configs[0])
        return IssuedKubeconfig(text, None)
