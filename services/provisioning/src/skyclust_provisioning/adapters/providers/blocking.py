"""The async ClusterProvider surface over a cloud SDK that blocks: every call runs in a
worker thread, and the vendor's exceptions are translated at this one boundary."""

from __future__ import annotations

import abc
import hashlib
import json
import threading
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from skyclust_common.cloud.blocking import in_thread
from skyclust_common.errors import ProviderError

from ...domain.cluster import ClusterSpec
from ...domain.errors import (
    ClusterAlreadyManaged,
    ClusterNameTaken,
    NodeGroupAlreadyManaged,
    NodeGroupNameTaken,
    ResourceLost,
)
from ...domain.kubeconfig import exec_credential_status
from ...domain.node_group import NodeGroupSpec
from .base import CloudCluster, CloudNodeGroup, DiscoveredCluster, IssuedKubeconfig, IssuedToken

C = TypeVar("C")


class ClientCache(Generic[C]):
    """SDK clients per credential (and whatever else picks one, such as the region).
    Building one parses the key and loads the service model: a GCP key's RSA parse alone
    is tens of milliseconds, which a saga polling every 0.1 s paid on every call. The
    clients are thread-safe, so the worker threads share them. The key is a digest, so
    the secret is not kept twice."""

    def __init__(self, limit: int = 64) -> None:
        self._limit = limit
        self._clients: dict[tuple[str, Hashable], C] = {}
        self._lock = threading.Lock()

    def get(self, credential: dict[str, Any], extra: Hashable, build: Callable[[], C]) -> C:
        digest = hashlib.sha256(json.dumps(credential, sort_keys=True).encode()).hexdigest()
        key = (digest, extra)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = build()
                if len(self._clients) >= self._limit:
                    self._clients.clear()
                self._clients[key] = client
            return client


class BlockingSdkProvider(abc.ABC):
    provider: str  # the cloud, as the metrics' `provider` label names it

    @abc.abstractmethod
    def translate(self, exc: Exception) -> ProviderError | None:
        """The vendor's error as a ProviderError; None for anything else (a bug),
        which is raised as it is."""

    @abc.abstractmethod
    def _create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster: ...

    @abc.abstractmethod
    def _describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None: ...

    @abc.abstractmethod
    def _delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    def _create_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup: ...

    @abc.abstractmethod
    def _describe_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup | None: ...

    @abc.abstractmethod
    def _update_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None: ...

    @abc.abstractmethod
    def _delete_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None: ...

    @abc.abstractmethod
    def _kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig: ...

    @abc.abstractmethod
    def _versions(self, region: str, credential: dict[str, Any]) -> list[str]: ...

    @abc.abstractmethod
    def _upgrade(self, spec: ClusterSpec, version: str, credential: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    def _upgrade_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, version: str, credential: dict[str, Any]
    ) -> None: ...

    @abc.abstractmethod
    def _discover(self, region: str, credential: dict[str, Any]) -> list[DiscoveredCluster]: ...

    @abc.abstractmethod
    def _claim(
        self, spec: ClusterSpec, groups: list[NodeGroupSpec], credential: dict[str, Any]
    ) -> None: ...

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await in_thread(fn, *args, translate=self.translate, provider=self.provider)

    async def create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        result: CloudCluster = await self._run(self._create, spec, credential)
        return result

    async def describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        result: CloudCluster | None = await self._run(self._describe, spec, credential)
        return result

    async def delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        await self._run(self._delete, spec, credential)

    async def create_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup:
        result: CloudNodeGroup = await self._run(self._create_group, cluster, group, credential)
        return result

    async def describe_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup | None:
        result: CloudNodeGroup | None = await self._run(
            self._describe_group, cluster, group, credential
        )
        return result

    async def update_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        await self._run(self._update_group, cluster, group, credential)

    async def delete_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        await self._run(self._delete_group, cluster, group, credential)

    async def kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig:
        result: IssuedKubeconfig = await self._run(self._kubeconfig, spec, credential)
        return result

    async def cluster_token(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedToken:
        result: IssuedToken = await self._run(self._cluster_token, spec, credential)
        return result

    def _cluster_token(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedToken:
        """The credential a fresh kubeconfig holds (EKS's presigned token, GKE's access
        token); a cloud whose kubeconfig holds none of its own says how it is had."""
        issued = self._kubeconfig(spec, credential)
        return IssuedToken(exec_credential_status(issued.kubeconfig), issued.expires_at)

    async def versions(self, region: str, credential: dict[str, Any]) -> list[str]:
        result: list[str] = await self._run(self._versions, region, credential)
        return result

    async def upgrade(self, spec: ClusterSpec, version: str, credential: dict[str, Any]) -> None:
        await self._run(self._upgrade, spec, version, credential)

    async def upgrade_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, version: str, credential: dict[str, Any]
    ) -> None:
        await self._run(self._upgrade_group, cluster, group, version, credential)

    async def discover(self, region: str, credential: dict[str, Any]) -> list[DiscoveredCluster]:
        result: list[DiscoveredCluster] = await self._run(self._discover, region, credential)
        return result

    async def claim(
        self, spec: ClusterSpec, groups: list[NodeGroupSpec], credential: dict[str, Any]
    ) -> None:
        await self._run(self._claim, spec, groups, credential)


def minors(versions: list[str]) -> list[str]:
    """Distinct minor versions ("1.31") of `versions` (any of "1.31", "1.31.6",
    "1.31.6-gke.1020000"), ascending by number."""
    found = {".".join(v.split("-")[0].split(".")[:2]) for v in versions if v}
    return sorted(found, key=lambda v: tuple(int(part) for part in v.split(".")))


def unclaimed(owner: str | None, wanted: str, what: str, provider: str, *, cluster: bool) -> bool:
    """For `claim`: True when `what` has no SkyClust owner tag yet; refused when another
    SkyClust cluster or node group owns it."""
    if owner not in (None, wanted):
        kind = "cluster" if cluster else "node group"
        code = ClusterAlreadyManaged.code if cluster else NodeGroupAlreadyManaged.code
        raise ProviderError(
            f"{what} is managed by another SkyClust {kind}", code=code, provider=provider
        )
    return owner is None


def taken(message: str, provider: str, *, cluster: bool) -> ProviderError:
    """A create met a resource of its name in the cloud that this SkyClust cluster or
    node group did not make: a 502 from the cloud, with the request's name-taken code."""
    code = ClusterNameTaken.code if cluster else NodeGroupNameTaken.code
    return ProviderError(message, code=code, provider=provider)


def lost(what: str, provider: str) -> ProviderError:
    return ResourceLost(f"the {what} is not in the cloud", provider=provider)
