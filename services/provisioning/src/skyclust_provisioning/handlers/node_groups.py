"""Node group use cases: the requests the gateway sends. What they start is carried out
by the node group's saga (node_group_saga.py) from the event each one commits."""

from __future__ import annotations

import uuid
from typing import Any

from skyclust_common.errors import Conflict, NotFound
from skyclust_common.messages.rpc import (
    CreateNodeGroupRequest,
    DeleteNodeGroupRequest,
    GetNodeGroupRequest,
    ListNodeGroupsRequest,
    UpdateNodeGroupRequest,
)
from skyclust_common.messaging import RpcContext

from ..adapters.db import Cluster, NodeGroup
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
from ..domain.node_group import check_name, check_sizes, check_taints
from . import budget_guard
from .clusters import found, read_only
from .shared import ProvisioningDeps, node_group_event, sizes, taints_of


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


def _budget_request(
    cluster: Cluster,
    actor_id: str,
    is_admin: bool | None,
    override: bool | None,
    groups: list[dict[str, Any]],
) -> budget_guard.BudgetRequest:
    """Nodes added to an existing cluster: only they are priced, with the cluster's
    provider, region and tags (the budgets that cover the cluster cover them)."""
    return budget_guard.BudgetRequest(
        workspace_id=str(cluster.workspace_id),
        actor_id=actor_id,
        is_admin=bool(is_admin),
        override=bool(override),
        provider=cluster.provider,
        region=cluster.region,
        version=cluster.version,
        cluster_id=str(cluster.id),
        tags=dict(cluster.tags or {}),
        node_groups=groups,
        include_control_plane=False,
    )


# requests ------------------------------------------------------------------------


async def create_node_group(
    deps: ProvisioningDeps, req: CreateNodeGroupRequest, ctx: RpcContext
) -> dict[str, Any]:
    workspace_id, cluster_id = req.workspace_id, req.cluster_id
    taints = taints_of(req.taints)
    check_sizes(req.min_size, req.max_size, req.desired_size)
    check_taints(taints)
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id)
        if not found(cluster, req.provider):
            raise _cluster_not_found()
        check_name(cluster.provider, req.name)
        if not cluster.managed:
            raise read_only()
        if cluster.status != Status.READY:
            raise ClusterNotReady(
                f"node groups can be added to a READY cluster; this one is {cluster.status}"
            )
        groups = uow.node_groups
        if await groups.live_by_name(cluster_id, req.name):
            raise _name_taken(req.name)
        # Asked inside the transaction, so nothing is stored unless it goes ahead; a
        # refusal rolls it back.
        budget = _budget_request(
            cluster,
            req.actor_id,
            req.actor_is_admin,
            req.budget_override,
            [
                budget_guard.node_group(
                    req.name, req.instance_type, req.desired_size, req.min_size, req.max_size
                )
            ],
        )
        outcome = await budget_guard.check(deps, budget)
        group = NodeGroup(
            id=uuid.uuid4(),
            workspace_id=workspace_id,
            cluster_id=cluster_id,
            name=req.name,
            instance_type=req.instance_type,
            min_size=req.min_size,
            max_size=req.max_size,
            desired_size=req.desired_size,
            labels=dict(req.labels or {}),
            taints=[t.as_dict() for t in taints],
            status=Status.PENDING,
            created_by=req.actor_id,
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
                actor_id=req.actor_id,
            )
        )
        audit = budget_guard.override_audit(
            outcome,
            budget,
            resource_type="node_group",
            resource_id=str(group.id),
            request_id=ctx.request_id,
        )
        if audit is not None:
            uow.emit(audit)
        try:
            await uow.node_groups.refresh(group)
            await uow.commit()
        except NameTaken:
            raise _name_taken(req.name) from None
        return {**view(group), "warnings": list(outcome.warnings)}


async def list_node_groups(
    deps: ProvisioningDeps, req: ListNodeGroupsRequest, ctx: RpcContext
) -> dict[str, Any]:
    workspace_id, cluster_id = req.workspace_id, req.cluster_id
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, cluster_id)
        if not found(cluster, req.provider):
            raise _cluster_not_found()
        items = await uow.node_groups.list(workspace_id, cluster_id)
        return {"items": [view(g) for g in items]}


async def get_node_group(
    deps: ProvisioningDeps, req: GetNodeGroupRequest, ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        group = await uow.node_groups.get(req.workspace_id, req.cluster_id, req.node_group_id)
        if group is None or group.status == Status.DELETED:
            raise _not_found()
        return view(group)


async def update_node_group(
    deps: ProvisioningDeps, req: UpdateNodeGroupRequest, ctx: RpcContext
) -> dict[str, Any]:
    """Scale (min/max/desired) and change labels and taints; fields left out keep
    their value (the contract allows none of them to be null)."""
    workspace_id = req.workspace_id
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, req.cluster_id)
        group = await uow.node_groups.get(
            workspace_id, req.cluster_id, req.node_group_id, for_update=True
        )
        if not found(cluster, req.provider):
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
        min_size = before.min_size if req.min_size is None else req.min_size
        max_size = before.max_size if req.max_size is None else req.max_size
        desired_size = before.desired_size if req.desired_size is None else req.desired_size
        check_sizes(min_size, max_size, desired_size)
        taints = before.taints if req.taints is None else taints_of(req.taints)
        check_taints(taints)
        labels = before.labels if req.labels is None else req.labels
        # A scale-up is priced for the nodes it adds (at their new maximum, too).
        added = desired_size - before.desired_size
        budget = _budget_request(
            cluster,
            req.actor_id,
            req.actor_is_admin,
            req.budget_override,
            [
                budget_guard.node_group(
                    before.name,
                    before.instance_type,
                    max(added, 0),
                    max(added, 0),
                    max(max_size - before.desired_size, added, 0),
                )
            ],
        )
        outcome = await budget_guard.check(deps, budget)
        group.min_size = min_size
        group.max_size = max_size
        group.desired_size = desired_size
        group.labels = dict(labels)
        group.taints = [t.as_dict() for t in taints]
        after = group.spec()
        if after == before:
            return {**view(group), "warnings": list(outcome.warnings)}
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
                actor_id=req.actor_id,
            )
        )
        audit = budget_guard.override_audit(
            outcome,
            budget,
            resource_type="node_group",
            resource_id=str(group.id),
            request_id=ctx.request_id,
        )
        if audit is not None:
            uow.emit(audit)
        await uow.node_groups.refresh(group)
        await uow.commit()
        return {**view(group), "warnings": list(outcome.warnings)}


async def delete_node_group(
    deps: ProvisioningDeps, req: DeleteNodeGroupRequest, ctx: RpcContext
) -> dict[str, Any]:
    workspace_id = req.workspace_id
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, req.cluster_id)
        group = await uow.node_groups.get(
            workspace_id, req.cluster_id, req.node_group_id, for_update=True
        )
        if not found(cluster, req.provider):
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
                actor_id=req.actor_id,
            )
        )
        await uow.node_groups.refresh(group)
        await uow.commit()
        return view(group)
