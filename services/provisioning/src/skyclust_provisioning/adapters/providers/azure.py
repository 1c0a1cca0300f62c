"""AKS through azure-mgmt-containerservice. A PUT is idempotent by nature; the owner tag
tells an earlier attempt's cluster from somebody else's. Long-running operations are
started, not waited for: the saga polls `describe`."""

from __future__ import annotations

from typing import Any

from skyclust_common.cloud import aks_client, azure_credential, azure_resource_client
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
from ...domain.node_group import NODE_GROUP_OWNER_LABEL, NodeGroupSpec, Taint
from .azure_kubeconfig import aks_server_token, as_json
from .base import (
    CloudCluster,
    CloudNodeGroup,
    DiscoveredCluster,
    DiscoveredNodeGroup,
    IssuedKubeconfig,
    IssuedToken,
    same_minor,
)
from .blocking import BlockingSdkProvider, ClientCache, minors, taken, unclaimed

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
        return ProviderAuthFailed(message, provider="azure")
    if isinstance(exc, ServiceRequestError | ServiceResponseError | OSError):
        return ProviderUnavailable("Azure endpoint unreachable", retryable=True, provider="azure")
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        if status == 429:
            return ProviderThrottled(message, retryable=True, provider="azure")
        if status >= 500:
            return ProviderUnavailable(message, retryable=True, provider="azure")
        if status == 409 and getattr(exc.error, "code", None) == "OperationNotAllowed":
            # AKS runs one operation per cluster at a time; a later attempt will get through.
            return ProviderBusy(message, retryable=True, provider="azure")
        if status == 403:
            return ProviderAccessDenied(message, provider="azure")
        if status == 401:
            return ProviderAuthFailed(message, provider="azure")
        return ProviderInvalidRequest(message, provider="azure")
    return ProviderError(message, retryable=True, provider="azure")


def _resource_group(resource_id: str) -> str:
    parts = resource_id.split("/")
    return parts[[p.lower() for p in parts].index("resourcegroups") + 1]


def _lost(what: str) -> ProviderError:
    return ResourceLost(f"the {what} is not in the cloud", provider="azure")


