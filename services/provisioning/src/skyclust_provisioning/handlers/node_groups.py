"""Node group use cases: the requests the gateway sends. What they start is carried out
by the node group's saga (node_group_saga.py) from the event each one commits."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.errors import Conflict, NotFound
from skyclust_common.messaging import RpcContext

from ..adapters.db import NodeGroup
from ..domain.cluster import DELETABLE, Status
from ..domain.errors import (
    ClusterBusy,
    ClusterNotFound,
    ClusterNotReady,
    NameTaken,
    NodeGroupBusy,
    NodeGroupNameTaken,
    NodeGroupNotFound,
)
from ..domain.node_group import check_name, check_sizes, check_taints, taints_from
from .clusters import found, read_only
from .shared import ProvisioningDeps, node_group_event, sizes


def view(group: NodeGroup) -> dict[str, Any]:
    return {
        "id": str(group.id),
        "workspace_id": str(group.workspace_id),
        "cluster_id": str(group.cluster_id),
        "name": group.name,
        "instance_type": group.instance_type,
        "min_size": group.min_size,
        "max_size": group.max_size,
        "desired_size": group.desired_size,
        "labels": dict(group.labels or {}),
        "taints": list(group.taints or []),
        "status": group.status,
        "status_reason": group.status_reason,
        "status_message": group.status_message,
        "cloud_id": group.cloud_id,
        "version": group.version,
        "created_by": group.created_by,
        "created_at": group.created_at.isoformat(),
        "updated_at": group.updated_at.isoformat(),
    }


def _not_found() -> NotFound:
    return NodeGroupNotFound("node group not found")


def _cluster_not_found() -> NotFound:
    return ClusterNotFound("cluster not found")


def _name_taken(name: str) -> Conflict:
    return NodeGroupNameTaken(f"a node group named {name} exists in this cluster")


# requests ------------------------------------------------------------------------


async def create_node_group(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    workspace_id = uuid.UUID(data["workspace_id"])
    cluster_id = uuid.UUID(data["cluster_id"])
    taints = taints_from(data.get("taints"))
    check_sizes(data["min_size"], data["max_size"], data["desired_size"])
    check_taints(taints)
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id)
        if not found(cluster, data):
            raise _cluster_not_found()
        check_name(cluster.provider, data["name"])
        if not cluster.managed:
            raise read_only()
        if cluster.status != Status.READY:
            raise ClusterNotReady(
                f"node groups can be added to a READY cluster; this one is {cluster.status}"
            )
        groups = uow.node_groups
        if await groups.live_by_name(cluster_id, data["name"]):
            raise _name_taken(data["name"])
        group = NodeGroup(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            cluster_id=cluster_id,
            name=data["name"],
            instance_type=data.get("instance_type"),
            min_size=data["min_size"],
            max_size=data["max_size"],
            desired_size=data["desired_size"],
            labels=data.get("labels") or {},
            taints=[t.as_dict() for t in taints],
            status=Status.PENDING,
            created_by=data["actor_id"],
        )
        uow.node_groups.add(group)
        await uow.node_groups.refresh_conditions(workspace_id, cluster_id)
        spec = group.spec()
        uow.emit(
            node_group_event(
                "NodeGroupRequested",
                cluster.spec(),
                spec,
                {"instance_type": spec.instance_type, **sizes(spec)},
                actor_id=data["actor_id"],
            )
        )
        try:
            await uow.node_groups.refresh(group)
            await uow.commit()
        except NameTaken:
            raise _name_taken(data["name"]) from None
        return view(group)


async def list_node_groups(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    workspace_id = uuid.UUID(data["workspace_id"])
    cluster_id = uuid.UUID(data["cluster_id"])
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id)
        if not found(cluster, data):
            raise _cluster_not_found()
        items = await uow.node_groups.list(workspace_id, cluster_id)
        return {"items": [view(g) for g in items]}


async def get_node_group(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        group = await uow.node_groups.get(
            uuid.UUID(data["workspace_id"]),
            uuid.UUID(data["cluster_id"]),
            uuid.UUID(data["node_group_id"]),
        )
        if group is None or group.status == Status.DELETED:
            raise _not_found()
        return view(group)


async def update_node_group(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    """Scale (min/max/desired) and change labels and taints; fields left out keep
    their value."""
    workspace_id = uuid.UUID(data["workspace_id"])
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, uuid.UUID(data["cluster_id"]))
        group = await uow.node_groups.get(
            workspace_id,
            uuid.UUID(data["cluster_id"]),
            uuid.UUID(data["node_group_id"]),
            for_update=True,
        )
        if not found(cluster, data):
            raise _cluster_not_found()
        if group is None or group.status == Status.DELETED:
            raise _not_found()
        if not cluster.managed:
            raise read_only()
        if cluster.status != Status.READY:
            raise ClusterBusy(
                f"node groups of a cluster that is {cluster.status} cannot be changed now"
            )
        if group.status != Status.READY:
            raise NodeGroupBusy(f"a node group that is {group.status} cannot be changed now")
        before = group.spec()
        wanted = {
            k: data.get(k, getattr(before, k)) for k in ("min_size", "max_size", "desired_size")
        }
        check_sizes(wanted["min_size"], wanted["max_size"], wanted["desired_size"])
        taints = taints_from(data["taints"]) if "taints" in data else before.taints
        check_taints(taints)
        labels = data.get("labels", before.labels)
        group.min_size = wanted["min_size"]
        group.max_size = wanted["max_size"]
        group.desired_size = wanted["desired_size"]
        group.labels = dict(labels)
        group.taints = [t.as_dict() for t in taints]
        after = group.spec()
        if after == before:
            return view(group)
        group.status = Status.UPDATING
        group.status_reason = None
        group.status_message = None
        await uow.node_groups.refresh_conditions(workspace_id, group.cluster_id)
        uow.emit(
            node_group_event(
                "NodeGroupUpdateRequested",
                cluster.spec(),
                after,
                sizes(after),
                actor_id=data["actor_id"],
            )
        )
        await uow.node_groups.refresh(group)
        await uow.commit()
        return view(group)


async def delete_node_group(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    workspace_id = uuid.UUID(data["workspace_id"])
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, uuid.UUID(data["cluster_id"]))
        group = await uow.node_groups.get(
            workspace_id,
            uuid.UUID(data["cluster_id"]),
            uuid.UUID(data["node_group_id"]),
            for_update=True,
        )
        if not found(cluster, data):
            raise _cluster_not_found()
        if group is None or group.status == Status.DELETED:
            raise _not_found()
        if group.status == Status.DELETING:
            return view(group)
        if not cluster.managed:
            raise read_only()
        if group.status not in DELETABLE:
            raise NodeGroupBusy(f"a node group that is {group.status} cannot be deleted now")
        group.status = Status.DELETING
        group.status_reason = None
        group.status_message = None
        await uow.node_groups.refresh_conditions(workspace_id, group.cluster_id)
        uow.emit(
            node_group_event(
                "NodeGroupDeleteRequested",
                cluster.spec(),
                group.spec(),
                {},
                actor_id=data["actor_id"],
            )
        )
        await uow.node_groups.refresh(group)
        await uow.commit()
        return view(group)
