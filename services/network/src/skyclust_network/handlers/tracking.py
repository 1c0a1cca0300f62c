"""What the network service learns from other services' events: the workspace's cloud
credentials (for discovery) and the clusters that run in its networks (so a network is
not deleted from under a cluster)."""

from __future__ import annotations

import uuid

from skyclust_common.envelope import CloudEvent
from skyclust_common.messaging import Delivery

from ..adapters.repositories import Filter
from .common import NetworkDeps

CONSUMER = "network-tracking"


async def on_credential_created(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    if not event.workspaceid:
        return
    data = event.data
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.credentials.remember(
            uuid.UUID(event.workspaceid),
            uuid.UUID(data["credential_id"]),
            data["provider"],
            (data.get("masked") or {}).get("region"),
        )
        await uow.commit()


async def on_credential_deleted(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.credentials.forget(uuid.UUID(event.data["credential_id"]))
        await uow.commit()


async def on_cluster_requested(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    """A cluster placed in a network SkyClust knows runs in it. Provisioning names AWS
    subnets by cloud id (`aws_config.subnet_ids`) and GCP networks by name
    (`gcp_config.network`)."""
    if not event.workspaceid:
        return
    data = event.data
    subnet_ids = [str(s) for s in (data.get("aws_config") or {}).get("subnet_ids") or []]
    gcp_network = (data.get("gcp_config") or {}).get("network")
    workspace_id = uuid.UUID(event.workspaceid)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        vpc_ids = {s.vpc_id for s in await uow.subnets.by_cloud_ids(workspace_id, subnet_ids)}
        if gcp_network:
            for vpc in await uow.vpcs.search(workspace_id, Filter(provider="gcp")):
                if vpc.name == gcp_network or (vpc.cloud_id or "").endswith(
                    f"/networks/{gcp_network}"
                ):
                    vpc_ids.add(vpc.id)
        for vpc_id in vpc_ids:
            await uow.cluster_links.link(
                workspace_id, uuid.UUID(data["cluster_id"]), vpc_id, data["name"]
            )
        await uow.commit()


async def on_cluster_gone(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    """ClusterDeleted, or a ClusterFailed while creating (nothing of it is left running)."""
    if event.name == "ClusterFailed" and event.data.get("operation") != "create":
        return
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.cluster_links.unlink(uuid.UUID(event.data["cluster_id"]))
        await uow.commit()
