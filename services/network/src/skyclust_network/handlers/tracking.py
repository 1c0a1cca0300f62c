"""What the network service learns from other services' events: the workspace's cloud
credentials (for discovery) and the clusters that run in its networks (so a network is
not deleted from under a cluster)."""

from __future__ import annotations

import uuid

from skyclust_common.envelope import CloudEvent
from skyclust_common.messages.events import (
    ClusterDeleted,
    ClusterFailed,
    ClusterRequested,
    CredentialCreated,
    CredentialDeleted,
)
from skyclust_common.messaging import Delivery

from ..adapters.repositories import Filter
from .common import NetworkDeps

CONSUMER = "network-tracking"


async def on_credential_created(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    if not event.workspaceid:
        return
    created = CredentialCreated.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.credentials.remember(
            uuid.UUID(event.workspaceid),
            created.credential_id,
            created.provider,
            created.masked.get("region"),
        )
        await uow.commit()


async def on_credential_deleted(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    deleted = CredentialDeleted.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.credentials.forget(deleted.credential_id)
        await uow.commit()


async def on_cluster_requested(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    """A cluster placed in a network SkyClust knows runs in it. Provisioning names AWS
    subnets by cloud id (`aws_config.subnet_ids`) and GCP networks by name
    (`gcp_config.network`)."""
    if not event.workspaceid:
        return
    cluster = ClusterRequested.from_event(event)
    subnet_ids = [str(s) for s in (cluster.aws_config or {}).get("subnet_ids") or []]
    gcp_network = (cluster.gcp_config or {}).get("network")
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
            await uow.cluster_links.link(workspace_id, cluster.cluster_id, vpc_id, cluster.name)
        await uow.commit()


async def on_cluster_gone(deps: NetworkDeps, event: CloudEvent, delivery: Delivery) -> None:
    """ClusterDeleted, or a ClusterFailed while creating (nothing of it is left running)."""
    gone: ClusterDeleted | ClusterFailed
    if event.name == "ClusterFailed":
        gone = ClusterFailed.from_event(event)
        if gone.operation != "create":
            return
    else:
        gone = ClusterDeleted.from_event(event)
    async with deps.uow() as uow:
        if await uow.seen(CONSUMER, event.id):
            return
        await uow.cluster_links.unlink(gone.cluster_id)
        await uow.commit()
