"""The one interface the cluster saga sees, whatever the cloud."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ...domain.cluster import ClusterSpec


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


class ClusterProvider(Protocol):
    async def create(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster:
        """Create the cluster, or return it if this spec created it already."""
        ...

    async def describe(self, spec: ClusterSpec, credential: dict[str, Any]) -> CloudCluster | None:
        """The cloud's view of the cluster; None only when the cloud says it does not exist."""
        ...

    async def delete(self, spec: ClusterSpec, credential: dict[str, Any]) -> None:
        """Start deleting; succeeds when it is already gone."""
        ...
