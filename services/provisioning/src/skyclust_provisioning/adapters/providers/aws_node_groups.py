"""EKS managed node groups, the node-group half of EksProvider (aws.py). Creation is
idempotent by name: a node group of the requested name tagged with this SkyClust node
group's id is the one an earlier attempt created."""

from __future__ import annotations

import abc
from typing import Any

import boto3
from botocore.exceptions import ClientError

from ...domain.cluster import ClusterSpec
from ...domain.errors import (
    ResourceLost,
)
from ...domain.node_group import NODE_GROUP_OWNER_TAG, NodeGroupSpec, Taint
from .base import CloudNodeGroup
from .blocking import taken

NODE_ROLE = "skyclust-eks-node"
_NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)


def trust(service: str) -> dict[str, Any]:
    """The policy that lets `service` assume a role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        ],
    }


_NODE_TRUST = trust("ec2.amazonaws.com")
_NODEGROUP_STATUS = {
    "CREATING": "CREATING",
    "ACTIVE": "ACTIVE",
    "UPDATING": "UPDATING",
    "DELETING": "DELETING",
    "CREATE_FAILED": "FAILED",
    "DELETE_FAILED": "FAILED",
    "DEGRADED": "ACTIVE",
}
_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}


class EksNodeGroups(abc.ABC):
    @abc.abstractmethod
    def _session(self, spec: ClusterSpec, credential: dict[str, Any]) -> boto3.session.Session: ...

    @abc.abstractmethod
    def _client(self, session: boto3.session.Session, service: str) -> Any: ...

    @abc.abstractmethod
    def _ensure_role(
        self,
        session: boto3.session.Session,
        name: str,
        trust: dict[str, Any],
        policies: tuple[str, ...],
        description: str,
    ) -> str: ...

    @staticmethod
    def _group_view(group: dict[str, Any]) -> CloudNodeGroup:
        scaling = group.get("scalingConfig") or {}
        return CloudNodeGroup(
            cloud_id=group["nodegroupArn"],
            status=_NODEGROUP_STATUS.get(group.get("status", ""), "CREATING"),
            min_size=int(scaling.get("minSize", 0)),
            max_size=int(scaling.get("maxSize", 0)),
            desired_size=int(scaling.get("desiredSize", 0)),
            labels=dict(group.get("labels") or {}),
            taints=tuple(
                Taint(
                    t["key"],
                    t.get("value", ""),
                    {v: k for k, v in _EFFECTS.items()}.get(t["effect"], t["effect"]),
                )
                for t in group.get("taints") or []
            ),
            owner=(group.get("tags") or {}).get(NODE_GROUP_OWNER_TAG),
            version=group.get("version", ""),
            instance_type=(group.get("instanceTypes") or [None])[0],
        )

    @staticmethod
    def _taints(group: NodeGroupSpec) -> list[dict[str, str]]:
        return [
            {"key": t.key, "value": t.value, "effect": _EFFECTS[t.effect]} for t in group.taints
        ]

    @staticmethod
    def _find_group(eks: Any, cluster: str, name: str) -> dict[str, Any] | None:
        try:
            found: dict[str, Any] = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        return dict(found["nodegroup"])

    def _get_group(
        self, eks: Any, cluster: ClusterSpec, group: NodeGroupSpec
    ) -> CloudNodeGroup | None:
        found = self._find_group(eks, cluster.name, group.name)
        return None if found is None else self._group_view(found)

    def _create_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup:
        session = self._session(cluster, credential)
        eks = self._client(session, "eks")
        existing = self._get_group(eks, cluster, group)
        if existing is None:
            subnets = eks.describe_cluster(name=cluster.name)["cluster"]["resourcesVpcConfig"][
                "subnetIds"
            ]
            role = self._ensure_role(
                session, NODE_ROLE, _NODE_TRUST, _NODE_POLICIES, "EKS node role created by SkyClust"
            )
            request: dict[str, Any] = {
                "clusterName": cluster.name,
                "nodegroupName": group.name,
                "scalingConfig": {
                    "minSize": group.min_size,
                    "maxSize": group.max_size,
                    "desiredSize": group.desired_size,
                },
                "subnets": list(subnets),
                "nodeRole": role,
                "labels": dict(group.labels),
                "tags": {**cluster.tags, **group.owner_tags()},
                "clientRequestToken": group.node_group_id,
            }
            if group.instance_type:
                request["instanceTypes"] = [group.instance_type]
            if group.taints:
                request["taints"] = self._taints(group)
            try:
                return self._group_view(eks.create_nodegroup(**request)["nodegroup"])
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ResourceInUseException":
                    raise
            existing = self._get_group(eks, cluster, group)
            if existing is None:
                raise ResourceLost(
                    "the node group vanished right after creation", retryable=True, provider="aws"
                )
        if existing.owner != group.node_group_id:
            raise taken(
                f"a node group named {group.name} already exists in {cluster.name}",
                "aws",
                cluster=False,
            )
        return existing

    def _describe_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> CloudNodeGroup | None:
        eks = self._client(self._session(cluster, credential), "eks")
        view = self._get_group(eks, cluster, group)
        return view if view is not None and view.owner == group.node_group_id else None

    def _update_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        eks = self._client(self._session(cluster, credential), "eks")
        current = self._get_group(eks, cluster, group)
        if current is None or current.owner != group.node_group_id:
            raise ResourceLost("the node group is not in the cloud", provider="aws")
        if not current.active or current.matches(group):
            return
        removed_taints = {(t.key, t.effect) for t in current.taints} - {
            (t.key, t.effect) for t in group.taints
        }
        request: dict[str, Any] = {
            "clusterName": cluster.name,
            "nodegroupName": group.name,
            "scalingConfig": {
                "minSize": group.min_size,
                "maxSize": group.max_size,
                "desiredSize": group.desired_size,
            },
        }
        labels: dict[str, Any] = {}
        if group.labels:
            labels["addOrUpdateLabels"] = dict(group.labels)
        gone = sorted(set(current.labels) - set(group.labels))
        if gone:
            labels["removeLabels"] = gone
        if labels:
            request["labels"] = labels
        taints: dict[str, Any] = {}
        if group.taints:
            taints["addOrUpdateTaints"] = self._taints(group)
        if removed_taints:
            taints["removeTaints"] = [
                {"key": t.key, "value": t.value, "effect": _EFFECTS[t.effect]}
                for t in current.taints
                if (t.key, t.effect) in removed_taints
            ]
        if taints:
            request["taints"] = taints
        eks.update_nodegroup_config(**request)

    def _delete_group(
        self, cluster: ClusterSpec, group: NodeGroupSpec, credential: dict[str, Any]
    ) -> None:
        eks = self._client(self._session(cluster, credential), "eks")
        current = self._get_group(eks, cluster, group)
        if current is None or current.owner != group.node_group_id or current.status == "DELETING":
            return
        try:
            eks.delete_nodegroup(clusterName=cluster.name, nodegroupName=group.name)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
