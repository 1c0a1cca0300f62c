"""The one interface the cluster saga sees, whatever the cloud."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ...domain.cluster import ClusterSpec
from ...domain.node_group import NodeGroupSpec, Taint, same_taints


@dataclass(frozen=True)
class CloudCluster:
    cloud_id: str
    status: str  # CREATING, ACTIVE, DELETING, FAILED, UPDATING
    endpoint: str | None
    version: str
    owner: str | None  # the SkyClust cluster id tagged on it, if any

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    @property
    def failed(self) -> bool:
        return self.status == "FAILED"


@dataclass(frozen=True)
class CloudNodeGroup:
    cloud_id: str
    status: str  # CREATING, ACTIVE, UPDATING, DELETING, FAILED
    min_size: int
    max_size: int
    desired_size: int
    labels: dict[str, str]
    taints: tuple[Taint, ...]
    owner: str | None  # the SkyClust node group id tagged on it, if any
    version: str = ""  # the nodes' Kubernetes version ("1.31" or "1.31.6"); "" if unknown
    instance_type: str | None = None

    @property
    def active(self) -> bool:
        return self.status == "ACTIVE"

    @property
    def failed(self) -> bool:
        return self.status == "FAILED"

    def matches(self, spec: NodeGroupSpec) -> bool:
        """The cloud already has the sizes, labels and taints the spec asks for."""
        return (
            (self.min_size, self.max_size, self.desired_size)
            == (spec.min_size, spec.max_size, spec.desired_size)
            and self.labels == spec.labels
            and same_taints(self.taints, spec.taints)
        )


class NodeGroupProvider(Protocol):
    async def create_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup:
        """Create the node group, or return it if this spec created it already."""
        ...

    async def describe_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup | None:
        """The cloud's view; None only when the cloud says it does not exist (or is not ours)."""
        ...

    async def update_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        """Start moving the node group towards the spec's sizes, labels and taints. One
        call may start only part of it (clouds that run one operation at a time): the
        caller describes, and calls again while the cloud does not yet match."""
        ...

    async def delete_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        """Start deleting; succeeds when it is already gone."""
        ...


@dataclass(frozen=True)
class IssuedKubeconfig:
    kubeconfig: str  # the document, as text; it holds a credential
    expires_at: datetime | None  # when the credential in it stops working, if known


@dataclass(frozen=True)
class IssuedToken:
    status: dict[str, str]  # the ExecCredential `status` fields: a token or a client cert
    expires_at: datetime | None


class KubeconfigProvider(Protocol):
    async def kubeconfig(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedKubeconfig:
        """A kubeconfig from the cloud's endpoint and CA with a short-lived credential."""
        ...

    async def cluster_token(self, spec: ClusterSpec, credential: dict[str, Any]) -> IssuedToken:
        """A fresh short-lived credential for the exec plugin (`skyclust kubeconfig token`)."""
        ...


@dataclass(frozen=True)
class DiscoveredNodeGroup:
    name: str
    cloud: CloudNodeGroup


@dataclass(frozen=True)
class DiscoveredCluster:
    """A cluster found in the cloud, whoever made it."""

    name: str
    cloud: CloudCluster
    resource_group: str | None  # Azure only
    node_groups: tuple[DiscoveredNodeGroup, ...]


class VersionProvider(Protocol):
    async def versions(self, region: str, credential: dict[str, Any]) -> list[str]:
        """The Kubernetes minor versions ("1.30") the cloud offers in `region`, ascending."""
        ...

    async def upgrade(self, spec: ClusterSpec, version: str, credential: dict[str, Any]) -> None:
        """Start moving the control plane to minor `version`; nothing when it is there or
        on its way. The caller describes until the version matches and it is ACTIVE."""
        ...

    async def upgrade_node_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, version: str, credential: dict[str, Any]
    ) -> None:
        """Start moving the node group's nodes to minor `version` (as `upgrade`)."""
        ...


class AdoptionProvider(Protocol):
    async def discover(self, region: str, credential: dict[str, Any]) -> list[DiscoveredCluster]:
        """Every cluster in `region` the credential can see, with its node groups."""
        ...

    async def claim(
        self, spec: ClusterSpec, groups: list[NodeGroupSpec], credential: dict[str, Any]
    ) -> None:
        """Tag an adopted cluster and its node groups (matched by name) with SkyClust's
        owner tags, so that from then on it is managed like one SkyClust created."""
        ...


def same_minor(actual: str, wanted: str) -> bool:
    """True when both name the same minor version ("1.31.6" and "1.31")."""
    return actual.split(".")[:2] == wanted.split(".")[:2]


class ClusterProvider(
    NodeGroupProvider, KubeconfigProvider, VersionProvider, AdoptionProvider, Protocol
):
    async def create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        """Create the cluster, or return it if this spec created it already."""
        ...

    async def describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        """The cloud's view of the cluster; None only when the cloud says it does not exist."""
        ...

    async def delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        """Start deleting; succeeds when it is already gone."""
        ...
