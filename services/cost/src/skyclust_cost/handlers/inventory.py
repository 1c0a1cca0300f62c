"""What SkyClust knows runs, from provisioning's and the vault's events: the credentials
to collect with, and each cluster's control plane and node groups with their sizes and
since when, for estimates when a billing API cannot be read."""

from __future__ import annotations

import uuid

from skyclust_common.envelope import CloudEvent
from skyclust_common.messages.events import (
    ClusterDeleted,
    ClusterReady,
    ClusterRequested,
    CredentialCreated,
    CredentialDeleted,
    NodeGroupDeleted,
    NodeGroupReady,
    NodeGroupRequested,
    NodeGroupScaled,
)
from skyclust_common.messaging import Delivery

from ..domain.run_rate import CONTROL_PLANE
from .common import CostDeps

CONSUMER = "cost-inventory"
# The instance type a node group is billed at when its request named none (EKS's
# default, and the smallest type SkyClust offers on the other clouds).
DEFAULT_TYPES = {"aws": "t3.medium", "gcp": "e2-medium", "azure": "Standard_D2s_v5"}
SIZED: dict[str, type[NodeGroupReady | NodeGroupScaled]] = {
    "NodeGroupReady": NodeGroupReady,
    "NodeGroupScaled": NodeGroupScaled,
}


async def on_credential_created(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    if not event.workspaceid:
        return
    created = CredentialCreated.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.credentials.remember(
            uuid.UUID(event.workspaceid), created.credential_id, created.provider
        )
        await uow.commit()


async def on_credential_deleted(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    deleted = CredentialDeleted.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.credentials.forget(deleted.credential_id)
        await uow.commit()


async def on_cluster_requested(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    if not event.workspaceid:
        return
    cluster = ClusterRequested.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.inventory.know_cluster(
            uuid.UUID(event.workspaceid),
            cluster.cluster_id,
            cluster.provider,
            cluster.region,
            cluster.name,
        )
        await uow.commit()


async def on_cluster_ready(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    if not event.workspaceid:
        return
    ready = ClusterReady.from_event(event)
    workspace_id, cluster_id = uuid.UUID(event.workspaceid), ready.cluster_id
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.inventory.know_cluster(
            workspace_id, cluster_id, ready.provider, ready.region, ready.name
        )
        # An upgrade's ClusterReady must not count the control plane twice.
        await uow.inventory.close(cluster_id, "", event.time)
        await uow.inventory.open(
            workspace_id,
            cluster_id,
            "",
            ready.name,
            ready.provider,
            ready.region,
            CONTROL_PLANE,
            1,
            event.time,
        )
        await uow.commit()


async def on_node_group_requested(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    group = NodeGroupRequested.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        kind = group.instance_type or DEFAULT_TYPES.get(group.provider, "")
        await uow.inventory.know_node_group(group.cluster_id, str(group.node_group_id), kind)
        await uow.commit()


async def on_node_group_sized(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    """NodeGroupReady or NodeGroupScaled: the run so far ends, one at the new size starts."""
    if not event.workspaceid:
        return
    sized = SIZED[event.name].from_event(event)
    cluster_id, node_group_id = sized.cluster_id, str(sized.node_group_id)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        kind = await uow.inventory.instance_type(node_group_id) or DEFAULT_TYPES.get(
            sized.provider, ""
        )
        region = await uow.inventory.cluster_region(cluster_id) or ""
        await uow.inventory.close(cluster_id, node_group_id, event.time)
        if sized.desired_size > 0:
            await uow.inventory.open(
                uuid.UUID(event.workspaceid),
                cluster_id,
                node_group_id,
                sized.name,
                sized.provider,
                region,
                kind,
                sized.desired_size,
                event.time,
            )
        await uow.commit()


async def on_node_group_deleted(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    deleted = NodeGroupDeleted.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.inventory.close(deleted.cluster_id, str(deleted.node_group_id), event.time)
        await uow.commit()


async def on_cluster_deleted(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    deleted = ClusterDeleted.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.inventory.close(deleted.cluster_id, None, event.time)
        await uow.commit()
