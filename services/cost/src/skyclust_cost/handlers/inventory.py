"""What SkyClust knows runs, from provisioning's and the vault's events: the credentials
to collect with, and each cluster's control plane and node groups with their sizes and
since when, for estimates when a billing API cannot be read."""

from __future__ import annotations

import uuid

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Delivery

from ..domain.run_rate import CONTROL_PLANE
from .common import CostDeps

CONSUMER = "cost-inventory"
# The instance type a node group is billed at when its request named none (EKS's
# default, and the smallest type SkyClust offers on the other clouds).
DEFAULT_TYPES = {"aws": "t3.medium", "gcp": "e2-medium", "azure": "Standard_D2s_v5"}


async def on_credential_created(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    if not event.workspaceid:
        return
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.credentials.remember(
            uuid.UUID(event.workspaceid),
            uuid.UUID(event.data["credential_id"]),
            event.data["provider"],
        )
        await uow.commit()


async def on_credential_deleted(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.credentials.forget(uuid.UUID(event.data["credential_id"]))
        await uow.commit()


async def on_cluster_requested(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    if not event.workspaceid:
        return
    data = event.data
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.inventory.know_cluster(
            uuid.UUID(event.workspaceid),
            uuid.UUID(data["cluster_id"]),
            data["provider"],
            data["region"],
            data["name"],
        )
        await uow.commit()


async def on_cluster_ready(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    if not event.workspaceid:
        return
    data = event.data
    cluster_id = uuid.UUID(data["cluster_id"])
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.inventory.know_cluster(
            uuid.UUID(event.workspaceid), cluster_id, data["provider"], data["region"], data["name"]
        )
        # An upgrade's ClusterReady must not count the control plane twice.
        await uow.inventory.close(cluster_id, "", event.time)
        await uow.inventory.open(
            uuid.UUID(event.workspaceid),
            cluster_id,
            "",
            data["name"],
            data["provider"],
            data["region"],
            CONTROL_PLANE,
            1,
            event.time,
        )
        await uow.commit()


async def on_node_group_requested(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    data = event.data
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        kind = data.get("instance_type") or DEFAULT_TYPES.get(data["provider"], "")
        await uow.inventory.know_node_group(
            uuid.UUID(data["cluster_id"]), str(data["node_group_id"]), kind
        )
        await uow.commit()


async def on_node_group_sized(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    """NodeGroupReady or NodeGroupScaled: the run so far ends, one at the new size starts."""
    if not event.workspaceid:
        return
    data = event.data
    cluster_id = uuid.UUID(data["cluster_id"])
    node_group_id = str(data["node_group_id"])
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        kind = await uow.inventory.instance_type(node_group_id) or DEFAULT_TYPES.get(
            data["provider"], ""
        )
        region = await uow.inventory.cluster_region(cluster_id) or ""
        await uow.inventory.close(cluster_id, node_group_id, event.time)
        if int(data["desired_size"]) > 0:
            await uow.inventory.open(
                uuid.UUID(event.workspaceid),
                cluster_id,
                node_group_id,
                data["name"],
                data["provider"],
                region,
                kind,
                int(data["desired_size"]),
                event.time,
            )
        await uow.commit()


async def on_node_group_deleted(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.inventory.close(
            uuid.UUID(event.data["cluster_id"]), str(event.data["node_group_id"]), event.time
        )
        await uow.commit()


async def on_cluster_deleted(deps: CostDeps, event: CloudEvent, delivery: Delivery) -> None:
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.inventory.close(uuid.UUID(event.data["cluster_id"]), None, event.time)
        await uow.commit()
