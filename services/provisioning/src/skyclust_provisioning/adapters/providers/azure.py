"""AKS through azure-mgmt-containerservice. A PUT is idempotent by nature; the owner tag
tells an earlier attempt's cluster from somebody else's. Long-running operations are
started, not waited for: the saga polls `describe`."""

from __future__ import annotations

import asyncio
from typing import Any

from skyclust_common.cloud import aks_client, azure_credential, azure_resource_client
from skyclust_common.errors import ProviderError

from ...domain.cluster import OWNER_LABEL, ClusterSpec
from .base import CloudCluster

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
        if status == 403:
            return ProviderError(message, code="PROVIDER_ACCESS_DENIED", provider="azure")
        if status == 401:
            return ProviderError(message, code="PROVIDER_AUTH_FAILED", provider="azure")
        return ProviderError(message, code="PROVIDER_INVALID_REQUEST", provider="azure")
    return ProviderError(message, code="PROVIDER_ERROR", retryable=True, provider="azure")


class AksProvider:
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
