"""An in-memory cloud: a real ClusterProvider for unit tests, with scripted faults."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from skyclust_common.errors import ProviderError

from ...domain.cluster import OWNER_TAG, ClusterSpec
from ...domain.errors import (
    ClusterAlreadyManaged,
    ClusterNameTaken,
    NodeGroupAlreadyManaged,
    NodeGroupNameTaken,
    ProviderBusy,
    ProviderInvalidRequest,
    ResourceLost,
)
from ...domain.kubeconfig import build_kubeconfig, exec_credential_status
from ...domain.node_group import NodeGroupSpec
from .base import (
    CloudCluster,
    CloudNodeGroup,
    DiscoveredCluster,
    DiscoveredNodeGroup,
    IssuedKubeconfig,
    IssuedToken,
    same_minor,
)

VERSIONS = ("1.29", "1.30", "1.31", "1.32", "1.33")
DEFAULT_INSTANCE_TYPE = "fake.medium"  # what a node group asking for none gets, as in clouds


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


class FakeClusterProvider:
    """Clusters and node groups become ACTIVE (after creation or an upgrade) on the
    `polls_until_active`-th describe; each call first raises the next of `faults`, if any.
    Versions follow the clouds' rules: one minor up at a time, nodes never newer than the
    control plane."""

    def __init__(
        self, *, polls_until_active: int = 0, versions: tuple[str, ...] = VERSIONS
    ) -> None:
        self.clusters: dict[tuple[str, str], dict[str, Any]] = {}
        self.create_calls = 0
        self.polls_until_active = polls_until_active
        self.faults: list[ProviderError] = []
        self.node_groups: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.node_group_create_calls = 0
        self.offered_versions = versions
        self.upgrade_calls = 0

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
                raise ProviderError("name in use", provider="fake", code=ClusterNameTaken.code)
            return self._view(key)
        self.create_calls += 1
        status = "ACTIVE" if self.polls_until_active == 0 else "CREATING"
        self.clusters[key] = {
            "status": status,
            "version": spec.version,
            "tags": spec.cloud_tags(),
            "polls": 0,
            "target": None,
            "network": spec.network,
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
        if c["status"] in ("CREATING", "UPDATING") and c["polls"] >= self.polls_until_active:
            self._settle(c)
        return self._view(key)

    @staticmethod
    def _settle(resource: dict[str, Any]) -> None:
        resource["status"] = "ACTIVE"
        if resource.get("target"):
            resource["version"], resource["target"] = resource["target"], None

    async def delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        self._raise_fault()
        key = (spec.region, spec.name)
        if key in self.clusters and self.clusters[key]["tags"].get(OWNER_TAG) == spec.cluster_id:
            del self.clusters[key]

    # node groups -------------------------------------------------------------------

    def _cluster_of(self, cluster: ClusterSpec) -> dict[str, Any]:
        c = self.clusters.get((cluster.region, cluster.name))
        if c is None or c["tags"].get(OWNER_TAG) != cluster.cluster_id:
            raise ResourceLost("no such cluster", provider="fake")
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
            version=g["version"],
            instance_type=g["instance_type"],
        )

    async def create_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup:
        self._raise_fault()
        parent = self._cluster_of(cluster)
        key = (cluster.region, cluster.name, group.name)
        if key in self.node_groups:
            if self.node_groups[key]["owner"] != group.node_group_id:
                raise ProviderError(
                    "node group name in use", provider="fake", code=NodeGroupNameTaken.code
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
            "version": parent["version"],
            "instance_type": group.instance_type or DEFAULT_INSTANCE_TYPE,
            "target": None,
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
            self._settle(g)
        return self._group_view(key)

    async def update_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        self._raise_fault()
        key = (cluster.region, cluster.name, group.name)
        g = self.node_groups.get(key)
        if g is None or g["owner"] != group.node_group_id:
            raise ResourceLost("no such node group", provider="fake")
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

    # versions ----------------------------------------------------------------------

    async def versions(self, region: str, credential: dict[str, Any]) -> list[str]:
        self._raise_fault()
        return sorted(self.offered_versions, key=_minor)

    def _start_upgrade(self, resource: dict[str, Any], version: str) -> None:
        if resource["status"] != "ACTIVE":
            raise ProviderBusy("an operation is in progress", retryable=True, provider="fake")
        self.upgrade_calls += 1
        resource.update(target=version, status="UPDATING", polls=0)
        if self.polls_until_active == 0:
            self._settle(resource)

    async def upgrade(self, spec: ClusterSpec, version: str, credential: dict[str, Any]) -> None:
        self._raise_fault()
        c = self._cluster_of(spec)
        if same_minor(c["version"], version) or c["target"] == version:
            return
        current = _minor(c["version"])
        if version not in self.offered_versions or _minor(version) != (current[0], current[1] + 1):
            raise ProviderInvalidRequest(
                f"cannot upgrade from {c['version']} to {version}", provider="fake"
            )
        self._start_upgrade(c, version)

    async def upgrade_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, version: str, credential: dict[str, Any]
    ) -> None:
        self._raise_fault()
        c = self._cluster_of(cluster)
        g = self.node_groups.get((cluster.region, cluster.name, group.name))
        if g is None or g["owner"] != group.node_group_id:
            raise ResourceLost("no such node group", provider="fake")
        if same_minor(g["version"], version) or g["target"] == version:
            return
        nodes = _minor(g["version"])
        if _minor(version) != (nodes[0], nodes[1] + 1) or _minor(version) > _minor(c["version"]):
            raise ProviderInvalidRequest(
                f"cannot move nodes from {g['version']} to {version} under a {c['version']} "
                "control plane",
                provider="fake",
            )
        self._start_upgrade(g, version)

    # adoption ----------------------------------------------------------------------

    def add_unmanaged_cluster(
        self, region: str, name: str, *, version: str = "1.31", node_groups: tuple[str, ...] = ()
    ) -> None:
        """A cluster somebody made without SkyClust (no owner tags), as discover finds."""
        self.clusters[(region, name)] = {
            "status": "ACTIVE",
            "version": version,
            "tags": {},
            "polls": 0,
            "target": None,
            "network": None,
        }
        for group in node_groups:
            self.node_groups[(region, name, group)] = {
                "status": "ACTIVE",
                "min_size": 1,
                "max_size": 3,
                "desired_size": 2,
                "labels": {},
                "taints": (),
                "owner": None,
                "polls": 0,
                "version": version,
                "instance_type": DEFAULT_INSTANCE_TYPE,
                "target": None,
            }

    async def discover(self, region: str, credential: dict[str, Any]) -> list[DiscoveredCluster]:
        self._raise_fault()
        return [
            DiscoveredCluster(
                name=name,
                cloud=self._view((where, name)),
                resource_group=None,
                node_groups=tuple(
                    DiscoveredNodeGroup(key[2], self._group_view(key))
                    for key in self.node_groups
                    if key[:2] == (where, name)
                ),
            )
            for where, name in self.clusters
            if where == region
        ]

    async def claim(
        self, spec: ClusterSpec, groups: list[NodeGroupSpec], credential: dict[str, Any]
    ) -> None:
        self._raise_fault()
        c = self.clusters.get((spec.region, spec.name))
        if c is None:
            raise ResourceLost("no such cluster", provider="fake")
        if c["tags"].get(OWNER_TAG) not in (None, spec.cluster_id):
            raise ProviderError(
                "the cluster is managed by another SkyClust cluster",
                provider="fake",
                code=ClusterAlreadyManaged.code,
            )
        found = []
        for group in groups:
            g = self.node_groups.get((spec.region, spec.name, group.name))
            if g is None:
                raise ResourceLost("no such node group", provider="fake")
            if g["owner"] not in (None, group.node_group_id):
                raise NodeGroupAlreadyManaged(
                    "the node group is managed by another SkyClust node group", provider="fake"
                )
            found.append((g, group))
        for g, group in found:
            g["owner"] = group.node_group_id
        c["tags"][OWNER_TAG] = spec.cluster_id

    async def kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig:
        self._raise_fault()
        view = await self.describe(spec, credential)
        if view is None or view.endpoint is None:
            raise ResourceLost("the cluster has no endpoint", provider="fake")
        token = f"fake-{secrets.token_hex(16)}"
        return IssuedKubeconfig(
            build_kubeconfig(spec.name, view.endpoint, "ZmFrZS1jYQ==", {"token": token}),
            datetime.now(UTC) + timedelta(minutes=15),
        )

    async def cluster_token(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedToken:
        issued = await self.kubeconfig(spec, credential)
        return IssuedToken(exec_credential_status(issued.kubeconfig), issued.expires_at)
