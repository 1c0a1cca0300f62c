"""Node group use cases: the requests the gateway sends, and the saga steps that move a
node group through PENDING → PROVISIONING → READY, READY → UPDATING → READY (scaling,
labels, taints) and DELETING → DELETED, or to FAILED.

Like the cluster saga, every step re-reads the persisted state, creation is idempotent by
the group's name and owner tag, and a cloud error is never taken to mean it is gone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from skyclust_common.envelope import CloudEvent, new_event
from skyclust_common.errors import (
    Conflict,
    NotFound,
    ProviderError,
    SkyclustError,
)
from skyclust_common.messaging import Delivery, RpcContext

from ..adapters.db import Clusters, NodeGroup, NodeGroups
from ..adapters.providers.base import CloudNodeGroup, ClusterProvider
from ..domain import conditions
from ..domain.cluster import CREATING, DELETABLE, ClusterSpec, Status
from ..domain.node_group import (
    NodeGroupSpec,
    check_name,
    check_sizes,
    check_taints,
    taints_from,
)
from .clusters import SOURCE, ProvisioningDeps, _credential, _poll, found, read_only

UPDATING = frozenset({Status.UPDATING})
DELETING = frozenset({Status.DELETING})


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


def _event(
    name: str, cluster: ClusterSpec, group: NodeGroupSpec, data: dict[str, Any], **kw: Any
) -> CloudEvent:
    return new_event(
        name,
        {
            "cluster_id": cluster.cluster_id,
            "node_group_id": group.node_group_id,
            "provider": cluster.provider,
            "name": group.name,
            **data,
        },
        source=SOURCE,
        subject=group.node_group_id,
        workspace_id=cluster.workspace_id,
        correlation_id=group.node_group_id,
        **kw,
    )


def _sizes(group: NodeGroupSpec) -> dict[str, Any]:
    return {
        "min_size": group.min_size,
        "max_size": group.max_size,
        "desired_size": group.desired_size,
        "labels": dict(group.labels),
        "taints": [t.as_dict() for t in group.taints],
    }


async def _refresh_conditions(
    session: AsyncSession, workspace_id: uuid.UUID, cluster_id: uuid.UUID
) -> None:
    """NodeGroupsReady follows every change of a node group's status, in the same
    transaction (node group row locked first, then the cluster's)."""
    cluster = await Clusters(session).get(workspace_id, cluster_id, for_update=True)
    if cluster is None:
        return
    groups = await NodeGroups(session).list(workspace_id, cluster_id)
    cluster.conditions = conditions.for_node_groups(
        cluster.conditions, [(g.name, g.status) for g in groups], datetime.now(UTC)
    )


def _not_found() -> NotFound:
    return NotFound("node group not found", code="NODE_GROUP_NOT_FOUND")


def _cluster_not_found() -> NotFound:
    return NotFound("cluster not found", code="CLUSTER_NOT_FOUND")


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"a node group named {name} exists in this cluster", code="NODE_GROUP_NAME_TAKEN"
    )


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
        cluster = await Clusters(uow.session).get(workspace_id, cluster_id)
        if not found(cluster, data):
            raise _cluster_not_found()
        check_name(cluster.provider, data["name"])
        if not cluster.managed:
            raise read_only()
        if cluster.status != Status.READY:
            raise Conflict(
                f"node groups can be added to a READY cluster; this one is {cluster.status}",
                code="CLUSTER_NOT_READY",
            )
        groups = NodeGroups(uow.session)
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
        uow.session.add(group)
        await _refresh_conditions(uow.session, workspace_id, cluster_id)
        spec = group.spec()
        uow.emit(
            _event(
                "NodeGroupRequested",
                cluster.spec(),
                spec,
                {"instance_type": spec.instance_type, **_sizes(spec)},
                actor_id=data["actor_id"],
            )
        )
        try:
            await uow.commit()
        except IntegrityError:
            raise _name_taken(data["name"]) from None
        await uow.session.refresh(group)
        return view(group)


