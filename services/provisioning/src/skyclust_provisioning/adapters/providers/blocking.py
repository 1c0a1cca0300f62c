"""The async ClusterProvider surface over a cloud SDK that blocks: every call runs in a
worker thread, and the vendor's exceptions are translated at this one boundary."""

from __future__ import annotations

import abc
import asyncio
from typing import Any

from skyclust_common.errors import ProviderError

from ...domain.cluster import ClusterSpec
from ...domain.node_group import NodeGroupSpec
from .base import CloudCluster, CloudNodeGroup, IssuedKubeconfig


class BlockingSdkProvider(abc.ABC):
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

    async def _run(self, fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except ProviderError:
            raise
        except Exception as exc:
            translated = self.translate(exc)
            if translated is None:
                raise
            raise translated from None

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
