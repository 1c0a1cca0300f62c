"""The node group saga: the steps that move a node group through PENDING →
PROVISIONING → READY, READY → UPDATING → READY (scaling, labels, taints) and DELETING →
DELETED, or to FAILED.

Like the cluster saga, every step re-reads the persisted state, creation is idempotent by
the group's name and owner tag, and a cloud error is never taken to mean it is gone."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from skyclust_common.envelope import CloudEvent
from skyclust_common.errors import SkyclustError
from skyclust_common.messages.events import (
    NodeGroupDeleteRequested,
    NodeGroupRequested,
    NodeGroupUpdateRequested,
)
from skyclust_common.messaging import Delivery

from ..adapters.providers.base import CloudNodeGroup, ClusterProvider
from ..domain.cluster import CREATING, ClusterSpec, Status
from ..domain.errors import (
    CloudFailed,
    ResourceLost,
)
from ..domain.node_group import NodeGroupSpec
from .shared import (
    ProvisioningDeps,
    cluster_credential,
    node_group_event,
    poll,
    provider_for,
    sizes,
)

UPDATING = frozenset({Status.UPDATING})
DELETING = frozenset({Status.DELETING})

# What each step is started by: all three name the cluster and the node group.
StepEvent = NodeGroupRequested | NodeGroupUpdateRequested | NodeGroupDeleteRequested


async def _load(
    deps: ProvisioningDeps, event: CloudEvent, data: StepEvent, *, creating: bool = False
) -> tuple[ClusterSpec, NodeGroupSpec, Status] | None:
    """The cluster and node group as persisted now. `creating`: None once the cluster
    is being deleted, whose saga deletes the node group (so nothing is created behind
    its back)."""
    workspace_id = uuid.UUID(event.workspaceid or "")
    async with deps.uow() as uow:
        cluster = await uow.clusters.get(workspace_id, data.cluster_id)
        group = await uow.node_groups.get(workspace_id, data.cluster_id, data.node_group_id)
        if cluster is None or group is None:
            return None
        if creating and cluster.status in (Status.DELETING, Status.DELETED):
            return None
        return cluster.spec(), group.spec(), Status(group.status)


async def transition(
    deps: ProvisioningDeps,
    cluster: ClusterSpec,
    group: NodeGroupSpec,
    allowed: frozenset[Status],
    status: Status,
    event: CloudEvent | None,
    **fields: Any,
) -> bool:
    async with deps.uow() as uow:
        row = await uow.node_groups.get(
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
        await uow.node_groups.refresh_conditions(row.workspace_id, row.cluster_id)
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
    await transition(
        deps,
        cluster,
        group,
        allowed,
        Status.FAILED,
        node_group_event(
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


def checked(current: CloudNodeGroup | None) -> CloudNodeGroup:
    if current is None:
        raise ResourceLost("the cloud lost the node group", retryable=False)
    if current.failed:
        raise CloudFailed("the cloud reports the node group failed")
    return current


@dataclass(frozen=True)
class Loaded:
    """A node group as a step finds it, with its cloud and decrypted credential."""

    provider: ClusterProvider
    cluster: ClusterSpec
    group: NodeGroupSpec
    status: Status
    secret: dict[str, Any]


Step = Callable[[Loaded], Awaitable[None]]


async def _run(
    deps: ProvisioningDeps,
    event: CloudEvent,
    data: StepEvent,
    delivery: Delivery,
    allowed: frozenset[Status],
    operation: str,
    step: Step,
    *,
    creating: bool = False,
) -> None:
    """Run `step` on the node group if it is in one of the `allowed` statuses; a failure
    is retried by redelivery while it may pass, else the node group ends FAILED."""
    loaded = await _load(deps, event, data, creating=creating)
    if loaded is None or loaded[2] not in allowed:
        return
    cluster, group, status = loaded
    try:
        provider = provider_for(deps, cluster.provider)
        secret = await cluster_credential(deps, cluster, f"{operation} node group")
        await step(Loaded(provider, cluster, group, status, secret))
    except SkyclustError as exc:
        # A cloud error is never taken to mean the node group is gone.
        await _retry_or_fail(deps, cluster, group, allowed, exc, delivery, operation)


async def on_node_group_requested(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    async def create(now: Loaded) -> None:
        provider, cluster, group, secret = now.provider, now.cluster, now.group, now.secret
        cloud = await provider.create_node_group(cluster, group, secret)
        if now.status == Status.PENDING:
            await transition(
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
            latest[0] = checked(await provider.describe_node_group(cluster, group, secret))
            return latest[0].active

        await poll(deps, active, deps.create_timeout, "node group creation")
        await transition(
            deps,
            cluster,
            group,
            CREATING,
            Status.READY,
            node_group_event(
                "NodeGroupReady", cluster, group, {"cloud_id": latest[0].cloud_id, **sizes(group)}
            ),
            cloud_id=latest[0].cloud_id,
            status_reason=None,
            status_message=None,
        )

    requested = NodeGroupRequested.from_event(event)
    await _run(deps, event, requested, delivery, CREATING, "create", create, creating=True)


async def on_node_group_update_requested(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    async def update(now: Loaded) -> None:
        provider, cluster, group, secret = now.provider, now.cluster, now.group, now.secret

        async def converged() -> bool:
            current = checked(await provider.describe_node_group(cluster, group, secret))
            if current.active and current.matches(group):
                return True
            await provider.update_node_group(cluster, group, secret)
            return False

        if not await converged():
            await poll(deps, converged, deps.create_timeout, "node group update")
        await transition(
            deps,
            cluster,
            group,
            UPDATING,
            Status.READY,
            node_group_event("NodeGroupScaled", cluster, group, sizes(group)),
            status_reason=None,
            status_message=None,
        )

    requested = NodeGroupUpdateRequested.from_event(event)
    await _run(deps, event, requested, delivery, UPDATING, "update", update)


async def delete_in_cloud(
    deps: ProvisioningDeps,
    provider: ClusterProvider,
    cluster: ClusterSpec,
    group: NodeGroupSpec,
    secret: dict[str, Any],
) -> None:
    await provider.delete_node_group(cluster, group, secret)

    async def gone() -> bool:
        return await provider.describe_node_group(cluster, group, secret) is None

    await poll(deps, gone, deps.delete_timeout, "node group deletion")


async def on_node_group_delete_requested(
    deps: ProvisioningDeps, event: CloudEvent, delivery: Delivery
) -> None:
    async def delete(now: Loaded) -> None:
        cluster, group = now.cluster, now.group
        await delete_in_cloud(deps, now.provider, cluster, group, now.secret)
        await transition(
            deps,
            cluster,
            group,
            DELETING,
            Status.DELETED,
            node_group_event("NodeGroupDeleted", cluster, group, {}),
        )

    requested = NodeGroupDeleteRequested.from_event(event)
    await _run(deps, event, requested, delivery, DELETING, "delete", delete)
