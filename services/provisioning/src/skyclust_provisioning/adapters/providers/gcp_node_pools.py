"""GKE node pools, the node-group half of GkeProvider (gcp.py), and the resource paths
of both. Creation is idempotent by name: a pool of the requested name labelled with this
SkyClust node group's id is the one an earlier attempt created."""

from __future__ import annotations

import abc
import contextlib
import json
from typing import Any

from skyclust_common.cloud import compute_clients

from ...domain.cluster import ClusterSpec
from ...domain.errors import (
    ResourceLost,
)
from ...domain.node_group import NODE_GROUP_OWNER_LABEL, NodeGroupSpec, Taint
from .base import CloudNodeGroup
from .blocking import ClientCache, taken

_POOL_STATUS = {
    "PROVISIONING": "CREATING",
    "RUNNING": "ACTIVE",
    "RUNNING_WITH_ERROR": "ACTIVE",
    "RECONCILING": "UPDATING",
    "STOPPING": "DELETING",
    "ERROR": "FAILED",
}

_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}


class GkeNodePools(abc.ABC):
    endpoint_url: str | None
    _compute: ClientCache[Any]

    @abc.abstractmethod
    def _client(self, credential: dict[str, Any]) -> tuple[Any, str]: ...

    @staticmethod
    def _path(project: str, spec: ClusterSpec) -> str:
        return f"projects/{project}/locations/{spec.region}/clusters/{spec.name}"

    @staticmethod
    def _pool_path(project: str, cluster: ClusterSpec, group: NodeGroupSpec) -> str:
        return f"{GkeNodePools._path(project, cluster)}/nodePools/{group.name}"

    def _pool_size(self, credential: dict[str, Any], pool: Any) -> int:
        """The live size per zone: the pool's instance group managers' target size
        (GKE keeps initialNodeCount as it was created)."""
        if not pool.instance_group_urls:
            return int(pool.initial_node_count)
        compute = self._compute.get(
            credential,
            None,
            lambda: compute_clients(
                json.loads(credential["service_account_json"]), self.endpoint_url
            ),
        )
        parts = str(pool.instance_group_urls[0]).split("/")
        project = parts[parts.index("projects") + 1]
        zone = parts[parts.index("zones") + 1]
        igm = compute.instance_group_managers.get(
            project=project, zone=zone, instance_group_manager=parts[-1]
        )
        return int(igm.target_size)

    def _get_pool(
        self, gke: Any, project: str, cluster: ClusterSpec, group: NodeGroupSpec
    ) -> Any | None:
        from google.api_core import exceptions as gexc

        try:
            return gke.get_node_pool(name=self._pool_path(project, cluster, group))
        except gexc.NotFound:
            return None

    def _pool_view(self, credential: dict[str, Any], pool: Any) -> CloudNodeGroup:
        from google.cloud.container_v1 import NodePool, NodeTaint

        desired = self._pool_size(credential, pool)
        scaling = pool.autoscaling
        by_effect = {v: k for k, v in _EFFECTS.items()}
        return CloudNodeGroup(
            cloud_id=pool.self_link or pool.name,
            status=_POOL_STATUS.get(NodePool.Status(pool.status).name, "CREATING"),
            min_size=int(scaling.min_node_count) if scaling.enabled else desired,
            max_size=int(scaling.max_node_count) if scaling.enabled else desired,
            desired_size=desired,
            labels=dict(pool.config.labels),
            taints=tuple(
                Taint(t.key, t.value, by_effect.get(NodeTaint.Effect(t.effect).name, "NoSchedule"))
                for t in pool.config.taints
            ),
            owner=dict(pool.config.resource_labels).get(NODE_GROUP_OWNER_LABEL),
            version=pool.version or "",
            instance_type=pool.config.machine_type or None,
        )

    @staticmethod
    def _gke_taints(group: NodeGroupSpec) -> list[Any]:
        from google.cloud.container_v1 import NodeTaint

        return [
            NodeTaint(
                key=t.key, value=t.value, effect=getattr(NodeTaint.Effect, _EFFECTS[t.effect])
            )
            for t in group.taints
        ]

    def _create_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup:
        from google.api_core import exceptions as gexc
        from google.cloud.container_v1 import NodeConfig, NodePool, NodePoolAutoscaling

        gke, project = self._client(credential)
        config = NodeConfig(
            labels=dict(group.labels),
            taints=self._gke_taints(group),
            resource_labels={**cluster.cloud_labels(), **group.owner_labels()},
        )
        if group.instance_type:
            config.machine_type = group.instance_type
        pool = NodePool(
            name=group.name,
            initial_node_count=group.desired_size,
            config=config,
            autoscaling=NodePoolAutoscaling(
                enabled=True, min_node_count=group.min_size, max_node_count=group.max_size
            ),
        )
        if self._get_pool(gke, project, cluster, group) is None:
            with contextlib.suppress(gexc.AlreadyExists, gexc.Conflict):
                gke.create_node_pool(parent=self._path(project, cluster), node_pool=pool)
        found = self._get_pool(gke, project, cluster, group)
        if found is None:
            raise ResourceLost(
                "the node pool vanished right after creation", retryable=True, provider="gcp"
            )
        view = self._pool_view(credential, found)
        if view.owner != group.node_group_id:
            raise taken(
                f"a node pool named {group.name} already exists in {cluster.name}",
                "gcp",
                cluster=False,
            )
        return view

    def _owned_pool(
        self,
        gke: Any,
        project: str,
        cluster: ClusterSpec,
        group: NodeGroupSpec,
        credential: dict[str, Any],
    ) -> CloudNodeGroup:
        """The node group's pool as it is, to be changed: it must be there, and ours."""
        pool = self._get_pool(gke, project, cluster, group)
        current = None if pool is None else self._pool_view(credential, pool)
        if current is None or current.owner != group.node_group_id:
            raise ResourceLost("the node pool is not in the cloud", provider="gcp")
        return current

    def _describe_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup | None:
        gke, project = self._client(credential)
        pool = self._get_pool(gke, project, cluster, group)
        if pool is None:
            return None
        view = self._pool_view(credential, pool)
        return view if view.owner == group.node_group_id else None

    def _update_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        """One operation per call, as GKE allows one at a time per cluster."""
        from google.cloud.container_v1 import NodeLabels, NodePoolAutoscaling, NodeTaints

        gke, project = self._client(credential)
        current = self._owned_pool(gke, project, cluster, group, credential)
        if not current.active or current.matches(group):
            return
        path = self._pool_path(project, cluster, group)
        if (current.min_size, current.max_size) != (group.min_size, group.max_size):
            gke.set_node_pool_autoscaling(
                request={
                    "name": path,
                    "autoscaling": NodePoolAutoscaling(
                        enabled=True, min_node_count=group.min_size, max_node_count=group.max_size
                    ),
                }
            )
        elif current.desired_size != group.desired_size:
            gke.set_node_pool_size(request={"name": path, "node_count": group.desired_size})
        else:
            gke.update_node_pool(
                request={
                    "name": path,
                    "labels": NodeLabels(labels=dict(group.labels)),
                    "taints": NodeTaints(taints=self._gke_taints(group)),
                }
            )

    def _delete_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        from google.api_core import exceptions as gexc

        gke, project = self._client(credential)
        pool = self._get_pool(gke, project, cluster, group)
        if pool is None:
            return
        current = self._pool_view(credential, pool)
        if current.owner != group.node_group_id or current.status == "DELETING":
            return
        try:
            gke.delete_node_pool(name=self._pool_path(project, cluster, group))
        except gexc.NotFound:
            return
