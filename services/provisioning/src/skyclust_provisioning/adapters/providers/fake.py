"""An in-memory cloud: a real ClusterProvider for unit tests, with scripted faults."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from skyclust_common.errors import ProviderError

from ...domain.cluster import OWNER_TAG, ClusterSpec
from ...domain.kubeconfig import build_kubeconfig
from ...domain.node_group import NodeGroupSpec
from .base import CloudCluster, CloudNodeGroup, IssuedKubeconfig


class FakeClusterProvider:
    def __init__(self, *, polls_until_active: int = 0) -> None:
        self.clusters: dict[tuple[str, str], dict[str, Any]] = {}
        self.create_calls = 0
        self.polls_until_active = polls_until_active
        self.faults: list[ProviderError] = []
        self.node_groups: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.node_group_create_calls = 0

    def _raise_fault(self) -> None:
        if self.faults:
            raise self.faults.pop(0)

    def _view(self, key: tuple[str, str]) -> CloudCluster:
        c = self.clusters[key]
        return CloudCluster(
            cloud_id=f"fake:{key[0]}:{key[1]}",
            status=c["status"],
            endpoint="https://fake.example" if c["status"] == "ACTIVE" else None,
            version=c["version"],
            owner=c["tags"].get(OWNER_TAG),
        )

    async def create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        self._raise_fault()
        key = (spec.region, spec.name)
        if key in self.clusters:
            if self.clusters[key]["tags"].get(OWNER_TAG) != spec.cluster_id:
                raise ProviderError("name in use", code="CLUSTER_NAME_TAKEN", provider="fake")
            return self._view(key)
        self.create_calls += 1
        status = "ACTIVE" if self.polls_until_active == 0 else "CREATING"
        self.clusters[key] = {
            "status": status,
            "version": spec.version,
            "tags": spec.cloud_tags(),
            "polls": 0,
        }
        return self._view(key)

    async def describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        self._raise_fault()
        key = (spec.region, spec.name)
        if key not in self.clusters:
            return None
        c = self.clusters[key]
        if c["tags"].get(OWNER_TAG) != spec.cluster_id:
            return None  # a same-named cluster that is not this spec's
        c["polls"] += 1
        if c["status"] == "CREATING" and c["polls"] >= self.polls_until_active:
            c["status"] = "ACTIVE"
        return self._view(key)

    async def delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        self._raise_fault()
        key = (spec.region, spec.name)
        if key in self.clusters and self.clusters[key]["tags"].get(OWNER_TAG) == spec.cluster_id:
            del self.clusters[key]

    # node groups -------------------------------------------------------------------

    def _cluster_of(self, cluster: ClusterSpec) -> dict[str, Any]:
        c = self.clusters.get((cluster.region, cluster.name))
        if c is None or c["tags"].get(OWNER_TAG) != cluster.cluster_id:
            raise ProviderError("no such cluster", code="PROVIDER_RESOURCE_LOST", provider="fake")
        return c

    def _group_view(self, key: tuple[str, str, str]) -> CloudNodeGroup:
        g = self.node_groups[key]
        return CloudNodeGroup(
            cloud_id=f"fake:{':'.join(key)}",
            status=g["status"],
            min_size=g["min_size"],
            max_size=g["max_size"],
            desired_size=g["desired_size"],
            labels=dict(g["labels"]),
            taints=g["taints"],
            owner=g["owner"],
        )

    async def create_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup:
        self._raise_fault()
        self._cluster_of(cluster)
        key = (cluster.region, cluster.name, group.name)
        if key in self.node_groups:
            if self.node_groups[key]["owner"] != group.node_group_id:
                raise ProviderError(
                    "node group name in use", code="NODE_GROUP_NAME_TAKEN", provider="fake"
                )
            return self._group_view(key)
        self.node_group_create_calls += 1
        self.node_groups[key] = {
            "status": "ACTIVE" if self.polls_until_active == 0 else "CREATING",
            "min_size": group.min_size,
            "max_size": group.max_size,
            "desired_size": group.desired_size,
            "labels": dict(group.labels),
            "taints": group.taints,
            "owner": group.node_group_id,
            "polls": 0,
        }
        return self._group_view(key)

    async def describe_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup | None:
        self._raise_fault()
        key = (cluster.region, cluster.name, group.name)
        g = self.node_groups.get(key)
        if g is None or g["owner"] != group.node_group_id:
            return None
        g["polls"] += 1
        if g["status"] in ("CREATING", "UPDATING") and g["polls"] >= self.polls_until_active:
            g["status"] = "ACTIVE"
        return self._group_view(key)

    async def update_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        self._raise_fault()
        key = (cluster.region, cluster.name, group.name)
        g = self.node_groups.get(key)
        if g is None or g["owner"] != group.node_group_id:
            raise ProviderError(
                "no such node group", code="PROVIDER_RESOURCE_LOST", provider="fake"
            )
        if g["status"] != "ACTIVE" or self._group_view(key).matches(group):
            return
        g.update(
            min_size=group.min_size,
            max_size=group.max_size,
            desired_size=group.desired_size,
            labels=dict(group.labels),
            taints=group.taints,
            status="ACTIVE" if self.polls_until_active == 0 else "UPDATING",
            polls=0,
        )

    async def delete_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        self._raise_fault()
        key = (cluster.region, cluster.name, group.name)
        if key in self.node_groups and self.node_groups[key]["owner"] == group.node_group_id:
            del self.node_groups[key]

    async def kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig:
        self._raise_fault()
        view = await self.describe(spec, credential)
        if view is None or view.endpoint is None:
            raise ProviderError(
                "the cluster has no endpoint", code="PROVIDER_RESOURCE_LOST", provider="fake"
            )
        token = f"fake-{secrets.token_hex(16)}"
        return IssuedKubeconfig(
            build_kubeconfig(spec.name, view.endpoint, "ZmFrZS1jYQ==", {"token": token}),
            datetime.now(UTC) + timedelta(minutes=15),
        )