async def list_node_groups(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    workspace_id = uuid.UUID(data["workspace_id"])
    cluster_id = uuid.UUID(data["cluster_id"])
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(workspace_id, cluster_id)
        if not found(cluster, data):
            raise _cluster_not_found()
        items = await NodeGroups(uow.session).list(workspace_id, cluster_id)
        return {"items": [view(g) for g in items]}


async def get_node_group(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    async with deps.uow() as uow:
        group = await NodeGroups(uow.session).get(
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
        cluster = await Clusters(uow.session).get(workspace_id, uuid.UUID(data["cluster_id"]))
        group = await NodeGroups(uow.session).get(
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
            raise Conflict(
                f"node groups of a cluster that is {cluster.status} cannot be changed now",
                code="CLUSTER_BUSY",
            )
        if group.status != Status.READY:
            raise Conflict(
                f"a node group that is {group.status} cannot be changed now",
                code="NODE_GROUP_BUSY",
            )
        before = group.spec()
        sizes = {
            k: data.get(k, getattr(before, k)) for k in ("min_size", "max_size", "desired_size")
        }
        check_sizes(sizes["min_size"], sizes["max_size"], sizes["desired_size"])
        taints = taints_from(data["taints"]) if "taints" in data else before.taints
        check_taints(taints)
        labels = data.get("labels", before.labels)
        group.min_size = sizes["min_size"]
        group.max_size = sizes["max_size"]
        group.desired_size = sizes["desired_size"]
        group.labels = dict(labels)
        group.taints = [t.as_dict() for t in taints]
        after = group.spec()
        if after == before:
            return view(group)
        group.status = Status.UPDATING
        group.status_reason = None
        group.status_message = None
        await _refresh_conditions(uow.session, workspace_id, group.cluster_id)
        uow.emit(
            _event(
                "NodeGroupUpdateRequested",
                cluster.spec(),
                after,
                _sizes(after),
                actor_id=data["actor_id"],
            )
        )
        await uow.commit()
        await uow.session.refresh(group)
        return view(group)


async def delete_node_group(
    deps: ProvisioningDeps, data: dict[str, Any], ctx: RpcContext
) -> dict[str, Any]:
    workspace_id = uuid.UUID(data["workspace_id"])
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(workspace_id, uuid.UUID(data["cluster_id"]))
        group = await NodeGroups(uow.session).get(
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
            raise Conflict(
                f"a node group that is {group.status} cannot be deleted now",
                code="NODE_GROUP_BUSY",
            )
        group.status = Status.DELETING
        group.status_reason = None
        group.status_message = None
        await _refresh_conditions(uow.session, workspace_id, group.cluster_id)
        uow.emit(
            _event(
                "NodeGroupDeleteRequested",
                cluster.spec(),
                group.spec(),
                {},
                actor_id=data["actor_id"],
            )
        )
        await uow.commit()
        await uow.session.refresh(group)
        return view(group)


# saga steps ----------------------------------------------------------------------


async def _load(
    deps: ProvisioningDeps, event: CloudEvent, *, creating: bool = False
) -> tuple[ClusterSpec, NodeGroupSpec, Status] | None:
    """The cluster and node group as persisted now. `creating`: None once the cluster
    is being deleted, whose saga deletes the node group (so nothing is created behind
    its back)."""
    workspace_id = uuid.UUID(event.workspaceid or "")
    cluster_id = uuid.UUID(event.data["cluster_id"])
    async with deps.uow() as uow:
        cluster = await Clusters(uow.session).get(workspace_id, cluster_id)
        group = await NodeGroups(uow.session).get(
            workspace_id, cluster_id, uuid.UUID(event.data["node_group_id"])
        )
        if cluster is None or group is None:
            return None
        if creating and cluster.status in (Status.DELETING, Status.DELETED):
            return None
        return cluster.spec(), group.spec(), Status(group.status)


async def _transition(
    deps: ProvisioningDeps,
    cluster: ClusterSpec,
    group: NodeGroupSpec,
    allowed: frozenset[Status],
    status: Status,
    event: CloudEvent | None,
    **fields: Any,
) -> bool:
    async with deps.uow() as uow:
        row = await NodeGroups(uow.session).get(
            uuid.UUID(cluster.workspace_id),
            uuid.UUID(cluster.cluster_id),
            uuid.UUID(group.node_group_id),
            for_update=True,
        )
        if row is None or row.status not in allowed:
            return False
        row.status = status
        for key, value in fields.items():
            setattr(row, key, value)
        await _refresh_conditions(uow.session, row.workspace_id, row.cluster_id)
        if event is not None:
            uow.emit(event)
        await uow.commit()
        return True


async def _retry_or_fail(
    deps: ProvisioningDeps,
    cluster: ClusterSpec,
    group: NodeGroupSpec,
    allowed: frozenset[Status],
    error: SkyclustError,
    delivery: Delivery,
    operation: str,
) -> None:
    if error.retryable and delivery.num_delivered < deps.max_attempts:
        raise error  # redelivered with backoff
    message = error.message[:2000]
    await _transition(
        deps,
        cluster,
        group,
        allowed,
        Status.FAILED,
        _event(
            "NodeGroupFailed",
            cluster,
            group,
            {
                "code": error.code,
                "message": message,
                "retryable": error.retryable,
                "operation": operation,
            },
        ),
        status_reason=error.code,
        status_message=message,
    )


def _provider(deps: ProvisioningDeps, cluster: ClusterSpec) -> ClusterProvider:
    provider = deps.providers.get(cluster.provider)
    if provider is None:
        raise ProviderError(f"{cluster.provider} is not supported", code="PROVIDER_NOT_SUPPORTED")
    return provider


def _checked(current: CloudNodeGroup | None) -> CloudNodeGroup:
    if current is None:
        raise ProviderError(
            "the cloud lost the node group", code="PROVIDER_RESOURCE_LOST", retryable=False
        )
    if current.failed:
        raise ProviderError("the cloud reports the node group failed", code="CLOUD_FAILED")
    return current


async def on_node_group_requested(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event, creating=True)
    if loaded is None or loaded[2] not in CREATING:
        return
    cluster, group, status = loaded
    try:
        provider = _provider(deps, cluster)
        credential = await _credential(deps, cluster, "create node group")
        cloud = await provider.create_node_group(cluster, group, credential)
        if status == Status.PENDING:
            await _transition(
                deps,
                cluster,
                group,
                frozenset({Status.PENDING}),
                Status.PROVISIONING,
                None,
                cloud_id=cloud.cloud_id,
            )
        latest = [cloud]

        async def active() -> bool:
            latest[0] = _checked(await provider.describe_node_group(cluster, group, credential))
            return latest[0].active

        await _poll(deps, active, deps.create_timeout, "node group creation")
        await _transition(
            deps,
            cluster,
            group,
            CREATING,
            Status.READY,
            _event(
                "NodeGroupReady",
                cluster,
                group,
                {"cloud_id": latest[0].cloud_id, **_sizes(group)},
            ),
            cloud_id=latest[0].cloud_id,
            status_reason=None,
            status_message=None,
        )
    except SkyclustError as exc:
        await _retry_or_fail(deps, cluster, group, CREATING, exc, delivery, "create")


async def on_node_group_update_requested(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[2] != Status.UPDATING:
        return
    cluster, group, _ = loaded
    try:
        provider = _provider(deps, cluster)
        credential = await _credential(deps, cluster, "update node group")

        async def converged() -> bool:
            current = _checked(await provider.describe_node_group(cluster, group, credential))
            if current.active and current.matches(group):
                return True
            await provider.update_node_group(cluster, group, credential)
            return False

        if not await converged():
            await _poll(deps, converged, deps.create_timeout, "node group update")
        await _transition(
            deps,
            cluster,
            group,
            UPDATING,
            Status.READY,
            _event("NodeGroupScaled", cluster, group, _sizes(group)),
            status_reason=None,
            status_message=None,
        )
    except SkyclustError as exc:
        await _retry_or_fail(deps, cluster, group, UPDATING, exc, delivery, "update")


async def delete_in_cloud(
    deps: ProvisioningDeps,
    provider: ClusterProvider,
    cluster: ClusterSpec,
    group: NodeGroupSpec,
    credential: dict[str, Any],
) -> None:
    await provider.delete_node_group(cluster, group, credential)

    async def gone() -> bool:
        return await provider.describe_node_group(cluster, group, credential) is None

    await _poll(deps, gone, deps.delete_timeout, "node group deletion")


async def on_node_group_delete_requested(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    loaded = await _load(deps, event)
    if loaded is None or loaded[2] != Status.DELETING:
        return
    cluster, group, _ = loaded
    try:
        provider = _provider(deps, cluster)
        credential = await _credential(deps, cluster, "delete node group")
        await delete_in_cloud(deps, provider, cluster, group, credential)
        await _transition(
            deps,
            cluster,
            group,
            DELETING,
            Status.DELETED,
            _event("NodeGroupDeleted", cluster, group, {}),
        )
    except SkyclustError as exc:
        # A cloud error is never taken to mean the node group is gone.
        await _retry_or_fail(deps, cluster, group, DELETING, exc, delivery, "delete")


async def delete_cluster_node_groups(
    deps: ProvisioningDeps,
    provider: ClusterProvider,
    cluster: ClusterSpec,
    credential: dict[str, Any],
) -> None:
    """Part of deleting a cluster: each of its node groups that is not DELETED yet is
    deleted in the cloud, then marked DELETED, whatever step its own saga was at."""
    async with deps.uow() as uow:
        rows = await NodeGroups(uow.session).list(
            uuid.UUID(cluster.workspace_id), uuid.UUID(cluster.cluster_id)
        )
        groups = [row.spec() for row in rows]
    for group in groups:
        await delete_in_cloud(deps, provider, cluster, group, credential)
        await _transition(
            deps,
            cluster,
            group,
            frozenset(Status) - {Status.DELETED},
            Status.DELETED,
            _event("NodeGroupDeleted", cluster, group, {}),
        )