class AksProvider(BlockingSdkProvider):
    provider = "azure"

    def translate(self, exc: Exception) -> ProviderError | None:
        return translate(exc)

    def __init__(self, endpoint_url: str | None = None, ca_bundle: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.ca_bundle = ca_bundle or None
        self._cache: ClientCache[tuple[Any, Any]] = ClientCache()
        self._tokens: ClientCache[Any] = ClientCache()

    def _clients(self, credential: dict[str, Any]) -> tuple[Any, Any]:
        return self._cache.get(credential, None, lambda: self._build_clients(credential))

    def _build_clients(self, credential: dict[str, Any]) -> tuple[Any, Any]:
        cred = azure_credential(
            credential["tenant_id"],
            credential["client_id"],
            credential["client_secret"],
            self.endpoint_url,
            ca_bundle=self.ca_bundle,
        )
        subscription = credential["subscription_id"]
        return (
            aks_client(
                cred, subscription, self.endpoint_url, ca_bundle=self.ca_bundle, retry_total=2
            ),
            azure_resource_client(
                cred, subscription, self.endpoint_url, ca_bundle=self.ca_bundle, retry_total=2
            ),
        )

    @staticmethod
    def _group(spec: ClusterSpec) -> str:
        # Not the network's resource group: the cluster's own keeps where it lives
        # independent of the network, and AKS takes a subnet from any group by its ARM id.
        return str((spec.azure_config or {}).get("resource_group") or f"skyclust-{spec.name}")

    @staticmethod
    def _subnet(spec: ClusterSpec) -> str | None:
        """The subnet new agent pools go into: the network service's first, if any."""
        subnets = (spec.network or {}).get("subnet_cloud_ids") or []
        return str(subnets[0]) if subnets else None

    @staticmethod
    def _view(cluster: Any) -> CloudCluster:
        return CloudCluster(
            cloud_id=cluster.id,
            status=_STATE.get(cluster.provisioning_state or "", "CREATING"),
            endpoint=f"https://{cluster.fqdn}" if cluster.fqdn else None,
            version=cluster.current_kubernetes_version or cluster.kubernetes_version or "",
            owner=(cluster.tags or {}).get(OWNER_LABEL),
        )

    def _find(self, aks: Any, spec: ClusterSpec) -> Any | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return aks.managed_clusters.get(self._group(spec), spec.name)
        except ResourceNotFoundError:
            return None

    def _get(self, aks: Any, spec: ClusterSpec) -> CloudCluster | None:
        found = self._find(aks, spec)
        return None if found is None else self._view(found)

    def _create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        aks, resources = self._clients(credential)
        existing = self._get(aks, spec)
        if existing is not None:
            if existing.owner != spec.cluster_id:
                raise taken(
                    f"an AKS cluster named {spec.name} already exists", "azure", cluster=True
                )
            return existing
        config = spec.azure_config or {}
        group = self._group(spec)
        if self._own_group(resources, spec) is None:
            # An existing group is used as it is; one SkyClust makes is the cluster's own.
            resources.resource_groups.create_or_update(
                group, {"location": spec.region, "tags": {OWNER_LABEL: spec.cluster_id}}
            )
        system_pool: dict[str, Any] = {
            "name": "system",
            "count": int(config.get("node_count", 1)),
            "vmSize": config.get("vm_size", "Standard_D2s_v5"),
            "mode": "System",
        }
        subnet = self._subnet(spec)
        if subnet:
            system_pool["vnetSubnetID"] = subnet
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
                    "agentPoolProfiles": [system_pool],
                },
            },
            polling=False,
        )
        created = self._get(aks, spec)
        if created is None:
            raise ResourceLost(
                "the cluster vanished right after creation", retryable=True, provider="azure"
            )
        return created

    def _describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        aks, _ = self._clients(credential)
        view = self._get(aks, spec)
        return view if view is not None and view.owner == spec.cluster_id else None

    def _delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        aks, resources = self._clients(credential)
        current = self._get(aks, spec)
        if current is None:
            # Gone: the resource group SkyClust made for it goes too (called again by the
            # saga once the cloud confirms the cluster is gone).
            if self._own_group(resources, spec) is True:
                resources.resource_groups.begin_delete(self._group(spec), polling=False)
            return
        if current.owner != spec.cluster_id or current.status == "DELETING":
            return
        try:
            aks.managed_clusters.begin_delete(self._group(spec), spec.name, polling=False)
        except ResourceNotFoundError:
            return

    def _own_group(self, resources: Any, spec: ClusterSpec) -> bool | None:
        """None: the cluster's resource group does not exist; True: SkyClust made it for
        this cluster (its default name and owner tag); False: somebody else's."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            group = resources.resource_groups.get(self._group(spec))
        except ResourceNotFoundError:
            return None
        if (group.properties and group.properties.provisioning_state == "Deleting") or (
            (spec.azure_config or {}).get("resource_group")
        ):
            return False
        return (group.tags or {}).get(OWNER_LABEL) == spec.cluster_id

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
            version=pool.current_orchestrator_version or pool.orchestrator_version or "",
            instance_type=pool.vm_size or None,
        )

    def _get_pool(self, aks: Any, cluster: ClusterSpec, group: NodeGroupSpec) -> Any | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return aks.agent_pools.get(self._group(cluster), cluster.name, group.name)
        except ResourceNotFoundError:
            return None

    def _put_pool(
        self, aks: Any, cluster: ClusterSpec, group: NodeGroupSpec, existing: Any | None
    ) -> None:
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
        if existing is None:
            subnet = self._subnet(cluster)
            if subnet:
                body["properties"]["vnetSubnetID"] = subnet
        else:
            # Left out, AKS would move the nodes to the control plane's version.
            body["properties"]["orchestratorVersion"] = existing.orchestrator_version
        aks.agent_pools.begin_create_or_update(
            self._group(cluster), cluster.name, group.name, body, polling=False
        )

    def _create_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup:
        aks, _ = self._clients(credential)
        pool = self._get_pool(aks, cluster, group)
        if pool is None:
            self._put_pool(aks, cluster, group, None)
            pool = self._get_pool(aks, cluster, group)
            if pool is None:
                raise ResourceLost(
                    "the agent pool vanished right after creation", retryable=True, provider="azure"
                )
        view = self._pool_view(pool)
        if view.owner != group.node_group_id:
            raise taken(
                f"an agent pool named {group.name} already exists in {cluster.name}",
                "azure",
                cluster=False,
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
            raise ResourceLost("the agent pool is not in the cloud", provider="azure")
        if not current.active or current.matches(group):
            return
        self._put_pool(aks, cluster, group, pool)

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

    # versions ----------------------------------------------------------------------

    def _versions(self, region: str, credential: dict[str, Any]) -> list[str]:
        aks, _ = self._clients(credential)
        listed = aks.managed_clusters.list_kubernetes_versions(region)
        return minors([v.version for v in listed.values_property or [] if not v.is_preview])

    def _upgrade(self, spec: ClusterSpec, version: str, credential: dict[str, Any]) -> None:
        """As `az aks upgrade --control-plane-only`: the cluster as it is with the new
        kubernetesVersion, its agent pools keeping theirs. kubernetesVersion is the target,
        so a cluster on its way there needs nothing."""
        aks, _ = self._clients(credential)
        cluster = self._find(aks, spec)
        if cluster is None or self._view(cluster).owner != spec.cluster_id:
            raise _lost("cluster")
        if same_minor(cluster.kubernetes_version or self._view(cluster).version, version):
            return
        cluster.kubernetes_version = version
        aks.managed_clusters.begin_create_or_update(
            self._group(spec), spec.name, cluster, polling=False
        )

    def _upgrade_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, version: str, credential: dict[str, Any]
    ) -> None:
        """As `az aks nodepool upgrade`; orchestratorVersion is the target, as above."""
        aks, _ = self._clients(credential)
        pool = self._get_pool(aks, cluster, group)
        if pool is None or self._pool_view(pool).owner != group.node_group_id:
            raise _lost("agent pool")
        if same_minor(pool.orchestrator_version or self._pool_view(pool).version, version):
            return
        pool.orchestrator_version = version
        aks.agent_pools.begin_create_or_update(
            self._group(cluster), cluster.name, group.name, pool, polling=False
        )

    # adoption ----------------------------------------------------------------------

    def _discover(self, region: str, credential: dict[str, Any]) -> list[DiscoveredCluster]:
        aks, _ = self._clients(credential)
        wanted = region.replace(" ", "").lower()
        found: list[DiscoveredCluster] = []
        for cluster in aks.managed_clusters.list():
            if str(cluster.location).replace(" ", "").lower() != wanted:
                continue
            group = _resource_group(cluster.id)
            pools = aks.agent_pools.list(group, cluster.name)
            found.append(
                DiscoveredCluster(
                    name=cluster.name,
                    cloud=self._view(cluster),
                    resource_group=group,
                    node_groups=tuple(
                        DiscoveredNodeGroup(pool.name, self._pool_view(pool)) for pool in pools
                    ),
                )
            )
        return found

    def _claim(
        self, spec: ClusterSpec, groups: list[NodeGroupSpec], credential: dict[str, Any]
    ) -> None:
        """The spec's azure_config.resource_group names the group discovery found. Agent
        pools are tagged first and the cluster last, each its own operation. AKS runs one
        at a time per cluster: a call may tag only part and fail PROVIDER_BUSY; calling
        again carries on. Everything is checked before anything is tagged."""
        from azure.mgmt.containerservice.models import TagsObject

        aks, _ = self._clients(credential)
        cluster = self._find(aks, spec)
        if cluster is None:
            raise _lost("cluster")
        owner = self._view(cluster).owner
        what = f"the AKS cluster {spec.name}"
        cluster_untagged = unclaimed(owner, spec.cluster_id, what, "azure", cluster=True)
        untagged = []
        for group in groups:
            pool = self._get_pool(aks, spec, group)
            if pool is None:
                raise _lost(f"agent pool {group.name}")
            pool_owner = self._pool_view(pool).owner
            what = f"the agent pool {group.name}"
            if unclaimed(pool_owner, group.node_group_id, what, "azure", cluster=False):
                untagged.append((group, pool))
        for group, pool in untagged:
            pool.tags = {**(pool.tags or {}), **group.owner_labels()}
            aks.agent_pools.begin_create_or_update(
                self._group(spec), spec.name, group.name, pool, polling=False
            )
        if cluster_untagged:
            tags = {**(cluster.tags or {}), OWNER_LABEL: spec.cluster_id}
            aks.managed_clusters.begin_update_tags(
                self._group(spec), spec.name, TagsObject(tags=tags), polling=False
            )

    # kubeconfig --------------------------------------------------------------------

    def _kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig:
        """The cloud's own user kubeconfig (listClusterUserCredential), as `az aks
        get-credentials` fetches it: on AAD clusters its user runs kubelogin, which gets
        a short-lived token for whoever uses it."""
        aks, _ = self._clients(credential)
        current = self._get(aks, spec)
        if current is None or current.owner != spec.cluster_id:
            raise ResourceLost("the cluster is not in the cloud", provider="azure")
        result = aks.managed_clusters.list_cluster_user_credentials(self._group(spec), spec.name)
        configs = [k.value for k in result.kubeconfigs or [] if k.value]
        if not configs:
            raise ProviderError("the cloud returned no kubeconfig", provider="azure")
        text = configs[0].decode() if isinstance(configs[0], bytes) else str(configs[0])
        return IssuedKubeconfig(as_json(text), None)

    def _cluster_token(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedToken:
        entra = self._tokens.get(
            credential,
            None,
            lambda: azure_credential(
                credential["tenant_id"],
                credential["client_id"],
                credential["client_secret"],
                self.endpoint_url,
                ca_bundle=self.ca_bundle,
            ),
        )
        return aks_server_token(entra)
