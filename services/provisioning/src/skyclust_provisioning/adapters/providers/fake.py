"""An in-memory cloud: a real ClusterProvider for unit tests, with scripted faults."""

from __future__ import annotations

from typing import Any

from skyclust_common.errors import ProviderError

from ...domain.cluster import OWNER_TAG, ClusterSpec
from .base import CloudCluster


class FakeClusterProvider:
    def __init__(self, *, polls_until_active: int = 0) -> None:
        self.clusters: dict[tuple[str, str], dict[str, Any]] = {}
        self.create_calls = 0
        self.polls_until_active = polls_until_active
        self.faults: list[ProviderError] = []

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
